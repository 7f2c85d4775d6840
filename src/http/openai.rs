//! The OpenAI-compatible endpoint: `POST /v1/chat/completions` with `model` set
//! to a capability id (or `auto`), and `GET /v1/models`. Callers own the history;
//! pmcoach's own tool calls stay server-side and the answer is the final text.
//! Errors use OpenAI's shape, so OpenAI SDKs report them as they would OpenAI's.

use std::convert::Infallible;

use async_openai::types::chat::{
    ChatChoice, ChatChoiceStream, ChatCompletionRequestAssistantMessageContent,
    ChatCompletionRequestDeveloperMessageContent, ChatCompletionRequestMessage,
    ChatCompletionRequestSystemMessageContent, ChatCompletionRequestUserMessageContent,
    ChatCompletionRequestUserMessageContentPart, ChatCompletionResponseMessage,
    ChatCompletionStreamResponseDelta, CompletionUsage, CreateChatCompletionRequest,
    CreateChatCompletionResponse, CreateChatCompletionStreamResponse, FinishReason, Role,
};
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::AppState;
use super::error::ApiError;
use super::sse::{self, Item};
use crate::agent::TurnEvent;
use crate::conversation::{self, AUTO, TurnRequest, TurnResult};
use crate::model::{Message, Usage};
use crate::workspace::CustomerId;

/// The header naming the customer (the request's `user` is the fallback).
pub const CUSTOMER_HEADER: &str = "x-pmcoach-customer";

/// An error in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`.
#[derive(Debug)]
pub struct OpenAiError(ApiError);

impl From<ApiError> for OpenAiError {
    fn from(err: ApiError) -> Self {
        Self(err)
    }
}

impl From<conversation::ConversationError> for OpenAiError {
    fn from(err: conversation::ConversationError) -> Self {
        Self(err.into())
    }
}

impl OpenAiError {
    fn body(&self) -> serde_json::Value {
        let status = self.0.status();
        let kind = match status {
            StatusCode::BAD_REQUEST
            | StatusCode::NOT_FOUND
            | StatusCode::PAYLOAD_TOO_LARGE
            | StatusCode::UNSUPPORTED_MEDIA_TYPE
            | StatusCode::UNPROCESSABLE_ENTITY
            | StatusCode::METHOD_NOT_ALLOWED => "invalid_request_error",
            StatusCode::SERVICE_UNAVAILABLE => "service_unavailable",
            _ => "server_error",
        };
        let code = match &self.0 {
            ApiError::UnknownCapability(_) => "model_not_found",
            other => other.code(),
        };
        // `body` logs the internal cause.
        let message = self.0.body()["error"]["message"].clone();
        json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
    }
}

impl IntoResponse for OpenAiError {
    fn into_response(self) -> Response {
        (self.0.status(), axum::Json(self.body())).into_response()
    }
}

/// `Json` whose rejections answer in OpenAI's error shape.
pub struct OpenAiJson<T>(pub T);

impl<S, T> FromRequest<S> for OpenAiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = OpenAiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Json::<T>::from_request(req, state)
            .await
            .map(|axum::Json(value)| OpenAiJson(value))
            .map_err(|rejection| OpenAiError(rejection.into()))
    }
}

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

