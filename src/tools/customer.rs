//! Tools that write after an interaction (and read the numbers back): they act on
//! the turn's customer only, which our code fixed from the request; nothing the
//! model passes names a customer or a path.

use std::sync::Arc;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::{ArgsSchema, Tool, ToolContext, ToolDefinition, ToolError, ToolOutput};
use crate::workspace::event_log::{NewEvent, WorkCategory};
use crate::workspace::info::{ClientPm, Fact};
use crate::workspace::{CustomerId, Workspace};

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

/// How a client PM works today.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[allow(missing_docs)]
pub enum PmLevel {
    Tactical,
    Strategic,
}

/// A client PM.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientPmArgs {
    /// Name (rows are matched by name).
    pub name: String,
    /// Role or title.
    #[serde(default)]
    pub role: Option<String>,
    /// Tactical or Strategic.
    #[serde(default)]
    pub level: Option<PmLevel>,
}

/// Arguments of `update_customer_info`: only what changed.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomerInfoArgs {
    /// The client's display name.
    #[serde(default)]
    pub customer_name: Option<String>,
    /// Current scope of the engagement.
    #[serde(default)]
    pub engagement_scope: Option<String>,
    /// Hours per week.
    #[serde(default)]
    pub hours_per_week: Option<f64>,
    /// Rate ($/hour or $/month, and how it is set).
    #[serde(default)]
    pub rate: Option<String>,
    /// What the client expects of the PM.
    #[serde(default)]
    pub client_expectations: Option<String>,
    /// The client's PMs and their strategic capability.
    #[serde(default)]
    pub client_pms: Vec<ClientPmArgs>,
    /// How sophisticated their product practice is.
    #[serde(default)]
    pub product_maturity: Option<String>,
    /// Trust level and openness to change.
    #[serde(default)]
    pub relationship_health: Option<String>,
    /// Where the PM could add more value.
    #[serde(default)]
    pub strategic_opportunities: Option<String>,
}

/// Arguments of `engagement_summary`: none.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EngagementSummaryArgs {}

fn customer_of(context: &ToolContext<'_>) -> Result<CustomerId, ToolError> {
    let customer = context
        .customer
        .ok_or_else(|| ToolError::Failed("no customer is set for this conversation".into()))?;
    Ok(customer.clone())
}

fn workspace_error(err: crate::workspace::WorkspaceError) -> ToolError {
    tracing::error!(error = %err, "workspace write failed");
    ToolError::Failed(format!(
        "the customer's documents could not be fully updated ({err}); files already written stay \
         intact. Tell the user what was not recorded"
    ))
}

macro_rules! typed_tool {
    ($tool:ident, $args:ty, $name:literal, $description:expr) => {
        #[doc = concat!("The `", $name, "` tool.")]
        #[derive(Debug)]
        pub struct $tool {
            definition: ToolDefinition,
            args: ArgsSchema<$args>,
        }

        impl $tool {
            /// Builds the tool with its derived schema.
            pub fn new() -> Result<Self, String> {
                let args = ArgsSchema::<$args>::derive()?;
                Ok(Self {
                    definition: ToolDefinition {
                        name: $name.to_string(),
                        description: $description.to_string(),
                        parameters: args.json().clone(),
                    },
                    args,
                })
            }
        }
    };
}

typed_tool!(
    LogEventTool,
    LogEventArgs,
    "log_event",
    "Record what happened in this interaction in the customer's event log (newest first), with \
     its work category and hours so the strategic vs tactical ratio stays true. Log every \
     strategic contribution: it is the PM's rate justification."
);
typed_tool!(
    UpdateCustomerInfoTool,
    UpdateCustomerInfoArgs,
    "update_customer_info",
    "Record engagement facts the user told you (scope, hours, rate, expectations, client PMs \
     and their level, product maturity, relationship health, opportunities) in \
     customer-info.md. Send only what changed; earlier values are kept in the event log."
);
typed_tool!(
    EngagementSummaryTool,
    EngagementSummaryArgs,
    "engagement_summary",
    "Hours per work category and the strategic vs tactical ratio, per week and overall, from \
     the customer's event log, plus open action items. Use it for evidence and for the \
     Engagement Value Assessment's Time Allocation Review."
);

fn workspace<'a>(context: &ToolContext<'a>) -> &'a Arc<Workspace> {
    context.agent.workspace()
}

#[async_trait]
impl Tool for LogEventTool {
    fn definition(&self) -> &ToolDefinition {
        &self.definition
    }

