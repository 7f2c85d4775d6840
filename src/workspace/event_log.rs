//! `event-log.md`: parsing the entries fractional PMs keep (by hand or through
//! pmcoach) and inserting new ones newest first without touching the others.
//!
//! Entry heading: `### [YYYY-MM-DD] [Event Type]: [Title]`, then `**Field**: value`
//! lines. The parser is lenient (missing brackets, odd spacing, `**Field:**`,
//! prose between fields) and keeps every entry's raw text, so nothing a person
//! wrote is lost. An `## Open Action Items` table is kept alongside.

use std::sync::LazyLock;

use regex::Regex;

use super::markdown::{one_line, table_cells};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The convention's event types.
pub const EVENT_TYPES: [&str; 13] = [
    "Meeting",
    "Call",
    "Workshop",
    "Decision",
    "Delivery",
    "Feedback",
    "Escalation",
    "Win",
    "Update",
    "Analysis",
    "Planning",
    "Onboarding",
    "Review",
];

/// Heading of the action items section.
pub const ACTION_ITEMS_HEADING: &str = "## Open Action Items";
const ACTION_ITEMS_HEADER: &str =
    "| Date | Action Item | Owner | Due | Status |\n|------|-------------|-------|-----|--------|";

/// How the hours of an event count in the strategic vs tactical ratio.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum WorkCategory {
    /// Specs, tickets, docs.
    Tactical,
    /// Meetings, process.
    Operational,
    /// Decisions, direction.
    Strategic,
    /// Coaching, knowledge transfer.
    #[serde(rename = "Capability Building")]
    CapabilityBuilding,
}

impl WorkCategory {
    /// All categories, in the Time Allocation Review's order.
    pub const ALL: [WorkCategory; 4] = [
        WorkCategory::Tactical,
        WorkCategory::Operational,
        WorkCategory::Strategic,
        WorkCategory::CapabilityBuilding,
    ];

    /// The display name.
    pub fn name(self) -> &'static str {
        match self {
            WorkCategory::Tactical => "Tactical",
            WorkCategory::Operational => "Operational",
            WorkCategory::Strategic => "Strategic",
            WorkCategory::CapabilityBuilding => "Capability Building",
        }
    }

    /// The key used in the Engagement Value Assessment's fields.
    pub fn key(self) -> &'static str {
        match self {
            WorkCategory::Tactical => "tactical",
            WorkCategory::Operational => "operational",
            WorkCategory::Strategic => "strategic",
            WorkCategory::CapabilityBuilding => "capability_building",
        }
    }

    /// Reads a category written by hand: `Strategic`, `strategic work`, `Capability-building`...
    pub fn parse_lenient(text: &str) -> Option<Self> {
        let text = text.trim().to_ascii_lowercase();
        [
            ("tactical", WorkCategory::Tactical),
            ("operational", WorkCategory::Operational),
            ("strategic", WorkCategory::Strategic),
            ("capability", WorkCategory::CapabilityBuilding),
        ]
        .into_iter()
        .find(|(prefix, _)| text.starts_with(prefix))
        .map(|(_, category)| category)
    }
}

/// One entry as parsed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// `YYYY-MM-DD`, when the heading has one.
    pub date: Option<String>,
    /// The event type as written.
    pub event_type: String,
    /// The title.
    pub title: String,
    /// The work category, when given.
    pub category: Option<WorkCategory>,
    /// Hours spent, from `Duration` or `Hours`.
    pub hours: Option<f64>,
    /// `**Field**: value` pairs in order (multi-line values keep their lines).
    pub fields: Vec<(String, String)>,
    /// The entry exactly as in the file.
    pub raw: String,
}

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

/// The parsed log.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EventLog {
    /// Entries in file order (newest first by convention).
    pub events: Vec<Event>,
    /// The Open Action Items table's rows.
    pub action_items: Vec<ActionItem>,
}

