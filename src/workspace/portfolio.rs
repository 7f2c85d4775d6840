//! The PM's whole practice at a glance: per customer, the strategic ratio
//! and its coverage, the latest Value Ladder level, the renewal date, open
//! and overdue action items, and the evidence recorded.

use serde::Serialize;

use super::reminders::{ReminderKind, action_item_reminders};
use super::{CustomerId, Workspace, WorkspaceError, coverage, info, metrics};

/// One customer's line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PortfolioRow {
    /// Customer id.
    pub id: CustomerId,
    /// Customer Name from customer-info.md, when recorded.
    pub name: Option<String>,
    /// Strategic + Capability Building share of logged hours, percent
    /// (none without categorized hours).
    pub strategic_pct: Option<f64>,
    /// Categorized hours logged.
    pub logged_hours: f64,
    /// Logged against contracted hours, percent, when the contract's hours
    /// per week are known.
    pub coverage_pct: Option<f64>,
    /// Whether that coverage is enough to trust the ratio (none when unknown).
    pub ratio_trustworthy: Option<bool>,
    /// The latest Value Ladder level in positioning.md.
    pub ladder_level: Option<String>,
    /// The `Renewal Date` fact (customer-info.md or financials.md), when recorded.
    pub renewal_date: Option<String>,
    /// Open action items (`action-items.md`).
    pub open_action_items: usize,
    /// Open action items past their due date, by the server's clock.
    pub overdue_action_items: usize,
    /// Rows in evidence.md.
    pub evidence: usize,
}

impl Workspace {
    /// Every customer `allowed` lets through, by id.
    pub fn portfolio(
        &self,
        allowed: impl Fn(&CustomerId) -> bool,
    ) -> Result<Vec<PortfolioRow>, WorkspaceError> {
        self.customers()?
            .into_iter()
            .filter(|id| allowed(id))
            .map(|id| self.portfolio_row(id))
            .collect()
    }

    fn portfolio_row(&self, id: CustomerId) -> Result<PortfolioRow, WorkspaceError> {
        let facts = info::facts(&self.info(&id)?);
        let fact = |wanted: &str| {
            facts
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
                .map(|(_, value)| value.clone())
        };
        let log = self.event_log(&id)?;
        let overall = metrics::summarize(&log.events).overall;
        let engagement = self.engagement_facts(&id)?;
        let coverage = coverage::coverage(&log.events, engagement.hours_per_week());
        let items = self.action_items(&id)?;
        let overdue = action_item_reminders(&items, self.clock().today())
            .iter()
            .filter(|r| r.kind == ReminderKind::ActionItemOverdue)
            .count();
        Ok(PortfolioRow {
            name: fact("Customer Name"),
            strategic_pct: (overall.total_hours > 0.0).then_some(overall.strategic_pct),
            logged_hours: overall.total_hours,
            coverage_pct: coverage.as_ref().map(|c| c.percent),
            ratio_trustworthy: coverage.as_ref().map(|c| c.trustworthy),
            ladder_level: self.positioning(&id)?.current_level,
            renewal_date: engagement
                .renewal_date()
                .map(|date| date.to_string())
                .or_else(|| fact("Renewal Date")),
            open_action_items: self
                .action_items(&id)?
                .iter()
                .filter(|i| i.is_open())
                .count(),
            overdue_action_items: overdue,
            evidence: self.evidence(&id)?.len(),
            id,
        })
    }
}
