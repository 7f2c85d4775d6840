//! `add_action_item`: a follow-up in the customer's action-items.md (and the
//! event log's Open Action Items table), with a new `AI-NNN` id.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;

use super::action_item_args::{describe, due_date, required};
use super::workspace_error;
use crate::tools::{Tool, ToolContext, ToolError, ToolOutput};
use crate::workspace::action_items::TrackedItem;

/// Arguments of `add_action_item`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddActionItemArgs {
    /// What needs doing.
    pub task: String,
    /// Who owns it ("Me": the PM).
    pub owner: String,
    /// When it is due, YYYY-MM-DD.
    pub due: String,
}

/// The `add_action_item` tool.
#[derive(Debug, Default)]
pub struct AddActionItemTool;

#[async_trait]
impl Tool for AddActionItemTool {
    const NAME: &'static str = "add_action_item";
    type Args = AddActionItemArgs;

    fn description(&self) -> String {
        "Track a follow-up with an owner and due date; it gets an AI-NNN id.".to_string()
    }

    async fn call(
        &self,
        context: ToolContext<'_>,
        args: AddActionItemArgs,
    ) -> Result<ToolOutput, ToolError> {
        let docs = context.customer_docs()?;
        let item = TrackedItem {
            id: String::new(),
            item: required("task", &args.task)?,
            owner: required("owner", &args.owner)?,
            due: due_date(&args.due)?,
            status: "Open".into(),
            created: context.today.to_string(),
            notes: String::new(),
        };
        let item = docs.add_action_item(item).await.map_err(workspace_error)?;
        Ok(ToolOutput::answer(format!("Added {}.", describe(&item))))
    }
}
