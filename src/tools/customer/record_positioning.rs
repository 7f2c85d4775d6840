//! `record_positioning`: the Value Ladder level the PM is at now, with its
//! date, evidence and rate, in the customer's positioning history.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;

use super::dates::{date_or_today, require_text};
use super::workspace_error;
use crate::tools::{Tool, ToolContext, ToolError, ToolOutput};
use crate::workspace::positioning::{Positioning, PositioningEntry};

/// The Value Ladder's levels.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[allow(missing_docs)]
pub enum LadderLevel {
    #[serde(rename = "Staff Aug")]
    StaffAug,
    #[serde(rename = "Expert Executor")]
    ExpertExecutor,
    #[serde(rename = "Strategic Advisor")]
    StrategicAdvisor,
    #[serde(rename = "Transformation Partner")]
    TransformationPartner,
}

impl LadderLevel {
    /// The level's name.
    pub fn name(self) -> &'static str {
        match self {
            LadderLevel::StaffAug => "Staff Aug",
            LadderLevel::ExpertExecutor => "Expert Executor",
            LadderLevel::StrategicAdvisor => "Strategic Advisor",
            LadderLevel::TransformationPartner => "Transformation Partner",
        }
    }
}

/// Arguments of `record_positioning`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordPositioningArgs {
    /// The level now.
    pub level: LadderLevel,
    /// What shows it.
    pub evidence: String,
    /// The rate now, e.g. "$150/hour" (default: the recorded rate).
    #[serde(default)]
    pub rate: Option<String>,
    /// YYYY-MM-DD (default today).
    #[serde(default)]
    pub date: Option<String>,
}

/// The `record_positioning` tool.
#[derive(Debug, Default)]
pub struct RecordPositioningTool;

#[async_trait]
impl Tool for RecordPositioningTool {
    const NAME: &'static str = "record_positioning";
    type Args = RecordPositioningArgs;

    fn description(&self) -> String {
        "Record the PM's Value Ladder level now, with evidence and rate, in the customer's \
         positioning history (an Engagement Value Assessment records it itself)."
            .to_string()
    }

    async fn call(
        &self,
        context: ToolContext<'_>,
        args: RecordPositioningArgs,
    ) -> Result<ToolOutput, ToolError> {
        let docs = context.customer_docs()?;
        require_text(&[("evidence", &args.evidence)])?;
        let rate = match args.rate.filter(|r| !r.trim().is_empty()) {
            Some(rate) => rate,
            None => docs
                .rate_fact()
                .map_err(workspace_error)?
                .map(|(rate, _)| rate)
                .unwrap_or_default(),
        };
        let entry = PositioningEntry {
            date: date_or_today(args.date.as_deref(), context.today)?,
            level: args.level.name().to_string(),
            evidence: args.evidence,
            rate,
        };
        let said = format!(
            "Recorded {} on {} in the positioning history.",
            entry.level, entry.date
        );
        docs.record_positioning(entry)
            .await
            .map_err(workspace_error)?;
        let positioning = docs.positioning().map_err(workspace_error)?;
        Ok(ToolOutput::answer(format!(
            "{said}{}",
            implied(&positioning)
        )))
    }
}

/// ` From $150/h as Expert Executor: Strategic Advisor (2-3x) implies ...`, or nothing.
pub(crate) fn implied(positioning: &Positioning) -> String {
    match (&positioning.current_level, &positioning.rate) {
        (Some(level), Some(rate)) if !positioning.next_levels.is_empty() => format!(
            " From {rate} as {level}: {}.",
            positioning
                .next_levels
                .iter()
                .map(|n| format!("{} ({}) implies {}", n.level, n.multiplier, n.range))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        _ => String::new(),
    }
}
