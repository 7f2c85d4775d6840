//! Output templates: documents a capability produces, each a minijinja template
//! beside its capability (`templates/<id>.md.j2`) with a JSON Schema of its fields
//! (`templates/<id>.schema.json`). Fields are validated, derived values computed,
//! and the document rendered by our code, never improvised by the model.

mod derive;
mod fields;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::{Environment, UndefinedBehavior};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use derive::{CRITERIA, Derivation, VALUE_LADDER, WORK_TYPES, prefill_current_allocation};
pub use fields::{FieldError, FieldErrorKind};

use crate::capability::{Capability, is_valid_id};

/// The folder beside `AGENT.md` that holds a capability's templates.
pub const TEMPLATES_DIR: &str = "templates";
const SCHEMA_SUFFIX: &str = ".schema.json";
const TEMPLATE_SUFFIX: &str = ".md.j2";

/// Our keys in a template's schema, under `x-pmcoach`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Meta {
    /// The workflow phase the document belongs to.
    phase: String,
    /// The artifact type prefix it is saved under (`analysis`, `strategy`, ...).
    artifact_type: String,
    /// Values computed from other fields.
    #[serde(default)]
    derive: Vec<Derivation>,
}

/// One output template.
pub struct OutputTemplate {
    /// Id, unique across capabilities (the file stem).
    pub id: String,
    /// The capability it belongs to.
    pub capability: String,
    /// Document name (the schema's `title`).
    pub title: String,
    /// What it is for (the schema's `description`).
    pub description: String,
    /// The workflow phase it fits.
    pub phase: String,
    /// Artifact type prefix for saved documents.
    pub artifact_type: String,
    /// Derivations applied before rendering.
    pub derive: Vec<Derivation>,
    /// The field schema as the model sees it (without our `x-pmcoach` keys).
    pub schema: Value,
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for OutputTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputTemplate")
            .field("id", &self.id)
            .field("capability", &self.capability)
            .finish_non_exhaustive()
    }
}

/// A rendered document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Artifact {
    /// The template id.
    pub template: String,
    /// The document's title (its first `# ` heading).
    pub title: String,
    /// The document.
    pub markdown: String,
    /// What the server corrected in the fields, and the values it computed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<String>,
    /// The file name under the customer's `artifacts/`, when it was saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saved_as: Option<String>,
}

/// Why fields could not be rendered. Goes back to the model as a tool error, or
/// to the CLI user with its paths.
#[derive(Debug, thiserror::Error)]
pub enum FillError {
    /// No template by that id (for this capability).
    #[error("unknown template {id:?}; available: {available}")]
    UnknownTemplate {
        /// The id asked for.
        id: String,
        /// The ids that exist.
        available: String,
    },
    /// The fields are not a JSON object.
    #[error("fields must be a JSON object")]
    NotAnObject,
    /// The fields violate the schema or a derivation's rule.
    #[error("{}", describe(.0))]
    Fields(Vec<FieldError>),
    /// The template itself failed to render (a bug in the template file).
    #[error("the template failed to render: {0}")]
    Render(String),
}

fn describe(errors: &[FieldError]) -> String {
    let missing: Vec<&str> = errors
        .iter()
        .filter(|e| e.kind == FieldErrorKind::Missing)
        .map(|e| e.path.as_str())
        .collect();
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(format!(
            "missing required fields: {} (ask the user for what you do not know)",
            missing.join(", ")
        ));
    }
    parts.extend(
        errors
            .iter()
            .filter(|e| e.kind != FieldErrorKind::Missing)
            .map(ToString::to_string),
    );
    parts.join("; ")
}

/// A template file problem, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct TemplateError {
    /// The file at fault.
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

