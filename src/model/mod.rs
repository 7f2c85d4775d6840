//! The chat model seam: our message types and the one trait every model
//! implementation (the OpenAI-compatible client, a replay of recordings, a test
//! double) provides.

mod openai;
mod prepared;
pub mod stream;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use openai::OpenAiModel;
pub use prepared::PreparedTool;
pub use stream::{Assembler, Delta, DeltaStream, ToolCallFragment};

/// A message in a conversation, in the shape sessions are stored in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "lowercase")]
pub enum Message {
    /// Instructions: the rendered system prompt.
    System {
        /// Text.
        content: String,
    },
    /// What the person (or the consulting capability) said.
    User {
        /// Text.
        content: String,
        /// Images with it (URLs or `data:` URLs), for a model declared
        /// multimodal.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        images: Vec<String>,
    },
    /// What the model said: text, tool calls, or both.
    Assistant {
        /// Text, absent when the model only called tools.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content: Option<String>,
        /// Tool calls, in the order the model made them.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<ToolCall>,
    },
    /// The result of one tool call.
    Tool {
        /// The call this answers.
        tool_call_id: String,
        /// The result (or error) as text for the model.
        content: String,
    },
}

impl Message {
    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Message::User {
            content: content.into(),
            images: Vec::new(),
        }
    }

    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Message::System {
            content: content.into(),
        }
    }
}

/// One tool call the model asked for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ToolCall {
    /// The upstream's id for the call; the result message quotes it.
    pub id: String,
    /// Tool name.
    pub name: String,
    /// Arguments as the model wrote them: JSON text, not yet validated.
    pub arguments: String,
}

/// A tool as the model is offered it: what it is called, when to call it, and
/// the JSON Schema of its arguments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolDefinition {
    /// Name the model calls it by.
    pub name: String,
    /// When and why to call it.
    pub description: String,
    /// JSON Schema of its arguments.
    pub parameters: Value,
}

/// Token counts reported by the upstream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Usage {
    /// Tokens in the prompt.
    pub prompt_tokens: u64,
    /// Tokens generated.
    pub completion_tokens: u64,
    /// Their sum.
    pub total_tokens: u64,
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, other: Usage) {
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
        self.total_tokens += other.total_tokens;
    }
}

/// One request to the model.
#[derive(Debug, Clone, Default)]
pub struct ModelRequest {
    /// The conversation so far, system prompt first.
    pub messages: Vec<Message>,
    /// Tools the model may call, each serialized once and shared.
    pub tools: Vec<std::sync::Arc<PreparedTool>>,
    /// Sampling temperature, overriding the configured one.
    pub temperature: Option<f32>,
    /// Force the model to call this tool (routing uses it).
    pub tool_choice: Option<String>,
    /// What a caller asked for beyond that: the tool choice, sampling and the
    /// answer's format (the OpenAI-compatible endpoints pass them on).
    pub options: CallOptions,
}

/// A caller's settings for the model calls of its turn.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallOptions {
    /// `none`, `auto`, `required`: whether tools may or must be called.
    pub tool_choice: Option<ToolChoiceMode>,
    /// Whether the model may call several tools at once.
    pub parallel_tool_calls: Option<bool>,
    /// Nucleus sampling.
    pub top_p: Option<f32>,
    /// Cap on the answer's tokens.
    pub max_tokens: Option<u32>,
    /// Sequences that end the answer (at most four).
    pub stop: Vec<String>,
    /// A seed for repeatable sampling, where the upstream supports it.
    pub seed: Option<i64>,
    /// Penalty on tokens already present (-2 to 2).
    pub presence_penalty: Option<f32>,
    /// Penalty by how often tokens appeared (-2 to 2).
    pub frequency_penalty: Option<f32>,
    /// The answer's format: OpenAI's `response_format` object, passed on.
    pub response_format: Option<Value>,
}

/// Whether tools may or must be called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolChoiceMode {
    /// No tool: answer in text.
    None,
    /// The model decides.
    Auto,
    /// Some tool must be called.
    Required,
}

/// The model's answer to one request.
#[derive(Debug, Clone)]
pub struct ModelResponse {
    /// Text, if any.
    pub content: Option<String>,
    /// Tool calls, if any.
    pub tool_calls: Vec<ToolCall>,
    /// Token usage of this call.
    pub usage: Usage,
    /// Why the model stopped (`stop`, `tool_calls`, `length`, ...).
    pub finish_reason: Option<String>,
}

impl ModelResponse {
    /// The assistant message to append to the conversation.
    pub fn to_message(&self) -> Message {
        Message::Assistant {
            content: self.content.clone(),
            tool_calls: self.tool_calls.clone(),
        }
    }
}

/// Why a model call failed. Messages are safe to show a client: they never carry
/// the API key or the upstream's response body.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The upstream answered with an error status.
    #[error("the model upstream answered HTTP {status}{}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Status {
        /// HTTP status.
        status: u16,
        /// The upstream's error code or type, if it gave one.
        code: Option<String>,
    },
    /// The request took longer than the configured timeout.
    #[error("the model upstream did not answer within the timeout")]
    Timeout,
    /// The upstream could not be reached.
    #[error("the model upstream could not be reached")]
    Unreachable,
    /// The upstream's answer was not a chat completion we understand.
    #[error("the model upstream sent a response pmcoach could not read")]
    BadResponse,
    /// The request could not be built.
    #[error("invalid model request: {0}")]
    InvalidRequest(String),
    /// A streamed answer broke off or stopped where its tool calls may be partial.
    #[error("the model's answer was cut off: {0}")]
    Incomplete(String),
    /// The upstream's answer was larger than the limit; reading stopped there.
    #[error("the model upstream sent more than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The upstream asked to be called again later than we wait for.
    #[error("the model upstream is rate limited; retry after {} s", retry_after.as_secs())]
    RateLimited {
        /// How long it asked to wait.
        retry_after: std::time::Duration,
    },
}

/// A chat model. Implementations must be cheap to share (`Arc<dyn ChatModel>`).
#[async_trait]
pub trait ChatModel: Send + Sync {
    /// The model's name, for logs and session records.
    fn name(&self) -> &str;

    /// Sends one request and waits for the whole answer.
    async fn complete(&self, request: ModelRequest) -> Result<ModelResponse, ModelError>;

    /// Sends one request and streams the answer as it is written. Models that
    /// cannot stream answer with one delta holding the whole response.
    async fn stream(&self, request: ModelRequest) -> Result<DeltaStream, ModelError> {
        let response = self.complete(request).await?;
        let delta = stream::single_delta(response);
        Ok(Box::pin(futures::stream::once(async move { Ok(delta) })))
    }

    /// Whether the model can be reached now, cheaply (no tokens spent), for
    /// readiness checks. Models with nothing to reach (replays, test doubles)
    /// are always ready.
    async fn probe(&self) -> Result<(), ModelError> {
        Ok(())
    }
}
