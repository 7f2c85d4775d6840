//! `POST /v1/chat`: one turn of a conversation with a capability.

use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::{ApiError, AppJson};
use crate::agent::{ToolCallRecord, TurnInput};
use crate::capability::is_valid_id;
use crate::model::Usage;
use crate::session::{TurnRecord, new_session_id};
use crate::templates::Artifact;

/// The request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    /// The customer this conversation is about (a slug such as `acme-corp`).
    pub customer: Option<String>,
    /// Continue this session; omitted, a new one starts.
    pub session_id: Option<String>,
    /// Capability id; omitted, the session's or the default one.
    pub capability: Option<String>,
    /// What the person says.
    pub message: String,
}

/// The response body.
#[derive(Debug, Serialize, Deserialize)]
pub struct ChatResponse {
    /// The session this turn belongs to; send it back to continue.
    pub session_id: String,
    /// The capability that answered.
    pub capability: String,
    /// The answer.
    pub reply: String,
    /// Tools called on the way, in order.
    pub tool_calls: Vec<ToolCallRecord>,
    /// Documents rendered from templates during the turn.
    pub artifacts: Vec<Artifact>,
    /// Tokens spent, including consulted capabilities.
    pub usage: Usage,
}

/// Handles one chat turn.
pub(super) async fn chat(
    State(state): State<AppState>,
    AppJson(request): AppJson<ChatRequest>,
) -> Result<AppJson<ChatResponse>, ApiError> {
    let message = request.message.trim();
    if message.is_empty() {
        return Err(ApiError::BadRequest("message must not be empty".into()));
    }
    let max_chars = state.limits.max_message_chars;
    if message.chars().count() > max_chars {
        return Err(ApiError::BadRequest(format!(
            "message is longer than {max_chars} characters"
        )));
    }
    if let Some(customer) = &request.customer {
        if !is_valid_id(customer) {
            return Err(ApiError::BadRequest(format!(
                "customer {customer:?} is not a lowercase slug (letters, digits, inner hyphens)"
            )));
        }
    }

    let existing = match &request.session_id {
        Some(id) => Some(
            state
                .sessions
                .get(id)
                .await
                .map_err(|err| ApiError::Internal(err.to_string()))?
                .ok_or_else(|| ApiError::UnknownSession(id.clone()))?,
        ),
        None => None,
    };
    let capability_id = request
        .capability
        .as_deref()
        .or(existing.as_ref().map(|s| s.capability.as_str()));
    let capability = match capability_id {
        Some(id) => state
            .capabilities
            .get(id)
            .ok_or_else(|| ApiError::UnknownCapability(id.to_string()))?,
        None => state.capabilities.default_capability(),
    };
    let customer = request
        .customer
        .as_deref()
        .or(existing.as_ref().and_then(|s| s.customer.as_deref()));

    let agent = state.agent.as_ref().ok_or(ApiError::NoModel)?;
    let session_id = request.session_id.clone().unwrap_or_else(new_session_id);
    let history = existing.as_ref().map_or(&[][..], |s| &s.messages[..]);
    let outcome = agent
        .run_turn(TurnInput {
            capability,
            history,
            message,
            session_id: &session_id,
            customer,
        })
        .await?;

    state
        .sessions
        .append(
            &session_id,
            TurnRecord {
                capability: &capability.id,
                customer,
                messages: &outcome.messages,
                usage: outcome.usage,
            },
        )
        .await
        .map_err(|err| ApiError::Internal(err.to_string()))?;

    Ok(AppJson(ChatResponse {
        session_id,
        capability: capability.id.clone(),
        reply: outcome.reply,
        tool_calls: outcome.tool_calls,
        artifacts: outcome.artifacts,
        usage: outcome.usage,
    }))
}
