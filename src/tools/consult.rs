//! Consulting a sibling capability: the sibling runs as a sub-agent with its own
//! system prompt, and its answer is the tool result.

use std::sync::Arc;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{ArgsSchema, Tool, ToolContext, ToolDefinition, ToolError, ToolOutput};
use crate::capability::Capability;

/// Arguments of a consult tool.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsultArgs {
    /// The specific question to put to the capability.
    pub question: String,
    /// What it needs to know from this conversation to answer well (it sees nothing else).
    #[serde(default)]
    pub context: Option<String>,
}

/// The tool that consults one capability; its name and description come from that
/// capability's definition.
#[derive(Debug)]
pub struct ConsultTool {
    target: Arc<Capability>,
    definition: ToolDefinition,
    schema: ArgsSchema<ConsultArgs>,
}

impl ConsultTool {
    /// The tool name for consulting the capability `id`.
    pub fn tool_name(id: &str) -> String {
        format!("consult_{}", id.replace('-', "_"))
    }

    /// Builds the consult tool for `target`.
    pub fn new(target: Arc<Capability>) -> Result<Self, String> {
        let schema = ArgsSchema::<ConsultArgs>::derive()?;
        let mut description = format!("Consult the {}: {}", target.name, target.description);
        if !target.when_to_invoke.is_empty() {
            description.push_str(" Consult it for: ");
            description.push_str(&target.when_to_invoke.join("; "));
            description.push('.');
        }
        let definition = ToolDefinition {
            name: Self::tool_name(&target.id),
            description,
            parameters: schema.json().clone(),
        };
        Ok(Self {
            target,
            definition,
            schema,
        })
    }

    /// The capability this tool consults.
    pub fn target(&self) -> &Arc<Capability> {
        &self.target
    }
}

#[async_trait]
impl Tool for ConsultTool {
    fn definition(&self) -> &ToolDefinition {
        &self.definition
    }

    async fn call(
        &self,
        context: ToolContext<'_>,
        arguments: &str,
    ) -> Result<ToolOutput, ToolError> {
        let args = self.schema.parse(arguments)?;
        if args.question.trim().is_empty() {
            return Err(ToolError::BadArguments(
                "question must not be empty".to_string(),
            ));
        }
        let outcome = context
            .agent
            .consult(
                context,
                &self.target,
                &args.question,
                args.context.as_deref(),
            )
            .await
            .map_err(|err| {
                ToolError::Failed(format!("the {} could not answer: {err}", self.target.name))
            })?;
        Ok(ToolOutput {
            content: outcome.reply,
            usage: outcome.progress.usage,
            capability: Some(self.target.id.clone()),
            artifacts: outcome.progress.artifacts,
            model_calls: outcome.progress.model_calls,
        })
    }
}
