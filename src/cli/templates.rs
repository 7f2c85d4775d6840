//! `pmcoach templates` (each template and its fields) and `pmcoach render` (one, offline).

use std::path::Path;

use serde_json::Value;

use super::{load_capabilities, load_templates};
use crate::atomic;
use crate::config::Config;
use crate::templates::{FillError, Templates};

/// Prints every template: id, title, capability and phase, its description,
/// and the outline of its fields.
pub(super) fn list(config: &Config) -> Result<(), String> {
    let templates = configured_templates(config)?;
    for template in templates.iter() {
        println!(
            "{}  {} ({}; {})",
            template.id, template.title, template.capability, template.phase
        );
        println!("  {}", template.description);
        for line in field_outline(&template.schema, "  ") {
            println!("{line}");
        }
        println!();
    }
    Ok(())
}

/// Fills `template` with the fields in the JSON file `fields` and writes the
/// document to `out` (atomically) or stdout; corrections go to stderr.
pub(super) fn render(
    config: &Config,
    template: &str,
    fields: &Path,
    out: Option<&Path>,
) -> Result<(), String> {
    let templates = configured_templates(config)?;
    let value = read_fields(fields)?;
    let artifact = templates
        .fill(template, value)
        .map_err(|err| fill_error(fields, err))?;
    for correction in &artifact.corrections {
        eprintln!("corrected: {correction}");
    }
    write_document(out, &artifact.markdown)
}

/// The templates of the configured capabilities.
fn configured_templates(config: &Config) -> Result<Templates, String> {
    load_templates(&load_capabilities(&config.capabilities_dir)?)
}

/// One line per field: name (`*` when required), type, allowed values, and the
/// fields of nested objects and table rows, indented.
fn field_outline(schema: &Value, indent: &str) -> Vec<String> {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema["properties"].as_object() else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    for (name, property) in properties {
        let star = if required.contains(&name.as_str()) {
            "*"
        } else {
            ""
        };
        let (kind, nested) = field_kind(property);
        lines.push(format!("{indent}{name}{star}: {kind}"));
        if let Some(nested) = nested {
            lines.extend(field_outline(nested, &format!("{indent}  ")));
        }
    }
    lines
}

/// What a field holds, in words, and the schema whose fields it has in turn
/// (an object's, or a table row's).
fn field_kind(property: &Value) -> (String, Option<&Value>) {
    let (kind, nested) = match property["type"].as_str() {
        Some("array") if property["items"]["type"] == "object" => {
            ("table of rows".to_string(), Some(&property["items"]))
        }
        Some("array") => (
            match property["items"]["enum"].as_array() {
                Some(values) => format!("list of: {}", enum_values(values)),
                None => "list".to_string(),
            },
            None,
        ),
        Some("object") => ("object".to_string(), Some(property)),
        Some(other) => (other.to_string(), None),
        None => match property["enum"].as_array() {
            Some(values) => (format!("one of: {}", enum_values(values)), None),
            None => ("value".to_string(), None),
        },
    };
    let kind = match property["enum"].as_array() {
        Some(values) if property["type"].is_string() => {
            format!("one of: {}", enum_values(values))
        }
        _ => kind,
    };
    (kind, nested)
}

fn enum_values(values: &[Value]) -> String {
    values
        .iter()
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The JSON in the file `fields`.
fn read_fields(fields: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(fields)
        .map_err(|err| format!("{}: cannot read: {err}", fields.display()))?;
    serde_json::from_str(&text)
        .map_err(|err| format!("{}: not valid JSON: {err}", fields.display()))
}

/// Why the fields in the file `fields` did not fill the template: one line per
/// field error, each naming the file.
fn fill_error(fields: &Path, err: FillError) -> String {
    match err {
        FillError::Fields(errors) => errors
            .iter()
            .map(|e| format!("{}: {e}", fields.display()))
            .collect::<Vec<_>>()
            .join("\n"),
        other => format!("{}: {other}", fields.display()),
    }
}

/// Writes the document to `out` atomically, or prints it.
fn write_document(out: Option<&Path>, markdown: &str) -> Result<(), String> {
    match out {
        Some(path) => atomic::write_atomic(path, markdown.as_bytes())
            .map_err(|err| format!("{}: cannot write: {err}", path.display())),
        None => {
            print!("{markdown}");
            Ok(())
        }
    }
}
