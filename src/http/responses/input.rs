//! A Responses API request read as the chat completion request pmcoach already
//! serves: its input items become messages, its function tools, tool choice
//! and `text.format` their chat completion forms, so that chat completions'
//! own checks apply; what it cannot honour is refused, naming the field.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::items;
use super::output::Echo;
use crate::http::error::ApiError;

/// A Responses request, translated.
#[derive(Debug)]
pub(super) struct Translated {
    /// The chat completion request to parse as chat completions do.
    pub(super) chat: Value,
    /// For each of its messages, the input item it came from.
    pub(super) sources: Vec<usize>,
    /// The capability asked for; none continues the previous response's.
    pub(super) model: Option<String>,
    /// Keep the response (OpenAI's default: true).
    pub(super) store: bool,
    /// What the response echoes, `instructions` (a system message for this
    /// response only) and `previous_response_id` among it.
    pub(super) echo: Echo,
}

pub(super) fn unsupported(param: &str, why: &str) -> ApiError {
    ApiError::UnsupportedParameter {
        param: param.to_string(),
        message: format!("{param} is not supported by pmcoach: {why}"),
    }
}

pub(super) fn invalid(param: &str, message: impl Into<String>) -> ApiError {
    ApiError::InvalidParameter {
        param: param.to_string(),
        message: message.into(),
    }
}

/// Fields that set nothing pmcoach does differently, or that it honours.
const ACCEPTED: &[&str] = &[
    "model",
    "input",
    "instructions",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "temperature",
    "top_p",
    "max_output_tokens",
    "metadata",
    "text",
    "stream",
    "stream_options",
    "store",
    "previous_response_id",
    "user",
    "safety_identifier",
    "prompt_cache_key",
    "prompt_cache_retention",
];

/// Why a field that would change the answer is refused when set.
fn why_not(field: &str) -> &'static str {
    match field {
        "background" => "a response is answered within its request",
        "include" => "it adds no extra output data to a response",
        "truncation" => {
            "the history is always fitted to the model's context by leaving out the oldest turns \
             (as `auto` does)"
        }
        "top_logprobs" => "the answer is assembled from several model calls",
        "reasoning" => "the model's reasoning settings are the server's",
        "conversation" => "continue a stored response with previous_response_id",
        "prompt" => "stored prompt templates are OpenAI's",
        "max_tool_calls" => "pmcoach's own tools have their own limits",
        "n" => "it answers with one output",
        _ => "see README, \"The Responses API\"",
    }
}

/// Refuses every set field that would change the answer and is not honoured;
/// their neutral values (`background: false`, `include: []`, `truncation:
/// "auto"`, `top_logprobs: 0`) are accepted.
fn refuse_unsupported(raw: &Map<String, Value>) -> Result<(), ApiError> {
    for (field, value) in raw {
        let accepted = value.is_null()
            || ACCEPTED.contains(&field.as_str())
            || match field.as_str() {
                "background" => value == false,
                "include" => value.as_array().is_some_and(Vec::is_empty),
                "truncation" => value == "auto",
                "top_logprobs" => value == 0,
                _ => false,
            };
        if !accepted {
            return Err(unsupported(field, why_not(field)));
        }
    }
    Ok(())
}

fn text_field(raw: &Map<String, Value>, field: &str) -> Result<Option<String>, ApiError> {
    match raw.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(invalid(field, format!("{field} must be a string"))),
    }
}

