//! A client PM's progress as recorded in `client-pms/<slug>.md`: the Coaching
//! Plan's baseline indicators, each coaching session, graduation criteria met
//! over time, and the reminders that follow (the next session while coaching,
//! the monthly check-in once graduated).

use std::collections::BTreeMap;

use jiff::ToSpan;
use jiff::civil::Date;
use serde::Serialize;

/// The Coaching Plan's indicators: field name and column heading.
pub const INDICATORS: [(&str, &str); 4] = [
    ("starts_with_why", "Starts with Why"),
    ("connects_to_outcomes", "Connects to Outcomes"),
    ("thinks_beyond_sprint", "Thinks Beyond Sprint"),
    ("influences_upward", "Influences Upward"),
];

/// The Coaching Plan's graduation criteria (the templates' list).
pub use crate::templates::GRADUATION_CRITERIA;

/// Days from one coaching session to the next while the PM is being coached.
pub const SESSION_CADENCE_DAYS: i64 = 14;

/// What a row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PmRecordKind {
    /// Indicators when the Coaching Plan was written.
    Baseline,
    /// A coaching session.
    Session,
    /// The PM graduated to working on their own.
    Graduation,
}

impl PmRecordKind {
    /// The name in the file.
    pub fn name(self) -> &'static str {
        match self {
            PmRecordKind::Baseline => "Baseline",
            PmRecordKind::Session => "Session",
            PmRecordKind::Graduation => "Graduation",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Baseline, Self::Session, Self::Graduation]
            .into_iter()
            .find(|k| {
                text.trim()
                    .to_ascii_lowercase()
                    .starts_with(&k.name().to_ascii_lowercase())
            })
    }
}

/// One row of a client PM's file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PmRecord {
    /// YYYY-MM-DD.
    pub date: String,
    /// Baseline, session or graduation.
    pub kind: PmRecordKind,
    /// Indicator field name → Rarely, Sometimes or Usually (those observed).
    pub indicators: BTreeMap<String, String>,
    /// Graduation criteria met at this point.
    pub criteria_met: Vec<String>,
    /// Notes.
    pub notes: String,
}

impl PmRecord {
    /// The row's cells, in the file's column order.
    pub(super) fn cells(&self) -> Vec<String> {
        let mut cells = vec![self.date.clone(), self.kind.name().to_string()];
        for (key, _) in INDICATORS {
            cells.push(self.indicators.get(key).cloned().unwrap_or_default());
        }
        cells.push(self.criteria_met.join("; "));
        cells.push(self.notes.clone());
        cells
    }

    /// A row read back; `None` for rows without a known kind.
    pub(super) fn from_cells(cells: &[String]) -> Option<Self> {
        let cell = |i: usize| {
            cells
                .get(i)
                .map(|c| c.trim().to_string())
                .unwrap_or_default()
        };
        let kind = PmRecordKind::parse(&cell(1))?;
        let indicators = INDICATORS
            .iter()
            .enumerate()
            .map(|(i, (key, _))| (key.to_string(), cell(2 + i)))
            .filter(|(_, value)| !value.is_empty())
            .collect();
        let criteria_met = cell(6)
            .split(';')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
        Some(Self {
            date: cell(0),
            kind,
            indicators,
            criteria_met,
            notes: cell(7),
        })
    }
}

/// A criterion and the first date it was recorded as met.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriterionMet {
    /// The criterion.
    pub criterion: String,
    /// First recorded.
    pub since: String,
}

/// One client PM's progress.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PmProgress {
    /// The PM's name.
    pub name: String,
    /// Indicators at the first baseline.
    pub baseline: BTreeMap<String, String>,
    /// The latest value of each indicator.
    pub now: BTreeMap<String, String>,
    /// Coaching sessions held.
    pub sessions: usize,
    /// The latest session's date.
    pub last_session: Option<String>,
    /// Criteria met, in the order they were first met.
    pub criteria_met: Vec<CriterionMet>,
    /// When the PM graduated (all criteria met, or a graduation recorded).
    pub graduated: Option<String>,
    /// Every row, oldest first.
    pub records: Vec<PmRecord>,
}

