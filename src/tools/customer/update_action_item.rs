//! `update_action_item`: an action item's status, owner or due date changed,
//! in action-items.md and the event log's table alike.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;

use super::action_item_args::{describe, due_date, item_number, required, unknown};
use super::workspace_error;
use crate::tools::{Tool, ToolContext, ToolError, ToolOutput};
use crate::workspace::ItemChange;
use crate::workspace::action_items::Status;

/// A status an item can move to while it is still live.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[allow(missing_docs)]
pub enum LiveStatus {
    Open,
    #[serde(rename = "In Progress")]
    InProgress,
    Blocked,
}

/// Arguments of `update_action_item`: the id and what changed.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateActionItemArgs {
    /// e.g. AI-007.
    pub id: String,
    /// New status.
    #[serde(default)]
    pub status: Option<LiveStatus>,
    /// New owner.
    #[serde(default)]
    pub owner: Option<String>,
    /// New due date, YYYY-MM-DD.
    #[serde(default)]
    pub due: Option<String>,
    /// Why.
    #[serde(default)]
    pub note: Option<String>,
}

/// The `update_action_item` tool.
#[derive(Debug, Default)]
pub struct UpdateActionItemTool;

#[async_trait]
impl Tool for UpdateActionItemTool {
    const NAME: &'static str = "update_action_item";
    type Args = UpdateActionItemArgs;

    fn description(&self) -> String {
        "Change an action item's status, owner or due date.".to_string()
    }

    async fn call(
        &self,
        context: ToolContext<'_>,
        args: UpdateActionItemArgs,
    ) -> Result<ToolOutput, ToolError> {
        let docs = context.customer_docs()?;
        let number = item_number(&args.id)?;
        let change = ItemChange {
            status: args.status.map(|s| match s {
                LiveStatus::Open => Status::Open,
                LiveStatus::InProgress => Status::InProgress,
                LiveStatus::Blocked => Status::Blocked,
            }),
            owner: args
                .owner
                .as_deref()
                .map(|o| required("owner", o))
                .transpose()?,
            due: args.due.as_deref().map(due_date).transpose()?,
            note: args.note.filter(|n| !n.trim().is_empty()),
        };
        if change.status.is_none() && change.owner.is_none() && change.due.is_none() {
            return Err(ToolError::BadArguments(
                "nothing to update: pass status, owner or due".into(),
            ));
        }
        let item = docs
            .change_action_item(number, change)
            .await
            .map_err(workspace_error)?
            .ok_or_else(|| unknown(&args.id))?;
        Ok(ToolOutput::answer(format!("Updated {}.", describe(&item))))
    }
}
