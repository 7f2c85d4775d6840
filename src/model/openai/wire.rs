//! What goes over the wire: our request as an OpenAI chat completion request,
//! and a streamed chunk read leniently into a [`Delta`].

use async_openai::types::chat::{
    ChatCompletionMessageToolCall, ChatCompletionMessageToolCalls, ChatCompletionNamedToolChoice,
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestAssistantMessageContent,
    ChatCompletionRequestMessage, ChatCompletionRequestMessageContentPartImage,
    ChatCompletionRequestSystemMessage, ChatCompletionRequestToolMessage,
    ChatCompletionRequestToolMessageContent, ChatCompletionRequestUserMessage,
    ChatCompletionRequestUserMessageContent, ChatCompletionRequestUserMessageContentPart,
    ChatCompletionStreamOptions, ChatCompletionToolChoiceOption, CreateChatCompletionRequest,
    FinishReason, FunctionCall, FunctionName, ImageUrl, ResponseFormat, StopConfiguration,
    ToolChoiceOptions,
};
use serde::Deserialize;

use std::sync::Arc;

use crate::model::{
    Delta, Message, ModelRequest, PreparedTool, ToolCallFragment, ToolChoiceMode, Usage,
};

/// The request body for `request` to `model`, with the configured defaults;
/// `stream` asks for a streamed answer with its usage at the end.
pub(super) fn body(
    model: &str,
    mut request: ModelRequest,
    defaults: (Option<f32>, Option<u32>),
    stream: bool,
) -> Result<Vec<u8>, serde_json::Error> {
    let tools = std::mem::take(&mut request.tools);
    let mut wire = self::request(model, request, defaults, !tools.is_empty());
    if stream {
        wire.stream = Some(true);
        wire.stream_options = Some(ChatCompletionStreamOptions {
            include_usage: Some(true),
            ..Default::default()
        });
    }
    let tools_len: usize = tools.iter().map(|t| t.json().len() + 32).sum();
    let mut body = Vec::with_capacity(16 * 1024 + tools_len);
    serde_json::to_writer(&mut body, &wire)?;
    splice_tools(&mut body, &tools);
    Ok(body)
}

/// Adds `"tools"` to a serialized request object from each tool's JSON as
/// written once, rather than building and serializing the schemas again.
fn splice_tools(body: &mut Vec<u8>, tools: &[Arc<PreparedTool>]) {
    if tools.is_empty() || body.last() != Some(&b'}') {
        return;
    }
    body.pop();
    // The object always has `model` and `messages`, so a comma follows them.
    body.extend_from_slice(br#","tools":["#);
    for (i, tool) in tools.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(br#"{"type":"function","function":"#);
        body.extend_from_slice(tool.json().as_bytes());
        body.push(b'}');
    }
    body.extend_from_slice(b"]}");
}

/// The wire request for `request` to `model` without its tools (which
/// [`splice_tools`] adds), with the configured defaults.
fn request(
    model: &str,
    request: ModelRequest,
    (temperature, max_output_tokens): (Option<f32>, Option<u32>),
    has_tools: bool,
) -> CreateChatCompletionRequest {
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
        parallel_tool_calls: has_tools.then_some(options.parallel_tool_calls).flatten(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ToolDefinition;
    use serde_json::{Value, json};

    fn tool(name: &str) -> Arc<PreparedTool> {
        PreparedTool::new(ToolDefinition {
            name: name.into(),
            description: format!("The \"{name}\" tool."),
            parameters: json!({"type": "object", "properties": {"x": {"type": "string"}}}),
        })
    }

    fn sent(request: ModelRequest, stream: bool) -> Value {
        let body = body("m", request, (None, None), stream).expect("serializes");
        serde_json::from_slice(&body).expect("valid JSON")
    }

    #[test]
    fn the_tools_written_once_are_sent_as_openai_functions() {
        let request = ModelRequest {
            messages: vec![Message::user("hi")],
            tools: vec![tool("a"), tool("b")],
            ..ModelRequest::default()
        };
        let body = sent(request, true);
        assert_eq!(body["tools"][0]["type"], "function");
        assert_eq!(body["tools"][1]["function"]["name"], "b");
        assert_eq!(
            body["tools"][1]["function"]["description"],
            "The \"b\" tool."
        );
        assert_eq!(
            body["tools"][0]["function"]["parameters"]["properties"]["x"]["type"],
            "string"
        );
        assert_eq!(body["messages"][0]["content"], "hi");
        assert_eq!(body["stream"], true);
        assert_eq!(body["stream_options"]["include_usage"], true);
    }

    #[test]
    fn a_request_without_tools_has_no_tools_field() {
        let request = ModelRequest {
            messages: vec![Message::user("hi")],
            ..ModelRequest::default()
        };
        let body = sent(request, false);
        assert!(body.get("tools").is_none(), "{body}");
        assert!(body.get("parallel_tool_calls").is_none(), "{body}");
        assert!(body.get("stream").is_none(), "{body}");
    }
}
