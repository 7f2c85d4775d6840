//! `event-log.md`: parsing the entries fractional PMs keep (by hand or through
//! pmcoach) and inserting new ones newest first without touching the others.
//!
//! Entry heading: `### [YYYY-MM-DD] [Event Type]: [Title]`, then `**Field**: value`
//! lines. The parser is lenient (missing brackets, odd spacing, `**Field:**`,
//! prose between fields) and keeps every entry's raw text, so nothing a person
//! wrote is lost. An `## Open Action Items` table is kept alongside.

mod action_items;
mod category;
mod entry;
mod hours;
mod insert;
mod lines;
mod parse;

pub(in crate::workspace) use action_items::add_action_items;
pub use action_items::{ACTION_ITEMS_HEADING, ActionItem, max_action_item_id};
pub use category::WorkCategory;
pub use entry::{EVENT_TYPES, Event, EventLog, NewEvent};
pub use hours::parse_hours;
pub(in crate::workspace) use insert::empty_log;
pub use insert::{insert, insert_from};
pub use parse::parse;

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
            reported: None,
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
