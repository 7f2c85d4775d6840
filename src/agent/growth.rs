//! The growth advisor's store for the PM: which turns keep it (the growth
//! advisor, at depth 0, for a caller whose key covers every customer), the
//! tools they are offered, and what their prompt reads back.

use std::sync::Arc;

use super::{Agent, AgentError, Offered, Turn};
use crate::tools::{
    DynTool, GROWTH_ADVISOR, LogGrowthSessionTool, RecordCommitmentTool, Typed,
    UpdateCommitmentTool,
};
use crate::workspace::GrowthDocs;

/// The growth tools, offered through `offer`.
pub(super) fn tools(offer: &impl Fn(Arc<dyn DynTool>) -> Offered) -> Result<Vec<Offered>, String> {
    Ok(vec![
        offer(Arc::new(Typed::new(RecordCommitmentTool)?)),
        offer(Arc::new(Typed::new(UpdateCommitmentTool)?)),
        offer(Arc::new(Typed::new(LogGrowthSessionTool)?)),
    ])
}

impl Agent {
    /// Whether this turn reads and writes the PM's growth store.
    pub(super) fn keeps_growth(&self, turn: &Turn<'_>) -> bool {
        turn.practice && turn.depth == 0 && turn.capability.id == GROWTH_ADVISOR
    }

    /// The growth tools, for a turn that keeps the store.
    pub(super) fn growth_tools(&self, turn: &Turn<'_>) -> Vec<Offered> {
        if self.keeps_growth(turn) {
            self.inner.growth_tools.clone()
        } else {
            Vec::new()
        }
    }

    /// The store's commitments and latest sessions, for the prompt.
    pub(super) fn growth_context(&self, turn: &Turn<'_>) -> Result<Option<String>, AgentError> {
        if !self.keeps_growth(turn) {
            return Ok(None);
        }
        let stored = GrowthDocs::new(&self.inner.workspace).context()?;
        Ok(Some(stored.unwrap_or_else(|| {
            "Nothing recorded yet: no commitments and no sessions.".to_string()
        })))
    }
}