fn text_of_user(content: ChatCompletionRequestUserMessageContent) -> String {
    match content {
        ChatCompletionRequestUserMessageContent::Text(text) => text,
        ChatCompletionRequestUserMessageContent::Array(parts) => parts
            .into_iter()
            .filter_map(|part| match part {
                ChatCompletionRequestUserMessageContentPart::Text(t) => Some(t.text),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

fn text_of_json<T: Serialize>(value: &T) -> String {
    // Array-of-parts contents: keep their text parts.
    match serde_json::to_value(value).unwrap_or_default() {
        serde_json::Value::String(text) => text,
        serde_json::Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// The caller's history and last user message, in our message types.
fn split_messages(
    messages: Vec<ChatCompletionRequestMessage>,
) -> Result<(Vec<Message>, String), ApiError> {
    let mut history = Vec::with_capacity(messages.len());
    for message in messages {
        history.push(match message {
            ChatCompletionRequestMessage::System(m) => Message::system(match m.content {
                ChatCompletionRequestSystemMessageContent::Text(text) => text,
                other => text_of_json(&other),
            }),
            ChatCompletionRequestMessage::Developer(m) => Message::system(match m.content {
                ChatCompletionRequestDeveloperMessageContent::Text(text) => text,
                other => text_of_json(&other),
            }),
            ChatCompletionRequestMessage::User(m) => Message::user(text_of_user(m.content)),
            ChatCompletionRequestMessage::Assistant(m) => Message::Assistant {
                content: m.content.map(|c| match c {
                    ChatCompletionRequestAssistantMessageContent::Text(text) => text,
                    other => text_of_json(&other),
                }),
                tool_calls: Vec::new(),
            },
            ChatCompletionRequestMessage::Tool(_) | ChatCompletionRequestMessage::Function(_) => {
                return Err(ApiError::BadRequest(
                    "tool and function messages are not accepted: pmcoach runs its own tools \
                     server-side; send the conversation's user and assistant text"
                        .into(),
                ));
            }
        });
    }
    match history.pop() {
        Some(Message::User { content }) => Ok((history, content)),
        _ => Err(ApiError::BadRequest(
            "the last message must be the user's".into(),
        )),
    }
}

fn wire_usage(usage: Usage) -> CompletionUsage {
    let clamp = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    CompletionUsage {
        prompt_tokens: clamp(usage.prompt_tokens),
        completion_tokens: clamp(usage.completion_tokens),
        total_tokens: clamp(usage.total_tokens),
        ..CompletionUsage::default()
    }
}

fn unix_now() -> u32 {
    u32::try_from(jiff::Timestamp::now().as_second()).unwrap_or(u32::MAX)
}

/// pmcoach's additions to a completion (ignored by OpenAI clients).
#[derive(Debug, Serialize)]
struct Extras {
    session_id: String,
    routed: bool,
    artifacts: Vec<crate::templates::Artifact>,
    tool_calls: Vec<crate::session::ToolCallRecord>,
}

#[derive(Debug, Serialize)]
struct CompletionBody {
    #[serde(flatten)]
    completion: CreateChatCompletionResponse,
    pmcoach: Extras,
}

fn completion(id: &str, created: u32, result: TurnResult) -> CompletionBody {
    let message = ChatCompletionResponseMessage {
        role: Role::Assistant,
        content: Some(result.reply),
        ..ChatCompletionResponseMessage::default()
    };
    CompletionBody {
        completion: CreateChatCompletionResponse {
            id: id.to_string(),
            object: "chat.completion".into(),
            created,
            model: result.capability,
            choices: vec![ChatChoice {
                index: 0,
                message,
                finish_reason: Some(FinishReason::Stop),
                logprobs: None,
            }],
            usage: Some(wire_usage(result.usage)),
            ..CreateChatCompletionResponse::default()
        },
        pmcoach: Extras {
            session_id: result.session_id,
            routed: result.routed,
            artifacts: result.artifacts,
            tool_calls: result.tool_calls,
        },
    }
}

fn chunk(
    id: &str,
    created: u32,
    model: &str,
    delta: Option<ChatCompletionStreamResponseDelta>,
    finish_reason: Option<FinishReason>,
    usage: Option<Usage>,
) -> Event {
    let mut chunk = CreateChatCompletionStreamResponse {
        id: id.to_string(),
        object: "chat.completion.chunk".into(),
        created,
        model: model.to_string(),
        usage: usage.map(wire_usage),
        ..CreateChatCompletionStreamResponse::default()
    };
    if let Some(delta) = delta {
        chunk.choices.push(ChatChoiceStream {
            index: 0,
            delta,
            finish_reason,
            logprobs: None,
        });
    }
    Event::default().data(serde_json::to_string(&chunk).unwrap_or_default())
}

fn text_delta(text: Option<String>, role: Option<Role>) -> ChatCompletionStreamResponseDelta {
    ChatCompletionStreamResponseDelta {
        content: text,
        role,
        ..ChatCompletionStreamResponseDelta::default()
    }
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
        (status = 502, description = "The model upstream failed"),
        (status = 503, description = "No model configured")
    )
)]
pub(super) async fn completions(
    State(state): State<AppState>,
    headers: HeaderMap,
    OpenAiJson(request): OpenAiJson<CreateChatCompletionRequest>,
) -> Result<Response, OpenAiError> {
    let customer = match headers.get(CUSTOMER_HEADER) {
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| ApiError::BadRequest(format!("{CUSTOMER_HEADER} is not text")))?
                .to_string(),
        ),
        // OpenAI clients often set `user` to an end-user id for abuse tracking;
        // it names a customer only when it is one (a valid customer slug).
        #[allow(deprecated)]
        None => request
            .user
            .clone()
            .filter(|user| CustomerId::parse(user).is_ok()),
    };
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
    let created = unix_now();
    if !stream {
        let result = prepared.run(None).await?;
        return Ok(axum::Json(completion(&id, created, result)).into_response());
    }

    let mut model = String::new();
    let events = sse::run(prepared).flat_map(move |item| {
        let events: Vec<Event> = match item {
            Item::Event(TurnEvent::Capability { capability, .. }) => {
                model = capability;
                vec![chunk(
                    &id,
                    created,
                    &model,
                    Some(text_delta(Some(String::new()), Some(Role::Assistant))),
                    None,
                    None,
                )]
            }
            Item::Event(TurnEvent::Delta { text }) => {
                vec![chunk(
                    &id,
                    created,
                    &model,
                    Some(text_delta(Some(text), None)),
                    None,
                    None,
                )]
            }
            Item::Event(_) => Vec::new(),
            Item::Finished(Ok(result)) => {
                let mut events = vec![chunk(
                    &id,
                    created,
                    &model,
                    Some(text_delta(None, None)),
                    Some(FinishReason::Stop),
                    None,
                )];
                if include_usage {
                    events.push(chunk(&id, created, &model, None, None, Some(result.usage)));
                }
                events.push(Event::default().data("[DONE]"));
                events
            }
            Item::Finished(Err(err)) => {
                let err = OpenAiError::from(err);
                vec![Event::default().data(err.body().to_string())]
            }
        };
        futures::stream::iter(events.into_iter().map(Ok::<_, Infallible>))
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response())
}