/// All templates of all capabilities, compiled once.
pub struct Templates {
    by_id: BTreeMap<String, Arc<OutputTemplate>>,
    env: Environment<'static>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("ids", &self.by_id.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Templates {
    /// Loads and compiles every capability's templates, collecting every problem.
    pub fn load<'a>(
        capabilities: impl IntoIterator<Item = &'a Capability>,
    ) -> Result<Self, Vec<TemplateError>> {
        let mut env = environment();
        let mut by_id: BTreeMap<String, Arc<OutputTemplate>> = BTreeMap::new();
        let mut errors = Vec::new();
        for capability in capabilities {
            let dir = capability.dir.join(TEMPLATES_DIR);
            if !dir.is_dir() {
                continue;
            }
            for (id, schema_path, template_path) in pairs(&dir, &mut errors) {
                if let Some(first) = by_id.get(&id) {
                    errors.push(TemplateError {
                        path: schema_path,
                        message: format!(
                            "duplicate template id {id:?}, already defined by {}",
                            first.capability
                        ),
                    });
                    continue;
                }
                match load_one(&capability.id, &id, &schema_path, &template_path, &mut env) {
                    Ok(template) => {
                        by_id.insert(id, Arc::new(template));
                    }
                    Err(err) => errors.push(err),
                }
            }
        }
        if errors.is_empty() {
            Ok(Self { by_id, env })
        } else {
            Err(errors)
        }
    }

    /// The template with this id.
    pub fn get(&self, id: &str) -> Option<&Arc<OutputTemplate>> {
        self.by_id.get(id)
    }

    /// Every template, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<OutputTemplate>> {
        self.by_id.values()
    }

    /// The templates of one capability.
    pub fn for_capability(&self, capability: &str) -> Vec<Arc<OutputTemplate>> {
        self.by_id
            .values()
            .filter(|t| t.capability == capability)
            .cloned()
            .collect()
    }

    /// Validates `fields`, computes derived values, and renders the document.
    pub fn fill(&self, id: &str, fields: Value) -> Result<Artifact, FillError> {
        let template = self.get(id).ok_or_else(|| FillError::UnknownTemplate {
            id: id.to_string(),
            available: self.by_id.keys().cloned().collect::<Vec<_>>().join(", "),
        })?;
        self.fill_with(template, fields)
    }

    /// As [`Templates::fill`], for a template already looked up.
    pub fn fill_with(
        &self,
        template: &OutputTemplate,
        mut fields: Value,
    ) -> Result<Artifact, FillError> {
        fields::drop_nulls(&mut fields);
        let Some(object) = fields.as_object_mut() else {
            return Err(FillError::NotAnObject);
        };
        let declares_date = template.schema.pointer("/properties/date").is_some();
        if declares_date && !object.contains_key("date") {
            object.insert("date".into(), Value::String(today()));
        }
        let errors = fields::check(&template.validator, &fields);
        if !errors.is_empty() {
            return Err(FillError::Fields(errors));
        }
        fields::fill_absent(&template.schema, &mut fields);
        let mut derived = derive::Derived::default();
        for derivation in &template.derive {
            derivation.apply(&mut fields, &mut derived);
        }
        if !derived.errors.is_empty() {
            return Err(FillError::Fields(derived.errors));
        }
        let markdown = self
            .env
            .get_template(&template.id)
            .and_then(|t| t.render(&fields))
            .map_err(|err| FillError::Render(format!("{err:#}")))?;
        let markdown = tidy(&markdown);
        let title = markdown
            .lines()
            .find_map(|line| line.strip_prefix("# "))
            .unwrap_or(&template.title)
            .trim()
            .to_string();
        let mut corrections = derived.corrections;
        corrections.extend(derived.notes);
        Ok(Artifact {
            template: template.id.clone(),
            title,
            markdown,
            corrections,
            saved_as: None,
        })
    }
}

/// Today's date, `YYYY-MM-DD`, in the machine's time zone.
pub fn today() -> String {
    jiff::ZonedDateTime::now().date().to_string()
}

/// Trailing spaces off every line, runs of blank lines folded, one final newline.
fn tidy(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut blank = 0;
    for line in markdown.trim().lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// `(id, schema, template)` for each template in `dir`; unpaired files are errors.
fn pairs(dir: &Path, errors: &mut Vec<TemplateError>) -> Vec<(String, PathBuf, PathBuf)> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            errors.push(TemplateError {
                path: dir.to_path_buf(),
                message: format!("cannot read: {err}"),
            });
            return Vec::new();
        }
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.'))
        .collect();
    names.sort();
    let mut found = Vec::new();
    for name in &names {
        if let Some(id) = name.strip_suffix(SCHEMA_SUFFIX) {
            let template = format!("{id}{TEMPLATE_SUFFIX}");
            if names.contains(&template) {
                found.push((id.to_string(), dir.join(name), dir.join(template)));
            } else {
                errors.push(TemplateError {
                    path: dir.join(name),
                    message: format!("no template {template} beside this schema"),
                });
            }
        } else if let Some(id) = name.strip_suffix(TEMPLATE_SUFFIX) {
            if !names.contains(&format!("{id}{SCHEMA_SUFFIX}")) {
                errors.push(TemplateError {
                    path: dir.join(name),
                    message: format!("no schema {id}{SCHEMA_SUFFIX} beside this template"),
                });
            }
        } else {
            errors.push(TemplateError {
                path: dir.join(name),
                message: format!(
                    "not a template: expected <id>{TEMPLATE_SUFFIX} and <id>{SCHEMA_SUFFIX}"
                ),
            });
        }
    }
    found
}

