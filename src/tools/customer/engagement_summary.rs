//! `engagement_summary`: the numbers the event log adds up to.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::workspace_error;
use crate::tools::{Tool, ToolContext, ToolError, ToolOutput};

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
        let summary = docs.engagement().map_err(workspace_error)?;
        let items = docs.action_items().map_err(workspace_error)?;
        let reminders = docs.reminders().map_err(workspace_error)?;
        let open: Vec<_> = items.iter().filter(|i| i.is_open()).collect();
        let content = json!({
            "engagement": summary,
            "open_action_items": open,
            "reminders": reminders,
        })
        .to_string();
        Ok(ToolOutput::answer(content))
    }
}
