//! `record_pm_session`: a coaching session with one of the client's PMs: the
//! indicators observed now, graduation criteria met, notes; or their
//! graduation. Kept per PM in `client-pms/<slug>.md`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::dates::{date_or_today, require_text};
use super::workspace_error;
use crate::tools::{Tool, ToolContext, ToolError, ToolOutput};
use crate::workspace::client_pm_progress::{PmRecord, PmRecordKind, next_reminder};

/// How often a behaviour shows.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[allow(missing_docs)]
pub enum Frequency {
    Rarely,
    Sometimes,
    Usually,
}

/// The indicators observed now.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorArgs {
    /// Asks why first.
    #[serde(default)]
    pub starts_with_why: Option<Frequency>,
    /// Ties work to outcomes.
    #[serde(default)]
    pub connects_to_outcomes: Option<Frequency>,
    /// Plans past the sprint.
    #[serde(default)]
    pub thinks_beyond_sprint: Option<Frequency>,
    /// Shapes leadership's views.
    #[serde(default)]
    pub influences_upward: Option<Frequency>,
}

impl IndicatorArgs {
    /// Field name → frequency, for those given.
    pub(crate) fn observed(&self) -> BTreeMap<String, String> {
        [
            ("starts_with_why", self.starts_with_why),
            ("connects_to_outcomes", self.connects_to_outcomes),
            ("thinks_beyond_sprint", self.thinks_beyond_sprint),
            ("influences_upward", self.influences_upward),
        ]
        .into_iter()
        .filter_map(|(key, value)| Some((key.to_string(), format!("{:?}", value?))))
        .collect()
    }
}

/// A graduation criterion.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[allow(missing_docs)]
pub enum Criterion {
    #[serde(rename = "Consistently frames work in business terms")]
    FramesInBusinessTerms,
    #[serde(rename = "Proactively questions strategic alignment")]
    QuestionsAlignment,
    #[serde(rename = "Communicates effectively to executives")]
    CommunicatesToExecutives,
    #[serde(rename = "Plans across time horizons")]
    PlansAcrossHorizons,
    #[serde(rename = "Coaches others on strategic thinking")]
    CoachesOthers,
}

impl Criterion {
    fn name(self) -> &'static str {
        use crate::workspace::client_pm_progress::GRADUATION_CRITERIA as C;
        match self {
            Criterion::FramesInBusinessTerms => C[0],
            Criterion::QuestionsAlignment => C[1],
            Criterion::CommunicatesToExecutives => C[2],
            Criterion::PlansAcrossHorizons => C[3],
            Criterion::CoachesOthers => C[4],
        }
    }
}

/// Arguments of `record_pm_session`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordPmSessionArgs {
    /// The client PM's name.
    pub pm_name: String,
    /// YYYY-MM-DD (default today).
    #[serde(default)]
    pub date: Option<String>,
    /// Indicators now.
    #[serde(default)]
    pub indicators: IndicatorArgs,
    /// Criteria now met.
    #[serde(default)]
    pub criteria_met: Vec<Criterion>,
    /// They graduated.
    #[serde(default)]
    pub graduated: bool,
    /// Notes.
    #[serde(default)]
    pub notes: Option<String>,
}

/// The `record_pm_session` tool.
#[derive(Debug, Default)]
pub struct RecordPmSessionTool;

#[async_trait]
impl Tool for RecordPmSessionTool {
    const NAME: &'static str = "record_pm_session";
    type Args = RecordPmSessionArgs;

    fn description(&self) -> String {
        "Record a coaching session with a client PM: indicators now, graduation criteria met, \
         notes; or graduated once they work on their own."
            .to_string()
    }

    async fn call(
        &self,
        context: ToolContext<'_>,
        args: RecordPmSessionArgs,
    ) -> Result<ToolOutput, ToolError> {
        let docs = context.customer_docs()?;
        require_text(&[("pm_name", &args.pm_name)])?;
        let record = PmRecord {
            date: date_or_today(args.date.as_deref(), context.today)?,
            kind: if args.graduated {
                PmRecordKind::Graduation
            } else {
                PmRecordKind::Session
            },
            indicators: args.indicators.observed(),
            criteria_met: args
                .criteria_met
                .iter()
                .map(|c| c.name().to_string())
                .collect(),
            notes: args.notes.unwrap_or_default(),
        };
        let progress = docs
            .record_client_pm(&args.pm_name, record)
            .await
            .map_err(workspace_error)?;
        let mut content = format!(
            "Recorded for {}: {} sessions held, {} of 5 graduation criteria met.",
            progress.name,
            progress.sessions,
            progress.criteria_met.len()
        );
        if let Some(date) = &progress.graduated {
            content.push_str(&format!(" Graduated {date}."));
        }
        if let Some(next) = next_reminder(&progress) {
            content.push_str(&format!(" Next: {} ({}).", next.text, next.date));
        }
        Ok(ToolOutput::answer(content))
    }
}
