//! `fill_template`: the model passes a template id and the fields it gathered; the
//! server validates them, computes derived values and renders the document.

use std::sync::Arc;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Tool, ToolContext, ToolError, ToolOutput};
use crate::templates::{
    Artifact, ArtifactStatus, Derivation, FieldErrorKind, FillError, OutputTemplate, Templates,
    outline, prefill_current_allocation,
};
use crate::workspace::CustomerDocs;

/// Arguments of `fill_template`. The model is not sent every template's field
/// schema on every call: it learns a template's fields from the first error
/// that names missing ones (see [`FillTemplateTool::parameters`]).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FillTemplateArgs {
    /// Template id.
    pub template: String,
    /// The template's fields.
    #[serde(default = "empty_object")]
    pub fields: Value,
    /// The document's status; Draft unless the user says it is in review or final.
    #[serde(default)]
    pub status: ArtifactStatus,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

/// Fills one of a capability's own templates.
pub struct FillTemplateTool {
    templates: Arc<Templates>,
    own: Vec<Arc<OutputTemplate>>,
}

impl std::fmt::Debug for FillTemplateTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FillTemplateTool")
            .field("templates", &self.own)
            .finish_non_exhaustive()
    }
}

impl FillTemplateTool {
    /// The tool for a capability with these templates (`own` must not be empty).
    pub fn new(templates: Arc<Templates>, own: Vec<Arc<OutputTemplate>>) -> Self {
        Self { templates, own }
    }

