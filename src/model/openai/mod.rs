//! The real model: any OpenAI-compatible chat completions API (OpenAI, Azure's
//! OpenAI-compatible endpoint, Ollama, vLLM, llama.cpp). async-openai supplies
//! the wire types and the endpoint's URL and headers; the exchange itself is
//! ours (`transport`), so retries, waits and body sizes follow our policy.

mod probe;
mod sse;
mod transport;
mod wire;

use std::time::Duration;

use async_openai::config::OpenAIConfig;
use async_openai::types::chat::{ChatCompletionMessageToolCalls, CreateChatCompletionResponse};
use async_trait::async_trait;
use futures::StreamExt;
use secrecy::ExposeSecret;

use super::{
    ChatModel, Delta, DeltaStream, ModelError, ModelRequest, ModelResponse, ToolCall, Usage,
};
use crate::config::ModelConfig;
use crate::limits::UpstreamLimits;
use sse::SseDecoder;
use transport::Transport;

/// A chat model reached over HTTP.
#[derive(Debug, Clone)]
pub struct OpenAiModel {
    transport: Transport,
    model: String,
    temperature: Option<f32>,
    max_output_tokens: Option<u32>,
}

impl OpenAiModel {
    /// Builds the client, or returns `None` when no model is configured.
    pub fn from_config(
        config: &ModelConfig,
        limits: &UpstreamLimits,
    ) -> Result<Option<Self>, ModelError> {
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
            transport: Transport::new(http, openai, limits.clone()),
            model,
            temperature: config.temperature,
            max_output_tokens: config.max_output_tokens,
        }))
    }

    fn body(&self, request: ModelRequest, stream: bool) -> Result<bytes::Bytes, ModelError> {
        let defaults = (self.temperature, self.max_output_tokens);
        wire::body(&self.model, request, defaults, stream)
            .map(bytes::Bytes::from)
            .map_err(|err| ModelError::InvalidRequest(err.to_string()))
    }
}

#[async_trait]
impl ChatModel for OpenAiModel {
    fn name(&self) -> &str {
        &self.model
    }

    async fn probe(&self) -> Result<(), ModelError> {
        self.probe_upstream().await
    }

    async fn complete(&self, request: ModelRequest) -> Result<ModelResponse, ModelError> {
        let response = self.transport.post(self.body(request, false)?).await?;
        let body = transport::read_capped(response, self.transport.max_body()).await?;
        let response: CreateChatCompletionResponse =
            serde_json::from_slice(&body).map_err(|_| ModelError::BadResponse)?;
        Ok(from_wire(response)?)
    }

    async fn stream(&self, request: ModelRequest) -> Result<DeltaStream, ModelError> {
        let response = self.transport.post(self.body(request, true)?).await?;
        let mut decoder = SseDecoder::default();
        let events =
            transport::capped_stream(response, self.transport.max_body()).flat_map(move |chunk| {
                let events: Vec<Result<String, ModelError>> = match chunk {
                    Ok(bytes) => decoder.push(&bytes).into_iter().map(Ok).collect(),
                    Err(err) => vec![Err(err)],
                };
                futures::stream::iter(events)
            });
        let deltas = events
            .take_while(|event| {
                let done = matches!(event, Ok(data) if data.trim() == "[DONE]");
                futures::future::ready(!done)
            })
            .map(|event| {
                event.and_then(|data| {
                    serde_json::from_str::<wire::Chunk>(&data)
                        .map(Delta::from)
                        .map_err(|_| ModelError::BadResponse)
                })
            });
        Ok(Box::pin(deltas))
    }
}

/// Our response from the wire's: the first choice, function calls only.
fn from_wire(response: CreateChatCompletionResponse) -> Result<ModelResponse, ModelError> {
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
        finish_reason: choice.finish_reason.map(wire::finish_reason_name),
    })
}
