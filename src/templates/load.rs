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
use crate::capability::{Capability, Origin, builtin, is_valid_id};
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

/// A template's files: its id, schema and template file names.
type Pair = (String, String, String);

/// A capability's `templates/` folder: on disk, or built into the binary.
enum Folder {
    Disk(PathBuf),
    BuiltIn(&'static include_dir::Dir<'static>),
}

impl Folder {
    /// The templates folder of `capability`, if it has one.
    fn of(capability: &Capability) -> Option<Self> {
        match &capability.origin {
            Origin::Folder(dir) => {
                let dir = dir.join(TEMPLATES_DIR);
                dir.is_dir().then_some(Folder::Disk(dir))
            }
            Origin::BuiltIn => builtin::folder(&capability.id)
                .and_then(|folder| folder.get_dir(folder.path().join(TEMPLATES_DIR)))
                .map(Folder::BuiltIn),
        }
    }

    /// Where the file `name` is, for messages.
    fn path(&self, name: &str) -> PathBuf {
        match self {
            Folder::Disk(dir) => dir.join(name),
            Folder::BuiltIn(dir) => builtin::shown(&dir.path().join(name)),
        }
    }

    /// The names of its files (not hidden ones), sorted.
    fn names(&self) -> std::io::Result<Vec<String>> {
        let mut names: Vec<String> = match self {
            Folder::Disk(dir) => std::fs::read_dir(dir)?
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect(),
            Folder::BuiltIn(dir) => dir
                .files()
                .filter_map(|file| file.path().file_name())
                .map(|name| name.to_string_lossy().into_owned())
                .collect(),
        };
        names.retain(|name| !name.starts_with('.'));
        names.sort();
        Ok(names)
    }

    /// The text of the file `name`.
    fn read(&self, name: &str) -> Result<String, TemplateError> {
        let unreadable = |err: &dyn std::fmt::Display| {
            TemplateError::at(&self.path(name), format!("cannot read: {err}"))
        };
        match self {
            Folder::Disk(dir) => {
                std::fs::read_to_string(dir.join(name)).map_err(|e| unreadable(&e))
            }
            Folder::BuiltIn(dir) => dir
                .get_file(dir.path().join(name))
                .and_then(|file| file.contents_utf8())
                .map(str::to_string)
                .ok_or_else(|| unreadable(&"not UTF-8 text")),
        }
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
            let Some(folder) = Folder::of(capability) else {
                continue;
            };
            for (id, schema, template) in pairs(&folder, &mut errors) {
                let loaded = match by_id.get(&id) {
                    Some(first) => Err(TemplateError::at(
                        &folder.path(&schema),
                        format!(
                            "duplicate template id {id:?}, already defined by {}",
                            first.capability
                        ),
                    )),
                    None => load_one(&capability.id, &id, &folder, (&schema, &template), &mut env),
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
fn pairs(folder: &Folder, errors: &mut Vec<TemplateError>) -> Vec<Pair> {
    let names = match folder.names() {
        Ok(names) => names,
        Err(err) => {
            errors.push(TemplateError::at(
                &folder.path(""),
                format!("cannot read: {err}"),
            ));
            return Vec::new();
        }
    };
    let mut found = Vec::new();
    for name in &names {
        match pair(folder, name, &names) {
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
fn pair(folder: &Folder, name: &str, names: &[String]) -> Result<Option<Pair>, TemplateError> {
    if let Some(id) = name.strip_suffix(SCHEMA_SUFFIX) {
        let template = format!("{id}{TEMPLATE_SUFFIX}");
        if !names.contains(&template) {
            let message = format!("no template {template} beside this schema");
            return Err(TemplateError::at(&folder.path(name), message));
        }
        Ok(Some((id.to_string(), name.to_string(), template)))
    } else if let Some(id) = name.strip_suffix(TEMPLATE_SUFFIX) {
        if !names.contains(&format!("{id}{SCHEMA_SUFFIX}")) {
            let message = format!("no schema {id}{SCHEMA_SUFFIX} beside this template");
            return Err(TemplateError::at(&folder.path(name), message));
        }
        Ok(None)
    } else {
        let message =
            format!("not a template: expected <id>{TEMPLATE_SUFFIX} and <id>{SCHEMA_SUFFIX}");
        Err(TemplateError::at(&folder.path(name), message))
    }
}

/// One template: its schema read and checked, its template compiled into `env`.
fn load_one(
    capability: &str,
    id: &str,
    folder: &Folder,
    (schema_name, template_name): (&str, &str),
    env: &mut Environment<'static>,
) -> Result<OutputTemplate, TemplateError> {
    let schema_path = &folder.path(schema_name);
    let template_path = &folder.path(template_name);
    if !is_valid_id(id) {
        let message = format!("template id {id:?} is not a lowercase slug");
        return Err(TemplateError::at(schema_path, message));
    }
    let (schema, meta) = read_schema(&folder.read(schema_name)?, schema_path)?;
    let title = schema_text(&schema, "title", schema_path)?;
    let description = schema_text(&schema, "description", schema_path)?;
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        let message = "the schema's type must be \"object\"";
        return Err(TemplateError::at(schema_path, message));
    }
    let validator = jsonschema::validator_for(&schema)
        .map_err(|err| TemplateError::at(schema_path, format!("invalid JSON Schema: {err}")))?;
    let source = folder.read(template_name)?;
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
fn read_schema(text: &str, path: &Path) -> Result<(Value, Meta), TemplateError> {
    let at = |message: String| TemplateError::at(path, message);
    let mut schema: Value =
        serde_json::from_str(text).map_err(|err| at(format!("not valid JSON: {err}")))?;
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
