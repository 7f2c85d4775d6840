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
        "Hours per work category and the strategic vs tactical ratio, per week and overall, from \
         the customer's event log, plus open action items. Use it for evidence and for the \
         Engagement Value Assessment's Time Allocation Review."
            .to_string()
    }

    async fn call(
        &self,
        context: ToolContext<'_>,
        _args: EngagementSummaryArgs,
    ) -> Result<ToolOutput, ToolError> {
        let docs = context.customer_docs()?;
        let (summary, log) = match (docs.engagement(), docs.event_log()) {
            (Ok(summary), Ok(log)) => (summary, log),
            (Err(err), _) | (_, Err(err)) => return Err(workspace_error(err)),
        };
        let open: Vec<_> = log.action_items.iter().filter(|i| i.is_open()).collect();
        let content = json!({
            "engagement": summary,
            "open_action_items": open,
        })
        .to_string();
        Ok(ToolOutput::answer(content))
    }
}
