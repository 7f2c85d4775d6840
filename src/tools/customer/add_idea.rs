//! `add_idea`: an idea for the customer in ideas.md, with an `IDEA-NNN` id.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;

use super::action_item_args::required;
use super::workspace_error;
use crate::tools::{Tool, ToolContext, ToolError, ToolOutput};

/// The family's idea statuses.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
#[allow(missing_docs)]
pub enum IdeaStatus {
    #[default]
    New,
    #[serde(rename = "Under Consideration")]
    UnderConsideration,
    Approved,
    Rejected,
    Implemented,
    Parked,
}

impl IdeaStatus {
    fn name(self) -> &'static str {
        match self {
            IdeaStatus::New => "New",
            IdeaStatus::UnderConsideration => "Under Consideration",
            IdeaStatus::Approved => "Approved",
            IdeaStatus::Rejected => "Rejected",
            IdeaStatus::Implemented => "Implemented",
            IdeaStatus::Parked => "Parked",
        }
    }
}

/// Arguments of `add_idea`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddIdeaArgs {
    /// The idea.
    pub idea: String,
    /// Default New.
    #[serde(default)]
    pub status: IdeaStatus,
    /// Context.
    #[serde(default)]
    pub notes: Option<String>,
}

/// The `add_idea` tool.
#[derive(Debug, Default)]
pub struct AddIdeaTool;

#[async_trait]
impl Tool for AddIdeaTool {
    const NAME: &'static str = "add_idea";
    type Args = AddIdeaArgs;

    fn description(&self) -> String {
        "Record an idea for this customer in ideas.md.".to_string()
    }

    async fn call(
        &self,
        context: ToolContext<'_>,
        args: AddIdeaArgs,
    ) -> Result<ToolOutput, ToolError> {
        let docs = context.customer_docs()?;
        let idea = required("idea", &args.idea)?;
        let id = docs
            .add_idea(
                idea.clone(),
                args.status.name(),
                args.notes.unwrap_or_default(),
            )
            .await
            .map_err(workspace_error)?;
        Ok(ToolOutput::answer(format!(
            "Added {id} \"{idea}\" ({}) to ideas.md.",
            args.status.name()
        )))
    }
}
