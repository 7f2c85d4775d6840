//! Engagement metrics from the event log: hours per work category, per ISO week
//! and overall, and the strategic vs tactical ratio that shows how the
//! engagement's positioning evolves.

use std::collections::BTreeMap;

use serde::Serialize;

use super::coverage::Coverage;
use super::event_log::{Event, WorkCategory};
use super::sessions_held::CoachingSessions;

/// Hours per category and the shares they make.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Allocation {
    /// Categorized hours.
    pub total_hours: f64,
    /// Hours per category, keyed by `tactical`, `operational`, `strategic`,
    /// `capability_building`.
    pub hours: BTreeMap<&'static str, f64>,
    /// Percent of hours per category (one decimal).
    pub percent: BTreeMap<&'static str, f64>,
    /// Strategic + Capability Building share, percent.
    pub strategic_pct: f64,
    /// Tactical + Operational share, percent.
    pub tactical_pct: f64,
}

/// One ISO week's allocation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Week {
    /// `YYYY-Www`.
    pub week: String,
    /// That week's hours and shares.
    #[serde(flatten)]
    pub allocation: Allocation,
}

/// The engagement summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Engagement {
    /// All entries in the log.
    pub events: usize,
    /// Entries with both a category and hours (the ones counted).
    pub categorized_events: usize,
    /// Over the whole log.
    pub overall: Allocation,
    /// Per ISO week, oldest first.
    pub weeks: Vec<Week>,
    /// Logged hours against contracted hours, when the contract's hours are known.
    pub coverage: Option<Coverage>,
    /// The PM's conversations with the coach (from the session transcripts):
    /// coaching, not client work, so never in the ratio.
    pub coaching_sessions: Option<CoachingSessions>,
}

/// Rounds to one decimal. Adding 0.0 turns the -0.0 that an empty f64 sum
/// gives into 0.0, so no "-0%" reaches a prompt or a report.
fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0 + 0.0
}

fn allocation(hours: &BTreeMap<WorkCategory, f64>) -> Allocation {
    let total: f64 = hours.values().sum();
    let share = |categories: &[WorkCategory]| {
        if total > 0.0 {
            round1(categories.iter().filter_map(|c| hours.get(c)).sum::<f64>() * 100.0 / total)
        } else {
            0.0
        }
    };
    Allocation {
        total_hours: round1(total),
        hours: WorkCategory::ALL
            .iter()
            .map(|c| (c.key(), round1(hours.get(c).copied().unwrap_or(0.0))))
            .collect(),
        percent: WorkCategory::ALL
            .iter()
            .map(|c| (c.key(), share(&[*c])))
            .collect(),
        strategic_pct: share(&[WorkCategory::Strategic, WorkCategory::CapabilityBuilding]),
        tactical_pct: share(&[WorkCategory::Tactical, WorkCategory::Operational]),
    }
}

/// Computes the summary from parsed entries.
pub fn summarize(events: &[Event]) -> Engagement {
    let mut overall: BTreeMap<WorkCategory, f64> = BTreeMap::new();
    let mut weekly: BTreeMap<String, BTreeMap<WorkCategory, f64>> = BTreeMap::new();
    let mut counted = 0;
    for event in events {
        let (Some(category), Some(hours)) = (event.category, event.hours) else {
            continue;
        };
        counted += 1;
        *overall.entry(category).or_default() += hours;
        let week = event
            .date
            .as_deref()
            .and_then(|d| d.parse::<jiff::civil::Date>().ok())
            .map(|d| {
                let iso = d.iso_week_date();
                format!("{:04}-W{:02}", iso.year(), iso.week())
            })
            .unwrap_or_else(|| "undated".to_string());
        *weekly.entry(week).or_default().entry(category).or_default() += hours;
    }
    Engagement {
        events: events.len(),
        categorized_events: counted,
        overall: allocation(&overall),
        weeks: weekly
            .iter()
            .map(|(week, hours)| Week {
                week: week.clone(),
                allocation: allocation(hours),
            })
            .collect(),
        coverage: None,
        coaching_sessions: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(date: &str, category: Option<WorkCategory>, hours: Option<f64>) -> Event {
        Event {
            date: Some(date.into()),
            event_type: "Meeting".into(),
            title: "t".into(),
            category,
            hours,
            fields: Vec::new(),
            raw: String::new(),
        }
    }

    #[test]
    fn ratio_per_week_and_overall() {
        let events = [
            event("2026-11-23", Some(WorkCategory::Strategic), Some(3.0)),
            event("2026-11-24", Some(WorkCategory::Tactical), Some(1.0)),
            event("2026-11-17", Some(WorkCategory::Tactical), Some(6.0)),
            event(
                "2026-11-18",
                Some(WorkCategory::CapabilityBuilding),
                Some(2.0),
            ),
            event("2026-11-18", None, Some(5.0)),
            event("2026-11-18", Some(WorkCategory::Operational), None),
        ];
        let summary = summarize(&events);
        assert_eq!(summary.events, 6);
        assert_eq!(summary.categorized_events, 4);
        assert_eq!(summary.overall.total_hours, 12.0);
        assert_eq!(summary.overall.strategic_pct, 41.7);
        assert_eq!(summary.overall.tactical_pct, 58.3);
        assert_eq!(summary.overall.percent["tactical"], 58.3);
        let weeks: Vec<(&str, f64)> = summary
            .weeks
            .iter()
            .map(|w| (w.week.as_str(), w.allocation.strategic_pct))
            .collect();
        assert_eq!(weeks, [("2026-W47", 25.0), ("2026-W48", 75.0)]);
    }

    #[test]
    fn an_empty_log_has_zero_shares() {
        let summary = summarize(&[]);
        assert_eq!(summary.overall.total_hours, 0.0);
        assert!(summary.overall.total_hours.is_sign_positive());
        let week = summarize(&[event("2026-11-23", Some(WorkCategory::Tactical), Some(1.0))]);
        let strategic = week.weeks[0].allocation.strategic_pct;
        assert!(strategic == 0.0 && strategic.is_sign_positive(), "no -0.0");
        assert_eq!(format!("{strategic}"), "0");
        assert_eq!(summary.overall.strategic_pct, 0.0);
        assert!(summary.weeks.is_empty());
    }
}
