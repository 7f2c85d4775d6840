//! `action-items.md`: the family's action item list (ids `AI-XXX`, never
//! reused; statuses Open, In Progress, Blocked, Completed, Cancelled; owner;
//! due date). It is the store of record; the event log's Open Action Items
//! table is kept in step with it row by row (see `action_item_store`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::event_log::ActionItem;
use super::markdown::one_line;
use super::table_rows::{self, Row};

/// The file.
pub const ACTION_ITEMS_FILE: &str = "action-items.md";

/// The table's header and separator rows.
pub(super) const HEADER: &str = "| ID | Action Item | Owner | Due | Status | Created | Notes |\n\
                                 |----|-------------|-------|-----|--------|---------|-------|";

/// Where an action item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Status {
    /// Not started.
    Open,
    /// Being worked on.
    #[serde(rename = "In Progress")]
    InProgress,
    /// Waiting on something.
    Blocked,
    /// Done.
    Completed,
    /// Dropped.
    Cancelled,
}

impl Status {
    /// The name written in the files.
    pub fn name(self) -> &'static str {
        match self {
            Status::Open => "Open",
            Status::InProgress => "In Progress",
            Status::Blocked => "Blocked",
            Status::Completed => "Completed",
            Status::Cancelled => "Cancelled",
        }
    }
}

/// One action item as tracked.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TrackedItem {
    /// `AI-NNN`.
    pub id: String,
    /// What needs doing.
    pub item: String,
    /// Who owns it.
    pub owner: String,
    /// When it is due (`YYYY-MM-DD` by convention; hand-written text is kept).
    pub due: String,
    /// Open, In Progress, Blocked, Completed or Cancelled (as written).
    pub status: String,
    /// When it was recorded.
    pub created: String,
    /// Notes (how it was closed, why it is blocked).
    pub notes: String,
}

impl TrackedItem {
    /// Whether it still needs doing.
    pub fn is_open(&self) -> bool {
        let status = self.status.trim().to_ascii_lowercase();
        !(status.starts_with("complete") || status.starts_with("cancel") || status == "done")
    }

    /// The due date, when it is written as one.
    pub fn due_date(&self) -> Option<jiff::civil::Date> {
        self.due.trim().get(..10)?.parse().ok()
    }

    /// The event log's row, as the table shows it.
    pub(super) fn from_log(row: &ActionItem) -> Option<Self> {
        let number = table_rows::id_number(&row.item)?;
        let item = row.item.split_once(':').map_or("", |(_, t)| t.trim());
        Some(Self {
            id: format_id(number),
            item: item.to_string(),
            owner: row.owner.clone(),
            due: row.due.clone(),
            status: row.status.clone(),
            created: row.date.clone(),
            notes: String::new(),
        })
    }

    fn from_row(row: &Row) -> Option<Self> {
        let cell = |names: &[&str]| row.get(names).unwrap_or_default().to_string();
        let item = cell(&["Action Item", "Item", "Task"]);
        Some(Self {
            id: format_id(row.id()?),
            item: item
                .split_once(':')
                .filter(|(id, _)| table_rows::id_number(id).is_some())
                .map_or(item.clone(), |(_, t)| t.trim().to_string()),
            owner: cell(&["Owner"]),
            due: cell(&["Due", "Due Date"]),
            status: cell(&["Status"]),
            created: cell(&["Created", "Date"]),
            notes: cell(&["Notes", "Note"]),
        })
    }

    /// Its row in action-items.md.
    pub(super) fn row(&self) -> String {
        let cells = [
            &self.id,
            &self.item,
            &self.owner,
            &self.due,
            &self.status,
            &self.created,
            &self.notes,
        ];
        let cells: Vec<String> = cells.iter().map(|c| one_line(c)).collect();
        format!("| {} |", cells.join(" | "))
    }
}

/// `AI-007`.
pub(super) fn format_id(number: u32) -> String {
    format!("AI-{number:03}")
}

/// The items in action-items.md's tables.
pub fn parse(text: &str) -> Vec<TrackedItem> {
    table_rows::rows(text)
        .iter()
        .filter_map(|(_, row)| TrackedItem::from_row(row))
        .collect()
}

/// The file a customer starts with, holding `seed` (the event log's rows, for
/// a customer who kept them there before).
pub fn template(customer: &str, seed: &[TrackedItem]) -> String {
    let rows: String = seed.iter().map(|i| i.row() + "\n").collect();
    format!(
        "# Action Items: {customer}\n\n\
         Ids AI-XXX are never reused. Statuses: Open, In Progress, Blocked, Completed, Cancelled.\n\n\
         {HEADER}\n{rows}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_round_trips_its_seed() {
        let log_row = ActionItem {
            date: "2026-11-10".into(),
            item: "AI-003: Share the roadmap | draft".into(),
            owner: "Me".into(),
            due: "2026-11-28".into(),
            status: "Open".into(),
        };
        let item = TrackedItem::from_log(&log_row).expect("has an id");
        assert_eq!(item.item, "Share the roadmap | draft");
        let text = template("acme", std::slice::from_ref(&item));
        let parsed = parse(&text);
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].id, "AI-003");
        assert_eq!(parsed[0].item, "Share the roadmap / draft");
        assert_eq!(parsed[0].due_date(), Some(jiff::civil::date(2026, 11, 28)));
        assert!(parsed[0].is_open());
    }
}
