//! An event log's contents: the entries as parsed, the whole log, and a new
//! entry to record.

use serde::Serialize;

use super::{ActionItem, WorkCategory};

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
    /// The PM's words reporting the work, as quoted (client work only).
    pub reported: Option<String>,
}

impl NewEvent {
    /// A record the workspace writes about itself (a Delivery, an Update): a
    /// type, a title and what happened, nothing else.
    pub(in crate::workspace) fn note(
        date: String,
        event_type: &str,
        title: String,
        what_happened: String,
    ) -> Self {
        Self {
            date,
            event_type: event_type.into(),
            title,
            category: None,
            hours: None,
            participants: None,
            context: None,
            what_happened,
            decisions: Vec::new(),
            business_impact: None,
            action_items: Vec::new(),
            lessons: None,
            reported: None,
        }
    }
}