/// A new entry to record. Text values are folded to single lines, so nothing the
/// model writes can forge a heading, a field or a table row.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// One of [`EVENT_TYPES`].
    pub event_type: String,
    /// Short title.
    pub title: String,
    /// Work category, for the strategic vs tactical ratio.
    pub category: Option<WorkCategory>,
    /// Hours spent.
    pub hours: Option<f64>,
    /// Who was there.
    pub participants: Option<String>,
    /// Why it happened.
    pub context: Option<String>,
    /// What happened.
    pub what_happened: String,
    /// Decisions made.
    pub decisions: Vec<String>,
    /// Business impact.
    pub business_impact: Option<String>,
    /// Follow-ups: task, owner, due.
    pub action_items: Vec<(String, String, String)>,
    /// Lessons learned.
    pub lessons: Option<String>,
}

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
static AI_ID: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used)]
    Regex::new(r"AI-(\d+)").expect("id pattern compiles")
});

/// Parses a whole log.
pub fn parse(text: &str) -> EventLog {
    let mut log = EventLog::default();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.trim_start().starts_with("###") && !line.trim_start().starts_with("####") {
            let end = (i + 1..lines.len())
                .find(|&j| is_section_heading(lines[j]))
                .unwrap_or(lines.len());
            log.events.push(parse_entry(&lines[i..end]));
            i = end;
        } else if line.trim().eq_ignore_ascii_case(ACTION_ITEMS_HEADING) {
            let end = (i + 1..lines.len())
                .find(|&j| is_section_heading(lines[j]))
                .unwrap_or(lines.len());
            log.action_items
                .extend(lines[i + 1..end].iter().filter_map(|l| table_row(l)));
            i = end;
        } else {
            i += 1;
        }
    }
    log
}

fn is_section_heading(line: &str) -> bool {
    let trimmed = line.trim_start();
    (trimmed.starts_with("###") && !trimmed.starts_with("####"))
        || (trimmed.starts_with("## ") || trimmed == "##")
        || (trimmed.starts_with("# ") && !trimmed.starts_with("##"))
}

