//! Filling a template: the fields checked against its schema, derived values
//! computed, the document rendered and tidied.

use serde_json::Value;

use super::derive::Derived;
use super::{Artifact, ArtifactStatus, FillError, OutputTemplate, Templates, fields, today};

impl Templates {
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
        check_fields(template, &mut fields)?;
        let derived = derive_values(template, &mut fields)?;
        let markdown = self.render(template, &fields)?;
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
            status: ArtifactStatus::default(),
        })
    }

    /// The template rendered with `fields`, tidied, and defused: the fields
    /// are the model's, so a document must not carry an exfiltrating image
    /// or link any more than a reply may.
    fn render(&self, template: &OutputTemplate, fields: &Value) -> Result<String, FillError> {
        let markdown = self
            .env
            .get_template(&template.id)
            .and_then(|t| t.render(fields))
            .map_err(|err| FillError::Render(format!("{err:#}")))?;
        Ok(self.links.defuse(&tidy(&markdown)))
    }
}

/// Nulls dropped, today's date filled in when the schema has a date and the
/// fields do not, then checked against the schema; absent optional fields
/// become null for the template.
fn check_fields(template: &OutputTemplate, fields: &mut Value) -> Result<(), FillError> {
    fields::drop_nulls(fields);
    let Some(object) = fields.as_object_mut() else {
        return Err(FillError::NotAnObject);
    };
    let declares_date = template.schema.pointer("/properties/date").is_some();
    if declares_date && !object.contains_key("date") {
        object.insert("date".into(), Value::String(today()));
    }
    let errors = fields::check(&template.validator, fields);
    if !errors.is_empty() {
        return Err(FillError::Fields(errors));
    }
    fields::fill_absent(&template.schema, fields);
    Ok(())
}

/// Applies the template's derivations in order; any error stops the render.
fn derive_values(template: &OutputTemplate, fields: &mut Value) -> Result<Derived, FillError> {
    let mut derived = Derived::default();
    for derivation in &template.derive {
        derivation.apply(fields, &mut derived);
    }
    if derived.errors.is_empty() {
        Ok(derived)
    } else {
        Err(FillError::Fields(derived.errors))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_folds_blank_runs() {
        assert_eq!(tidy("\n# A  \n\n\n\nb\n\n"), "# A\n\nb\n");
    }
}
