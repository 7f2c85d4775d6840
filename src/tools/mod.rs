//! Tools the model may call: a typed [`Tool`] per kind of call, the adapter
//! that offers it to the loop as a [`DynTool`], the context a call runs in, and
//! the errors that go back to the model as data it can correct.

mod args;
mod consult;
mod customer;
mod fill_template;
mod growth;
mod ledger_fill;
mod typed;
mod user_words;

pub use args::ArgsSchema;
pub use consult::{CONSULTED_ANSWER, Consult, ConsultArgs, ConsultTool, Consulted};
pub use customer::{
    AddActionItemArgs, AddActionItemTool, AddIdeaArgs, AddIdeaTool, CloseActionItemArgs,
    CloseActionItemTool, EngagementSummaryArgs, EngagementSummaryTool, LogEventArgs, LogEventTool,
    RecordEvidenceArgs, RecordEvidenceTool, RecordPmSessionArgs, RecordPmSessionTool,
    RecordPositioningArgs, RecordPositioningTool, UpdateActionItemArgs, UpdateActionItemTool,
    UpdateCustomerInfoArgs, UpdateCustomerInfoTool, engagement_summary,
};
pub use fill_template::{FillTemplateArgs, FillTemplateTool};
pub use growth::{
    CommitmentStatus, GROWTH_ADVISOR, LogGrowthSessionArgs, LogGrowthSessionTool,
    RecordCommitmentArgs, RecordCommitmentTool, UpdateCommitmentArgs, UpdateCommitmentTool,
};
pub use typed::{DynTool, Tool, Typed};
pub use user_words::UserWords;

use crate::capability::Capability;
use crate::limits::Budget;
use crate::session::Progress;
use crate::templates::Artifact;
use crate::workspace::{CustomerDocs, GrowthDocs};

/// What one tool call produced.
#[derive(Debug, Clone)]
pub struct ToolOutput {
    /// What the model reads: the tool's answer, or what went wrong.
    pub outcome: Result<String, ToolError>,
    /// The capability that answered, for consult tools.
    pub capability: Option<String>,
    /// What the call spent and produced: a consulted capability's tokens,
    /// model calls and documents (kept when it failed too), or the document
    /// `fill_template` rendered.
    pub spent: Progress,
}

impl ToolOutput {
    /// A plain answer.
    pub fn answer(content: impl Into<String>) -> Self {
        Self {
            outcome: Ok(content.into()),
            capability: None,
            spent: Progress::default(),
        }
    }

    /// The answer with a document the call rendered.
    pub fn with_artifact(mut self, artifact: Artifact) -> Self {
        self.spent.artifacts.push(artifact);
        self
    }

    /// Whether the call succeeded.
    pub fn is_ok(&self) -> bool {
        self.outcome.is_ok()
    }

    /// The tool message's content: the answer, or the error marked as one.
    pub fn message(&self) -> String {
        match &self.outcome {
            Ok(content) => content.clone(),
            Err(err) => format!("error: {err}"),
        }
    }
}

impl From<ToolError> for ToolOutput {
    fn from(error: ToolError) -> Self {
        Self {
            outcome: Err(error),
            capability: None,
            spent: Progress::default(),
        }
    }
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

impl ToolError {
    /// What kind of failure, for logs: the message can quote what the model
    /// sent (customer data), so logs carry only this.
    pub fn kind(&self) -> &'static str {
        match self {
            ToolError::Unknown { .. } => "unknown_tool",
            ToolError::BadArguments(_) => "bad_arguments",
            ToolError::Failed(_) => "failed",
        }
    }
}

/// Where a tool call happens: who calls, how deep, in which session, and the
/// only customer documents the call may touch.
#[derive(Clone, Copy)]
pub struct ToolContext<'a> {
    /// Runs a consulted capability (the agent).
    pub consult: &'a dyn Consult,
    /// The capability whose turn this is.
    pub caller: &'a Capability,
    /// 0 for a turn a person started; 1 inside a consulted capability, and so on.
    pub depth: usize,
    /// The session the turn belongs to.
    pub session_id: &'a str,
    /// The turn's customer and their documents, if the turn has a customer
    /// (validated, fixed by the request); read-only below depth 0.
    pub customer: Option<CustomerDocs<'a>>,
    /// What the whole request may still spend.
    pub budget: &'a Budget,
    /// Today, by the server's clock.
    pub today: jiff::civil::Date,
    /// The PM's own growth store: only for the growth advisor at depth 0,
    /// asked for by a caller whose key covers every customer.
    pub growth: Option<GrowthDocs<'a>>,
    /// What the person said in this conversation.
    pub user_words: UserWords<'a>,
}

impl<'a> ToolContext<'a> {
    /// The customer's documents, or the error a tool that needs them returns.
    pub fn customer_docs(&self) -> Result<CustomerDocs<'a>, ToolError> {
        self.customer
            .ok_or_else(|| ToolError::Failed("no customer is set for this conversation".into()))
    }
}
