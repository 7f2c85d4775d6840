//! Consulting a sibling capability: the sibling runs as a sub-agent with its own
//! system prompt, and its answer is the tool result.

use std::sync::Arc;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{Tool, ToolContext, ToolError, ToolOutput};
use crate::capability::Capability;
use crate::defuse::data_block;
use crate::session::Progress;

/// The tag around a consulted capability's answer in the tool result.
pub const CONSULTED_ANSWER: &str = "consulted-answer";

/// Runs a capability as a sub-agent; the agent implements it, so tools never
/// see the agent itself.
#[async_trait]
pub trait Consult: Send + Sync {
    /// Runs `target` on `question` (with `background` from the conversation),
    /// one level below the turn in `context`.
    async fn consult(
        &self,
        context: ToolContext<'_>,
        target: &Capability,
        question: &str,
        background: Option<&str>,
    ) -> Consulted;
}

/// What a consulted capability did.
#[derive(Debug, Clone)]
pub struct Consulted {
    /// Its answer, or why it could not give one.
    pub reply: Result<String, String>,
    /// Its tokens, model calls and documents, whether it answered or not.
    pub spent: Progress,
}

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
}

impl ConsultTool {
    /// The tool consulting `target`.
    pub fn new(target: Arc<Capability>) -> Self {
        Self { target }
    }

    /// The capability this tool consults.
    pub fn target(&self) -> &Arc<Capability> {
        &self.target
    }
}

#[async_trait]
impl Tool for ConsultTool {
    const NAME: &'static str = "consult_";
    type Args = ConsultArgs;

    fn name(&self) -> String {
        format!("{}{}", Self::NAME, self.target.id.replace('-', "_"))
    }

    /// Who it is, in one line: when to consult each sibling is part of the
    /// caller's own definition (its Integration section).
    fn description(&self) -> String {
        format!(
            "Consult the {}: {}",
            self.target.name, self.target.description
        )
    }

    async fn call(
        &self,
        context: ToolContext<'_>,
        args: ConsultArgs,
    ) -> Result<ToolOutput, ToolError> {
        if args.question.trim().is_empty() {
            return Err(ToolError::BadArguments(
                "question must not be empty".to_string(),
            ));
        }
        let consulted = context
            .consult
            .consult(
                context,
                &self.target,
                &args.question,
                args.context.as_deref(),
            )
            .await;
        // A failed consult still spent tokens and may have saved documents:
        // its progress goes to the caller's record either way. The answer is
        // another model's text: it comes back in a block it cannot end, so
        // nothing in it reads as the caller's own instructions.
        Ok(ToolOutput {
            outcome: consulted
                .reply
                .map(|answer| data_block(CONSULTED_ANSWER, &answer))
                .map_err(|err| {
                    ToolError::Failed(format!("the {} could not answer: {err}", self.target.name))
                }),
            capability: Some(self.target.id.clone()),
            spent: consulted.spent,
        })
    }
}