/// Reads a Responses request; every refusal names its field.
pub(super) fn translate(raw: Value) -> Result<Translated, ApiError> {
    let Value::Object(raw) = raw else {
        return Err(ApiError::BadRequest(
            "a Responses request is a JSON object".into(),
        ));
    };
    refuse_unsupported(&raw)?;
    let input = raw
        .get("input")
        .ok_or_else(|| invalid("input", "input is required"))?;
    let (messages, sources) = items::messages(input)?;
    let mut chat = json!({"model": "auto", "messages": messages});
    for (from, to) in [
        ("temperature", "temperature"),
        ("top_p", "top_p"),
        ("parallel_tool_calls", "parallel_tool_calls"),
        ("max_output_tokens", "max_completion_tokens"),
        ("stream", "stream"),
    ] {
        if let Some(value) = raw.get(from).filter(|v| !v.is_null()) {
            chat[to] = value.clone();
        }
    }
    if let Some(tools) = raw.get("tools").filter(|v| !v.is_null()) {
        chat["tools"] = items::tools(tools)?;
    }
    if let Some(choice) = raw.get("tool_choice").filter(|v| !v.is_null()) {
        chat["tool_choice"] = items::tool_choice(choice)?;
    }
    if let Some(format) = text_format(&raw)? {
        chat["response_format"] = format;
    }
    let echo = Echo {
        instructions: text_field(&raw, "instructions")?,
        previous_response_id: text_field(&raw, "previous_response_id")?,
        metadata: metadata(&raw)?,
        ..Echo::of(&raw)
    };
    Ok(Translated {
        chat,
        sources,
        model: text_field(&raw, "model")?,
        store: match raw.get("store") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(store)) => *store,
            Some(_) => return Err(invalid("store", "store must be a boolean")),
        },
        echo,
    })
}

/// `metadata`: at most 16 string values, echoed back.
fn metadata(raw: &Map<String, Value>) -> Result<HashMap<String, String>, ApiError> {
    let Some(value) = raw.get("metadata").filter(|v| !v.is_null()) else {
        return Ok(HashMap::new());
    };
    let map: HashMap<String, String> = serde_json::from_value(value.clone())
        .map_err(|_| invalid("metadata", "metadata must map keys to string values"))?;
    if map.len() > 16 {
        return Err(invalid("metadata", "metadata has at most 16 keys"));
    }
    Ok(map)
}

/// `text.format` as chat completions' `response_format`; `text.verbosity`
/// is refused as chat completions refuse `verbosity`.
fn text_format(raw: &Map<String, Value>) -> Result<Option<Value>, ApiError> {
    let Some(text) = raw.get("text").filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    if text.get("verbosity").is_some_and(|v| !v.is_null()) {
        return Err(unsupported("text.verbosity", why_not("verbosity")));
    }
    let Some(format) = text.get("format").filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    match format.get("type").and_then(Value::as_str) {
        Some("text") => Ok(None),
        Some("json_object") => Ok(Some(json!({"type": "json_object"}))),
        Some("json_schema") => {
            let mut schema = Map::new();
            for field in ["name", "schema", "strict", "description"] {
                if let Some(value) = format.get(field) {
                    schema.insert(field.to_string(), value.clone());
                }
            }
            if !schema.get("name").is_some_and(Value::is_string) {
                return Err(invalid(
                    "text.format.name",
                    "a json_schema format needs a name",
                ));
            }
            Ok(Some(json!({"type": "json_schema", "json_schema": schema})))
        }
        _ => Err(unsupported(
            "text.format",
            "the format is text, json_object or json_schema",
        )),
    }
}

/// A chat completions error with the Responses field names: `messages[k]`
/// becomes the input item it came from.
pub(super) fn renamed(err: ApiError, sources: &[usize]) -> ApiError {
    let rename = |param: String| match param.as_str() {
        "response_format" => "text.format".to_string(),
        "max_completion_tokens" => "max_output_tokens".to_string(),
        other => other
            .strip_prefix("messages[")
            .and_then(|rest| rest.split_once(']'))
            .and_then(|(k, tail)| {
                let item = sources.get(k.parse::<usize>().ok()?)?;
                Some(format!("input[{item}]{tail}"))
            })
            .unwrap_or(param),
    };
    match err {
        ApiError::InvalidParameter { param, message } => ApiError::InvalidParameter {
            param: rename(param),
            message,
        },
        ApiError::UnsupportedParameter { param, message } => ApiError::UnsupportedParameter {
            param: rename(param),
            message,
        },
        ApiError::BadRequest(message) => ApiError::BadRequest(message.replace(
            "not a chat completion request",
            "not a valid Responses request",
        )),
        other => other,
    }
}
