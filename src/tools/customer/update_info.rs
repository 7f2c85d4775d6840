//! `update_customer_info`: engagement facts the user told the coach, in
//! `customer-info.md`.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;

use super::workspace_error;
use crate::tools::{Tool, ToolContext, ToolError, ToolOutput};
use crate::workspace::info::{ClientPm, Fact};

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

/// The `update_customer_info` tool.
#[derive(Debug, Default)]
pub struct UpdateCustomerInfoTool;

#[async_trait]
impl Tool for UpdateCustomerInfoTool {
    const NAME: &'static str = "update_customer_info";
    type Args = UpdateCustomerInfoArgs;

    fn description(&self) -> String {
        "Record engagement facts the user told you (scope, hours, rate, expectations, client PMs \
         and their level, product maturity, relationship health, opportunities) in \
         customer-info.md. Send only what changed; earlier values are kept in the event log."
            .to_string()
    }

    async fn call(
        &self,
        context: ToolContext<'_>,
        args: UpdateCustomerInfoArgs,
    ) -> Result<ToolOutput, ToolError> {
        let docs = context.customer_docs()?;
        let pms = client_pms(&args);
        let facts = facts(args);
        if facts.is_empty() && pms.is_empty() {
            return Err(ToolError::BadArguments(
                "nothing to update: pass at least one field".into(),
            ));
        }
        let changes = docs
            .update_info(&facts, &pms)
            .await
            .map_err(workspace_error)?;
        Ok(ToolOutput::answer(if changes.is_empty() {
            "customer-info.md already had these values; nothing changed.".to_string()
        } else {
            format!("Updated customer-info.md: {}.", changes.join("; "))
        }))
    }
}

/// The facts given, each with the section and name it has in customer-info.md.
fn facts(args: UpdateCustomerInfoArgs) -> Vec<Fact> {
    let given = [
        ("## Engagement", "Customer Name", args.customer_name),
        ("## Engagement", "Engagement Scope", args.engagement_scope),
        (
            "## Engagement",
            "Hours per Week",
            args.hours_per_week.map(|h| h.to_string()),
        ),
        ("## Engagement", "Rate", args.rate),
        (
            "## Engagement",
            "Client Expectations",
            args.client_expectations,
        ),
        ("## Context", "Product Maturity", args.product_maturity),
        (
            "## Context",
            "Relationship Health",
            args.relationship_health,
        ),
        (
            "## Context",
            "Strategic Opportunities",
            args.strategic_opportunities,
        ),
    ];
    given
        .into_iter()
        .filter_map(|(section, name, value)| {
            let value = value.filter(|v| !v.trim().is_empty())?;
            Some(Fact {
                section,
                name,
                value,
            })
        })
        .collect()
}

/// The client PM rows given, without nameless ones.
fn client_pms(args: &UpdateCustomerInfoArgs) -> Vec<ClientPm> {
    args.client_pms
        .iter()
        .filter(|pm| !pm.name.trim().is_empty())
        .map(|pm| ClientPm {
            name: pm.name.clone(),
            role: pm.role.clone().unwrap_or_default(),
            level: pm.level.map(|l| format!("{l:?}")).unwrap_or_default(),
        })
        .collect()
}
