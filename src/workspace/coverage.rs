//! How much of the contracted time the event log accounts for: logged
//! (categorized) hours against the contracted hours per week over the weeks the
//! log covers. A ratio computed from a small share of the PM's time says little,
//! so below [`TRUST_THRESHOLD_PCT`] it is flagged as too thin to trust.

use jiff::ToSpan;
use jiff::civil::Date;
use serde::Serialize;

use super::event_log::Event;

/// Below this share of contracted hours logged, the ratio is too thin to trust.
pub const TRUST_THRESHOLD_PCT: f64 = 50.0;

/// Logged hours against contracted hours.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// Contracted hours per week (customer-info's Hours per Week, or
    /// financials' Contracted Hours per Week).
    pub contracted_hours_per_week: f64,
    /// ISO weeks from the first to the last week with categorized hours.
    pub weeks: u32,
    /// `contracted_hours_per_week × weeks`.
    pub contracted_hours: f64,
    /// Categorized hours logged in those weeks.
    pub logged_hours: f64,
    /// `logged / contracted`, percent (one decimal).
    pub percent: f64,
    /// Whether the coverage reaches [`TRUST_THRESHOLD_PCT`].
    pub trustworthy: bool,
    /// One line saying all this, for people and the model.
    pub note: String,
}

/// The coverage of `events` against `per_week` contracted hours; `None` when
/// the contract's hours are unknown or no dated categorized hours are logged.
pub fn coverage(events: &[Event], per_week: Option<f64>) -> Option<Coverage> {
    let per_week = per_week.filter(|h| *h > 0.0)?;
    let dated: Vec<(Date, f64)> = events
        .iter()
        .filter(|e| e.category.is_some())
        .filter_map(|e| Some((e.date.as_deref()?.parse::<Date>().ok()?, e.hours?)))
        .collect();
    let first = dated.iter().map(|(d, _)| *d).min()?;
    let last = dated.iter().map(|(d, _)| *d).max()?;
    let weeks = weeks_spanned(first, last);
    let logged: f64 = dated.iter().map(|(_, h)| h).sum();
    let contracted = per_week * f64::from(weeks);
    let percent = round1(logged * 100.0 / contracted);
    let trustworthy = percent >= TRUST_THRESHOLD_PCT;
    let note = note(logged, contracted, weeks, per_week, percent, trustworthy);
    Some(Coverage {
        contracted_hours_per_week: per_week,
        weeks,
        contracted_hours: round1(contracted),
        logged_hours: round1(logged),
        percent,
        trustworthy,
        note,
    })
}

fn note(logged: f64, contracted: f64, weeks: u32, per_week: f64, pct: f64, ok: bool) -> String {
    let verdict = if ok {
        "enough to trust the ratio"
    } else {
        "too thin to trust the ratio: ask the PM what else they worked on before drawing conclusions"
    };
    format!(
        "Coverage: {} h logged of {} h contracted ({per_week} h/week × {weeks} week{}) = {pct}%, {verdict} (threshold {TRUST_THRESHOLD_PCT}%)",
        round1(logged),
        round1(contracted),
        if weeks == 1 { "" } else { "s" },
    )
}

/// ISO weeks from `first`'s week to `last`'s, both counted.
fn weeks_spanned(first: Date, last: Date) -> u32 {
    let monday = |d: Date| {
        let back = i64::from(d.weekday().to_monday_zero_offset());
        d.checked_sub(back.days()).unwrap_or(d)
    };
    let days = monday(first)
        .until(monday(last))
        .map_or(0, |span| span.get_days());
    u32::try_from(days / 7).unwrap_or(0) + 1
}

/// The first number in `text` (`20`, `20 h/week`, `about 15.5 hours`).
pub fn first_number(text: &str) -> Option<f64> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let rest = &text[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    rest[..end].trim_end_matches('.').parse().ok()
}

fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0 + 0.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::event_log::WorkCategory;

    fn event(date: &str, hours: f64) -> Event {
        Event {
            date: Some(date.into()),
            event_type: "Meeting".into(),
            title: "t".into(),
            category: Some(WorkCategory::Tactical),
            hours: Some(hours),
            fields: Vec::new(),
            raw: String::new(),
        }
    }

    #[test]
    fn eight_hours_over_three_weeks_of_twenty_is_too_thin() {
        let events = [
            event("2026-11-17", 3.0),
            event("2026-11-12", 2.0),
            event("2026-11-10", 2.0),
            event("2026-11-05", 1.0),
        ];
        let c = coverage(&events, Some(20.0)).expect("coverage");
        assert_eq!(
            (c.weeks, c.contracted_hours, c.logged_hours),
            (3, 60.0, 8.0)
        );
        assert_eq!(c.percent, 13.3);
        assert!(!c.trustworthy);
        assert!(c.note.contains("too thin"), "{}", c.note);
    }

    #[test]
    fn a_full_week_is_trusted_and_unknowns_give_none() {
        let events = [event("2026-11-23", 12.0), event("2026-11-29", 3.0)];
        let c = coverage(&events, Some(20.0)).expect("coverage");
        assert_eq!((c.weeks, c.percent), (1, 75.0));
        assert!(c.trustworthy);
        assert_eq!(coverage(&events, None), None);
        assert_eq!(coverage(&[], Some(20.0)), None);
    }

    #[test]
    fn numbers_are_read_from_prose() {
        assert_eq!(first_number("20"), Some(20.0));
        assert_eq!(first_number("about 15.5 h/week."), Some(15.5));
        assert_eq!(first_number("part time"), None);
    }
}
