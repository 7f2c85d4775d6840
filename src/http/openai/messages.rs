//! The caller's messages in our types: the history the caller owns, and its
//! last message, which must be the user's.

use async_openai::types::chat::{
    ChatCompletionRequestAssistantMessageContent, ChatCompletionRequestDeveloperMessageContent,
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessageContent,
    ChatCompletionRequestUserMessageContent, ChatCompletionRequestUserMessageContentPart,
};
use serde::Serialize;

use crate::http::error::ApiError;
use crate::model::Message;

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
pub(super) fn split_messages(
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
