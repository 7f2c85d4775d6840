//! The PM's whole practice at a glance: per customer, the strategic ratio,
//! the latest Value Ladder level, the renewal date, open action items and the
//! evidence recorded.

use serde::Serialize;

use super::{CustomerId, Workspace, WorkspaceError, info, metrics};

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
    /// The latest Value Ladder level in positioning.md.
    pub ladder_level: Option<String>,
    /// The `Renewal Date` fact, when recorded.
    pub renewal_date: Option<String>,
    /// Open rows of the action items table.
    pub open_action_items: usize,
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
        Ok(PortfolioRow {
            name: fact("Customer Name"),
            strategic_pct: (overall.total_hours > 0.0).then_some(overall.strategic_pct),
            logged_hours: overall.total_hours,
            ladder_level: self.positioning(&id)?.current_level,
            renewal_date: fact("Renewal Date"),
            open_action_items: log.action_items.iter().filter(|i| i.is_open()).count(),
            evidence: self.evidence(&id)?.len(),
            id,
        })
    }
}
