//! The Open Action Items table: its rows as read, the rows a new event adds
//! (with fresh `AI-NNN` ids), and where those rows go in the file.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::NewEvent;
use super::lines::{offset_of, section_end};
use crate::workspace::markdown::{one_line, table_cells};

/// Heading of the action items section.
pub const ACTION_ITEMS_HEADING: &str = "## Open Action Items";
/// The table's header and separator rows.
pub(super) const ACTION_ITEMS_HEADER: &str =
    "| Date | Action Item | Owner | Due | Status |\n|------|-------------|-------|-----|--------|";

static AI_ID: LazyLock<Regex> = LazyLock::new(|| {
    // A fixed pattern, checked by the tests: compiling it cannot fail.
    #[allow(clippy::expect_used)]
    Regex::new(r"AI-(\d+)").expect("id pattern compiles")
});

/// A row of the Open Action Items table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionItem {
    /// When it was recorded.
    pub date: String,
    /// The item, usually `AI-NNN: task`.
    pub item: String,
    /// Who owns it.
    pub owner: String,
    /// When it is due.
    pub due: String,
    /// Open, In Progress, Blocked, Completed or Cancelled.
    pub status: String,
}

impl ActionItem {
    /// Whether it still needs doing.
    pub fn is_open(&self) -> bool {
        let status = self.status.trim().to_ascii_lowercase();
        !(status.starts_with("complete") || status.starts_with("cancel") || status == "done")
    }
}

/// Whether `line` is the section's heading.
pub(super) fn is_action_items_heading(line: &str) -> bool {
    line.trim().eq_ignore_ascii_case(ACTION_ITEMS_HEADING)
}

/// A table line as an item; `None` for other lines, the header and short rows.
pub(super) fn table_row(line: &str) -> Option<ActionItem> {
    let cells = table_cells(line)?;
    if cells.len() < 5 || cells[0].eq_ignore_ascii_case("date") {
        return None;
    }
    let mut cells = cells.into_iter();
    let mut next = || cells.next().unwrap_or_default();
    Some(ActionItem {
        date: next(),
        item: next(),
        owner: next(),
        due: next(),
        status: next(),
    })
}

/// The highest `AI-NNN` number anywhere in `text` (ids are never reused).
pub fn max_action_item_id(text: &str) -> u32 {
    AI_ID
        .captures_iter(text)
        .filter_map(|c| c[1].parse().ok())
        .max()
        .unwrap_or(0)
}

/// The event's follow-ups as open items, numbered from `first_id`.
pub(super) fn new_items(event: &NewEvent, first_id: u32) -> Vec<ActionItem> {
    event
        .action_items
        .iter()
        .enumerate()
        .map(|(n, (task, owner, due))| ActionItem {
            date: event.date.clone(),
            item: format!("AI-{:03}: {}", first_id + n as u32, one_line(task)),
            owner: one_line(owner),
            due: one_line(due),
            status: "Open".into(),
        })
        .collect()
}

/// Appends rows after the last row of the Open Action Items table, creating the
/// section (after the title) when the log has none.
pub(in crate::workspace) fn add_action_items(
    text: &str,
    title_line: &str,
    items: &[ActionItem],
) -> String {
    let rows: String = items
        .iter()
        .map(|i| {
            format!(
                "| {} | {} | {} | {} | {} |\n",
                i.date, i.item, i.owner, i.due, i.status
            )
        })
        .collect();
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let (at, block) = match lines.iter().position(|line| is_action_items_heading(line)) {
        Some(heading) => into_section(&lines, heading, rows),
        None => new_section(&lines, title_line, &rows),
    };
    let mut out = text.to_string();
    out.insert_str(at, &block);
    out
}

/// Where rows go in the existing section whose heading is line `heading`, and
/// what to insert there: after its last table row, or under the heading with
/// the table's header when it has no rows.
fn into_section(lines: &[&str], heading: usize, rows: String) -> (usize, String) {
    let end = section_end(lines, heading);
    let last_row = lines[heading + 1..end]
        .iter()
        .rposition(|line| line.trim_start().starts_with('|'))
        .map(|p| heading + 1 + p);
    match last_row {
        Some(row) => (offset_of(lines, row + 1), rows),
        None => (
            offset_of(lines, heading + 1),
            format!("\n{ACTION_ITEMS_HEADER}\n{rows}"),
        ),
    }
}

/// Where a new section goes and its text: after the H1 (if the log starts with
/// one), else at the top under `title_line`.
fn new_section(lines: &[&str], title_line: &str, rows: &str) -> (usize, String) {
    let at = lines
        .first()
        .filter(|line| line.starts_with("# "))
        .map_or(0, |line| line.len());
    let block = format!("\n{ACTION_ITEMS_HEADING}\n\n{ACTION_ITEMS_HEADER}\n{rows}\n");
    if at == 0 {
        (0, format!("{title_line}\n{block}"))
    } else {
        (at, block)
    }
}