    async fn call(
        &self,
        context: ToolContext<'_>,
        arguments: &str,
    ) -> Result<ToolOutput, ToolError> {
        let args = self.args.parse(arguments)?;
        let customer = customer_of(&context)?;
        if let Some(hours) = args.hours {
            if !(0.0..=200.0).contains(&hours) {
                return Err(ToolError::BadArguments(format!(
                    "hours must be between 0 and 200, got {hours}"
                )));
            }
        }
        let date = match args.date {
            Some(date) => date
                .trim()
                .parse::<jiff::civil::Date>()
                .map_err(|_| ToolError::BadArguments(format!("date {date:?} is not YYYY-MM-DD")))?
                .to_string(),
            None => crate::templates::today(),
        };
        if args.title.trim().is_empty() || args.what_happened.trim().is_empty() {
            return Err(ToolError::BadArguments(
                "title and what_happened must not be empty".into(),
            ));
        }
        let event = NewEvent {
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
        };
        let ids = workspace(&context)
            .log_event(&customer, &event)
            .await
            .map_err(workspace_error)?;
        let mut content = format!("Logged \"{}\" in the event log.", event.title);
        if !ids.is_empty() {
            content.push_str(&format!(" Action items: {}.", ids.join(", ")));
        }
        Ok(ToolOutput {
            content,
            ..ToolOutput::default()
        })
    }
}

#[async_trait]
impl Tool for UpdateCustomerInfoTool {
    fn definition(&self) -> &ToolDefinition {
        &self.definition
    }

    async fn call(
        &self,
        context: ToolContext<'_>,
        arguments: &str,
    ) -> Result<ToolOutput, ToolError> {
        let args = self.args.parse(arguments)?;
        let customer = customer_of(&context)?;
        let mut facts = Vec::new();
        let mut fact = |section: &'static str, name: &'static str, value: Option<String>| {
            if let Some(value) = value.filter(|v| !v.trim().is_empty()) {
                facts.push(Fact {
                    section,
                    name,
                    value,
                });
            }
        };
        fact("## Engagement", "Customer Name", args.customer_name);
        fact("## Engagement", "Engagement Scope", args.engagement_scope);
        fact(
            "## Engagement",
            "Hours per Week",
            args.hours_per_week.map(|h| h.to_string()),
        );
        fact("## Engagement", "Rate", args.rate);
        fact(
            "## Engagement",
            "Client Expectations",
            args.client_expectations,
        );
        fact("## Context", "Product Maturity", args.product_maturity);
        fact(
            "## Context",
            "Relationship Health",
            args.relationship_health,
        );
        fact(
            "## Context",
            "Strategic Opportunities",
            args.strategic_opportunities,
        );
        let pms: Vec<ClientPm> = args
            .client_pms
            .into_iter()
            .filter(|pm| !pm.name.trim().is_empty())
            .map(|pm| ClientPm {
                name: pm.name,
                role: pm.role.unwrap_or_default(),
                level: pm.level.map(|l| format!("{l:?}")).unwrap_or_default(),
            })
            .collect();
        if facts.is_empty() && pms.is_empty() {
            return Err(ToolError::BadArguments(
                "nothing to update: pass at least one field".into(),
            ));
        }
        let changes = workspace(&context)
            .update_info(&customer, &facts, &pms)
            .await
            .map_err(workspace_error)?;
        let content = if changes.is_empty() {
            "customer-info.md already had these values; nothing changed.".to_string()
        } else {
            format!("Updated customer-info.md: {}.", changes.join("; "))
        };
        Ok(ToolOutput {
            content,
            ..ToolOutput::default()
        })
    }
}

#[async_trait]
impl Tool for EngagementSummaryTool {
    fn definition(&self) -> &ToolDefinition {
        &self.definition
    }

    async fn call(
        &self,
        context: ToolContext<'_>,
        arguments: &str,
    ) -> Result<ToolOutput, ToolError> {
        self.args.parse(arguments)?;
        let customer = customer_of(&context)?;
        let workspace = workspace(&context);
        let (summary, log) = match (
            workspace.engagement(&customer),
            workspace.event_log(&customer),
        ) {
            (Ok(summary), Ok(log)) => (summary, log),
            (Err(err), _) | (_, Err(err)) => return Err(workspace_error(err)),
        };
        let open: Vec<_> = log.action_items.iter().filter(|i| i.is_open()).collect();
        let content = json!({
            "engagement": summary,
            "open_action_items": open,
        })
        .to_string();
        Ok(ToolOutput {
            content,
            ..ToolOutput::default()
        })
    }
}
