//! The PM's coaching sessions with pmcoach, derived from the customer's session
//! transcripts: our code writes a transcript for every conversation, whatever
//! the model does, so the record of coaching cannot be forged or forgotten by a
//! tool call. These are coaching, not client work: they never enter the
//! event log's hours or the strategic ratio.

use serde::Serialize;

use super::{CustomerId, Transcript, Workspace, WorkspaceError};

/// The coaching conversations held about one customer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CoachingSessions {
    /// Sessions (conversations) held.
    pub sessions: usize,
    /// Turns across them.
    pub turns: usize,
    /// The day of the last turn, `YYYY-MM-DD`.
    pub last: Option<String>,
}

impl CoachingSessions {
    /// Counts the sessions in `transcripts`.
    pub fn of<'a>(transcripts: impl Iterator<Item = &'a Transcript>) -> Self {
        let mut held = Self::default();
        for transcript in transcripts.filter(|t| !t.turns.is_empty()) {
            held.sessions += 1;
            held.turns += transcript.turns.len();
            let last = transcript
                .turns
                .iter()
                .filter_map(|t| t.finished_at.get(..10))
                .max();
            if let Some(day) = last
                && held.last.as_deref().is_none_or(|seen| seen < day)
            {
                held.last = Some(day.to_string());
            }
        }
        held
    }
}

impl Workspace {
    /// The coaching sessions held about the customer (reads every transcript).
    pub fn coaching_sessions(
        &self,
        customer: &CustomerId,
    ) -> Result<CoachingSessions, WorkspaceError> {
        let transcripts = self.customer_transcripts(customer)?;
        Ok(CoachingSessions::of(transcripts.iter().map(|(_, t)| t)))
    }
}
