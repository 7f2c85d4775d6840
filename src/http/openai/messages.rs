//! The caller's messages in our types: the history the caller owns (its own
//! tool calls and their results included), and its last message: a user's, or
//! the results of the functions a turn handed back, which continue that turn.

use async_openai::types::chat::{
    ChatCompletionMessageToolCalls, ChatCompletionRequestAssistantMessageContent,
    ChatCompletionRequestDeveloperMessageContent, ChatCompletionRequestMessage,
    ChatCompletionRequestSystemMessageContent, ChatCompletionRequestToolMessageContent,
    ChatCompletionRequestUserMessageContent, ChatCompletionRequestUserMessageContentPart,
};
use serde::Serialize;

use crate::http::error::ApiError;
use crate::model::{Message, ToolCall};

/// A request's messages, split.
#[derive(Debug)]
pub(super) struct Split {
    /// Everything before the new message.
    pub(super) history: Vec<Message>,
    /// The new user message; empty when the history ends with function
    /// results (the turn continues).
    pub(super) message: String,
    /// Images with the new message.
    pub(super) images: Vec<String>,
}

/// Splits the caller's messages. Images are accepted only for a model
/// declared multimodal. `continues`: the messages follow a stored
/// conversation, so function results may open them (the conversation checks
/// those against the calls it handed back).
pub(super) fn split_messages(
    messages: Vec<ChatCompletionRequestMessage>,
    multimodal: bool,
    continues: bool,
) -> Result<Split, ApiError> {
    let mut history = Vec::with_capacity(messages.len());
    for (i, message) in messages.into_iter().enumerate() {
        history.push(ours(i, message, multimodal)?);
    }
    check_tool_results(&history, continues)?;
    match history.pop() {
        Some(Message::User { content, images }) => Ok(Split {
            history,
            message: content,
            images,
        }),
        Some(tool @ Message::Tool { .. }) => {
            history.push(tool);
            Ok(Split {
                history,
                message: String::new(),
                images: Vec::new(),
            })
        }
        _ => Err(ApiError::BadRequest(
            "the last message must be the user's, or the results of the tool calls the \
             assistant made"
                .into(),
        )),
    }
}

/// Every tool message answers a call the assistant made before it, once;
/// those that open a continuation answer the stored conversation's calls.
fn check_tool_results(history: &[Message], continues: bool) -> Result<(), ApiError> {
    let mut open: Vec<&str> = Vec::new();
    let mut leading = continues;
    for (i, message) in history.iter().enumerate() {
        if leading && matches!(message, Message::Tool { .. }) {
            continue;
        }
        leading = false;
        match message {
            Message::Assistant { tool_calls, .. } => {
                open = tool_calls.iter().map(|c| c.id.as_str()).collect();
            }
            Message::Tool { tool_call_id, .. } => {
                let Some(at) = open.iter().position(|id| id == tool_call_id) else {
                    return Err(ApiError::InvalidParameter {
                        param: format!("messages[{i}]"),
                        message: format!(
                            "tool message {tool_call_id:?} answers no tool call of the assistant \
                             message before it"
                        ),
                    });
                };
                open.remove(at);
            }
            _ => open.clear(),
        }
    }
    Ok(())
}

/// One message in our type.
fn ours(
    i: usize,
    message: ChatCompletionRequestMessage,
    multimodal: bool,
) -> Result<Message, ApiError> {
    Ok(match message {
        ChatCompletionRequestMessage::System(m) => Message::system(match m.content {
            ChatCompletionRequestSystemMessageContent::Text(text) => text,
            other => text_of_json(&other),
        }),
        ChatCompletionRequestMessage::Developer(m) => Message::system(match m.content {
            ChatCompletionRequestDeveloperMessageContent::Text(text) => text,
            other => text_of_json(&other),
        }),
        ChatCompletionRequestMessage::User(m) => user(i, m.content, multimodal)?,
        ChatCompletionRequestMessage::Assistant(m) => Message::Assistant {
            content: m.content.map(|c| match c {
                ChatCompletionRequestAssistantMessageContent::Text(text) => text,
                other => text_of_json(&other),
            }),
            tool_calls: m
                .tool_calls
                .unwrap_or_default()
                .into_iter()
                .filter_map(|call| match call {
                    ChatCompletionMessageToolCalls::Function(call) => Some(ToolCall {
                        id: call.id,
                        name: call.function.name,
                        arguments: call.function.arguments,
                    }),
                    ChatCompletionMessageToolCalls::Custom(_) => None,
                })
                .collect(),
        },
        ChatCompletionRequestMessage::Tool(m) => Message::Tool {
            tool_call_id: m.tool_call_id,
            content: match m.content {
                ChatCompletionRequestToolMessageContent::Text(text) => text,
                other => text_of_json(&other),
            },
        },
        ChatCompletionRequestMessage::Function(_) => {
            return Err(ApiError::UnsupportedParameter {
                param: format!("messages[{i}]"),
                message: "function messages are the legacy form: send tool messages".into(),
            });
        }
    })
}

/// A user message: its text parts joined; its images when the model takes
/// them; audio and files never.
fn user(
    i: usize,
    content: ChatCompletionRequestUserMessageContent,
    multimodal: bool,
) -> Result<Message, ApiError> {
    let parts = match content {
        ChatCompletionRequestUserMessageContent::Text(text) => return Ok(Message::user(text)),
        ChatCompletionRequestUserMessageContent::Array(parts) => parts,
    };
    let mut texts = Vec::new();
    let mut images = Vec::new();
    for part in parts {
        match part {
            ChatCompletionRequestUserMessageContentPart::Text(t) => texts.push(t.text),
            ChatCompletionRequestUserMessageContentPart::ImageUrl(image) if multimodal => {
                images.push(image.image_url.url);
            }
            ChatCompletionRequestUserMessageContentPart::ImageUrl(_) => {
                return Err(ApiError::UnsupportedParameter {
                    param: format!("messages[{i}].content"),
                    message: "images are not supported: the configured model is not declared \
                              multimodal ([model] multimodal = true)"
                        .into(),
                });
            }
            _ => {
                return Err(ApiError::UnsupportedParameter {
                    param: format!("messages[{i}].content"),
                    message: "only text and image parts are supported".into(),
                });
            }
        }
    }
    Ok(Message::User {
        content: texts.join("\n"),
        images,
    })
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