fn load_one(
    capability: &str,
    id: &str,
    schema_path: &Path,
    template_path: &Path,
    env: &mut Environment<'static>,
) -> Result<OutputTemplate, TemplateError> {
    let at = |path: &Path, message: String| TemplateError {
        path: path.to_path_buf(),
        message,
    };
    if !is_valid_id(id) {
        return Err(at(
            schema_path,
            format!("template id {id:?} is not a lowercase slug"),
        ));
    }
    let text = std::fs::read_to_string(schema_path)
        .map_err(|err| at(schema_path, format!("cannot read: {err}")))?;
    let mut schema: Value = serde_json::from_str(&text)
        .map_err(|err| at(schema_path, format!("not valid JSON: {err}")))?;
    let meta = schema
        .as_object_mut()
        .and_then(|object| object.remove("x-pmcoach"))
        .ok_or_else(|| {
            at(
                schema_path,
                "no \"x-pmcoach\" object (phase, artifact_type)".into(),
            )
        })?;
    let meta: Meta =
        serde_json::from_value(meta).map_err(|err| at(schema_path, format!("x-pmcoach: {err}")))?;
    let text_of = |key: &str| {
        schema
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| at(schema_path, format!("the schema needs a \"{key}\" string")))
    };
    let title = text_of("title")?;
    let description = text_of("description")?;
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        return Err(at(
            schema_path,
            "the schema's type must be \"object\"".into(),
        ));
    }
    let validator = jsonschema::validator_for(&schema)
        .map_err(|err| at(schema_path, format!("invalid JSON Schema: {err}")))?;
    let source = std::fs::read_to_string(template_path)
        .map_err(|err| at(template_path, format!("cannot read: {err}")))?;
    env.add_template_owned(id.to_string(), source)
        .map_err(|err| at(template_path, format!("{err:#}")))?;
    Ok(OutputTemplate {
        id: id.to_string(),
        capability: capability.to_string(),
        title,
        description,
        phase: meta.phase,
        artifact_type: meta.artifact_type,
        derive: meta.derive,
        schema,
        validator,
    })
}

/// The rendering environment: strict about undefined names, with filters that
/// keep field text from breaking the document's structure. Field values are data:
/// minijinja never evaluates them, so `{{ x }}` in a value renders literally.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    env.add_filter("cell", cell);
    env.add_filter("line", line);
    env.add_filter("money", money);
    env
}

fn display(value: &minijinja::Value) -> String {
    if value.is_none() || value.is_undefined() {
        String::new()
    } else {
        value.to_string()
    }
}

/// A table cell: one line, pipes escaped, empty shown as a dash.
fn cell(value: minijinja::Value) -> String {
    let text = display(&value);
    let text = text.trim();
    if text.is_empty() {
        return "—".to_string();
    }
    text.replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace('\n', "<br>")
}

/// A single line (headings, bold fields, list items, paragraphs): whitespace
/// folded, and a leading `#` escaped so a value cannot become a heading.
fn line(value: minijinja::Value) -> String {
    let text = display(&value)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if text.starts_with('#') {
        format!("\\{text}")
    } else {
        text
    }
}

/// A money amount: `12500` → `12,500`, `99.5` → `99.50`.
fn money(value: minijinja::Value) -> String {
    let Ok(amount) = f64::try_from(value.clone()) else {
        return display(&value);
    };
    let cents = (amount.abs() * 100.0).round() as u64;
    let (whole, frac) = (cents / 100, cents % 100);
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if amount < 0.0 { "-" } else { "" };
    if frac == 0 {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_keep_values_inside_their_cells() {
        assert_eq!(cell("a | b\nc".into()), "a \\| b<br>c");
        assert_eq!(cell(minijinja::Value::from(())), "—");
        assert_eq!(line("  two\n lines ".into()), "two lines");
        assert_eq!(line("## not a heading".into()), "\\## not a heading");
        assert_eq!(money(12500.into()), "12,500");
        assert_eq!(money(1234567.5.into()), "1,234,567.50");
        assert_eq!(money((-300).into()), "-300");
    }

    #[test]
    fn tidy_folds_blank_runs() {
        assert_eq!(tidy("\n# A  \n\n\n\nb\n\n"), "# A\n\nb\n");
    }
}
