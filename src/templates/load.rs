//! Loading templates: each capability's `templates/` folder read as
//! `<id>.schema.json` and `<id>.md.j2` pairs, checked and compiled, with every
//! problem collected.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::Environment;
use serde::Deserialize;
use serde_json::Value;

use super::derive::Derivation;
use super::filters::environment;
use super::{OutputTemplate, TEMPLATES_DIR, TemplateError, Templates};
use crate::capability::{Capability, is_valid_id};
use crate::defuse::LinkPolicy;

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

/// A template's files: its id, schema and template paths.
type Pair = (String, PathBuf, PathBuf);

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
                let loaded = match by_id.get(&id) {
                    Some(first) => Err(TemplateError::at(
                        &schema_path,
                        format!(
                            "duplicate template id {id:?}, already defined by {}",
                            first.capability
                        ),
                    )),
                    None => load_one(&capability.id, &id, &schema_path, &template_path, &mut env),
                };
                match loaded {
                    Ok(template) => {
                        by_id.insert(id, Arc::new(template));
                    }
                    Err(err) => errors.push(err),
                }
            }
        }
        if errors.is_empty() {
            Ok(Self {
                by_id,
                env,
                links: LinkPolicy::default(),
            })
        } else {
            Err(errors)
        }
    }
}

/// `(id, schema, template)` for each template in `dir`; unpaired files are errors.
fn pairs(dir: &Path, errors: &mut Vec<TemplateError>) -> Vec<Pair> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            errors.push(TemplateError::at(dir, format!("cannot read: {err}")));
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
        match pair(dir, name, &names) {
            Ok(Some(pair)) => found.push(pair),
            Ok(None) => {}
            Err(err) => errors.push(err),
        }
    }
    found
}

/// The pair a schema file `name` starts; `None` for a template file with its
/// schema beside it (the schema names the pair); an error for a file without
/// its other half, or one that is neither.
fn pair(dir: &Path, name: &str, names: &[String]) -> Result<Option<Pair>, TemplateError> {
    if let Some(id) = name.strip_suffix(SCHEMA_SUFFIX) {
        let template = format!("{id}{TEMPLATE_SUFFIX}");
        if !names.contains(&template) {
            let message = format!("no template {template} beside this schema");
            return Err(TemplateError::at(&dir.join(name), message));
        }
        Ok(Some((id.to_string(), dir.join(name), dir.join(template))))
    } else if let Some(id) = name.strip_suffix(TEMPLATE_SUFFIX) {
        if !names.contains(&format!("{id}{SCHEMA_SUFFIX}")) {
            let message = format!("no schema {id}{SCHEMA_SUFFIX} beside this template");
            return Err(TemplateError::at(&dir.join(name), message));
        }
        Ok(None)
    } else {
        let message =
            format!("not a template: expected <id>{TEMPLATE_SUFFIX} and <id>{SCHEMA_SUFFIX}");
        Err(TemplateError::at(&dir.join(name), message))
    }
}

/// One template: its schema read and checked, its template compiled into `env`.
fn load_one(
    capability: &str,
    id: &str,
    schema_path: &Path,
    template_path: &Path,
    env: &mut Environment<'static>,
) -> Result<OutputTemplate, TemplateError> {
    if !is_valid_id(id) {
        let message = format!("template id {id:?} is not a lowercase slug");
        return Err(TemplateError::at(schema_path, message));
    }
    let (schema, meta) = read_schema(schema_path)?;
    let title = schema_text(&schema, "title", schema_path)?;
    let description = schema_text(&schema, "description", schema_path)?;
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        let message = "the schema's type must be \"object\"";
        return Err(TemplateError::at(schema_path, message));
    }
    let validator = jsonschema::validator_for(&schema)
        .map_err(|err| TemplateError::at(schema_path, format!("invalid JSON Schema: {err}")))?;
    let source = std::fs::read_to_string(template_path)
        .map_err(|err| TemplateError::at(template_path, format!("cannot read: {err}")))?;
    env.add_template_owned(id.to_string(), source)
        .map_err(|err| TemplateError::at(template_path, format!("{err:#}")))?;
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

/// The schema as JSON, with our `x-pmcoach` keys taken out of it.
fn read_schema(path: &Path) -> Result<(Value, Meta), TemplateError> {
    let at = |message: String| TemplateError::at(path, message);
    let text = std::fs::read_to_string(path).map_err(|err| at(format!("cannot read: {err}")))?;
    let mut schema: Value =
        serde_json::from_str(&text).map_err(|err| at(format!("not valid JSON: {err}")))?;
    let meta = schema
        .as_object_mut()
        .and_then(|object| object.remove("x-pmcoach"))
        .ok_or_else(|| at("no \"x-pmcoach\" object (phase, artifact_type)".into()))?;
    let meta: Meta = serde_json::from_value(meta).map_err(|err| at(format!("x-pmcoach: {err}")))?;
    Ok((schema, meta))
}

/// The schema's string at `key` (`title`, `description`), which it must have.
fn schema_text(schema: &Value, key: &str, path: &Path) -> Result<String, TemplateError> {
    schema
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| TemplateError::at(path, format!("the schema needs a \"{key}\" string")))
}
