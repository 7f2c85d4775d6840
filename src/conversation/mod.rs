//! One conversation turn as a service: validate the request, resolve session,
//! customer and capability (`prepare`), run the agent and record the turn
//! (`PreparedTurn::run`). HTTP, the terminal chat, the orchestrator endpoints
//! and the evals all go through here.

mod daily_budget;
mod prepare;
mod run;

use serde::Serialize;

pub use daily_budget::BudgetSpent;
pub use prepare::{PreparedTurn, prepare};

use crate::access::Caller;
use crate::agent::{AgentError, TurnOptions};
use crate::app::AppState;
use crate::model::{Message, ToolCall, Usage};
use crate::session::{StoreError, ToolCallRecord};
use crate::templates::Artifact;
use crate::workspace::WorkspaceError;

/// The capability keyword that asks for routing.
pub const AUTO: &str = "auto";

/// What a caller asks for.
#[derive(Debug, Clone)]
pub struct TurnRequest {
    /// Who asks: their key decides which customers and sessions they reach.
    pub caller: Caller,
    /// Whether to keep the turn in a session transcript (the OpenAI-compatible
    /// endpoint, whose caller owns the history, stores only when asked).
    pub store: bool,
    /// What the person (or orchestrator) says.
    pub message: String,
    /// What an OpenAI-compatible caller asked for beyond its messages: its
    /// own functions, tool choice, sampling, the answer's format.
    pub options: TurnOptions,
    /// The customer, as given (validated here).
    pub customer: Option<String>,
    /// A session to continue, as given (validated here).
    pub session_id: Option<String>,
    /// A capability id, or `auto` to route; when absent, the session's
    /// capability, else routing.
    pub capability: Option<String>,
    /// History the caller owns (the OpenAI-compatible endpoints): used instead
    /// of a stored session, or with `session_id` appended after its messages
    /// (the Responses API's input after `previous_response_id`).
    pub history: Option<Vec<Message>>,
    /// Record `history` with the turn, so that a stored session holds the whole
    /// conversation and can be continued (the Responses API).
    pub keep_history: bool,
    /// A system message put before everything else, for this turn only: never
    /// recorded (the Responses API's `instructions`).
    pub instructions: Option<String>,
    /// A template the turn must produce (structured invoke).
    pub template: Option<String>,
}

/// What a finished turn returns.
#[derive(Debug, Clone, Serialize)]
pub struct TurnResult {
    /// The session, to continue it.
    pub session_id: String,
    /// The capability that answered.
    pub capability: String,
    /// Whether routing chose it.
    pub routed: bool,
    /// The customer, if any.
    pub customer: Option<String>,
    /// The answer (perhaps empty when the turn hands calls back).
    pub reply: String,
    /// Calls of the caller's functions the turn ends with, for the caller to
    /// run and answer in its next request.
    pub handed_back: Vec<ToolCall>,
    /// The document the request required (`TurnRequest::template`), filled.
    pub document: Option<Artifact>,
    /// Tool calls at the turn's level.
    pub tool_calls: Vec<ToolCallRecord>,
    /// Documents rendered (and saved, with a customer).
    pub artifacts: Vec<Artifact>,
    /// Tokens spent, routing and consulted capabilities included.
    pub usage: Usage,
    /// Their estimated cost in USD; `None` when the model has no price.
    pub cost_usd: Option<f64>,
}

/// Why a turn was not taken.
#[derive(Debug, thiserror::Error)]
pub enum ConversationError {
    /// The request is invalid (message, customer or session id, template).
    #[error("{0}")]
    Invalid(String),
    /// No such capability.
    #[error("unknown capability {0:?}")]
    UnknownCapability(String),
    /// No such session (for this customer and key).
    #[error("unknown session {0:?}")]
    UnknownSession(String),
    /// The caller's key does not reach this customer.
    #[error("this key may not act for customer {0:?}")]
    Forbidden(String),
    /// No model is configured.
    #[error("no model is configured")]
    NoModel,
    /// The customer has spent its daily token budget.
    #[error(transparent)]
    DailyBudget(BudgetSpent),
    /// The agent failed.
    #[error(transparent)]
    Agent(#[from] AgentError),
    /// The session could not be loaded or recorded.
    #[error("could not record the session: {0}")]
    Store(#[from] StoreError),
    /// The customer's documents could not be set up.
    #[error("could not prepare the customer's documents: {0}")]
    Workspace(#[from] WorkspaceError),
}

/// Runs one turn without streaming.
pub async fn run_turn(
    state: &AppState,
    request: TurnRequest,
) -> Result<TurnResult, ConversationError> {
    prepare(state, request).await?.run(None).await
}
