//! `evidence.md`: the evidence ledger, one row per strategic contribution
//! ([Date|Contribution|Business Impact|Evidence]): the PM's rate justification.

use std::sync::Arc;

use serde::Serialize;

use super::{CustomerId, Workspace, WorkspaceError, table_file};

/// The file, in the customer's folder.
pub const EVIDENCE_FILE: &str = "evidence.md";
const HEADING: &str = "## Strategic Contributions";
const HEADER: [&str; 4] = ["Date", "Contribution", "Business Impact", "Evidence"];

/// One contribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceEntry {
    /// YYYY-MM-DD.
    pub date: String,
    /// What the PM did.
    pub contribution: String,
    /// What it changed for the business.
    pub business_impact: String,
    /// Where it can be seen (a document, a decision, a metric).
    pub evidence: String,
}

impl Workspace {
    /// The customer's evidence ledger, oldest first.
    pub fn evidence(&self, customer: &CustomerId) -> Result<Vec<EvidenceEntry>, WorkspaceError> {
        let text = self.read_optional(&self.file(customer, EVIDENCE_FILE)?)?;
        Ok(table_file::rows(&text, HEADING, HEADER[0])
            .into_iter()
            .filter(|cells| cells.len() >= 2)
            .map(|cells| {
                let cell = |i: usize| cells.get(i).cloned().unwrap_or_default();
                EvidenceEntry {
                    date: cell(0),
                    contribution: cell(1),
                    business_impact: cell(2),
                    evidence: cell(3),
                }
            })
            .collect())
    }

    /// Appends a contribution to evidence.md (making the folder and file on
    /// first use).
    pub async fn record_evidence(
        self: &Arc<Self>,
        customer: &CustomerId,
        entry: EvidenceEntry,
    ) -> Result<(), WorkspaceError> {
        let id = customer.clone();
        self.locked(Some(customer), move |ws| {
            ws.ensure_customer_locked(&id)?;
            let path = ws.file(&id, EVIDENCE_FILE)?;
            let text = ws.read_optional(&path)?;
            let title = format!(
                "# Evidence Ledger: {id}\n\nEvery strategic contribution with its business impact \
                 and where the evidence is: the case for the rate. pmcoach appends rows; edit freely."
            );
            let row = [
                entry.date,
                entry.contribution,
                entry.business_impact,
                entry.evidence,
            ];
            ws.write(&path, &table_file::append_row(&text, &title, HEADING, &HEADER, &row))
        })
        .await
    }
}
