//! OpenAI's response formats: a whole chat completion, and the chunks of a
//! streamed one ending with `data: [DONE]`, built from a finished turn and its
//! events.

use std::convert::Infallible;

use async_openai::types::chat::{
    ChatChoice, ChatChoiceStream, ChatCompletionMessageToolCall,
    ChatCompletionMessageToolCallChunk, ChatCompletionMessageToolCalls,
    ChatCompletionResponseMessage, ChatCompletionStreamResponseDelta, CompletionUsage,
    CreateChatCompletionResponse, CreateChatCompletionStreamResponse, FinishReason, FunctionCall,
    FunctionCallStream, FunctionType, Role,
};
use axum::response::sse::Event;
use futures::{Stream, StreamExt};
use serde::Serialize;

use super::error;
use crate::agent::TurnEvent;
use crate::conversation::TurnResult;
use crate::http::shutdown;
use crate::http::sse::Item;
use crate::model::{ToolCall, Usage};

fn wire_usage(usage: Usage) -> CompletionUsage {
    let clamp = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    CompletionUsage {
        prompt_tokens: clamp(usage.prompt_tokens),
        completion_tokens: clamp(usage.completion_tokens),
        total_tokens: clamp(usage.total_tokens),
        ..CompletionUsage::default()
    }
}

pub(super) fn unix_now() -> u32 {
    u32::try_from(jiff::Timestamp::now().as_second()).unwrap_or(u32::MAX)
}

/// pmcoach's additions to a completion (ignored by OpenAI clients).
#[derive(Debug, Serialize)]
struct Extras {
    session_id: String,
    routed: bool,
    artifacts: Vec<crate::templates::Artifact>,
    tool_calls: Vec<crate::session::ToolCallRecord>,
    /// The estimated cost in USD of `usage`; absent when the model has no price.
    #[serde(skip_serializing_if = "Option::is_none")]
    cost_usd: Option<f64>,
}

#[derive(Debug, Serialize)]
pub(super) struct CompletionBody {
    #[serde(flatten)]
    completion: CreateChatCompletionResponse,
    pmcoach: Extras,
}

pub(super) fn completion(id: &str, created: u32, result: TurnResult) -> CompletionBody {
    let handed_back = !result.handed_back.is_empty();
    let message = ChatCompletionResponseMessage {
        role: Role::Assistant,
        content: (!handed_back || !result.reply.is_empty()).then_some(result.reply),
        tool_calls: handed_back.then(|| {
            result
                .handed_back
                .into_iter()
                .map(|call| {
                    ChatCompletionMessageToolCalls::Function(ChatCompletionMessageToolCall {
                        id: call.id,
                        function: FunctionCall {
                            name: call.name,
                            arguments: call.arguments,
                        },
                    })
                })
                .collect()
        }),
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
                finish_reason: Some(if handed_back {
                    FinishReason::ToolCalls
                } else {
                    FinishReason::Stop
                }),
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
            cost_usd: result.cost_usd,
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

/// How a stream is sent.
#[derive(Debug, Clone)]
pub(super) struct StreamShape {
    pub(super) id: String,
    pub(super) created: u32,
    /// Send a usage chunk before `[DONE]`.
    pub(super) include_usage: bool,
    /// Hold the text back and send the checked answer whole at the end (a
    /// structured answer may be corrected once: its first try must not reach
    /// the client).
    pub(super) whole_answer: bool,
}

/// What a streamed completion sends for each item of the turn: a role chunk
/// when the capability is known, a chunk per text delta, then the caller's
/// function calls if the turn hands any back, the finish chunk, the usage
/// chunk if asked for, and `[DONE]`; or the error in OpenAI's shape.
pub(super) fn chunks(
    items: impl Stream<Item = Item> + Send + 'static,
    shape: StreamShape,
) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static {
    let mut model = String::new();
    items.flat_map(move |item| {
        let StreamShape { id, created, .. } = &shape;
        let events: Vec<Event> = match item {
            Item::Event(TurnEvent::Capability { capability, .. }) => {
                model = capability;
                let role = text_delta(Some(String::new()), Some(Role::Assistant));
                vec![chunk(id, *created, &model, Some(role), None, None)]
            }
            Item::Event(TurnEvent::Delta { text }) if !shape.whole_answer => {
                let delta = text_delta(Some(text), None);
                vec![chunk(id, *created, &model, Some(delta), None, None)]
            }
            Item::Event(_) => Vec::new(),
            Item::Finished(Ok(result)) => ending(&shape, &model, *result),
            Item::Finished(Err(err)) => vec![Event::default().data(error::body(&err).to_string())],
            Item::ShuttingDown => vec![Event::default().data(shutdown::openai_body().to_string())],
        };
        futures::stream::iter(events.into_iter().map(Ok::<_, Infallible>))
    })
}

/// The chunks that end a finished turn.
fn ending(shape: &StreamShape, model: &str, result: TurnResult) -> Vec<Event> {
    let StreamShape { id, created, .. } = shape;
    let mut events = Vec::new();
    if shape.whole_answer && !result.reply.is_empty() {
        let answer = text_delta(Some(result.reply.clone()), None);
        events.push(chunk(id, *created, model, Some(answer), None, None));
    }
    for (index, call) in result.handed_back.iter().enumerate() {
        events.extend(call_chunks(shape, model, index, call));
    }
    let reason = if result.handed_back.is_empty() {
        FinishReason::Stop
    } else {
        FinishReason::ToolCalls
    };
    let stop = text_delta(None, None);
    events.push(chunk(id, *created, model, Some(stop), Some(reason), None));
    if shape.include_usage {
        events.push(chunk(id, *created, model, None, None, Some(result.usage)));
    }
    events.push(Event::default().data("[DONE]"));
    events
}

/// A handed-back call as OpenAI streams one: its id and name, then its
/// arguments.
fn call_chunks(shape: &StreamShape, model: &str, index: usize, call: &ToolCall) -> Vec<Event> {
    let index = u32::try_from(index).unwrap_or(u32::MAX);
    let fragment = |id: Option<String>, name: Option<String>, arguments: Option<String>| {
        ChatCompletionStreamResponseDelta {
            tool_calls: Some(vec![ChatCompletionMessageToolCallChunk {
                index,
                id,
                r#type: Some(FunctionType::Function),
                function: Some(FunctionCallStream { name, arguments }),
            }]),
            ..ChatCompletionStreamResponseDelta::default()
        }
    };
    let opening = fragment(
        Some(call.id.clone()),
        Some(call.name.clone()),
        Some(String::new()),
    );
    let arguments = fragment(None, None, Some(call.arguments.clone()));
    [opening, arguments]
        .into_iter()
        .map(|delta| chunk(&shape.id, shape.created, model, Some(delta), None, None))
        .collect()
}
