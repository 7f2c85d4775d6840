//! Tools that write after an interaction (and read the numbers back): they act on
//! the turn's customer only, through the handle our code fixed from the request;
//! nothing the model passes names a customer or a path.

mod action_item_args;
mod add_action_item;
mod add_idea;
mod close_action_item;
mod dates;
mod engagement_summary;
mod log_event;
mod record_evidence;
mod record_pm_session;
mod record_positioning;
mod update_action_item;
mod update_info;

pub(crate) use dates::date_or_today;

pub use add_action_item::{AddActionItemArgs, AddActionItemTool};
pub use add_idea::{AddIdeaArgs, AddIdeaTool};
pub use close_action_item::{CloseActionItemArgs, CloseActionItemTool};
pub use update_action_item::{UpdateActionItemArgs, UpdateActionItemTool};

pub use engagement_summary::{
    EngagementSummaryArgs, EngagementSummaryTool, summary as engagement_summary,
};
pub use log_event::{LogEventArgs, LogEventTool};
pub(crate) use record_evidence::evidence_from_event;
pub use record_evidence::{RecordEvidenceArgs, RecordEvidenceTool};
pub use record_pm_session::{RecordPmSessionArgs, RecordPmSessionTool};
pub use record_positioning::{RecordPositioningArgs, RecordPositioningTool};
pub use update_info::{UpdateCustomerInfoArgs, UpdateCustomerInfoTool};

use super::ToolError;
use crate::workspace::WorkspaceError;

/// A workspace failure as the model hears of it (the cause is logged).
fn workspace_error(err: WorkspaceError) -> ToolError {
    tracing::error!(error = %err, "workspace write failed");
    ToolError::Failed(format!(
        "the customer's documents could not be fully updated ({err}); files already written stay \
         intact. Tell the user what was not recorded"
    ))
}
