//! `ideas.md`: ideas for the customer with the family's statuses, ids
//! `IDEA-NNN` never reused; new ones appended under the customer's lock, every
//! other byte of the file kept.

use std::sync::{Arc, LazyLock};

use regex::Regex;
use serde::Serialize;

use super::family::{IDEAS_FILE, ideas_template};
use super::markdown::{one_line, table_cells};
use super::{CustomerId, Workspace, WorkspaceError, table_rows};

static IDEA_ID: LazyLock<Regex> = LazyLock::new(|| {
    // A fixed pattern, checked by the tests: compiling it cannot fail.
    #[allow(clippy::expect_used)]
    Regex::new(r"IDEA-(\d+)").expect("idea id pattern compiles")
});

/// The ideas table's header.
const HEADER: &str = "| ID | Date | Idea | Status | Notes |\n|----|------|------|--------|-------|";

/// An idea as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Idea {
    /// `IDEA-NNN`.
    pub id: String,
    /// The idea.
    pub idea: String,
    /// One of the family's statuses.
    pub status: String,
}

/// Ideas still in play (not Rejected or Implemented), in file order.
pub fn live_ideas(text: &str) -> Vec<Idea> {
    text.lines()
        .filter_map(table_cells)
        .filter(|cells| cells.len() >= 4 && IDEA_ID.is_match(&cells[0]))
        .map(|cells| Idea {
            id: cells[0].clone(),
            idea: cells[2].clone(),
            status: cells[3].clone(),
        })
        .filter(|i| !["rejected", "implemented"].contains(&i.status.to_ascii_lowercase().as_str()))
        .collect()
}

fn next_id(text: &str) -> u32 {
    IDEA_ID
        .captures_iter(text)
        .filter_map(|c| c[1].parse::<u32>().ok())
        .max()
        .unwrap_or(0)
        + 1
}

impl Workspace {
    /// The customer's `ideas.md` (empty when missing).
    pub fn ideas(&self, customer: &CustomerId) -> Result<String, WorkspaceError> {
        self.read_optional(&self.file(customer, IDEAS_FILE)?)
    }

    /// Appends an idea with `status`; returns its id.
    pub async fn add_idea(
        self: &Arc<Self>,
        customer: &CustomerId,
        idea: String,
        status: &'static str,
        notes: String,
    ) -> Result<String, WorkspaceError> {
        let id = customer.clone();
        self.locked(Some(customer), move |ws| {
            ws.ensure_customer_locked(&id)?;
            let path = ws.file(&id, IDEAS_FILE)?;
            let mut text = ws.read_optional(&path)?;
            if text.trim().is_empty() {
                text = ideas_template(id.as_str());
            }
            let idea_id = format!("IDEA-{:03}", next_id(&text));
            let row = format!(
                "| {idea_id} | {} | {} | {status} | {} |",
                ws.clock().today_string(),
                one_line(&idea),
                one_line(&notes)
            );
            ws.write(&path, &table_rows::append_row(&text, &row, HEADER))?;
            Ok(idea_id)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_grow_and_closed_ideas_are_not_live() {
        let text = format!(
            "{}| IDEA-002 | 2026-11-01 | Usage pricing | Approved | |\n| IDEA-007 | 2026-11-02 | Old | Rejected | |\n",
            ideas_template("acme")
        );
        assert_eq!(next_id(&text), 8);
        assert_eq!(next_id(&ideas_template("acme")), 1);
        let live = live_ideas(&text);
        assert_eq!(live.len(), 1);
        assert_eq!(
            (live[0].id.as_str(), live[0].status.as_str()),
            ("IDEA-002", "Approved")
        );
    }
}
