//! Reading `event-log.md`: each entry's heading and `**Field**: value` lines,
//! and the Open Action Items table's rows.

use std::sync::LazyLock;

use regex::Regex;

use super::action_items::{is_action_items_heading, table_row};
use super::lines::{is_entry_heading, section_end};
use super::{Event, EventLog, WorkCategory, parse_hours};

// Fixed patterns, checked by the tests: compiling them cannot fail.
static HEADING: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used)]
    Regex::new(
        r"^###\s*\[?\s*(\d{4}-\d{2}-\d{2})\s*\]?\s*[-–—]?\s*\[?([^:\]]*?)\]?\s*:\s*(.*?)\s*$",
    )
    .expect("heading pattern compiles")
});
static FIELD: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used)]
    Regex::new(r"^\s*(?:[-*]\s+)?\*\*\s*([^*:]+?)\s*:?\s*\*\*\s*:?\s*(.*)$")
        .expect("field pattern compiles")
});

/// Parses a whole log.
pub fn parse(text: &str) -> EventLog {
    let mut log = EventLog::default();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if is_entry_heading(line) {
            let end = section_end(&lines, i);
            log.events.push(parse_entry(&lines[i..end]));
            i = end;
        } else if is_action_items_heading(line) {
            let end = section_end(&lines, i);
            log.action_items
                .extend(lines[i + 1..end].iter().filter_map(|l| table_row(l)));
            i = end;
        } else {
            i += 1;
        }
    }
    log
}

/// One entry: its heading line and the lines below it.
fn parse_entry(lines: &[&str]) -> Event {
    let (heading, body) = lines.split_first().unwrap_or((&"", &[]));
    let (date, event_type, title) = parse_heading(heading.trim());
    let fields = parse_fields(body);
    let category =
        field(&fields, &["Work Category", "Category"]).and_then(WorkCategory::parse_lenient);
    let hours = field(&fields, &["Hours", "Duration", "Time Spent"]).and_then(parse_hours);
    Event {
        date,
        event_type,
        title,
        category,
        hours,
        raw: lines.join("\n"),
        fields,
    }
}

/// Date, event type and title from `### [YYYY-MM-DD] [Type]: Title`; a heading
/// without a date is all title.
fn parse_heading(heading: &str) -> (Option<String>, String, String) {
    match HEADING.captures(heading) {
        Some(c) => (
            Some(c[1].to_string()),
            c[2].trim().to_string(),
            c[3].trim().to_string(),
        ),
        None => (
            None,
            String::new(),
            heading.trim_start_matches('#').trim().to_string(),
        ),
    }
}

/// `**Field**: value` pairs in order; the lines after a field that are not
/// fields themselves (prose, list items) continue its value.
fn parse_fields(body: &[&str]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in body {
        if let Some(c) = FIELD.captures(line) {
            fields.push((c[1].trim().to_string(), c[2].trim().to_string()));
        } else if let Some((_, value)) = fields.last_mut()
            && !line.trim().is_empty()
        {
            if !value.is_empty() {
                value.push('\n');
            }
            value.push_str(line.trim_end());
        }
    }
    fields
}

/// The value of the first field with one of `names` (ignoring case).
fn field<'a>(fields: &'a [(String, String)], names: &[&str]) -> Option<&'a str> {
    fields
        .iter()
        .find(|(name, _)| names.iter().any(|n| name.eq_ignore_ascii_case(n)))
        .map(|(_, value)| value.as_str())
}
