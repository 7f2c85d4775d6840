//! A chat completion request as pmcoach takes it: every parameter is either
//! honoured (forwarded to the model within the ranges OpenAI accepts),
//! accepted as having no effect on the answer (`user`, `metadata`...), or
//! refused with a 400 naming it. Nothing is dropped silently.

use async_openai::types::chat::{
    ChatCompletionToolChoiceOption, ChatCompletionTools, CreateChatCompletionRequest,
    ResponseFormat, StopConfiguration, ToolChoiceOptions,
};
use serde_json::Value;

use super::messages::{Split, split_messages};
use crate::agent::{OutputFormat, TurnOptions};
use crate::http::error::ApiError;
use crate::model::{CallOptions, Message, ToolChoiceMode, ToolDefinition};

/// What the request asks for, checked.
#[derive(Debug)]
pub(in crate::http) struct Parsed {
    /// The capability id or `auto`.
    pub(in crate::http) model: String,
    /// The caller's history.
    pub(in crate::http) history: Vec<Message>,
    /// The new user message; empty when the turn continues after the
    /// caller's function results.
    pub(in crate::http) message: String,
    /// Tools, tool choice, sampling and format.
    pub(in crate::http) options: TurnOptions,
    /// Answer as server-sent chunks.
    pub(in crate::http) stream: bool,
    /// Send a usage chunk at the end of a stream.
    pub(in crate::http) include_usage: bool,
    /// `store: true`: keep the turn as a session.
    pub(in crate::http) store: bool,
}

/// Parameters that change nothing pmcoach can honour and are refused when set.
const UNSUPPORTED: &[&str] = &[
    "audio",
    "prediction",
    "web_search_options",
    "functions",
    "function_call",
    "logit_bias",
    "top_logprobs",
    "service_tier",
    "reasoning_effort",
    "verbosity",
];

fn unsupported(param: &str, why: &str) -> ApiError {
    ApiError::UnsupportedParameter {
        param: param.to_string(),
        message: format!("{param} is not supported by pmcoach: {why}"),
    }
}

fn invalid(param: &str, message: impl Into<String>) -> ApiError {
    ApiError::InvalidParameter {
        param: param.to_string(),
        message: message.into(),
    }
}

/// Checks and reads a raw request. `multimodal`: whether images may be sent;
/// `own_tool`: whether a tool name is pmcoach's (a caller's function may not
/// take it); `continues`: the messages follow a stored conversation (the
/// Responses API's `previous_response_id`).
pub(in crate::http) fn parse(
    raw: Value,
    multimodal: bool,
    own_tool: &dyn Fn(&str) -> bool,
    continues: bool,
) -> Result<Parsed, ApiError> {
    refuse_unsupported(&raw)?;
    let request: CreateChatCompletionRequest = serde_json::from_value(raw)
        .map_err(|err| ApiError::BadRequest(format!("not a chat completion request: {err}")))?;
    let (call, temperature) = sampling(&request)?;
    let (caller_tools, forced_tool, mode) = caller_tools(&request, own_tool)?;
    let (output, response_format) = output(&request)?;
    let Split {
        history,
        message,
        images,
    } = split_messages(request.messages, multimodal, continues)?;
    Ok(Parsed {
        model: request.model,
        history,
        message,
        options: TurnOptions {
            caller_tools,
            forced_tool,
            temperature,
            images,
            call: CallOptions {
                tool_choice: mode,
                parallel_tool_calls: request.parallel_tool_calls,
                response_format,
                ..call
            },
            output,
        },
        stream: request.stream.unwrap_or(false),
        include_usage: request
            .stream_options
            .and_then(|o| o.include_usage)
            .unwrap_or(false),
        store: request.store.unwrap_or(false),
    })
}

/// Refuses what pmcoach does not do: several choices, log probabilities,
/// audio, predicted outputs, web search, the legacy `functions`, logit bias.
fn refuse_unsupported(raw: &Value) -> Result<(), ApiError> {
    let set = |key: &str| raw.get(key).is_some_and(|v| !v.is_null());
    if let Some(n) = raw.get("n").filter(|v| !v.is_null())
        && n.as_u64() != Some(1)
    {
        return Err(unsupported("n", "it answers with one choice"));
    }
    if raw.get("logprobs").and_then(Value::as_bool) == Some(true) {
        return Err(unsupported(
            "logprobs",
            "the answer is assembled from several model calls",
        ));
    }
    if let Some(modalities) = raw.get("modalities").and_then(Value::as_array)
        && modalities.iter().any(|m| m != "text")
    {
        return Err(unsupported("modalities", "it answers in text only"));
    }
    match UNSUPPORTED.iter().find(|key| set(key)) {
        Some(key) => Err(unsupported(key, "see README, \"For orchestrators\"")),
        None => Ok(()),
    }
}

