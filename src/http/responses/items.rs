//! Input items, function tools and tool choice in their chat completion
//! forms: a message item is a message, consecutive `function_call` items are
//! one assistant message's tool calls, a `function_call_output` is a tool
//! message.

use serde_json::{Value, json};

use super::input::{invalid, unsupported};
use crate::http::error::ApiError;

/// The input as chat messages, and for each the input item it came from.
pub(super) fn messages(input: &Value) -> Result<(Vec<Value>, Vec<usize>), ApiError> {
    let items = match input {
        Value::String(text) => {
            return Ok((vec![json!({"role": "user", "content": text})], vec![0]));
        }
        Value::Array(items) => items,
        _ => return Err(invalid("input", "input is a string or a list of items")),
    };
    let mut messages: Vec<Value> = Vec::with_capacity(items.len());
    let mut sources = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let kind = match item.get("type").and_then(Value::as_str) {
            Some(kind) => kind,
            None if item.get("role").is_some() => "message",
            None => return Err(invalid(&format!("input[{i}]"), "an input item has a type")),
        };
        match kind {
            "message" => {
                messages.push(message(i, item)?);
                sources.push(i);
            }
            "function_call" => push_call(&mut messages, &mut sources, i, item)?,
            "function_call_output" => {
                messages.push(
                    json!({"role": "tool", "tool_call_id": text(i, item, "call_id")?,
                    "content": output(i, item)?}),
                );
                sources.push(i);
            }
            other => {
                return Err(unsupported(
                    &format!("input[{i}].type"),
                    &format!(
                        "{other:?} items are not taken; send messages, function_call and function_call_output items"
                    ),
                ));
            }
        }
    }
    Ok((messages, sources))
}

/// A call joins the assistant message before it (its text, or its other
/// calls); otherwise it starts one.
fn push_call(
    messages: &mut Vec<Value>,
    sources: &mut Vec<usize>,
    i: usize,
    item: &Value,
) -> Result<(), ApiError> {
    let call = json!({"id": text(i, item, "call_id")?, "type": "function",
        "function": {"name": text(i, item, "name")?, "arguments": text(i, item, "arguments")?}});
    match messages.last_mut() {
        Some(last) if last["role"] == "assistant" => match last["tool_calls"].as_array_mut() {
            Some(calls) => calls.push(call),
            None => last["tool_calls"] = json!([call]),
        },
        _ => {
            messages.push(json!({"role": "assistant", "tool_calls": [call]}));
            sources.push(i);
        }
    }
    Ok(())
}

fn text(i: usize, item: &Value, field: &str) -> Result<String, ApiError> {
    item.get(field)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| {
            invalid(
                &format!("input[{i}].{field}"),
                format!("{field} must be a string"),
            )
        })
}

/// A message item: the user's keeps its parts (images among them, as chat
/// completions take them); the others' text parts are joined.
fn message(i: usize, item: &Value) -> Result<Value, ApiError> {
    let role = match item.get("role").and_then(Value::as_str) {
        Some(role @ ("user" | "assistant" | "system" | "developer")) => role,
        _ => {
            return Err(invalid(
                &format!("input[{i}].role"),
                "role is user, assistant, system or developer",
            ));
        }
    };
    let parts = match item.get("content") {
        Some(Value::String(text)) => return Ok(json!({"role": role, "content": text})),
        Some(Value::Array(parts)) => parts,
        _ => {
            return Err(invalid(
                &format!("input[{i}].content"),
                "content is a string or a list of parts",
            ));
        }
    };
    let parts = parts
        .iter()
        .enumerate()
        .map(|(j, part)| content_part(&format!("input[{i}].content[{j}]"), part))
        .collect::<Result<Vec<_>, _>>()?;
    if role == "user" {
        return Ok(json!({"role": role, "content": parts}));
    }
    if parts.iter().any(|part| part["type"] != "text") {
        return Err(unsupported(
            &format!("input[{i}].content"),
            "only a user message may carry images",
        ));
    }
    let text: Vec<&str> = parts.iter().filter_map(|p| p["text"].as_str()).collect();
    Ok(json!({"role": role, "content": text.join("\n")}))
}

