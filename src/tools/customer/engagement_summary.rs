//! `engagement_summary`: the numbers the event log adds up to.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::workspace_error;
use crate::tools::{Tool, ToolContext, ToolError, ToolOutput};
use crate::workspace::{CustomerDocs, WorkspaceError};

/// Arguments of `engagement_summary`: none.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EngagementSummaryArgs {}

/// The `engagement_summary` tool.
#[derive(Debug, Default)]
pub struct EngagementSummaryTool;

#[async_trait]
impl Tool for EngagementSummaryTool {
    const NAME: &'static str = "engagement_summary";
    type Args = EngagementSummaryArgs;

    fn description(&self) -> String {
        "Hours per work category and the strategic vs tactical ratio, per week and overall, \
         with their coverage of contracted hours, plus open action items and reminders. For \
         evidence and the Engagement Value Assessment's Time Allocation Review."
            .to_string()
    }

    async fn call(
        &self,
        context: ToolContext<'_>,
        _args: EngagementSummaryArgs,
    ) -> Result<ToolOutput, ToolError> {
        let docs = context.customer_docs()?;
        let content = summary(&docs).map_err(workspace_error)?.to_string();
        Ok(ToolOutput::answer(content))
    }
}

/// What `engagement_summary` answers: the engagement's numbers, the open
/// action items and the reminders (the MCP tool of the same name answers it too).
pub fn summary(docs: &CustomerDocs<'_>) -> Result<Value, WorkspaceError> {
    let items = docs.action_items()?;
    let open: Vec<_> = items.iter().filter(|i| i.is_open()).collect();
    Ok(json!({
        "engagement": docs.engagement()?,
        "open_action_items": open,
        "reminders": docs.reminders()?,
    }))
}
