//! One conversation turn as a service: validate the request, resolve session,
//! customer and capability, run the agent, record the turn. HTTP, the terminal
//! chat and the orchestrator endpoints all go through here.

use serde::Serialize;

use std::sync::Arc;

use crate::agent::{Agent, AgentError, EventSink, ToolCallRecord, TurnEvent, TurnInput};
use crate::app::AppState;
use crate::capability::Capability;
use crate::model::{Message, Usage};
use crate::session::{ArtifactRef, StoreError, TurnRecord};
use crate::templates::Artifact;
use crate::workspace::{CustomerId, SessionId, WorkspaceError};

/// What a caller asks for.
#[derive(Debug, Clone, Default)]
pub struct TurnRequest {
    /// What the person (or orchestrator) says.
    pub message: String,
    /// The customer, as given (validated here).
    pub customer: Option<String>,
    /// A session to continue, as given (validated here).
    pub session_id: Option<String>,
    /// A capability id, or `auto` to route; when absent, the session's
    /// capability, else routing.
    pub capability: Option<String>,
    /// History the caller owns (the OpenAI-compatible endpoint), used instead of a
    /// stored session.
    pub history: Option<Vec<Message>>,
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
    /// The answer.
    pub reply: String,
    /// Tool calls at the turn's level.
    pub tool_calls: Vec<ToolCallRecord>,
    /// Documents rendered (and saved, with a customer).
    pub artifacts: Vec<Artifact>,
    /// Tokens spent, routing and consulted capabilities included.
    pub usage: Usage,
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

/// The capability keyword that asks for routing.
pub const AUTO: &str = "auto";

enum Choice {
    Fixed(Arc<Capability>),
    Route,
}

/// A validated turn, ready to run. Everything that can be refused with a 4xx is
/// checked before this exists, so a streaming response starts only for a turn
/// that will run.
pub struct PreparedTurn {
    state: AppState,
    agent: Agent,
    message: String,
    customer: Option<CustomerId>,
    session_id: String,
    history: Vec<Message>,
    choice: Choice,
    template: Option<String>,
    /// Held until the turn is recorded, for a continued session.
    _session_guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

/// Runs one turn without streaming.
pub async fn run_turn(
    state: &AppState,
    request: TurnRequest,
) -> Result<TurnResult, ConversationError> {
    prepare(state, request).await?.run(None).await
}

/// Validates a request and resolves session, customer and capability.
pub async fn prepare(
    state: &AppState,
    request: TurnRequest,
) -> Result<PreparedTurn, ConversationError> {
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
    if request.history.is_some() && request.session_id.is_some() {
        return Err(ConversationError::Invalid(
            "send either a history or a session_id, not both".into(),
        ));
    }
    let requested_customer = request
        .customer
        .as_deref()
        .map(CustomerId::parse)
        .transpose()
        .map_err(invalid)?;

    let mut session_guard = None;
    let existing = match &request.session_id {
        Some(id) => {
            SessionId::parse(id).map_err(invalid)?;
            // Wait for a turn already running in this session, then read the
            // history it left.
            session_guard = Some(state.session_locks.lock(id).await);
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
    let choice = match request
        .capability
        .as_deref()
        .or(existing.as_ref().map(|s| s.capability.as_str()))
    {
        None | Some(AUTO) => Choice::Route,
        Some(id) => {
            Choice::Fixed(Arc::clone(state.capabilities.get(id).ok_or_else(|| {
                ConversationError::UnknownCapability(id.to_string())
            })?))
        }
    };
    if let Some(template) = &request.template {
        let known = state.templates.get(template).ok_or_else(|| {
            ConversationError::Invalid(format!(
                "unknown template {template:?} (see GET /v1/capabilities)"
            ))
        })?;
        match &choice {
            Choice::Fixed(capability) if capability.id == known.capability => {}
            Choice::Fixed(capability) => {
                return Err(ConversationError::Invalid(format!(
                    "template {template:?} belongs to {}, not {}",
                    known.capability, capability.id
                )));
            }
            Choice::Route => {
                return Err(ConversationError::Invalid(
                    "a template needs a named capability".into(),
                ));
            }
        }
    }
    let agent = state.agent.clone().ok_or(ConversationError::NoModel)?;
    if let Some(customer) = &customer {
        state.workspace.ensure_customer(customer).await?;
    }
    let history = match (request.history, existing) {
        (Some(history), _) => history,
        (None, Some(session)) => session.messages,
        (None, None) => Vec::new(),
    };
    Ok(PreparedTurn {
        state: state.clone(),
        agent,
        message: message.to_string(),
        customer,
        session_id: request
            .session_id
            .unwrap_or_else(|| SessionId::generate().to_string()),
        history,
        choice,
        template: request.template,
        _session_guard: session_guard,
    })
}

impl PreparedTurn {
    /// The session the turn belongs to.
    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// Runs the turn, streaming its events to `events` when given, and records it.
    pub async fn run(self, events: Option<EventSink>) -> Result<TurnResult, ConversationError> {
        let started_at = now();
        let (capability, routed, mut usage, mut model_calls) = match self.choice {
            Choice::Fixed(capability) => (capability, false, Usage::default(), Vec::new()),
            Choice::Route => {
                let routed = self.agent.route(&self.message).await?;
                (
                    routed.capability,
                    true,
                    routed.usage,
                    vec![routed.model_call],
                )
            }
        };
        if let Some(sink) = &events {
            let _ = sink
                .send(TurnEvent::Capability {
                    capability: capability.id.clone(),
                    routed,
                })
                .await;
        }
        let result = self
            .agent
            .run_turn(TurnInput {
                capability: &capability,
                history: &self.history,
                message: &self.message,
                session_id: &self.session_id,
                customer: self.customer.as_ref(),
                events: events.as_ref(),
                required_template: self.template.as_deref(),
            })
            .await;
        // A failed turn is recorded too (its tool calls may have written to the
        // customer's documents) but adds only the user's message to the history,
        // so no dangling tool call is ever replayed.
        let (messages, progress, error) = match &result {
            Ok(o) => (o.messages.clone(), &o.progress, None),
            Err(f) => (
                vec![Message::user(self.message.clone())],
                &f.progress,
                Some(f.error.to_string()),
            ),
        };
        usage += progress.usage;
        model_calls.extend(progress.model_calls.iter().cloned());
        let record = TurnRecord {
            started_at,
            finished_at: now(),
            capability: capability.id.clone(),
            customer: self.customer.as_ref().map(ToString::to_string),
            model: self.agent.model_name().to_string(),
            messages,
            tool_calls: progress.tool_calls.clone(),
            artifacts: progress
                .artifacts
                .iter()
                .map(|a| ArtifactRef {
                    template: a.template.clone(),
                    title: a.title.clone(),
                    saved_as: a.saved_as.clone(),
                })
                .collect(),
            model_calls,
            usage,
            error,
        };
        let appended = self.state.sessions.append(&self.session_id, &record).await;
        let outcome = match result {
            Ok(outcome) => outcome,
            Err(failure) => {
                // The turn's own error is what the caller needs; a failure to
                // record it as well is logged.
                if let Err(err) = appended {
                    tracing::error!(error = %err, "could not record a failed turn");
                }
                return Err(ConversationError::Agent(failure.error));
            }
        };
        appended?;

        Ok(TurnResult {
            session_id: self.session_id,
            capability: capability.id.clone(),
            routed,
            customer: record.customer,
            reply: outcome.reply,
            tool_calls: outcome.progress.tool_calls,
            artifacts: outcome.progress.artifacts,
            usage,
        })
    }
}
