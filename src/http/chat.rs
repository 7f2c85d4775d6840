//! `POST /v1/chat`: one turn of a conversation with a capability.

use std::convert::Infallible;

use axum::Extension;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::AppState;
use super::error::{ApiError, AppJson, ErrorBody};
use super::sse::{self, Item};
use crate::access::Caller;
use crate::conversation::{self, TurnRequest, TurnResult};
use crate::model::Usage;
use crate::session::ToolCallRecord;
use crate::templates::Artifact;

/// The request body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
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
    /// Answer with server-sent events as the model writes.
    #[serde(default)]
    pub stream: bool,
}

/// The response body.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChatResponse {
    /// The session this turn belongs to; send it back to continue.
    pub session_id: String,
    /// The capability that answered.
    pub capability: String,
    /// Whether routing chose the capability (the request named none).
    pub routed: bool,
    /// The answer.
    pub reply: String,
    /// Tools called on the way, in order.
    pub tool_calls: Vec<ToolCallRecord>,
    /// Documents rendered from templates during the turn (saved to the
    /// customer's artifacts when there is a customer).
    pub artifacts: Vec<Artifact>,
    /// Tokens spent, including consulted capabilities.
    pub usage: Usage,
    /// Their estimated cost in USD, from the model's price; absent when the
    /// model has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
}

impl From<TurnResult> for ChatResponse {
    fn from(result: TurnResult) -> Self {
        ChatResponse {
            session_id: result.session_id,
            capability: result.capability,
            routed: result.routed,
            reply: result.reply,
            tool_calls: result.tool_calls,
            artifacts: result.artifacts,
            usage: result.usage,
            cost_usd: result.cost_usd,
        }
    }
}

/// Handles one chat turn: JSON, or with `"stream": true` server-sent events
/// (`capability`, `delta`, `tool_call_started`, `tool_call_finished`,
/// `artifact`, then `done` with the whole response, or `error`).
#[utoipa::path(
    post,
    path = "/v1/chat",
    tag = "chat",
    operation_id = "chat",
    request_body = ChatRequest,
    responses(
        (status = 200, description = "The turn's answer: a `ChatResponse`, or with `stream: true` server-sent events (`text/event-stream`; the schema is that of one event), each `event: <name>` with one `data:` line of JSON, in this order:\n\n\
- `capability`: `{\"capability\": string, \"routed\": bool}`, first, once;\n\
- `delta`: `{\"text\": string}`, the answer as the model writes it;\n\
- `tool_call_started`: `{\"id\": string, \"name\": string, \"capability\"?: string}` (`capability`: the one a consult tool asks);\n\
- `tool_call_finished`: `{\"id\", \"name\", \"capability\"?, \"ok\": bool, \"duration_ms\": integer}`;\n\
- `artifact`: a rendered document (`template`, `title`, `markdown`, `corrections`?, `saved_as`?);\n\
- then last, exactly one of `done` (data: the whole `ChatResponse`) or `error` (data: an `ErrorBody`: the turn failed after the stream began, with the code its status would have had, or `shutting_down`).\n\n\
Comment lines (`:`) keep the connection alive.",
            content(
                (ChatResponse = "application/json"),
                (super::chat_stream::ChatStreamEvent = "text/event-stream", example = json!({"event": "delta", "data": "{\"text\":\"Start with\"}"}))
            )
        ),
        (status = 400, description = "Malformed JSON, a blank or over-long message, an invalid customer or session id (`invalid_request`)", body = ErrorBody),
        (status = 403, description = "The key does not reach this customer (`forbidden`)", body = ErrorBody),
        (status = 404, description = "Unknown capability (`unknown_capability`), or a session that is not this customer's or this key's (`unknown_session`)", body = ErrorBody),
        (status = 413, description = "Body too large (`payload_too_large`), or the message cannot fit the model's context window (`context_overflow`)", body = ErrorBody),
        (status = 429, description = "The customer has spent its daily token budget (`budget_exhausted`); `Retry-After` gives the seconds until it resets at the next UTC midnight", body = ErrorBody),
        (status = 500, description = "The customer's documents or the session could not be written (`storage_error`)", body = ErrorBody),
        (status = 502, description = "The model upstream failed (`upstream_error`, `upstream_too_large`), the model did not finish (`model_error`), or the request spent its budget of model calls, tool calls or tokens (`budget_exhausted`)", body = ErrorBody),
        (status = 503, description = "No model configured (`no_model`), or the upstream is rate limited for longer than we wait (`upstream_rate_limited`, with `Retry-After`)", body = ErrorBody)
    )
)]
pub(super) async fn chat(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AppJson(request): AppJson<ChatRequest>,
) -> Result<Response, ApiError> {
    let prepared = conversation::prepare(
        &state,
        TurnRequest {
            caller,
            store: true,
            message: request.message,
            customer: request.customer,
            session_id: request.session_id,
            capability: request.capability,
            history: None,
            keep_history: false,
            instructions: None,
            template: None,
            options: Default::default(),
        },
    )
    .await?;
    if !request.stream {
        let result = prepared.run(None).await?;
        return Ok(AppJson(ChatResponse::from(result)).into_response());
    }
    let events = sse::start(prepared).await?.map(|item| {
        let event = match item {
            Item::Event(event) => Event::default()
                .event(event.name())
                .data(event.data().to_string()),
            Item::Finished(Ok(result)) => Event::default()
                .event("done")
                .data(json!(ChatResponse::from(*result)).to_string()),
            Item::Finished(Err(err)) => {
                Event::default().event("error").data(err.body().to_string())
            }
            Item::ShuttingDown => Event::default()
                .event("error")
                .data(super::shutdown::body().to_string()),
        };
        Ok::<_, Infallible>(event)
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response())
}
