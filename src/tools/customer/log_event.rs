//! `log_event`: what happened in an interaction, in the customer's event log.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;

use super::workspace_error;
use crate::tools::{Tool, ToolContext, ToolError, ToolOutput};
use crate::workspace::event_log::{NewEvent, WorkCategory};

/// Most hours one event may log.
const MAX_HOURS: f64 = 200.0;

/// Event types from the documentation convention.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[allow(missing_docs)]
pub enum EventType {
    Meeting,
    Call,
    Workshop,
    Decision,
    Delivery,
    Feedback,
    Escalation,
    Win,
    Update,
    Analysis,
    Planning,
    Onboarding,
    Review,
}

/// A follow-up to track.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionItemArgs {
    /// What needs doing.
    pub task: String,
    /// Who owns it.
    pub owner: String,
    /// When it is due (YYYY-MM-DD or words).
    pub due: String,
}

/// Arguments of `log_event`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogEventArgs {
    /// The PM's own words reporting the work, quoted exactly (3+ words).
    pub pm_report: String,
    /// The kind of event.
    pub event_type: EventType,
    /// A short title.
    pub title: String,
    /// How the time counts: Tactical (specs, tickets), Operational (meetings,
    /// process), Strategic (decisions, direction), Capability Building (coaching).
    #[serde(default)]
    pub work_category: Option<WorkCategory>,
    /// Hours the PM spent (0-200).
    #[serde(default)]
    pub hours: Option<f64>,
    /// YYYY-MM-DD; today when left out.
    #[serde(default)]
    pub date: Option<String>,
    /// Who took part.
    #[serde(default)]
    pub participants: Option<String>,
    /// Why it happened.
    #[serde(default)]
    pub context: Option<String>,
    /// What happened.
    pub what_happened: String,
    /// Decisions made.
    #[serde(default)]
    pub decisions: Vec<String>,
    /// The business impact.
    #[serde(default)]
    pub business_impact: Option<String>,
    /// Follow-ups; each gets an AI-NNN id and a row in Open Action Items.
    #[serde(default)]
    pub action_items: Vec<ActionItemArgs>,
    /// What was learned.
    #[serde(default)]
    pub lessons_learned: Option<String>,
}

/// The `log_event` tool.
#[derive(Debug, Default)]
pub struct LogEventTool;

#[async_trait]
impl Tool for LogEventTool {
    const NAME: &'static str = "log_event";
    type Args = LogEventArgs;

    fn description(&self) -> String {
        "Log client work the PM reports (meeting, workshop, deliverable, decision) with its \
         work category and hours, for the strategic vs tactical ratio. Never log this \
         conversation: it is coaching, not client work."
            .to_string()
    }

    async fn call(
        &self,
        context: ToolContext<'_>,
        args: LogEventArgs,
    ) -> Result<ToolOutput, ToolError> {
        let docs = context.customer_docs()?;
        if !context.user_words.contain(&args.pm_report) {
            return Err(ToolError::BadArguments(format!(
                "pm_report: {:?} is not what the PM said in this conversation; quote their own \
                 words (3 or more) reporting the client work. This coaching conversation is not \
                 client work: do not log it",
                args.pm_report
            )));
        }
        let event = new_event(args, context.today)?;
        let ids = docs.log_event(&event).await.map_err(workspace_error)?;
        let mut content = format!("Logged \"{}\" in the event log.", event.title);
        if !ids.is_empty() {
            content.push_str(&format!(" Action items: {}.", ids.join(", ")));
        }
        content.extend(super::evidence_from_event(docs, &event).await?);
        Ok(ToolOutput::answer(content))
    }
}

/// Checks the arguments the schema cannot (hours in range, a real date, text
/// that is not blank) and builds the entry.
fn new_event(args: LogEventArgs, today: jiff::civil::Date) -> Result<NewEvent, ToolError> {
    if let Some(hours) = args.hours
        && !(0.0..=MAX_HOURS).contains(&hours)
    {
        return Err(ToolError::BadArguments(format!(
            "hours must be between 0 and 200, got {hours}"
        )));
    }
    let date = match args.date {
        Some(date) => date
            .trim()
            .parse::<jiff::civil::Date>()
            .map_err(|_| ToolError::BadArguments(format!("date {date:?} is not YYYY-MM-DD")))?
            .to_string(),
        None => today.to_string(),
    };
    if args.title.trim().is_empty() || args.what_happened.trim().is_empty() {
        return Err(ToolError::BadArguments(
            "title and what_happened must not be empty".into(),
        ));
    }
    Ok(NewEvent {
        date,
        event_type: format!("{:?}", args.event_type),
        title: args.title,
        category: args.work_category,
        hours: args.hours,
        participants: args.participants,
        context: args.context,
        what_happened: args.what_happened,
        decisions: args.decisions,
        business_impact: args.business_impact,
        action_items: args
            .action_items
            .into_iter()
            .map(|a| (a.task, a.owner, a.due))
            .collect(),
        lessons: args.lessons_learned,
        reported: Some(args.pm_report),
    })
}
