//! One conversation turn as a service: validate the request, resolve session,
//! customer and capability, run the agent, record the turn. HTTP, the terminal
//! chat and the orchestrator endpoints all go through here.

use serde::Serialize;

use crate::agent::{AgentError, ToolCallRecord, TurnInput};
use crate::app::AppState;
use crate::model::Usage;
use crate::session::{ArtifactRef, StoreError, TurnRecord};
use crate::templates::Artifact;
use crate::workspace::{CustomerId, SessionId, WorkspaceError};

/// What a caller asks for.
#[derive(Debug, Clone, Default)]
pub struct TurnRequest {
    /// What the person says.
    pub message: String,
    /// The customer, as given (validated here).
    pub customer: Option<String>,
    /// A session to continue, as given (validated here).
    pub session_id: Option<String>,
    /// A capability id; the session's or the default one when absent.
    pub capability: Option<String>,
}

/// What a finished turn returns.
#[derive(Debug, Clone, Serialize)]
pub struct TurnResult {
    /// The session, to continue it.
    pub session_id: String,
    /// The capability that answered.
    pub capability: String,
    /// The customer, if any.
    pub customer: Option<String>,
    /// The answer.
    pub reply: String,
    /// Tool calls at the turn's level.
    pub tool_calls: Vec<ToolCallRecord>,
    /// Documents rendered (and saved, with a customer).
    pub artifacts: Vec<Artifact>,
    /// Tokens spent.
    pub usage: Usage,
}

/// Why a turn was not taken.
#[derive(Debug, thiserror::Error)]
pub enum ConversationError {
    /// The request is invalid (message, customer or session id).
    #[error("{0}")]
    Invalid(String),
    /// No such capability.
    #[error("unknown capability {0:?}")]
    UnknownCapability(String),
    /// No such session (for this customer).
    #[error("unknown session {0:?}")]
    UnknownSession(String),
    /// No model is configured.
    #[error("no model is configured")]
    NoModel,
    /// The agent failed.
    #[error(transparent)]
    Agent(#[from] AgentError),
    /// The session could not be loaded or recorded.
    #[error("could not record the session: {0}")]
    Store(#[from] StoreError),
    /// The customer's folder could not be set up.
    #[error("could not prepare the customer's documents: {0}")]
    Workspace(#[from] WorkspaceError),
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

/// Runs one turn.
pub async fn run_turn(
    state: &AppState,
    request: TurnRequest,
) -> Result<TurnResult, ConversationError> {
    let invalid = |err: crate::workspace::InvalidName| ConversationError::Invalid(err.to_string());
    let message = request.message.trim();
    if message.is_empty() {
        return Err(ConversationError::Invalid(
            "message must not be empty".into(),
        ));
    }
    let max_chars = state.limits.max_message_chars;
    if message.chars().count() > max_chars {
        return Err(ConversationError::Invalid(format!(
            "message is longer than {max_chars} characters"
        )));
    }
    let requested_customer = request
        .customer
        .as_deref()
        .map(CustomerId::parse)
        .transpose()
        .map_err(invalid)?;

    let existing = match &request.session_id {
        Some(id) => {
            SessionId::parse(id).map_err(invalid)?;
            let session = state
                .sessions
                .get(id)
                .await?
                .ok_or_else(|| ConversationError::UnknownSession(id.clone()))?;
            // A session belongs to its customer: another customer's request
            // cannot see it (nor learn that it exists).
            if requested_customer.is_some()
                && session.customer.as_deref()
                    != requested_customer.as_ref().map(CustomerId::as_str)
            {
                return Err(ConversationError::UnknownSession(id.clone()));
            }
            Some(session)
        }
        None => None,
    };
    let customer = match (
        &requested_customer,
        existing.as_ref().and_then(|s| s.customer.as_deref()),
    ) {
        (Some(customer), _) => Some(customer.clone()),
        (None, Some(stored)) => Some(CustomerId::parse(stored).map_err(invalid)?),
        (None, None) => None,
    };
    let capability_id = request
        .capability
        .as_deref()
        .or(existing.as_ref().map(|s| s.capability.as_str()));
    let capability = match capability_id {
        Some(id) => state
            .capabilities
            .get(id)
            .ok_or_else(|| ConversationError::UnknownCapability(id.to_string()))?,
        None => state.capabilities.default_capability(),
    };
    let agent = state.agent.as_ref().ok_or(ConversationError::NoModel)?;
    if let Some(customer) = &customer {
        state.workspace.ensure_customer(customer).await?;
    }

    let session_id = request
        .session_id
        .clone()
        .unwrap_or_else(|| SessionId::generate().to_string());
    let history = existing.as_ref().map_or(&[][..], |s| &s.messages[..]);
    let started_at = now();
    let outcome = agent
        .run_turn(TurnInput {
            capability,
            history,
            message,
            session_id: &session_id,
            customer: customer.as_ref(),
        })
        .await?;

    let record = TurnRecord {
        started_at,
        finished_at: now(),
        capability: capability.id.clone(),
        customer: customer.as_ref().map(ToString::to_string),
        model: agent.model_name().to_string(),
        messages: outcome.messages,
        tool_calls: outcome.tool_calls.clone(),
        artifacts: outcome
            .artifacts
            .iter()
            .map(|a| ArtifactRef {
                template: a.template.clone(),
                title: a.title.clone(),
                saved_as: a.saved_as.clone(),
            })
            .collect(),
        model_calls: outcome.model_calls,
        usage: outcome.usage,
    };
    state.sessions.append(&session_id, &record).await?;

    Ok(TurnResult {
        session_id,
        capability: capability.id.clone(),
        customer: record.customer,
        reply: outcome.reply,
        tool_calls: outcome.tool_calls,
        artifacts: outcome.artifacts,
        usage: outcome.usage,
    })
}
