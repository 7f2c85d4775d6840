//! Tools the model may call: their definitions, the context a call runs in, and
//! the errors that go back to the model as data it can correct.

mod args;
mod consult;
mod customer;
mod fill_template;

use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;

pub use args::ArgsSchema;
pub use consult::{ConsultArgs, ConsultTool};
pub use customer::{
    EngagementSummaryArgs, EngagementSummaryTool, LogEventArgs, LogEventTool,
    UpdateCustomerInfoArgs, UpdateCustomerInfoTool,
};
pub use fill_template::{FILL_TEMPLATE, FillTemplateArgs, FillTemplateTool};

use crate::agent::{Agent, ModelCallRecord};
use crate::capability::Capability;
use crate::model::Usage;
use crate::templates::Artifact;
use crate::workspace::CustomerId;

/// A tool as the model sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolDefinition {
    /// Name the model calls it by.
    pub name: String,
    /// When and why to call it.
    pub description: String,
    /// JSON Schema of its arguments.
    pub parameters: Value,
}

/// What a successful call returns.
#[derive(Debug, Clone, Default)]
pub struct ToolOutput {
    /// The result as text for the model.
    pub content: String,
    /// Tokens spent inside the tool (a consulted capability's model calls).
    pub usage: Usage,
    /// The capability that answered, for consult tools.
    pub capability: Option<String>,
    /// Documents the call produced (directly, or inside a consulted capability).
    pub artifacts: Vec<Artifact>,
    /// Model calls made inside the tool (a consulted capability's).
    pub model_calls: Vec<ModelCallRecord>,
}

/// A failed tool call. The message goes back to the model so it can correct the
/// call or tell the user; it must not carry secrets or internal paths.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ToolError {
    /// The model named a tool that is not offered this turn.
    #[error("unknown tool {name:?}; available tools: {available}")]
    Unknown {
        /// The name it used.
        name: String,
        /// The names it may use.
        available: String,
    },
    /// The arguments are not JSON, or do not match the schema.
    #[error("invalid arguments: {0}")]
    BadArguments(String),
    /// The tool ran and failed.
    #[error("{0}")]
    Failed(String),
}

/// Where a tool call happens: which agent, capability, depth, session and customer.
#[derive(Clone, Copy)]
pub struct ToolContext<'a> {
    /// The agent running the turn (consult tools run a nested turn on it).
    pub agent: &'a Agent,
    /// The capability whose turn this is.
    pub caller: &'a Capability,
    /// 0 for a turn a person started; 1 inside a consulted capability, and so on.
    pub depth: usize,
    /// The session the turn belongs to.
    pub session_id: &'a str,
    /// The customer the turn is about, if any (validated, fixed by the request).
    pub customer: Option<&'a CustomerId>,
}

/// A tool: a definition the model sees and the code that runs a call.
#[async_trait]
pub trait Tool: Send + Sync {
    /// Name, description and argument schema.
    fn definition(&self) -> &ToolDefinition;

    /// Runs one call with the model's raw argument text.
    async fn call(
        &self,
        context: ToolContext<'_>,
        arguments: &str,
    ) -> Result<ToolOutput, ToolError>;
}
