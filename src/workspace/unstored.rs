//! What turns that are not kept as sessions spent: `customers/<id>/usage.jsonl`
//! (or `usage.jsonl` at the root without a customer), one line per turn with
//! its times, capability, model, usage and cost, and nothing it said. The
//! OpenAI-compatible endpoint stores no session unless asked, but its turns
//! still count towards the customer's usage and daily budget.

use std::path::PathBuf;
use std::sync::Arc;

use super::{CustomerId, Line, Transcript, Workspace, WorkspaceError};
use crate::session::TurnRecord;

/// The file of a customer's unstored turns.
pub const USAGE_FILE: &str = "usage.jsonl";

impl Workspace {
    fn usage_path(&self, customer: Option<&CustomerId>) -> Result<PathBuf, WorkspaceError> {
        let dir = match customer {
            Some(customer) => self.customer_dir(customer),
            None => self.root.clone(),
        };
        self.checked(&dir.join(USAGE_FILE))
    }

    /// Appends what `turn` spent, without its messages, tool calls, model
    /// answers or documents.
    pub async fn append_usage(self: &Arc<Self>, turn: &TurnRecord) -> Result<(), WorkspaceError> {
        let customer = turn
            .customer
            .as_deref()
            .map(CustomerId::parse)
            .transpose()?;
        let spent = TurnRecord {
            messages: Vec::new(),
            tool_calls: Vec::new(),
            artifacts: Vec::new(),
            model_calls: Vec::new(),
            ..turn.clone()
        };
        let path = self.usage_path(customer.as_ref())?;
        let line = self.encode(&path, &Line::Turn(Box::new(spent.clone())))?;
        self.append_line(customer.as_ref(), &path, None, line, &spent)
            .await
            .map(|_| ())
    }

    /// The customer's unstored turns (none when there are none).
    pub(super) fn unstored(&self, customer: &CustomerId) -> Result<Transcript, WorkspaceError> {
        let path = self.usage_path(Some(customer))?;
        Ok(Transcript::parse(&self.read_optional(&path)?))
    }
}
