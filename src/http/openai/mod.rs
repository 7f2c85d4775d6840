//! The OpenAI-compatible endpoint: `POST /v1/chat/completions` with `model` set
//! to a capability id (or `auto`), and `GET /v1/models`. Callers own the history;
//! pmcoach's own tool calls stay server-side and the answer is the final text.
//! Errors use OpenAI's shape, so OpenAI SDKs report them as they would OpenAI's.

mod error;
mod messages;
mod wire;

use async_openai::types::chat::{CreateChatCompletionRequest, CreateChatCompletionResponse};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub use error::{OpenAiError, OpenAiJson};

use super::AppState;
use super::error::ApiError;
use super::sse;
use crate::conversation::{self, AUTO, TurnRequest};
use crate::workspace::CustomerId;
use messages::split_messages;

/// The header naming the customer (the request's `user` is the fallback).
pub const CUSTOMER_HEADER: &str = "x-pmcoach-customer";

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
    request_body(content = CreateChatCompletionRequest, description = "An OpenAI chat completion request; `model` is a capability id or `auto`"),
    params(("x-pmcoach-customer" = Option<String>, Header, description = "The customer (a slug); the request's `user` is the fallback")),
    responses(
        (status = 200, description = "An OpenAI chat completion (or, with `stream`, chat.completion.chunk events ending with `data: [DONE]`)", body = CreateChatCompletionResponse),
        (status = 400, description = "Invalid request (OpenAI error shape)"),
        (status = 404, description = "Unknown model (capability)"),
        (status = 429, description = "The customer has spent its daily token budget (code `budget_exhausted`), with `Retry-After`"),
        (status = 502, description = "The model upstream failed"),
        (status = 503, description = "No model configured")
    )
)]
pub(super) async fn completions(
    State(state): State<AppState>,
    headers: HeaderMap,
    OpenAiJson(request): OpenAiJson<CreateChatCompletionRequest>,
) -> Result<Response, OpenAiError> {
    let customer = customer(&headers, &request)?;
    let stream = request.stream.unwrap_or(false);
    let include_usage = request
        .stream_options
        .as_ref()
        .and_then(|o| o.include_usage)
        .unwrap_or(false);
    let (history, message) = split_messages(request.messages)?;
    let prepared = conversation::prepare(
        &state,
        TurnRequest {
            message,
            customer,
            session_id: None,
            capability: Some(request.model),
            history: Some(history),
            template: None,
        },
    )
    .await?;
    let id = format!("chatcmpl-{}", prepared.session_id());
    let created = wire::unix_now();
    if !stream {
        let result = prepared.run(None).await?;
        return Ok(axum::Json(wire::completion(&id, created, result)).into_response());
    }
    let chunks = wire::chunks(sse::run(prepared), id, created, include_usage);
    Ok(Sse::new(chunks)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// The customer: the header's, or else the request's `user` when it is a
/// customer id. OpenAI clients often set `user` to an end-user id for abuse
/// tracking; that names no customer.
fn customer(
    headers: &HeaderMap,
    request: &CreateChatCompletionRequest,
) -> Result<Option<String>, ApiError> {
    match headers.get(CUSTOMER_HEADER) {
        Some(value) => value
            .to_str()
            .map(|customer| Some(customer.to_string()))
            .map_err(|_| ApiError::BadRequest(format!("{CUSTOMER_HEADER} is not text"))),
        #[allow(deprecated)]
        None => Ok(request
            .user
            .clone()
            .filter(|user| CustomerId::parse(user).is_ok())),
    }
}
