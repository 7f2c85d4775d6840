//! `record_growth_commitment` and `update_growth_commitment`.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{growth, store_error};
use crate::tools::customer::date_or_today;
use crate::tools::{Tool, ToolContext, ToolError, ToolOutput};
use crate::workspace::CommitmentUpdate;

/// Arguments of `record_growth_commitment`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordCommitmentArgs {
    /// What the PM commits to, concretely.
    pub commitment: String,
    /// YYYY-MM-DD.
    pub due: String,
}

/// The `record_growth_commitment` tool.
#[derive(Debug, Default)]
pub struct RecordCommitmentTool;

#[async_trait]
impl Tool for RecordCommitmentTool {
    const NAME: &'static str = "record_growth_commitment";
    type Args = RecordCommitmentArgs;

    fn description(&self) -> String {
        "Record one dated growth commitment in growth/commitments.md (status Open); it is read \
         back at the start of the next session."
            .to_string()
    }

    async fn call(
        &self,
        context: ToolContext<'_>,
        args: RecordCommitmentArgs,
    ) -> Result<ToolOutput, ToolError> {
        let store = growth(&context)?;
        if args.commitment.trim().is_empty() {
            return Err(ToolError::BadArguments(
                "commitment must not be empty".into(),
            ));
        }
        let due = date_or_today(Some(&args.due), context.today)?;
        let added = store
            .add_commitment(args.commitment, due, context.today.to_string())
            .await
            .map_err(store_error)?;
        Ok(ToolOutput::answer(format!(
            "Recorded {} \"{}\", due {}, status Open.",
            added.id, added.commitment, added.due
        )))
    }
}

/// A commitment's status.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[allow(missing_docs)]
pub enum CommitmentStatus {
    Open,
    #[serde(rename = "In Progress")]
    InProgress,
    Met,
    Missed,
    Revised,
}

impl CommitmentStatus {
    fn name(self) -> &'static str {
        match self {
            CommitmentStatus::Open => "Open",
            CommitmentStatus::InProgress => "In Progress",
            CommitmentStatus::Met => "Met",
            CommitmentStatus::Missed => "Missed",
            CommitmentStatus::Revised => "Revised",
        }
    }
}

/// Arguments of `update_growth_commitment`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCommitmentArgs {
    /// The commitment's id (GC-NNN).
    pub id: String,
    /// Its status now. A commitment past its due date and not met is Missed.
    pub status: CommitmentStatus,
    /// A new due date, YYYY-MM-DD (with Revised, before the old one passes).
    #[serde(default)]
    pub due: Option<String>,
    /// What happened.
    #[serde(default)]
    pub note: Option<String>,
}

/// The `update_growth_commitment` tool.
#[derive(Debug, Default)]
pub struct UpdateCommitmentTool;

#[async_trait]
impl Tool for UpdateCommitmentTool {
    const NAME: &'static str = "update_growth_commitment";
    type Args = UpdateCommitmentArgs;

    fn description(&self) -> String {
        "Update a growth commitment's status (Open, In Progress, Met, Missed, Revised) with a \
         dated note. A miss is recorded as Missed, never rewritten as Revised after the fact."
            .to_string()
    }

    async fn call(
        &self,
        context: ToolContext<'_>,
        args: UpdateCommitmentArgs,
    ) -> Result<ToolOutput, ToolError> {
        let store = growth(&context)?;
        let due = match args.due.as_deref() {
            Some(due) => Some(date_or_today(Some(due), context.today)?),
            None => None,
        };
        let update = CommitmentUpdate {
            id: args.id.trim().to_string(),
            status: args.status.name().to_string(),
            due,
            note: args.note,
        };
        let changed = store
            .update_commitment(update)
            .await
            .map_err(store_error)?
            .map_err(ToolError::Failed)?;
        Ok(ToolOutput::answer(format!(
            "{} is now {} (due {}).",
            changed.id, changed.status, changed.due
        )))
    }
}
