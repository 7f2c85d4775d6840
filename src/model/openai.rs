//! The real model: any OpenAI-compatible chat completions API (OpenAI, Azure's
//! OpenAI-compatible endpoint, Ollama, vLLM, llama.cpp) through async-openai.

use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::types::chat::{
    ChatCompletionMessageToolCall, ChatCompletionMessageToolCalls, ChatCompletionNamedToolChoice,
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestAssistantMessageContent,
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestToolMessage, ChatCompletionRequestToolMessageContent,
    ChatCompletionRequestUserMessage, ChatCompletionStreamOptions, ChatCompletionTool,
    ChatCompletionToolChoiceOption, ChatCompletionTools, CreateChatCompletionRequest, FinishReason,
    FunctionCall, FunctionName, FunctionObject,
};
use async_trait::async_trait;
use futures::StreamExt;
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::{
    ChatModel, Delta, DeltaStream, Message, ModelError, ModelRequest, ModelResponse, ToolCall,
    ToolCallFragment, Usage,
};
use crate::config::ModelConfig;

/// A chat model reached over HTTP.
#[derive(Debug, Clone)]
pub struct OpenAiModel {
    client: Client<OpenAIConfig>,
    model: String,
    temperature: Option<f32>,
    max_output_tokens: Option<u32>,
}

impl OpenAiModel {
    /// Builds the client, or returns `None` when no model is configured.
    pub fn from_config(config: &ModelConfig) -> Result<Option<Self>, ModelError> {
        let Some(model) = config.resolved_model() else {
            return Ok(None);
        };
        // OpenAIConfig::new() also honours OPENAI_ORG_ID and OPENAI_PROJECT_ID.
        let openai = OpenAIConfig::new()
            .with_api_base(config.base_url.trim_end_matches('/'))
            // Local servers need no key; an empty one sends no usable credential.
            .with_api_key(
                config
                    .api_key
                    .as_ref()
                    .map(|key| key.expose_secret().to_string())
                    .unwrap_or_default(),
            );
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|err| ModelError::InvalidRequest(format!("HTTP client: {err}")))?;
        Ok(Some(Self {
            client: Client::build(http, openai),
            model,
            temperature: config.temperature,
            max_output_tokens: config.max_output_tokens,
        }))
    }

    fn build_request(&self, request: ModelRequest) -> CreateChatCompletionRequest {
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
        CreateChatCompletionRequest {
            model: self.model.clone(),
            messages: request.messages.into_iter().map(to_wire).collect(),
            tools: (!tools.is_empty()).then_some(tools),
            tool_choice: request.tool_choice.map(|name| {
                ChatCompletionToolChoiceOption::Function(ChatCompletionNamedToolChoice {
                    function: FunctionName { name },
                })
            }),
            temperature: request.temperature.or(self.temperature),
            max_completion_tokens: self.max_output_tokens,
            ..Default::default()
        }
    }
}

#[async_trait]
impl ChatModel for OpenAiModel {
    fn name(&self) -> &str {
        &self.model
    }

    async fn complete(&self, request: ModelRequest) -> Result<ModelResponse, ModelError> {
        let wire = self.build_request(request);
        let response = self.client.chat().create(wire).await.map_err(map_error)?;
        let usage = response
            .usage
            .map(|u| Usage {
                prompt_tokens: u64::from(u.prompt_tokens),
                completion_tokens: u64::from(u.completion_tokens),
                total_tokens: u64::from(u.total_tokens),
            })
            .unwrap_or_default();
        let choice = response
            .choices
            .into_iter()
            .next()
            .ok_or(ModelError::BadResponse)?;
        let tool_calls = choice
            .message
            .tool_calls
            .unwrap_or_default()
            .into_iter()
            .filter_map(|call| match call {
                ChatCompletionMessageToolCalls::Function(call) => Some(ToolCall {
                    id: call.id,
                    name: call.function.name,
                    arguments: call.function.arguments,
                }),
                // We declare function tools only; a custom call cannot be ours.
                ChatCompletionMessageToolCalls::Custom(_) => None,
            })
            .collect();
        Ok(ModelResponse {
            content: choice.message.content,
            tool_calls,
            usage,
            finish_reason: choice.finish_reason.map(finish_reason_name),
        })
    }

    async fn stream(&self, request: ModelRequest) -> Result<DeltaStream, ModelError> {
        let mut wire = self.build_request(request);
        wire.stream = Some(true);
        wire.stream_options = Some(ChatCompletionStreamOptions {
            include_usage: Some(true),
            ..Default::default()
        });
        let chunks = self
            .client
            .chat()
            .create_stream_byot::<_, Chunk>(wire)
            .await
            .map_err(map_error)?;
        Ok(Box::pin(chunks.map(|chunk| match chunk {
            Ok(chunk) => Ok(Delta::from(chunk)),
            Err(OpenAIError::StreamError(_)) => Err(ModelError::Incomplete(
                "the upstream stream broke off".into(),
            )),
            Err(err) => Err(map_error(err)),
        })))
    }
}

/// A streamed chunk, read leniently: compatible servers differ in what they
/// leave out (`index` on tool-call fragments, `usage`, `object`...).
#[derive(Debug, Deserialize)]
struct Chunk {
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

fn to_wire(message: Message) -> ChatCompletionRequestMessage {
    match message {
        Message::System { content } => ChatCompletionRequestSystemMessage {
            content: content.into(),
            name: None,
        }
        .into(),
        Message::User { content } => ChatCompletionRequestUserMessage {
            content: content.into(),
            name: None,
        }
        .into(),
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

fn finish_reason_name(reason: FinishReason) -> String {
    serde_json::to_value(reason)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{reason:?}").to_lowercase())
}

/// Maps the client's error to ours, keeping the upstream's body (which can echo
/// parts of a key or the prompt) out of anything we show or log.
fn map_error(err: OpenAIError) -> ModelError {
    match err {
        OpenAIError::ApiError(api) => ModelError::Status {
            status: api.status_code.as_u16(),
            code: api
                .api_error
                .code
                .or(api.api_error.r#type)
                .filter(|c| c.len() <= 64 && c.chars().all(|ch| ch.is_ascii_graphic())),
        },
        OpenAIError::Reqwest(err) if err.is_timeout() => ModelError::Timeout,
        OpenAIError::Reqwest(err) if err.is_connect() => ModelError::Unreachable,
        OpenAIError::Reqwest(err) => match err.status() {
            Some(status) => ModelError::Status {
                status: status.as_u16(),
                code: None,
            },
            None => ModelError::Unreachable,
        },
        OpenAIError::JSONDeserialize(..) => ModelError::BadResponse,
        OpenAIError::InvalidArgument(message) => ModelError::InvalidRequest(message),
        _ => ModelError::BadResponse,
    }
}
