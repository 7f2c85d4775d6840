//! `record_evidence`: a strategic contribution, its business impact and where
//! the evidence is, in the customer's evidence ledger. A logged event with a
//! business impact lands there too.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;

use super::dates::{date_or_today, require_text};
use super::workspace_error;
use crate::tools::{Tool, ToolContext, ToolError, ToolOutput};
use crate::workspace::CustomerDocs;
use crate::workspace::event_log::NewEvent;
use crate::workspace::evidence::EvidenceEntry;

/// Arguments of `record_evidence`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordEvidenceArgs {
    /// What the PM did.
    pub contribution: String,
    /// What it changed for the business.
    pub business_impact: String,
    /// Where it shows (document, decision, metric).
    pub evidence: String,
    /// YYYY-MM-DD (default today).
    #[serde(default)]
    pub date: Option<String>,
}

/// The `record_evidence` tool.
#[derive(Debug, Default)]
pub struct RecordEvidenceTool;

#[async_trait]
impl Tool for RecordEvidenceTool {
    const NAME: &'static str = "record_evidence";
    type Args = RecordEvidenceArgs;

    fn description(&self) -> String {
        "Record a strategic contribution, its business impact and its evidence in the \
         customer's evidence ledger (the rate justification)."
            .to_string()
    }

    async fn call(
        &self,
        context: ToolContext<'_>,
        args: RecordEvidenceArgs,
    ) -> Result<ToolOutput, ToolError> {
        let docs = context.customer_docs()?;
        require_text(&[
            ("contribution", &args.contribution),
            ("business_impact", &args.business_impact),
            ("evidence", &args.evidence),
        ])?;
        let entry = EvidenceEntry {
            date: date_or_today(args.date.as_deref(), context.today)?,
            contribution: args.contribution,
            business_impact: args.business_impact,
            evidence: args.evidence,
        };
        let contribution = entry.contribution.clone();
        docs.record_evidence(entry).await.map_err(workspace_error)?;
        let count = docs.evidence().map_or(0, |all| all.len());
        Ok(ToolOutput::answer(format!(
            "Recorded \"{contribution}\" in the evidence ledger ({count} contributions so far)."
        )))
    }
}

/// Records a logged event that names a business impact in the ledger: the
/// title as the contribution, the log entry as the evidence. Returns what
/// the model is told.
pub(crate) async fn evidence_from_event(
    docs: CustomerDocs<'_>,
    event: &NewEvent,
) -> Result<Option<String>, ToolError> {
    let Some(impact) = event
        .business_impact
        .as_deref()
        .filter(|i| !i.trim().is_empty())
    else {
        return Ok(None);
    };
    let entry = EvidenceEntry {
        date: event.date.clone(),
        contribution: event.title.clone(),
        business_impact: impact.to_string(),
        evidence: format!(
            "event-log.md: [{}] {}: {}",
            event.date, event.event_type, event.title
        ),
    };
    docs.record_evidence(entry).await.map_err(workspace_error)?;
    Ok(Some(
        " Its business impact is in the evidence ledger.".to_string(),
    ))
}
