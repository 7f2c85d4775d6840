//! The OpenAI-compatible endpoint: `POST /v1/chat/completions` with `model` set
//! to a capability id (or `auto`), and `GET /v1/models`. Callers own the history;
//! pmcoach's own tool calls stay server-side and the answer is the final text.
//! Errors use OpenAI's shape, so OpenAI SDKs report them as they would OpenAI's.

mod doc;
mod error;
mod messages;
pub(super) mod request;
mod wire;

use async_openai::types::chat::{CreateChatCompletionResponse, CreateChatCompletionStreamResponse};
use axum::Extension;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

pub use error::{OpenAiError, OpenAiJson};

use super::AppState;
use super::error::ApiError;
use super::sse;
use crate::access::Caller;
use crate::agent::Agent;
use crate::conversation::{self, AUTO, TurnRequest};

/// The header naming the customer.
pub const CUSTOMER_HEADER: &str = "x-pmcoach-customer";
/// The header asking to keep the turn as a session.
pub const STORE_HEADER: &str = "x-pmcoach-store";

/// `GET /v1/models` entries.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ModelList {
    /// Always `list`.
    pub object: &'static str,
    /// The capabilities (and `auto`).
    pub data: Vec<ModelEntry>,
}

/// One model: a capability.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ModelEntry {
    /// The capability id to pass as `model`.
    pub id: String,
    /// Always `model`.
    pub object: &'static str,
    /// Always 0.
    pub created: u32,
    /// Always `pmcoach`.
    pub owned_by: &'static str,
}

/// Lists the capabilities as models, with `auto` for routing.
#[utoipa::path(
    get,
    path = "/v1/models",
    tag = "openai",
    responses((status = 200, description = "The capabilities as OpenAI models", body = ModelList))
)]
pub(super) async fn models(State(state): State<AppState>) -> axum::Json<ModelList> {
    let entry = |id: &str| ModelEntry {
        id: id.to_string(),
        object: "model",
        created: 0,
        owned_by: "pmcoach",
    };
    let mut data = vec![entry(AUTO)];
    data.extend(state.capabilities.iter().map(|c| entry(&c.id)));
    axum::Json(ModelList {
        object: "list",
        data,
    })
}

/// Answers a chat completion with a capability.
#[utoipa::path(
    post,
    path = "/v1/chat/completions",
    tag = "openai",
    request_body(content = doc::CompletionsRequest, description = "An OpenAI chat completion request; `model` is a capability id or `auto`"),
    params(
        ("x-pmcoach-customer" = Option<String>, Header, description = "The customer (a slug), within the key's scope; `user` never names one"),
        ("x-pmcoach-store" = Option<bool>, Header, description = "`true` keeps the turn as a session transcript (as does `store: true`); otherwise only what it spent is recorded")
    ),
    responses(
        (
            status = 200,
            description = "An OpenAI chat completion; with `stream: true`, server-sent events (`text/event-stream`; the schema is that of one event's `data`): `data: {chat.completion.chunk}` lines (role, content deltas, tool-call deltas for the caller's functions, a last chunk with `finish_reason`, then with `stream_options.include_usage` a chunk with `usage` and no choices), ending with `data: [DONE]`. A failure before the first content is this route's error status instead; after it, one chunk `{\"error\": {...}}` before `[DONE]`.",
            content(
                (CreateChatCompletionResponse = "application/json"),
                (CreateChatCompletionStreamResponse = "text/event-stream")
            )
        ),
        (status = 400, description = "Invalid request (OpenAI error shape, `param` naming the field): `invalid_request`, `invalid_value`, `unsupported_parameter`"),
        (status = 403, description = "The customer is outside the key's scope (`forbidden`)"),
        (status = 404, description = "Unknown model: not a capability id nor `auto` (`unknown_capability`)"),
        (status = 429, description = "The customer has spent its daily token budget (code `budget_exhausted`), with `Retry-After`"),
        (status = 502, description = "The model upstream failed, the turn outgrew its budget (`context_overflow`), or the structured answer stayed invalid (`invalid_structured_output`)"),
        (status = 503, description = "No model configured")
    )
)]
pub(super) async fn completions(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    OpenAiJson(raw): OpenAiJson<Value>,
) -> Result<Response, OpenAiError> {
    let customer = customer(&headers)?;
    let agent = state.agent.as_ref();
    let parsed = request::parse(
        raw,
        agent.is_some_and(Agent::multimodal),
        &|name| agent.is_some_and(|a| a.owns_tool(name)),
        false,
    )?;
    let store = parsed.store || store_header(&headers)?;
    let whole_answer = parsed.options.output.is_some();
    let prepared = conversation::prepare(
        &state,
        TurnRequest {
            caller,
            store,
            message: parsed.message,
            customer,
            session_id: None,
            capability: Some(parsed.model),
            history: Some(parsed.history),
            keep_history: false,
            instructions: None,
            template: None,
            options: parsed.options,
        },
    )
    .await?;
    let id = format!("chatcmpl-{}", prepared.session_id());
    let created = wire::unix_now();
    if !parsed.stream {
        let result = prepared.run(None).await?;
        return Ok(axum::Json(wire::completion(&id, created, result)).into_response());
    }
    let shape = wire::StreamShape {
        id,
        created,
        include_usage: parsed.include_usage,
        whole_answer,
    };
    let chunks = wire::chunks(sse::start(prepared).await?, shape);
    Ok(Sse::new(chunks)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// The customer the header names. The request's `user` (often an end-user
/// id, for abuse tracking) never names one.
/// `x-pmcoach-store`: `true` or `false` (any case), absent meaning false;
/// anything else is a 400 naming it.
fn store_header(headers: &HeaderMap) -> Result<bool, ApiError> {
    let Some(value) = headers.get(STORE_HEADER) else {
        return Ok(false);
    };
    match value.to_str().map(str::trim) {
        Ok(text) if text.eq_ignore_ascii_case("true") => Ok(true),
        Ok(text) if text.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(ApiError::InvalidParameter {
            param: STORE_HEADER.to_string(),
            message: format!("{STORE_HEADER} must be true or false"),
        }),
    }
}

pub(super) fn customer(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    headers
        .get(CUSTOMER_HEADER)
        .map(|value| {
            value
                .to_str()
                .map(str::to_string)
                .map_err(|_| ApiError::BadRequest(format!("{CUSTOMER_HEADER} is not text")))
        })
        .transpose()
}