fn parse_entry(lines: &[&str]) -> Event {
    let heading = lines.first().copied().unwrap_or_default().trim();
    let (date, event_type, title) = match HEADING.captures(heading) {
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
    };
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in &lines[1..] {
        if let Some(c) = FIELD.captures(line) {
            fields.push((c[1].trim().to_string(), c[2].trim().to_string()));
        } else if let Some((_, value)) = fields.last_mut() {
            if !line.trim().is_empty() {
                if !value.is_empty() {
                    value.push('\n');
                }
                value.push_str(line.trim_end());
            }
        }
    }
    let field = |names: &[&str]| {
        fields
            .iter()
            .find(|(name, _)| names.iter().any(|n| name.eq_ignore_ascii_case(n)))
            .map(|(_, value)| value.as_str())
    };
    let category = field(&["Work Category", "Category"]).and_then(WorkCategory::parse_lenient);
    let hours = field(&["Hours", "Duration", "Time Spent"]).and_then(parse_hours);
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

/// Hours from `2.5`, `2.5 h`, `2 hours`, `90 min`, `1h 30m`.
pub fn parse_hours(text: &str) -> Option<f64> {
    static PART: LazyLock<Regex> = LazyLock::new(|| {
        #[allow(clippy::expect_used)]
        Regex::new(r"(?i)(\d+(?:\.\d+)?)\s*(h(?:ours?|rs?)?|m(?:in(?:ute)?s?)?)?\b")
            .expect("hours pattern compiles")
    });
    let mut total = 0.0;
    let mut found = false;
    for c in PART.captures_iter(text) {
        let value: f64 = c[1].parse().ok()?;
        let minutes = c
            .get(2)
            .is_some_and(|unit| unit.as_str().to_ascii_lowercase().starts_with('m'));
        total += if minutes { value / 60.0 } else { value };
        found = true;
    }
    found.then_some(total)
}

fn table_row(line: &str) -> Option<ActionItem> {
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

fn format_hours(hours: f64) -> String {
    let rounded = (hours * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0} h")
    } else {
        format!("{rounded} h")
    }
}

/// The new entry's markdown, and the action items it adds (with their ids).
fn format_entry(event: &NewEvent, first_id: u32) -> (String, Vec<ActionItem>) {
    let mut out = format!(
        "### [{}] {}: {}\n",
        event.date,
        one_line(&event.event_type),
        one_line(&event.title)
    );
    let mut field = |name: &str, value: &str| {
        out.push_str(&format!("**{name}**: {}\n", one_line(value)));
    };
    if let Some(category) = event.category {
        field("Work Category", category.name());
    }
    if let Some(hours) = event.hours {
        field("Duration", &format_hours(hours));
    }
    if let Some(participants) = &event.participants {
        field("Participants", participants);
    }
    if let Some(context) = &event.context {
        field("Context/Why", context);
    }
    field("What Happened", &event.what_happened);
    if let Some(impact) = &event.business_impact {
        field("Business Impact", impact);
    }
    if !event.decisions.is_empty() {
        out.push_str("**Decisions Made**:\n");
        for decision in &event.decisions {
            out.push_str(&format!("- {}\n", one_line(decision)));
        }
    }
    let mut items = Vec::new();
    if !event.action_items.is_empty() {
        out.push_str("**Action Items**:\n");
        for (n, (task, owner, due)) in event.action_items.iter().enumerate() {
            let id = format!("AI-{:03}", first_id + n as u32);
            let (task, owner, due) = (one_line(task), one_line(owner), one_line(due));
            out.push_str(&format!(
                "- [ ] {id}: {task} - Owner: {owner} - Due: {due}\n"
            ));
            items.push(ActionItem {
                date: event.date.clone(),
                item: format!("{id}: {task}"),
                owner,
                due,
                status: "Open".into(),
            });
        }
    }
    if let Some(lessons) = &event.lessons {
        out.push_str(&format!("**Lessons Learned**: {}\n", one_line(lessons)));
    }
    (out, items)
}

/// The log with `event` inserted before the newest existing entry, and its
/// action items appended to the Open Action Items table. Every other byte of
/// `text` is kept as it was. Returns the new text and the ids assigned.
pub fn insert(text: &str, title_line: &str, event: &NewEvent) -> (String, Vec<String>) {
    let mut text = if text.trim().is_empty() {
        format!("{title_line}\n\n{ACTION_ITEMS_HEADING}\n\n{ACTION_ITEMS_HEADER}\n\n## Events\n")
    } else {
        text.to_string()
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let first_id = max_action_item_id(&text) + 1;
    let (entry, items) = format_entry(event, first_id);
    let ids = items
        .iter()
        .filter_map(|i| i.item.split(':').next().map(str::to_string))
        .collect();

    // The entry goes before the first entry heading, or after `## Events`, or at the end.
    let offsets = line_offsets(&text);
    let first_entry = offsets.iter().find(|(_, line)| {
        let t = line.trim_start();
        t.starts_with("###") && !t.starts_with("####")
    });
    let at = match first_entry {
        Some((offset, _)) => *offset,
        None => text.len(),
    };
    let separator = if at == text.len() && !text.ends_with("\n\n") {
        "\n"
    } else {
        ""
    };
    text.insert_str(at, &format!("{separator}{entry}\n"));

    if !items.is_empty() {
        text = add_action_items(&text, title_line, &items);
    }
    (text, ids)
}

fn line_offsets(text: &str) -> Vec<(usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n')
        .map(|line| {
            let start = offset;
            offset += line.len();
            (start, line)
        })
        .collect()
}

/// Appends rows after the last row of the Open Action Items table, creating the
/// section (after the title) when the log has none.
fn add_action_items(text: &str, title_line: &str, items: &[ActionItem]) -> String {
    let rows: String = items
        .iter()
        .map(|i| {
            format!(
                "| {} | {} | {} | {} | {} |\n",
                i.date, i.item, i.owner, i.due, i.status
            )
        })
        .collect();
    let offsets = line_offsets(text);
    let section = offsets
        .iter()
        .position(|(_, line)| line.trim().eq_ignore_ascii_case(ACTION_ITEMS_HEADING));
    let mut out = text.to_string();
    match section {
        Some(start) => {
            let end = offsets[start + 1..]
                .iter()
                .position(|(_, line)| is_section_heading(line))
                .map_or(offsets.len(), |p| start + 1 + p);
            let last_row = offsets[start + 1..end]
                .iter()
                .rposition(|(_, line)| line.trim_start().starts_with('|'))
                .map(|p| start + 1 + p);
            match last_row {
                Some(row) => {
                    let (offset, line) = offsets[row];
                    out.insert_str(offset + line.len(), &rows);
                }
                None => {
                    let (offset, line) = offsets[start];
                    out.insert_str(
                        offset + line.len(),
                        &format!("\n{ACTION_ITEMS_HEADER}\n{rows}"),
                    );
                }
            }
        }
        None => {
            // After the H1 (if the log starts with one), else at the top.
            let at = offsets
                .first()
                .filter(|(_, line)| line.starts_with("# "))
                .map_or(0, |(_, line)| line.len());
            let block = format!("\n{ACTION_ITEMS_HEADING}\n\n{ACTION_ITEMS_HEADER}\n{rows}\n");
            if at == 0 {
                out.insert_str(0, &format!("{title_line}\n{block}"));
            } else {
                out.insert_str(at, &block);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(title: &str) -> NewEvent {
        NewEvent {
            date: "2026-11-24".into(),
            event_type: "Workshop".into(),
            title: title.into(),
            category: Some(WorkCategory::Strategic),
            hours: Some(2.5),
            participants: Some("CEO, two PMs".into()),
            context: None,
            what_happened: "Ran a roadmap strategy session.\nIt went well.".into(),
            decisions: vec!["Cut the reporting revamp".into()],
            business_impact: Some("Two quarters of focus".into()),
            action_items: vec![(
                "Draft strategy brief".into(),
                "Me".into(),
                "2026-12-01".into(),
            )],
            lessons: None,
        }
    }

    const HAND_WRITTEN: &str = "# Event Log — Acme\n\nSome notes a person keeps at the top.\n\n\
## Open Action Items\n| Date | Action Item | Owner | Due | Status |\n|---|---|---|---|---|\n\
| 2026-11-01 | AI-007: Send pricing deck | Me | 2026-11-05 | Completed |\n\
| 2026-11-02 | AI-009: Book exec review | Dana | 2026-11-20 | Open |\n\n\
###  2026-11-10 —  Meeting :   Weekly sync with   Dana\n**Work Category:** tactical work\n\
**Duration**: 90 min\nWe mostly groomed the backlog.\n\nA second paragraph of prose.\n\
**Decisions Made**:\n- keep sprints at two weeks\n\n\
### [2026-11-03] [Decision]: Pick beachhead\n**Category**: Strategic\n**Hours**: 3\n\
- **What Happened**: long debate\n\n### A note without a date\nJust prose.\n";

    #[test]
    fn hand_edited_entries_parse_without_losing_anything() {
        let log = parse(HAND_WRITTEN);
        assert_eq!(log.events.len(), 3);
        let sync = &log.events[0];
        assert_eq!(sync.date.as_deref(), Some("2026-11-10"));
        assert_eq!(sync.event_type, "Meeting");
        assert_eq!(sync.title, "Weekly sync with   Dana");
        assert_eq!(sync.category, Some(WorkCategory::Tactical));
        assert_eq!(sync.hours, Some(1.5));
        assert!(
            sync.fields
                .iter()
                .any(|(_, v)| v.contains("A second paragraph of prose."))
        );
        let decision = &log.events[1];
        assert_eq!(decision.event_type, "Decision");
        assert_eq!(decision.category, Some(WorkCategory::Strategic));
        assert_eq!(decision.hours, Some(3.0));
        assert_eq!(log.events[2].date, None);
        assert_eq!(log.events[2].title, "A note without a date");
        // Every line of every entry is kept in its raw text.
        let raw: String = log.events.iter().map(|e| e.raw.clone() + "\n").collect();
        for line in HAND_WRITTEN.lines().skip_while(|l| !l.starts_with("###")) {
            assert!(raw.contains(line), "lost {line:?}");
        }
        assert_eq!(log.action_items.len(), 2);
        assert!(!log.action_items[0].is_open());
        assert!(log.action_items[1].is_open());
    }

    #[test]
    fn a_new_entry_goes_first_and_everything_else_is_kept() {
        let (text, ids) = insert(HAND_WRITTEN, "# Event Log: acme", &event("Roadmap session"));
        assert_eq!(ids, ["AI-010"]);
        let log = parse(&text);
        assert_eq!(log.events.len(), 4);
        assert_eq!(log.events[0].title, "Roadmap session");
        assert_eq!(log.events[0].hours, Some(2.5));
        assert_eq!(log.events[0].category, Some(WorkCategory::Strategic));
        // The old entries are byte-for-byte what they were.
        let old = parse(HAND_WRITTEN);
        assert_eq!(&log.events[1..], &old.events[..]);
        assert_eq!(log.action_items.len(), 3);
        assert_eq!(log.action_items[2].item, "AI-010: Draft strategy brief");
        // Nothing was removed: every original line is still there.
        for line in HAND_WRITTEN.lines() {
            assert!(text.contains(line), "lost {line:?}");
        }
    }

    #[test]
    fn an_empty_log_gets_the_conventional_layout() {
        let (text, ids) = insert("", "# Event Log: acme", &event("First"));
        assert_eq!(ids, ["AI-001"]);
        assert!(text.starts_with("# Event Log: acme\n\n## Open Action Items\n"));
        let log = parse(&text);
        assert_eq!(log.events.len(), 1);
        assert_eq!(log.action_items.len(), 1);
        let (text, _) = insert(&text, "# Event Log: acme", &event("Second"));
        let log = parse(&text);
        assert_eq!(
            log.events
                .iter()
                .map(|e| e.title.as_str())
                .collect::<Vec<_>>(),
            ["Second", "First"]
        );
        assert_eq!(log.action_items[1].item, "AI-002: Draft strategy brief");
    }

    #[test]
    fn model_text_cannot_forge_entries_fields_or_rows() {
        let mut forged = event("Real\n### [2020-01-01] Win: Fake");
        forged.what_happened = "ok\n**Work Category**: Tactical\n**Duration**: 100 h".into();
        forged.action_items = vec![("a | b".into(), "x\n| 2020 | AI-999 |".into(), "d".into())];
        let (text, _) = insert("", "# Event Log: acme", &forged);
        let log = parse(&text);
        assert_eq!(log.events.len(), 1);
        assert_eq!(log.events[0].category, Some(WorkCategory::Strategic));
        assert_eq!(log.events[0].hours, Some(2.5));
        assert_eq!(log.action_items.len(), 1);
    }

    #[test]
    fn hours_come_in_many_spellings() {
        assert_eq!(parse_hours("2.5"), Some(2.5));
        assert_eq!(parse_hours("2 hours"), Some(2.0));
        assert_eq!(parse_hours("45 min"), Some(0.75));
        assert_eq!(parse_hours("1h 30m"), Some(1.5));
        assert_eq!(parse_hours("all afternoon"), None);
    }
}
