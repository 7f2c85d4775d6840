//! Grading the event log: the turn logged an event of the expected category, type, title.

use super::Check;
use crate::eval::case::EventExpect;
use crate::workspace::event_log::Event;

/// That one of `events` (those the turn added) matches every part of the
/// expectation that is given.
pub(super) fn grade_event(turn: usize, expect: &EventExpect, events: &[Event]) -> Check {
    let logged: Vec<String> = events
        .iter()
        .map(|e| {
            format!(
                "{}: {} ({:?})",
                e.event_type,
                e.title,
                e.category.map(|c| c.name())
            )
        })
        .collect();
    Check::new(
        format!("turn {turn}: logged an event with {}", described(expect)),
        events.iter().any(|event| matches(expect, event)),
        format!("events logged: {logged:?}"),
    )
}

/// The parts of the expectation that are given, in words.
fn described(expect: &EventExpect) -> String {
    let mut what = Vec::new();
    if let Some(c) = &expect.category {
        what.push(format!("category {c}"));
    }
    if let Some(t) = &expect.event_type {
        what.push(format!("type {t}"));
    }
    if let Some(t) = &expect.title_contains {
        what.push(format!("title ~ {t:?}"));
    }
    what.join(", ")
}

/// Whether `event` has the expected category and type (ignoring case) and its
/// title contains the expected text (ignoring case).
fn matches(expect: &EventExpect, event: &Event) -> bool {
    let category = expect.category.as_ref().is_none_or(|c| {
        event
            .category
            .is_some_and(|ec| ec.name().eq_ignore_ascii_case(c))
    });
    let event_type = expect
        .event_type
        .as_ref()
        .is_none_or(|t| event.event_type.eq_ignore_ascii_case(t));
    let title = expect
        .title_contains
        .as_ref()
        .is_none_or(|t| event.title.to_lowercase().contains(&t.to_lowercase()));
    category && event_type && title
}
