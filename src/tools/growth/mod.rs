//! The Growth Advisor's tools for the PM's own `growth/` store: record a
//! commitment, update its status, log a session. Offered only to the
//! growth-advisor capability at depth 0, and only to a caller whose key covers
//! every customer (the store is the PM's, not a customer's).

mod commitments;
mod log_session;

pub use commitments::{
    CommitmentStatus, RecordCommitmentArgs, RecordCommitmentTool, UpdateCommitmentArgs,
    UpdateCommitmentTool,
};
pub use log_session::{LogGrowthSessionArgs, LogGrowthSessionTool};

use super::{ToolContext, ToolError};
use crate::workspace::{GrowthDocs, WorkspaceError};

/// The only capability that keeps the growth store.
pub const GROWTH_ADVISOR: &str = "growth-advisor";

/// The growth store, or the error a call without it gets.
fn growth<'a>(context: &ToolContext<'a>) -> Result<GrowthDocs<'a>, ToolError> {
    context.growth.ok_or_else(|| {
        ToolError::Failed(
            "the growth store is only kept for a key that covers the whole practice".into(),
        )
    })
}

/// A store failure as the model hears of it (the cause is logged).
fn store_error(err: WorkspaceError) -> ToolError {
    tracing::error!(error = %err, "growth store write failed");
    ToolError::Failed(format!(
        "growth/ could not be updated ({err}); tell the PM what was not recorded"
    ))
}
