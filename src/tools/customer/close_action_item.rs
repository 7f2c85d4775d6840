//! `close_action_item`: an action item Completed or Cancelled, with a note
//! saying how, in action-items.md and the event log's table alike.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;

use super::action_item_args::{describe, item_number, required, unknown};
use super::workspace_error;
use crate::tools::{Tool, ToolContext, ToolError, ToolOutput};
use crate::workspace::ItemChange;
use crate::workspace::action_items::Status;

/// How an item ends.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[allow(missing_docs)]
pub enum Closing {
    Completed,
    Cancelled,
}

/// Arguments of `close_action_item`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseActionItemArgs {
    /// e.g. AI-007.
    pub id: String,
    /// How it ended.
    pub status: Closing,
    /// The outcome.
    pub note: String,
}

/// The `close_action_item` tool.
#[derive(Debug, Default)]
pub struct CloseActionItemTool;

#[async_trait]
impl Tool for CloseActionItemTool {
    const NAME: &'static str = "close_action_item";
    type Args = CloseActionItemArgs;

    fn description(&self) -> String {
        "Close an action item as Completed or Cancelled, with a note on the outcome.".to_string()
    }

    async fn call(
        &self,
        context: ToolContext<'_>,
        args: CloseActionItemArgs,
    ) -> Result<ToolOutput, ToolError> {
        let docs = context.customer_docs()?;
        let number = item_number(&args.id)?;
        let status = match args.status {
            Closing::Completed => Status::Completed,
            Closing::Cancelled => Status::Cancelled,
        };
        let change = ItemChange {
            status: Some(status),
            note: Some(format!(
                "{} {}: {}",
                status.name(),
                context.today,
                required("note", &args.note)?
            )),
            ..ItemChange::default()
        };
        let item = docs
            .change_action_item(number, change)
            .await
            .map_err(workspace_error)?
            .ok_or_else(|| unknown(&args.id))?;
        Ok(ToolOutput::answer(format!("Closed {}.", describe(&item))))
    }
}
