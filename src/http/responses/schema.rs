//! The OpenAPI description of `POST /v1/responses`: what pmcoach takes and
//! answers. The handler reads the body as JSON and checks it field by field
//! (see `input`); these types only describe it.
#![allow(dead_code)] // described, never built: the wire types are async-openai's

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A Responses API request, as pmcoach takes it. Any other field that would
/// change the answer (`background: true`, `reasoning`, `include` values,
/// `truncation: "disabled"`, `conversation`, `prompt`, `max_tool_calls`,
/// `top_logprobs`, `service_tier`, `text.verbosity`, ...) is a 400
/// `unsupported_parameter` naming it.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct ResponsesRequest {
    /// A capability id or `auto`; absent, the previous response's capability
    /// (or routing).
    model: Option<String>,
    /// The user's message, or a list of items.
    input: Input,
    /// A system message for this response only (not carried to the next).
    instructions: Option<String>,
    /// The caller's functions; any other tool type is refused.
    tools: Option<Vec<FunctionTool>>,
    /// `none`, `auto`, `required`, or `{"type": "function", "name": ...}`.
    #[schema(value_type = Object)]
    tool_choice: Option<Value>,
    parallel_tool_calls: Option<bool>,
    #[schema(minimum = 0, maximum = 2)]
    temperature: Option<f32>,
    #[schema(minimum = 0, maximum = 1)]
    top_p: Option<f32>,
    #[schema(minimum = 1)]
    max_output_tokens: Option<u32>,
    /// At most 16 string values, echoed back.
    metadata: Option<HashMap<String, String>>,
    /// `{"format": {"type": "text" | "json_object" | "json_schema", ...}}`.
    text: Option<TextParam>,
    /// Answer as `response.*` server-sent events.
    stream: Option<bool>,
    /// Keep the response as a turn of a session (default true).
    store: Option<bool>,
    /// A stored response to continue: the latest of its conversation.
    previous_response_id: Option<String>,
    /// Accepted; changes nothing.
    user: Option<String>,
    /// Accepted; changes nothing.
    safety_identifier: Option<String>,
    /// Accepted; changes nothing.
    prompt_cache_key: Option<String>,
}

/// The user's message, or a list of items.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
enum Input {
    Text(String),
    Items(Vec<InputItem>),
}

/// An input item.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
enum InputItem {
    /// A message; `content` a string, or parts `input_text`, `output_text`,
    /// `input_image` (by `image_url`, for a model declared multimodal).
    Message {
        #[schema(pattern = "^(user|assistant|system|developer)$")]
        role: String,
        #[schema(value_type = Object)]
        content: Value,
    },
    /// A call of one of the caller's functions, as an earlier response made it.
    FunctionCall {
        call_id: String,
        name: String,
        arguments: String,
    },
    /// The caller's result for a call.
    FunctionCallOutput {
        call_id: String,
        /// Text, or a list of text parts.
        #[schema(value_type = Object)]
        output: Value,
    },
}

/// One of the caller's functions.
#[derive(Debug, Deserialize, ToSchema)]
struct FunctionTool {
    #[schema(pattern = "^function$")]
    r#type: String,
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    name: String,
    description: Option<String>,
    /// A JSON schema of the arguments.
    #[schema(value_type = Object)]
    parameters: Option<Value>,
    strict: Option<bool>,
}

/// The answer's format.
#[derive(Debug, Deserialize, ToSchema)]
struct TextParam {
    /// `{"type": "text"}`, `{"type": "json_object"}`, or `{"type":
    /// "json_schema", "name", "schema", "strict"}`: the answer is checked
    /// against it, with one correction, else 502 `invalid_structured_output`.
    #[schema(value_type = Object)]
    format: Option<Value>,
}

/// A Responses object.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct ResponseObject {
    /// `resp_<session>_<n>` when stored (the session's nth answered turn).
    id: String,
    /// Always `response`.
    object: String,
    created_at: u64,
    completed_at: Option<u64>,
    /// `completed` (`in_progress` and `failed` only in streamed events).
    status: String,
    /// The capability that answered.
    model: String,
    /// A `message` item with the answer (`output_text`), then a
    /// `function_call` item per call of the caller's functions.
    output: Vec<OutputItem>,
    usage: Usage,
    previous_response_id: Option<String>,
    instructions: Option<String>,
    metadata: HashMap<String, String>,
    /// pmcoach's additions: `session_id` (when stored), `routed`,
    /// `artifacts`, `tool_calls`, `cost_usd`.
    #[schema(value_type = Object)]
    pmcoach: Value,
}

/// An output item.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
enum OutputItem {
    Message {
        id: String,
        role: String,
        status: String,
        /// `[{"type": "output_text", "text", "annotations"}]`.
        #[schema(value_type = Vec<Object>)]
        content: Vec<Value>,
    },
    FunctionCall {
        id: String,
        call_id: String,
        name: String,
        arguments: String,
        status: String,
    },
}

/// Tokens spent, routing and consulted capabilities included.
#[derive(Debug, Deserialize, ToSchema)]
struct Usage {
    input_tokens: u32,
    output_tokens: u32,
    total_tokens: u32,
    /// `{"cached_tokens": 0}`.
    #[schema(value_type = Object)]
    input_tokens_details: Value,
    /// `{"reasoning_tokens": 0}`.
    #[schema(value_type = Object)]
    output_tokens_details: Value,
}
