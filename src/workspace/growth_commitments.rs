//! The Growth Advisor's commitments table (`growth/commitments.md`): rows
//! `| GC-NNN | Commitment | Due | Status | Notes |`, and the rule that keeps a
//! miss a miss (a commitment past its due date cannot be quietly Revised, and
//! Missed is final).

use jiff::civil::Date;
use serde::Serialize;

use super::table_file;

/// The section and its columns.
pub(super) const HEADING: &str = "## Commitments";
pub(super) const HEADER: [&str; 5] = ["ID", "Commitment", "Due", "Status", "Notes"];
/// The statuses a commitment moves through.
pub const STATUSES: [&str; 5] = ["Open", "In Progress", "Met", "Missed", "Revised"];

/// One commitment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Commitment {
    /// `GC-NNN`.
    pub id: String,
    /// What the PM committed to.
    pub commitment: String,
    /// YYYY-MM-DD.
    pub due: String,
    /// One of [`STATUSES`].
    pub status: String,
    /// Dated notes, `;`-separated.
    pub notes: String,
}

impl Commitment {
    pub(super) fn cells(&self) -> [String; 5] {
        [
            self.id.clone(),
            self.commitment.clone(),
            self.due.clone(),
            self.status.clone(),
            self.notes.clone(),
        ]
    }

    /// Whether it is still to be done.
    pub fn is_open(&self) -> bool {
        matches!(self.status.as_str(), "Open" | "In Progress" | "Revised")
    }
}

/// The commitments in the file's text.
pub(super) fn parse(text: &str) -> Vec<Commitment> {
    table_file::rows(text, HEADING, HEADER[0])
        .into_iter()
        .filter(|cells| cells.len() >= 4)
        .map(|cells| {
            let cell = |i: usize| cells.get(i).cloned().unwrap_or_default();
            Commitment {
                id: cell(0),
                commitment: cell(1),
                due: cell(2),
                status: cell(3),
                notes: cell(4),
            }
        })
        .collect()
}

/// The next `GC-NNN` id.
pub(super) fn next_id(existing: &[Commitment]) -> String {
    let max = existing
        .iter()
        .filter_map(|c| c.id.strip_prefix("GC-")?.parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    format!("GC-{:03}", max + 1)
}

/// What a status update asks for.
#[derive(Debug, Clone)]
pub struct CommitmentUpdate {
    /// The commitment's id.
    pub id: String,
    /// The new status.
    pub status: String,
    /// A new due date (for Revised).
    pub due: Option<String>,
    /// A note on the change.
    pub note: Option<String>,
}

/// `commitment` after `update` on `today`, or why the update is refused.
pub(super) fn apply(
    mut commitment: Commitment,
    update: &CommitmentUpdate,
    today: Date,
) -> Result<Commitment, String> {
    if commitment.status == "Missed" && update.status != "Missed" {
        return Err(format!(
            "{} was recorded as Missed; a miss stays a miss. Record a new commitment instead",
            commitment.id
        ));
    }
    let overdue = commitment.due.parse::<Date>().is_ok_and(|due| due < today);
    if update.status == "Revised" && overdue {
        return Err(format!(
            "{} was due {} and is past due: record it as Missed (then make a new commitment), \
             not Revised after the fact",
            commitment.id, commitment.due
        ));
    }
    if let Some(due) = &update.due {
        commitment.due.clone_from(due);
    }
    let mut note = format!("{today}: {}", update.status);
    if let Some(text) = update.note.as_deref().filter(|t| !t.trim().is_empty()) {
        note.push_str(&format!(" ({text})"));
    }
    commitment.notes = if commitment.notes.trim().is_empty() {
        note
    } else {
        format!("{}; {note}", commitment.notes)
    };
    commitment.status.clone_from(&update.status);
    Ok(commitment)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(due: &str) -> Commitment {
        Commitment {
            id: "GC-001".into(),
            commitment: "Run a discovery interview weekly".into(),
            due: due.into(),
            status: "Open".into(),
            notes: String::new(),
        }
    }

    fn update(status: &str) -> CommitmentUpdate {
        CommitmentUpdate {
            id: "GC-001".into(),
            status: status.into(),
            due: None,
            note: Some("three done".into()),
        }
    }

    #[test]
    fn a_miss_stays_a_miss() {
        let today = jiff::civil::date(2026, 11, 30);
        let late = open("2026-11-15");
        let err = apply(late.clone(), &update("Revised"), today).expect_err("refused");
        assert!(err.contains("Missed"), "{err}");
        let missed = apply(late, &update("Missed"), today).expect("missed");
        assert_eq!(missed.notes, "2026-11-30: Missed (three done)");
        assert!(apply(missed, &update("Met"), today).is_err());
        let revised = apply(open("2026-12-15"), &update("Revised"), today).expect("revised");
        assert_eq!(revised.status, "Revised");
        assert!(revised.is_open());
        assert_eq!(next_id(&[revised]), "GC-002");
    }
}