    fn template(&self, id: &str) -> Result<&Arc<OutputTemplate>, ToolError> {
        self.own.iter().find(|t| t.id == id).ok_or_else(|| {
            ToolError::BadArguments(format!(
                "unknown template {id:?}; yours are: {}",
                self.own
                    .iter()
                    .map(|t| t.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    }
}

#[async_trait]
impl Tool for FillTemplateTool {
    const NAME: &'static str = "fill_template";
    type Args = FillTemplateArgs;

    fn description(&self) -> String {
        "Render one of your documents from fields gathered in the conversation. The server \
         validates them, computes derived values (totals, multipliers, ROI) and hands the \
         document to the user. Send the fields you have: an error lists every field the \
         template takes. Ask the user for missing ones rather than inventing them."
            .to_string()
    }

    /// The template id as an enum and the fields as an object: the templates'
    /// own schemas (thousands of tokens) are not sent on every call.
    fn parameters(&self, _derived: &Value) -> Value {
        let ids: Vec<&str> = self.own.iter().map(|t| t.id.as_str()).collect();
        json!({
            "type": "object",
            "properties": {
                "template": {"type": "string", "enum": ids},
                "fields": {"type": "object", "description": "Leave out derived values."},
                "status": {
                    "type": "string",
                    "enum": ["Draft", "In Review", "Final"],
                    "description": "Draft unless the user says the document is in review or final."
                }
            },
            "required": ["template"],
            "additionalProperties": false
        })
    }

    async fn call(
        &self,
        context: ToolContext<'_>,
        args: FillTemplateArgs,
    ) -> Result<ToolOutput, ToolError> {
        let template = self.template(&args.template)?;
        let mut fields = args.fields;
        // Documents are dated by the server's clock.
        if let Some(object) = fields.as_object_mut()
            && template.schema.pointer("/properties/date").is_some()
            && !object.contains_key("date")
        {
            object.insert("date".into(), Value::String(context.today.to_string()));
        }
        let mut notes = Vec::new();
        if let Some(docs) = context.customer {
            notes = prefill_from_log(template, docs, &mut fields)?;
            notes.extend(super::ledger_fill::prefill_renewal(
                template,
                docs,
                &mut fields,
            )?);
        }
        let given = fields.clone();
        let mut artifact = self
            .templates
            .fill_with(template, fields)
            .map_err(|err| fill_error(template, err))?;
        artifact.corrections.splice(0..0, notes);
        artifact.status = args.status;
        if let Some(docs) = context.customer.filter(CustomerDocs::writable) {
            let name = docs
                .save_artifact(&artifact, &template.artifact_type, &context.caller.name)
                .await
                .map_err(|err| {
                    tracing::error!(error = %err, "saving an artifact failed");
                    ToolError::Failed(format!(
                        "the document rendered but could not be saved ({err}); tell the user"
                    ))
                })?;
            artifact.saved_as = Some(name.to_string());
            remember(
                template,
                &given,
                docs,
                name.as_str(),
                context.today,
                &mut artifact,
            )
            .await;
        }
        let content = confirmation(&artifact);
        Ok(ToolOutput::answer(content).with_artifact(artifact))
    }
}

/// Records what the saved document tells the engagement memory (see
/// `ledger_fill`), noting it; a failure is logged and noted, since the
/// document itself is saved.
async fn remember(
    template: &OutputTemplate,
    fields: &Value,
    docs: CustomerDocs<'_>,
    saved_as: &str,
    today: jiff::civil::Date,
    artifact: &mut Artifact,
) {
    match super::ledger_fill::record_from_document(template, fields, docs, saved_as, today).await {
        Ok(Some(note)) => artifact.corrections.push(note),
        Ok(None) => {}
        Err(err) => {
            tracing::error!(error = %err, "recording a document in the engagement memory failed");
            artifact
                .corrections
                .push(format!("the engagement memory was not updated ({err})"));
        }
    }
}

/// Fills the current time allocation from the customer's logged hours, for
/// templates that derive it; returns what was filled in.
fn prefill_from_log(
    template: &OutputTemplate,
    docs: CustomerDocs<'_>,
    fields: &mut Value,
) -> Result<Vec<String>, ToolError> {
    if !template.derive.contains(&Derivation::TimeAllocation) || !docs.exist() {
        return Ok(Vec::new());
    }
    let engagement = docs
        .engagement()
        .map_err(|err| ToolError::Failed(format!("reading the event log: {err}")))?;
    let hours: Vec<(&str, f64)> = engagement
        .overall
        .hours
        .iter()
        .map(|(k, v)| (*k, *v))
        .collect();
    let caveat = engagement.coverage.as_ref().map_or_else(
        || "coverage unknown: no contracted Hours per Week recorded".to_string(),
        |c| c.note.clone(),
    );
    Ok(prefill_current_allocation(fields, &hours)
        .map(|note| format!("{note} ({caveat})"))
        .into_iter()
        .collect())
}

/// What the model is told when the fields do not fill the template: the
/// problems, and when required fields are missing (as on a first try), every
/// field the template takes.
fn fill_error(template: &OutputTemplate, err: FillError) -> ToolError {
    let missing = matches!(&err, FillError::Fields(errors)
        if errors.iter().any(|e| e.kind == FieldErrorKind::Missing));
    match err {
        FillError::Render(_) => ToolError::Failed(err.to_string()),
        err if missing => ToolError::BadArguments(format!(
            "fields for {}: {err}\nIts fields (* required):\n{}",
            template.id,
            outline(&template.schema, "", true).join("\n")
        )),
        err => ToolError::BadArguments(format!("fields for {}: {err}", template.id)),
    }
}

/// What the model is told about a rendered document.
fn confirmation(artifact: &Artifact) -> String {
    let mut content = format!(
        "Rendered \"{}\". The document is attached to your reply for the user; summarise \
         what matters rather than repeating it.",
        artifact.title
    );
    if let Some(name) = &artifact.saved_as {
        content.push_str(&format!(
            " Saved to the customer's artifacts as {name} and logged as a Delivery event."
        ));
    }
    if !artifact.corrections.is_empty() {
        content.push_str(" The server computed or corrected: ");
        content.push_str(&artifact.corrections.join("; "));
        content.push('.');
    }
    content
}
