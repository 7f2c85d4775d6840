//! `POST /v1/chat`: one turn of a conversation with a capability.

use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::{ApiError, AppJson};
use crate::agent::ToolCallRecord;
use crate::conversation::{self, TurnRequest};
use crate::model::Usage;
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
    /// Documents rendered from templates during the turn (saved to the
    /// customer's artifacts when there is a customer).
    pub artifacts: Vec<Artifact>,
    /// Tokens spent, including consulted capabilities.
    pub usage: Usage,
}

/// Handles one chat turn.
pub(super) async fn chat(
    State(state): State<AppState>,
    AppJson(request): AppJson<ChatRequest>,
) -> Result<AppJson<ChatResponse>, ApiError> {
    let result = conversation::run_turn(
        &state,
        TurnRequest {
            message: request.message,
            customer: request.customer,
            session_id: request.session_id,
            capability: request.capability,
        },
    )
    .await?;
    Ok(AppJson(ChatResponse {
        session_id: result.session_id,
        capability: result.capability,
        reply: result.reply,
        tool_calls: result.tool_calls,
        artifacts: result.artifacts,
        usage: result.usage,
    }))
}
