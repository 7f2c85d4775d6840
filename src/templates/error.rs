//! What goes wrong with templates: fields that cannot be rendered (told to the
//! model or the CLI user), and template files that cannot be loaded.

use std::path::{Path, PathBuf};

use super::{FieldError, FieldErrorKind};

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

/// The missing fields in one sentence (with a nudge to ask the user), then
/// every other problem.
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

impl TemplateError {
    /// A problem with the file at `path`.
    pub(super) fn at(path: &Path, message: impl Into<String>) -> Self {
        Self {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}
