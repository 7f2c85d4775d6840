//! Recording a new event: its entry goes first, its action items into the
//! table, and every other byte of the log stays as it was.

use super::action_items::{
    ACTION_ITEMS_HEADER, ACTION_ITEMS_HEADING, add_action_items, max_action_item_id, new_items,
};
use super::hours::format_hours;
use super::lines::{is_entry_heading, offset_of};
use super::{ActionItem, NewEvent};
use crate::workspace::markdown::one_line;

/// The log with `event` inserted before the newest existing entry, and its
/// action items appended to the Open Action Items table. Every other byte of
/// `text` is kept as it was. Returns the new text and the ids assigned.
pub fn insert(text: &str, title_line: &str, event: &NewEvent) -> (String, Vec<String>) {
    insert_from(text, title_line, event, 1)
}

/// [`insert`], with new action item ids no lower than `floor` (the next id
/// unused in `action-items.md`, so ids are never reused across the files).
pub fn insert_from(
    text: &str,
    title_line: &str,
    event: &NewEvent,
    floor: u32,
) -> (String, Vec<String>) {
    let mut text = if text.trim().is_empty() {
        empty_log(title_line)
    } else {
        text.to_string()
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let items = new_items(event, (max_action_item_id(&text) + 1).max(floor));
    let ids = items
        .iter()
        .filter_map(|i| i.item.split(':').next().map(str::to_string))
        .collect();
    text = insert_entry(&text, &format_entry(event, &items));
    if !items.is_empty() {
        text = add_action_items(&text, title_line, &items);
    }
    (text, ids)
}

/// A log with no entries yet, in the conventional layout.
pub(in crate::workspace) fn empty_log(title_line: &str) -> String {
    format!("{title_line}\n\n{ACTION_ITEMS_HEADING}\n\n{ACTION_ITEMS_HEADER}\n\n## Events\n")
}

/// `entry` placed before the first entry heading, or at the end (after a blank
/// line) when there is none.
fn insert_entry(text: &str, entry: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let at = lines
        .iter()
        .position(|line| is_entry_heading(line))
        .map_or(text.len(), |first| offset_of(&lines, first));
    let separator = if at == text.len() && !text.ends_with("\n\n") {
        "\n"
    } else {
        ""
    };
    let mut out = text.to_string();
    out.insert_str(at, &format!("{separator}{entry}\n"));
    out
}

/// The new entry's markdown: heading, one-line fields, then the decisions and
/// action items (`items`, with their ids) as lists, and the lessons.
fn format_entry(event: &NewEvent, items: &[ActionItem]) -> String {
    let mut out = format!(
        "### [{}] {}: {}\n",
        event.date,
        one_line(&event.event_type),
        one_line(&event.title)
    );
    for (name, value) in summary_fields(event) {
        out.push_str(&field_line(name, &value));
    }
    let decisions = event.decisions.iter().map(|d| format!("- {}", one_line(d)));
    out.push_str(&list("Decisions Made", decisions));
    let items = items
        .iter()
        .map(|i| format!("- [ ] {} - Owner: {} - Due: {}", i.item, i.owner, i.due));
    out.push_str(&list("Action Items", items));
    if let Some(lessons) = &event.lessons {
        out.push_str(&field_line("Lessons Learned", lessons));
    }
    out
}

/// The fields written one line each, in order, where the event has them.
fn summary_fields(event: &NewEvent) -> Vec<(&'static str, String)> {
    [
        (
            "Work Category",
            event.category.map(|c| c.name().to_string()),
        ),
        ("Duration", event.hours.map(format_hours)),
        ("Participants", event.participants.clone()),
        ("Context/Why", event.context.clone()),
        ("What Happened", Some(event.what_happened.clone())),
        ("Business Impact", event.business_impact.clone()),
        (
            "Reported by PM",
            event.reported.as_ref().map(|r| format!("\"{}\"", r.trim())),
        ),
    ]
    .into_iter()
    .filter_map(|(name, value)| Some((name, value?)))
    .collect()
}

/// `**Name**: value`, the value folded to one line.
fn field_line(name: &str, value: &str) -> String {
    format!("**{name}**: {}\n", one_line(value))
}

/// `**Name**:` and the lines below it; nothing when there are none.
fn list(name: &str, lines: impl Iterator<Item = String>) -> String {
    let lines: String = lines.map(|line| line + "\n").collect();
    if lines.is_empty() {
        String::new()
    } else {
        format!("**{name}**:\n{lines}")
    }
}
