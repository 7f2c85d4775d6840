//! `pmcoach templates` (each template and its fields) and `pmcoach render` (one, offline).

use std::path::Path;

use serde_json::Value;

use super::{load_capabilities, load_templates};
use crate::atomic;
use crate::config::Config;
use crate::templates::{FillError, Templates, outline};

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
        for line in outline(&template.schema, "  ", false) {
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
