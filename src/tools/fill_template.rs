//! `fill_template`: the model passes a template id and the fields it gathered; the
//! server validates them, computes derived values and renders the document.

use std::sync::Arc;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ArgsSchema, Tool, ToolContext, ToolDefinition, ToolError, ToolOutput};
use crate::templates::{
    Derivation, FillError, OutputTemplate, Templates, prefill_current_allocation,
};

/// The tool's name.
pub const FILL_TEMPLATE: &str = "fill_template";

/// Arguments of `fill_template` as parsed; the schema the model sees is richer
/// (each template's own field schema), see [`FillTemplateTool::new`].
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FillTemplateArgs {
    /// Template id.
    pub template: String,
    /// The template's fields.
    pub fields: Value,
}

/// Fills one of a capability's own templates.
pub struct FillTemplateTool {
    templates: Arc<Templates>,
    own: Vec<Arc<OutputTemplate>>,
    definition: ToolDefinition,
    args: ArgsSchema<FillTemplateArgs>,
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
    pub fn new(templates: Arc<Templates>, own: Vec<Arc<OutputTemplate>>) -> Result<Self, String> {
        let ids: Vec<&str> = own.iter().map(|t| t.id.as_str()).collect();
        let parameters = json!({
            "type": "object",
            "properties": {
                "template": {
                    "type": "string",
                    "enum": ids,
                    "description": "Which template to fill."
                },
                "fields": {
                    "description": "The template's fields, from the conversation. Leave out derived values; the server computes them.",
                    "anyOf": own.iter().map(|t| t.schema.clone()).collect::<Vec<_>>()
                }
            },
            "required": ["template", "fields"],
            "additionalProperties": false
        });
        let listing = own
            .iter()
            .map(|t| format!("`{}` ({}; {})", t.id, t.title, t.phase))
            .collect::<Vec<_>>()
            .join(", ");
        let definition = ToolDefinition {
            name: FILL_TEMPLATE.to_string(),
            description: format!(
                "Produce a finished document from one of your output templates, with fields \
                 gathered from the conversation. The server validates the fields, computes \
                 derived values (totals, multipliers, ROI) and renders the markdown, which is \
                 handed to the user as an artifact. If it reports missing fields, ask the user \
                 for them rather than inventing them. Templates: {listing}."
            ),
            parameters,
        };
        Ok(Self {
            templates,
            own,
            definition,
            args: ArgsSchema::derive()?,
        })
    }
}

#[async_trait]
impl Tool for FillTemplateTool {
    fn definition(&self) -> &ToolDefinition {
        &self.definition
    }

    async fn call(
        &self,
        context: ToolContext<'_>,
        arguments: &str,
    ) -> Result<ToolOutput, ToolError> {
        let args = self.args.parse(arguments)?;
        let template = self
            .own
            .iter()
            .find(|t| t.id == args.template)
            .ok_or_else(|| {
                ToolError::BadArguments(format!(
                    "unknown template {:?}; yours are: {}",
                    args.template,
                    self.own
                        .iter()
                        .map(|t| t.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
        let mut fields = args.fields;
        let workspace = context.agent.workspace();
        let mut notes = Vec::new();
        if let Some(customer) = context.customer {
            if template.derive.contains(&Derivation::TimeAllocation)
                && workspace.customer_exists(customer)
            {
                let engagement = workspace
                    .engagement(customer)
                    .map_err(|err| ToolError::Failed(format!("reading the event log: {err}")))?;
                let hours: Vec<(&str, f64)> = engagement
                    .overall
                    .hours
                    .iter()
                    .map(|(k, v)| (*k, *v))
                    .collect();
                notes.extend(prefill_current_allocation(&mut fields, &hours));
            }
        }
        let mut artifact = self
            .templates
            .fill_with(template, fields)
            .map_err(|err| match err {
                FillError::Render(_) => ToolError::Failed(err.to_string()),
                _ => ToolError::BadArguments(format!("fields for {}: {err}", template.id)),
            })?;
        artifact.corrections.splice(0..0, notes);
        if let Some(customer) = context.customer {
            let name = workspace
                .save_artifact(
                    customer,
                    &artifact,
                    &template.artifact_type,
                    &context.caller.name,
                )
                .await
                .map_err(|err| {
                    tracing::error!(error = %err, "saving an artifact failed");
                    ToolError::Failed(format!(
                        "the document rendered but could not be saved ({err}); tell the user"
                    ))
                })?;
            artifact.saved_as = Some(name.to_string());
        }
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
        Ok(ToolOutput {
            content,
            artifacts: vec![artifact],
            ..ToolOutput::default()
        })
    }
}
