//! The engagement-memory sections of a customer's context: positioning history
//! with the implied rates, the evidence ledger, and client PM progress.

use std::fmt::Write as _;

use super::client_pm_progress::{INDICATORS, PmProgress, next_reminder};
use super::evidence::EvidenceEntry;
use super::positioning::Positioning;
use super::{CustomerId, Workspace, WorkspaceError};

/// Evidence rows shown (the newest).
const EVIDENCE_SHOWN: usize = 5;

impl Workspace {
    /// The sections that have something to say, most important first.
    pub(super) fn memory_sections(
        &self,
        customer: &CustomerId,
    ) -> Result<Vec<String>, WorkspaceError> {
        let sections = [
            positioning_section(&self.positioning(customer)?),
            evidence_section(&self.evidence(customer)?),
            client_pms_section(&self.client_pms(customer)?),
        ];
        Ok(sections.into_iter().flatten().collect())
    }
}

/// The ladder history and the implied rates of the next levels.
fn positioning_section(positioning: &Positioning) -> Option<String> {
    if positioning.history.is_empty() {
        return None;
    }
    let mut out = String::from("### Positioning history (positioning.md, oldest first)\n");
    for entry in &positioning.history {
        let rate = if entry.rate.is_empty() {
            String::new()
        } else {
            format!(" at {}", entry.rate)
        };
        let _ = writeln!(
            out,
            "- {}: {}{rate} — {}",
            entry.date, entry.level, entry.evidence
        );
    }
    if let (Some(level), Some(rate)) = (&positioning.current_level, &positioning.rate) {
        let implied: Vec<String> = positioning
            .next_levels
            .iter()
            .map(|n| format!("{} ({}) implies {}", n.level, n.multiplier, n.range))
            .collect();
        if !implied.is_empty() {
            let _ = writeln!(out, "- From {rate} as {level}: {}", implied.join("; "));
        }
    }
    Some(out)
}

/// The ledger's size and its newest rows.
fn evidence_section(entries: &[EvidenceEntry]) -> Option<String> {
    if entries.is_empty() {
        return None;
    }
    let mut out = format!(
        "### Evidence ledger (evidence.md: {} strategic contributions, newest first)\n",
        entries.len()
    );
    for e in entries.iter().rev().take(EVIDENCE_SHOWN) {
        let _ = writeln!(
            out,
            "- {}: {} → {} (evidence: {})",
            e.date, e.contribution, e.business_impact, e.evidence
        );
    }
    Some(out)
}

/// Per client PM: sessions, indicators baseline → now, criteria, what is next.
fn client_pms_section(pms: &[PmProgress]) -> Option<String> {
    if pms.is_empty() {
        return None;
    }
    let mut out = String::from("### Client PM progress (client-pms/)\n");
    for pm in pms {
        let indicators: Vec<String> = INDICATORS
            .iter()
            .filter_map(|(key, heading)| {
                let now = pm.now.get(*key)?;
                let was = pm.baseline.get(*key).map_or("?", String::as_str);
                Some(format!("{heading} {was} → {now}"))
            })
            .collect();
        let status = match &pm.graduated {
            Some(date) => format!("graduated {date}"),
            None => format!("{} of 5 graduation criteria met", pm.criteria_met.len()),
        };
        let _ = writeln!(
            out,
            "- {}: {} sessions; {}; {status}",
            pm.name,
            pm.sessions,
            if indicators.is_empty() {
                "no indicators yet".to_string()
            } else {
                indicators.join(", ")
            }
        );
        if let Some(next) = next_reminder(pm) {
            let _ = writeln!(out, "  - next: {} ({})", next.text, next.date);
        }
    }
    Some(out)
}
