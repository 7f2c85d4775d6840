//! What goes over the wire: our request as an OpenAI chat completion request,
//! and a streamed chunk read leniently into a [`Delta`].

use async_openai::types::chat::{
    ChatCompletionMessageToolCall, ChatCompletionMessageToolCalls, ChatCompletionNamedToolChoice,
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestAssistantMessageContent,
    ChatCompletionRequestMessage, ChatCompletionRequestMessageContentPartImage,
    ChatCompletionRequestSystemMessage, ChatCompletionRequestToolMessage,
    ChatCompletionRequestToolMessageContent, ChatCompletionRequestUserMessage,
    ChatCompletionRequestUserMessageContent, ChatCompletionRequestUserMessageContentPart,
    ChatCompletionTool, ChatCompletionToolChoiceOption, ChatCompletionTools,
    CreateChatCompletionRequest, FinishReason, FunctionCall, FunctionName, FunctionObject,
    ImageUrl, ResponseFormat, StopConfiguration, ToolChoiceOptions,
};
use serde::Deserialize;

use crate::model::{Delta, Message, ModelRequest, ToolCallFragment, ToolChoiceMode, Usage};

/// The wire request for `request` to `model`, with the configured defaults.
pub(super) fn request(
    model: &str,
    request: ModelRequest,
    temperature: Option<f32>,
    max_output_tokens: Option<u32>,
) -> CreateChatCompletionRequest {
    let tools: Vec<ChatCompletionTools> = request
        .tools
        .into_iter()
        .map(|tool| {
            ChatCompletionTools::Function(ChatCompletionTool {
                function: FunctionObject {
                    name: tool.name,
                    description: Some(tool.description),
                    parameters: Some(tool.parameters),
                    strict: None,
                },
            })
        })
        .collect();
    let options = request.options;
    let tool_choice = match (request.tool_choice, options.tool_choice) {
        (Some(name), _) => Some(ChatCompletionToolChoiceOption::Function(
            ChatCompletionNamedToolChoice {
                function: FunctionName { name },
            },
        )),
        (None, Some(mode)) => Some(ChatCompletionToolChoiceOption::Mode(match mode {
            ToolChoiceMode::None => ToolChoiceOptions::None,
            ToolChoiceMode::Auto => ToolChoiceOptions::Auto,
            ToolChoiceMode::Required => ToolChoiceOptions::Required,
        })),
        (None, None) => None,
    };
    // `seed` is deprecated by OpenAI but honoured by compatible servers.
    #[allow(deprecated)]
    CreateChatCompletionRequest {
        model: model.to_string(),
        messages: request.messages.into_iter().map(to_wire).collect(),
        parallel_tool_calls: (!tools.is_empty())
            .then_some(options.parallel_tool_calls)
            .flatten(),
        tools: (!tools.is_empty()).then_some(tools),
        tool_choice,
        temperature: request.temperature.or(temperature),
        top_p: options.top_p,
        max_completion_tokens: options.max_tokens.or(max_output_tokens),
        stop: (!options.stop.is_empty()).then_some(StopConfiguration::StringArray(options.stop)),
        seed: options.seed,
        presence_penalty: options.presence_penalty,
        frequency_penalty: options.frequency_penalty,
        response_format: options
            .response_format
            .and_then(|format| serde_json::from_value::<ResponseFormat>(format).ok()),
        ..Default::default()
    }
}

/// A streamed chunk, read leniently: compatible servers differ in what they
/// leave out (`index` on tool-call fragments, `usage`, `object`...).
#[derive(Debug, Deserialize)]
pub(super) struct Chunk {
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Debug, Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    delta: Option<ChunkDelta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ChunkDelta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<ChunkToolCall>>,
}

#[derive(Debug, Deserialize)]
struct ChunkToolCall {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<ChunkFunction>,
}

#[derive(Debug, Deserialize)]
struct ChunkFunction {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

#[derive(Debug, Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    #[serde(default)]
    total_tokens: u64,
}

impl From<Chunk> for Delta {
    fn from(chunk: Chunk) -> Self {
        let mut delta = Delta {
            usage: chunk.usage.map(|u| Usage {
                prompt_tokens: u.prompt_tokens,
                completion_tokens: u.completion_tokens,
                total_tokens: u.total_tokens,
            }),
            ..Delta::default()
        };
        // We ask for one choice; any other is ignored.
        if let Some(choice) = chunk.choices.into_iter().next() {
            delta.finish_reason = choice.finish_reason;
            if let Some(d) = choice.delta {
                delta.content = d.content;
                delta.tool_calls = d
                    .tool_calls
                    .unwrap_or_default()
                    .into_iter()
                    .map(|call| ToolCallFragment {
                        index: call.index,
                        id: call.id,
                        name: call.function.as_ref().and_then(|f| f.name.clone()),
                        arguments: call.function.and_then(|f| f.arguments),
                    })
                    .collect();
            }
        }
        delta
    }
}

/// A user message: plain text, or text and images as parts.
fn user(content: String, images: Vec<String>) -> ChatCompletionRequestMessage {
    let content = if images.is_empty() {
        content.into()
    } else {
        let image = |url| {
            ChatCompletionRequestUserMessageContentPart::ImageUrl(
                ChatCompletionRequestMessageContentPartImage {
                    image_url: ImageUrl { url, detail: None },
                    prompt_cache_breakpoint: None,
                },
            )
        };
        ChatCompletionRequestUserMessageContent::Array(
            std::iter::once(ChatCompletionRequestUserMessageContentPart::Text(
                content.into(),
            ))
            .chain(images.into_iter().map(image))
            .collect(),
        )
    };
    ChatCompletionRequestUserMessage {
        content,
        name: None,
    }
    .into()
}

fn to_wire(message: Message) -> ChatCompletionRequestMessage {
    match message {
        Message::System { content } => ChatCompletionRequestSystemMessage {
            content: content.into(),
            name: None,
        }
        .into(),
        Message::User { content, images } => user(content, images),
        Message::Assistant {
            content,
            tool_calls,
        } => ChatCompletionRequestAssistantMessage {
            content: content.map(ChatCompletionRequestAssistantMessageContent::Text),
            tool_calls: (!tool_calls.is_empty()).then(|| {
                tool_calls
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
            ..Default::default()
        }
        .into(),
        Message::Tool {
            tool_call_id,
            content,
        } => ChatCompletionRequestToolMessage {
            content: ChatCompletionRequestToolMessageContent::Text(content),
            tool_call_id,
        }
        .into(),
    }
}

pub(super) fn finish_reason_name(reason: FinishReason) -> String {
    serde_json::to_value(reason)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{reason:?}").to_lowercase())
}