/// One content part as chat completions' part: text, or an image by URL.
fn content_part(param: &str, part: &Value) -> Result<Value, ApiError> {
    match part.get("type").and_then(Value::as_str) {
        Some("input_text" | "output_text") => match part.get("text").and_then(Value::as_str) {
            Some(text) => Ok(json!({"type": "text", "text": text})),
            None => Err(invalid(&format!("{param}.text"), "text must be a string")),
        },
        Some("refusal") => {
            Ok(json!({"type": "text", "text": part["refusal"].as_str().unwrap_or_default()}))
        }
        Some("input_image") => match part.get("image_url").and_then(Value::as_str) {
            Some(url) => {
                let mut image = json!({"url": url});
                if let Some(detail) = part.get("detail").filter(|d| !d.is_null()) {
                    image["detail"] = detail.clone();
                }
                Ok(json!({"type": "image_url", "image_url": image}))
            }
            None => Err(unsupported(
                param,
                "images are taken by image_url, not file_id",
            )),
        },
        _ => Err(unsupported(
            &format!("{param}.type"),
            "parts are input_text, output_text or input_image",
        )),
    }
}

/// A function's output: its text (a list of parts gives its text parts).
fn output(i: usize, item: &Value) -> Result<String, ApiError> {
    let param = format!("input[{i}].output");
    match item.get("output") {
        Some(Value::String(text)) => Ok(text.clone()),
        Some(Value::Array(parts)) => {
            let mut texts = Vec::with_capacity(parts.len());
            for part in parts {
                match (
                    part.get("type").and_then(Value::as_str),
                    part.get("text").and_then(Value::as_str),
                ) {
                    (Some("input_text" | "output_text"), Some(text)) => texts.push(text),
                    _ => return Err(unsupported(&param, "a function's output is text")),
                }
            }
            Ok(texts.join("\n"))
        }
        _ => Err(invalid(
            &param,
            "output is a string or a list of text parts",
        )),
    }
}

/// Function tools in chat completions' form; any other tool type is refused,
/// naming it.
pub(super) fn tools(tools: &Value) -> Result<Value, ApiError> {
    let Some(tools) = tools.as_array() else {
        return Err(invalid("tools", "tools is a list"));
    };
    let mut functions = Vec::with_capacity(tools.len());
    for (i, tool) in tools.iter().enumerate() {
        match tool.get("type").and_then(Value::as_str) {
            Some("function") => {}
            other => {
                return Err(unsupported(
                    &format!("tools[{i}].type"),
                    &format!(
                        "{} tools are not available here; offer functions, which pmcoach hands back to you",
                        other.unwrap_or("untyped")
                    ),
                ));
            }
        }
        let mut function = json!({"name": tool.get("name").cloned().unwrap_or(Value::Null)});
        for field in ["description", "parameters", "strict"] {
            if let Some(value) = tool.get(field).filter(|v| !v.is_null()) {
                function[field] = value.clone();
            }
        }
        functions.push(json!({"type": "function", "function": function}));
    }
    Ok(Value::Array(functions))
}

/// `tool_choice`: a mode, or a function by name.
pub(super) fn tool_choice(choice: &Value) -> Result<Value, ApiError> {
    match choice {
        Value::String(mode) if matches!(mode.as_str(), "none" | "auto" | "required") => {
            Ok(choice.clone())
        }
        Value::Object(named) if named.get("type").and_then(Value::as_str) == Some("function") => {
            Ok(
                json!({"type": "function", "function": {"name": named.get("name").cloned().unwrap_or(Value::Null)}}),
            )
        }
        _ => Err(unsupported(
            "tool_choice",
            "use none, auto, required or {\"type\": \"function\", \"name\": ...}",
        )),
    }
}
