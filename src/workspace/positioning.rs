//! `positioning.md`: the Value Ladder level as assessed over time
//! ([Date|Level|Evidence|Rate]), and the rate range the next levels imply.

use std::sync::Arc;

use serde::Serialize;

use super::rate::{ImpliedRate, Rate, implied_rates};
use super::{CustomerId, INFO_FILE, Workspace, WorkspaceError, info, table_file};

/// The file, in the customer's folder.
pub const POSITIONING_FILE: &str = "positioning.md";
/// The financials the memory work keeps; its `Rate` fact is read when present.
const FINANCIALS_FILE: &str = "financials.md";
const HEADING: &str = "## Value Ladder History";
const HEADER: [&str; 4] = ["Date", "Level", "Evidence", "Rate"];

/// One assessed level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PositioningEntry {
    /// YYYY-MM-DD.
    pub date: String,
    /// The Value Ladder level.
    pub level: String,
    /// What it rests on.
    pub evidence: String,
    /// The rate at the time, as written (may be empty).
    pub rate: String,
}

/// The history and what the next levels imply.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Positioning {
    /// Oldest first, as in the file.
    pub history: Vec<PositioningEntry>,
    /// The latest level.
    pub current_level: Option<String>,
    /// The rate the implied ranges start from.
    pub rate: Option<String>,
    /// Where that rate comes from.
    pub rate_source: Option<String>,
    /// The rate range of each level above the current one.
    pub next_levels: Vec<ImpliedRate>,
}

impl Workspace {
    /// The customer's positioning history and implied rates.
    pub fn positioning(&self, customer: &CustomerId) -> Result<Positioning, WorkspaceError> {
        let text = self.read_optional(&self.file(customer, POSITIONING_FILE)?)?;
        let history: Vec<PositioningEntry> = table_file::rows(&text, HEADING, HEADER[0])
            .into_iter()
            .filter(|cells| cells.len() >= 2)
            .map(|cells| {
                let cell = |i: usize| cells.get(i).cloned().unwrap_or_default();
                PositioningEntry {
                    date: cell(0),
                    level: cell(1),
                    evidence: cell(2),
                    rate: cell(3),
                }
            })
            .collect();
        let current_level = history.last().map(|e| e.level.clone());
        let (rate, rate_source) = match self.current_rate(customer, &history)? {
            Some((rate, source)) => (Some(rate), Some(source)),
            None => (None, None),
        };
        let next_levels = match (&current_level, rate.as_deref().and_then(Rate::parse)) {
            (Some(level), Some(parsed)) => implied_rates(level, &parsed),
            _ => Vec::new(),
        };
        Ok(Positioning {
            history,
            current_level,
            rate,
            rate_source,
            next_levels,
        })
    }

    /// The rate to start from: the latest history row's, else a `Rate` fact
    /// in financials.md, else in customer-info.md.
    fn current_rate(
        &self,
        customer: &CustomerId,
        history: &[PositioningEntry],
    ) -> Result<Option<(String, String)>, WorkspaceError> {
        if let Some(entry) = history
            .iter()
            .rev()
            .find(|e| Rate::parse(&e.rate).is_some())
        {
            return Ok(Some((
                entry.rate.clone(),
                format!("{POSITIONING_FILE} ({})", entry.date),
            )));
        }
        self.rate_fact(customer)
    }

    /// The `Rate` fact of financials.md or customer-info.md, with the file's name.
    pub(super) fn rate_fact(
        &self,
        customer: &CustomerId,
    ) -> Result<Option<(String, String)>, WorkspaceError> {
        for name in [FINANCIALS_FILE, INFO_FILE] {
            let text = self.read_optional(&self.file(customer, name)?)?;
            let rate = info::facts(&text).into_iter().find(|(field, value)| {
                field.eq_ignore_ascii_case("Rate") && Rate::parse(value).is_some()
            });
            if let Some((_, value)) = rate {
                return Ok(Some((value, name.to_string())));
            }
        }
        Ok(None)
    }

    /// Appends an assessed level to positioning.md (making the folder and file
    /// on first use).
    pub async fn record_positioning(
        self: &Arc<Self>,
        customer: &CustomerId,
        entry: PositioningEntry,
    ) -> Result<(), WorkspaceError> {
        let id = customer.clone();
        self.locked(Some(customer), move |ws| {
            ws.ensure_customer_locked(&id)?;
            let path = ws.file(&id, POSITIONING_FILE)?;
            let text = ws.read_optional(&path)?;
            let title = format!(
                "# Positioning History: {id}\n\nThe Value Ladder level at each assessment, with its \
                 evidence and the rate at the time. pmcoach appends rows; edit freely."
            );
            let row = [entry.date, entry.level, entry.evidence, entry.rate];
            ws.write(&path, &table_file::append_row(&text, &title, HEADING, &HEADER, &row))
        })
        .await
    }
}