/// Sampling settings within OpenAI's ranges.
fn sampling(request: &CreateChatCompletionRequest) -> Result<(CallOptions, Option<f32>), ApiError> {
    let within = |param: &str, value: Option<f32>, low: f32, high: f32| match value {
        Some(v) if !(low..=high).contains(&v) || !v.is_finite() => Err(invalid(
            param,
            format!("{param} must be between {low} and {high}, got {v}"),
        )),
        _ => Ok(value),
    };
    let temperature = within("temperature", request.temperature, 0.0, 2.0)?;
    #[allow(deprecated)]
    let max_tokens = match (request.max_completion_tokens, request.max_tokens) {
        (Some(0), _) | (None, Some(0)) => {
            return Err(invalid("max_completion_tokens", "must be at least 1"));
        }
        (Some(n), _) | (None, Some(n)) => Some(n),
        (None, None) => None,
    };
    let stop = match &request.stop {
        None => Vec::new(),
        Some(StopConfiguration::String(one)) => vec![one.clone()],
        Some(StopConfiguration::StringArray(many)) if many.len() <= 4 => many.clone(),
        Some(StopConfiguration::StringArray(_)) => {
            return Err(invalid("stop", "at most 4 stop sequences"));
        }
    };
    #[allow(deprecated)]
    let seed = request.seed;
    let call = CallOptions {
        top_p: within("top_p", request.top_p, 0.0, 1.0)?,
        presence_penalty: within("presence_penalty", request.presence_penalty, -2.0, 2.0)?,
        frequency_penalty: within("frequency_penalty", request.frequency_penalty, -2.0, 2.0)?,
        max_tokens,
        stop,
        seed,
        ..CallOptions::default()
    };
    Ok((call, temperature))
}

/// The caller's functions, which one the model must call if any, and the
/// tool choice mode.
type CallerTools = (Vec<ToolDefinition>, Option<String>, Option<ToolChoiceMode>);

fn caller_tools(
    request: &CreateChatCompletionRequest,
    own_tool: &dyn Fn(&str) -> bool,
) -> Result<CallerTools, ApiError> {
    let tools = request
        .tools
        .iter()
        .flatten()
        .map(|tool| function(tool, own_tool))
        .collect::<Result<Vec<_>, _>>()?;
    let (forced, mode) = tool_choice(request.tool_choice.as_ref(), &tools)?;
    Ok((tools, forced, mode))
}

/// One offered function, with a name of its own.
fn function(
    tool: &ChatCompletionTools,
    own_tool: &dyn Fn(&str) -> bool,
) -> Result<ToolDefinition, ApiError> {
    let ChatCompletionTools::Function(tool) = tool else {
        return Err(unsupported("tools", "only function tools can be offered"));
    };
    let name = &tool.function.name;
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !valid {
        return Err(invalid("tools", format!("invalid function name {name:?}")));
    }
    if own_tool(name) {
        return Err(invalid(
            "tools",
            format!("{name:?} is the name of one of pmcoach's own tools; rename yours"),
        ));
    }
    Ok(ToolDefinition {
        name: name.clone(),
        description: tool.function.description.clone().unwrap_or_default(),
        parameters: tool
            .function
            .parameters
            .clone()
            .unwrap_or_else(|| serde_json::json!({"type": "object", "properties": {}})),
    })
}

/// `tool_choice`: a mode, or one of the request's functions.
fn tool_choice(
    choice: Option<&ChatCompletionToolChoiceOption>,
    tools: &[ToolDefinition],
) -> Result<(Option<String>, Option<ToolChoiceMode>), ApiError> {
    match choice {
        None => Ok((None, None)),
        Some(ChatCompletionToolChoiceOption::Mode(mode)) => Ok((
            None,
            Some(match mode {
                ToolChoiceOptions::None => ToolChoiceMode::None,
                ToolChoiceOptions::Auto => ToolChoiceMode::Auto,
                ToolChoiceOptions::Required => ToolChoiceMode::Required,
            }),
        )),
        Some(ChatCompletionToolChoiceOption::Function(named)) => {
            let name = &named.function.name;
            if !tools.iter().any(|t| &t.name == name) {
                return Err(invalid(
                    "tool_choice",
                    format!("{name:?} is not one of the request's tools"),
                ));
            }
            Ok((Some(name.clone()), None))
        }
        Some(_) => Err(unsupported(
            "tool_choice",
            "use none, auto, required or a function",
        )),
    }
}

/// The answer's required format, and the `response_format` passed on.
fn output(
    request: &CreateChatCompletionRequest,
) -> Result<(Option<OutputFormat>, Option<Value>), ApiError> {
    let Some(format) = &request.response_format else {
        return Ok((None, None));
    };
    let passed = serde_json::to_value(format).ok();
    match format {
        ResponseFormat::Text => Ok((None, None)),
        ResponseFormat::JsonObject => Ok((Some(OutputFormat::JsonObject), passed)),
        ResponseFormat::JsonSchema { json_schema } => {
            let schema = json_schema.schema.clone();
            let format = OutputFormat::schema(&json_schema.name, &schema).map_err(|err| {
                invalid(
                    "response_format",
                    format!("the JSON schema does not compile: {err}"),
                )
            })?;
            Ok((Some(format), passed))
        }
    }
}
