//! `pmcoach templates` (each template and its fields) and `pmcoach render` (one, offline).

use std::path::Path;

use clap::Subcommand;
use include_dir::{Dir, include_dir};
use serde_json::Value;

use super::{configured_capabilities, load_templates};
use crate::atomic;
use crate::config::Config;
use crate::templates::{FillError, Templates, outline};

/// A fields file for each shipped template: the fixtures the tests render.
static EXAMPLES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/tests/fixtures/templates");

/// `pmcoach templates` subcommands.
#[derive(Debug, Subcommand)]
pub enum TemplatesAction {
    /// List every template with its fields (the default).
    List,
    /// One template's fields with their types, allowed values and descriptions.
    Show {
        /// Template id (see `pmcoach templates`).
        id: String,
    },
    /// Print a fields file that renders (`pmcoach render <id> --fields <file>`).
    Example {
        /// Template id (see `pmcoach templates`).
        id: String,
    },
}

/// Runs `pmcoach templates [list | show ID | example ID]`.
pub(super) fn run(config: &Config, action: Option<TemplatesAction>) -> Result<(), String> {
    match action {
        None | Some(TemplatesAction::List) => list(config),
        Some(TemplatesAction::Show { id }) => show(config, &id),
        Some(TemplatesAction::Example { id }) => example(config, &id),
    }
}

/// One template in full: title, capability, phase, description, and every
/// field with its description.
fn show(config: &Config, id: &str) -> Result<(), String> {
    let templates = configured_templates(config)?;
    let template = templates.get(id).ok_or_else(|| unknown(&templates, id))?;
    println!(
        "{}  {} ({}; {})\n  {}\n\nFields (* required):",
        template.id, template.title, template.capability, template.phase, template.description
    );
    for line in outline(&template.schema, "  ", true) {
        println!("{line}");
    }
    println!("\nAn example: pmcoach templates example {}", template.id);
    Ok(())
}

/// The shipped example fields of a template, checked to render with the
/// configured templates before they are printed.
fn example(config: &Config, id: &str) -> Result<(), String> {
    let templates = configured_templates(config)?;
    if templates.get(id).is_none() {
        return Err(unknown(&templates, id));
    }
    let text = EXAMPLES
        .get_file(format!("{id}.json"))
        .and_then(|file| file.contents_utf8())
        .ok_or_else(|| {
            format!("no example fields for {id:?} (it is not a shipped template); see `pmcoach templates show {id}`")
        })?;
    let fields: Value = serde_json::from_str(text)
        .map_err(|err| format!("the example of {id:?} is not valid JSON: {err}"))?;
    templates.fill(id, fields).map_err(|err| {
        format!("the example of {id:?} does not render with the configured template: {err}")
    })?;
    print!("{text}");
    Ok(())
}

/// An unknown template id, with the known ones.
fn unknown(templates: &Templates, id: &str) -> String {
    let known: Vec<&str> = templates.iter().map(|t| t.id.as_str()).collect();
    format!(
        "no template {id:?}; the templates are: {}",
        known.join(", ")
    )
}

/// Prints every template: id, title, capability and phase, its description,
/// and the outline of its fields.
fn list(config: &Config) -> Result<(), String> {
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
    load_templates(&configured_capabilities(config)?)
}

/// The JSON in the file `fields`.
fn read_fields(fields: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(fields).map_err(|err| {
        let path = crate::config::absolute(fields);
        format!("{}: cannot read: {err} (set by --fields)", path.display())
    })?;
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