/// The progress the rows (oldest first) show.
pub fn progress(name: &str, records: Vec<PmRecord>) -> PmProgress {
    let mut out = PmProgress {
        name: name.to_string(),
        baseline: BTreeMap::new(),
        now: BTreeMap::new(),
        sessions: 0,
        last_session: None,
        criteria_met: Vec::new(),
        graduated: None,
        records: Vec::new(),
    };
    for record in &records {
        if record.kind == PmRecordKind::Baseline && out.baseline.is_empty() {
            out.baseline.clone_from(&record.indicators);
        }
        out.now.extend(record.indicators.clone());
        if record.kind == PmRecordKind::Session {
            out.sessions += 1;
            out.last_session = Some(record.date.clone());
        }
        for criterion in &record.criteria_met {
            if !out
                .criteria_met
                .iter()
                .any(|c| c.criterion.eq_ignore_ascii_case(criterion))
            {
                out.criteria_met.push(CriterionMet {
                    criterion: criterion.clone(),
                    since: record.date.clone(),
                });
            }
        }
        let all_met = GRADUATION_CRITERIA.iter().all(|wanted| {
            out.criteria_met
                .iter()
                .any(|c| c.criterion.eq_ignore_ascii_case(wanted))
        });
        if out.graduated.is_none() && (record.kind == PmRecordKind::Graduation || all_met) {
            out.graduated = Some(record.date.clone());
        }
    }
    out.records = records;
    out
}

/// A reminder for the reminders list (the kinds the reminders code knows).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PmReminder {
    /// The client PM.
    pub pm: String,
    /// `CoachingSessionDue` or `GraduationCheckIn`.
    pub kind: &'static str,
    /// When, YYYY-MM-DD.
    pub date: String,
    /// What to do.
    pub text: String,
}

/// The PM's next reminder: a coaching session every
/// [`SESSION_CADENCE_DAYS`] after the last one (or the baseline) while being
/// coached; once graduated, a check-in a month after the latest of the
/// graduation and the last session.
pub fn next_reminder(progress: &PmProgress) -> Option<PmReminder> {
    let parse = |d: &str| d.parse::<Date>().ok();
    let last = progress
        .records
        .iter()
        .filter_map(|r| parse(&r.date))
        .max()?;
    let (kind, date, text) = match &progress.graduated {
        Some(_) => (
            "GraduationCheckIn",
            last.checked_add(1.month()).ok()?,
            format!(
                "Monthly strategic check-in with {} (graduated)",
                progress.name
            ),
        ),
        None => (
            "CoachingSessionDue",
            last.checked_add(SESSION_CADENCE_DAYS.days()).ok()?,
            format!(
                "Coaching session {} with {} is due",
                progress.sessions + 1,
                progress.name
            ),
        ),
    };
    Some(PmReminder {
        pm: progress.name.clone(),
        kind,
        date: date.to_string(),
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(date: &str, kind: PmRecordKind, why: &str, criteria: &[&str]) -> PmRecord {
        PmRecord {
            date: date.into(),
            kind,
            indicators: [("starts_with_why".to_string(), why.to_string())].into(),
            criteria_met: criteria.iter().map(|c| c.to_string()).collect(),
            notes: String::new(),
        }
    }

    #[test]
    fn progress_runs_from_baseline_to_now_and_reminds() {
        let rows = vec![
            record("2026-11-02", PmRecordKind::Baseline, "Rarely", &[]),
            record(
                "2026-11-16",
                PmRecordKind::Session,
                "Sometimes",
                &[GRADUATION_CRITERIA[0]],
            ),
        ];
        let p = progress("Dana", rows.clone());
        assert_eq!(p.baseline["starts_with_why"], "Rarely");
        assert_eq!(p.now["starts_with_why"], "Sometimes");
        assert_eq!(p.sessions, 1);
        assert_eq!(p.criteria_met[0].since, "2026-11-16");
        assert_eq!(p.graduated, None);
        let due = next_reminder(&p).expect("reminder");
        assert_eq!(
            (due.kind, due.date.as_str()),
            ("CoachingSessionDue", "2026-11-30")
        );
        for row in &rows {
            assert_eq!(PmRecord::from_cells(&row.cells()).as_ref(), Some(row));
        }
    }

    #[test]
    fn all_criteria_met_is_graduation_and_a_monthly_check_in_follows() {
        let rows = vec![
            record(
                "2026-10-01",
                PmRecordKind::Session,
                "Usually",
                &GRADUATION_CRITERIA[..3],
            ),
            record(
                "2026-10-15",
                PmRecordKind::Session,
                "Usually",
                &GRADUATION_CRITERIA[3..],
            ),
        ];
        let p = progress("Lee", rows);
        assert_eq!(p.graduated.as_deref(), Some("2026-10-15"));
        let check_in = next_reminder(&p).expect("reminder");
        assert_eq!(
            (check_in.kind, check_in.date.as_str()),
            ("GraduationCheckIn", "2026-11-15")
        );
        let told = progress(
            "Kim",
            vec![record("2026-10-01", PmRecordKind::Graduation, "", &[])],
        );
        assert_eq!(told.graduated.as_deref(), Some("2026-10-01"));
    }
}
