//! The engagement-memory side of [`CustomerDocs`]: positioning, evidence and
//! client PM progress for the turn's customer only.

use super::client_pm_progress::{PmProgress, PmRecord};
use super::evidence::EvidenceEntry;
use super::positioning::{Positioning, PositioningEntry};
use super::{CustomerDocs, WorkspaceError};

impl CustomerDocs<'_> {
    /// The positioning history and implied rates.
    pub fn positioning(&self) -> Result<Positioning, WorkspaceError> {
        self.workspace.positioning(self.customer)
    }

    /// Records an assessed Value Ladder level.
    pub async fn record_positioning(&self, entry: PositioningEntry) -> Result<(), WorkspaceError> {
        self.check_writable()?;
        self.workspace
            .record_positioning(self.customer, entry)
            .await
    }

    /// The evidence ledger, oldest first.
    pub fn evidence(&self) -> Result<Vec<EvidenceEntry>, WorkspaceError> {
        self.workspace.evidence(self.customer)
    }

    /// Records a strategic contribution.
    pub async fn record_evidence(&self, entry: EvidenceEntry) -> Result<(), WorkspaceError> {
        self.check_writable()?;
        self.workspace.record_evidence(self.customer, entry).await
    }

    /// Records a client PM's baseline, session or graduation; returns their progress.
    pub async fn record_client_pm(
        &self,
        name: &str,
        record: PmRecord,
    ) -> Result<PmProgress, WorkspaceError> {
        self.check_writable()?;
        self.workspace
            .record_client_pm(self.customer, name, record)
            .await
    }

    /// The `Rate` fact of financials.md or customer-info.md, with the file's name.
    pub fn rate_fact(&self) -> Result<Option<(String, String)>, WorkspaceError> {
        self.workspace.rate_fact(self.customer)
    }
}
