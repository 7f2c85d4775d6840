//! Cassettes: a case's recorded model calls, `evals/recordings/<case>.jsonl`, in
//! the session transcript line format (a `session` header, then one
//! `model_call` line per call with its normalized request and the answer).
//!
//! Requests are normalized before they are stored or compared: tool-call ids
//! become `call_1`, `call_2`... in order of appearance, dates and timestamps
//! become `<date>`, 32-digit hex ids `<id>`, and tool definitions are kept as
//! `name#hash` so a schema change shows without storing every schema.

use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::model::{Message, ModelRequest, ModelResponse, Usage};
use crate::workspace::{SessionHeader, TRANSCRIPT_VERSION};

/// A request as recorded: what we sent, without what changes run to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// The messages, normalized.
    pub messages: Vec<Value>,
    /// `name#hash` of each tool definition, in order.
    pub tools: Vec<String>,
    /// A forced tool, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<String>,
}

/// What the model answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordedAnswer {
    /// An assistant message.
    Message {
        /// The message.
        message: Message,
        /// Tokens.
        usage: Usage,
        /// Why it stopped.
        #[serde(default)]
        finish_reason: Option<String>,
    },
    /// An upstream error status.
    Error {
        /// HTTP status.
        status: u16,
    },
}

/// One line of a cassette: the transcript's session header, then the calls.
/// Lines of other types (a transcript's turns) are skipped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum CassetteLine {
    Session(SessionHeader),
    ModelCall(Box<RecordedCall>),
    #[serde(other)]
    Other,
}

/// One recorded call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedCall {
    /// Order in the case, from 1.
    pub seq: usize,
    /// The normalized request.
    pub request: RecordedRequest,
    /// The answer.
    pub answer: RecordedAnswer,
}

// ASCII classes and word boundaries: Unicode ones sent the matcher to its slow
// backtracking engine, a fifth of a replayed case's time (perf).
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used)]
    Regex::new(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})?)?")
        .expect("date pattern")
});
static HEX_ID: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used)]
    Regex::new(r"(?-u:\b)[0-9a-f]{32}(?-u:\b)").expect("id pattern")
});
static ISO_WEEK: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used)]
    Regex::new(r"(?-u:\b)[0-9]{4}-W[0-9]{2}(?-u:\b)").expect("week pattern")
});

fn hash8(value: &Value) -> String {
    let digest = Sha256::digest(value.to_string().as_bytes());
    digest.iter().take(4).map(|b| format!("{b:02x}")).collect()
}

fn scrub(text: &str) -> String {
    let text = DATE.replace_all(text, "<date>");
    let text = ISO_WEEK.replace_all(&text, "<week>");
    HEX_ID.replace_all(&text, "<id>").into_owned()
}

/// Normalizes a request for storage and comparison.
pub fn normalize(request: &ModelRequest) -> RecordedRequest {
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut rename = |id: &str| {
        let next = format!("call_{}", ids.len() + 1);
        ids.entry(id.to_string()).or_insert(next).clone()
    };
    let messages = request
        .messages
        .iter()
        .map(|message| {
            let mut message = message.clone();
            match &mut message {
                Message::Assistant { tool_calls, .. } => {
                    for call in tool_calls {
                        call.id = rename(&call.id);
                    }
                }
                Message::Tool { tool_call_id, .. } => *tool_call_id = rename(tool_call_id),
                _ => {}
            }
            let text = serde_json::to_string(&message).unwrap_or_default();
            serde_json::from_str(&scrub(&text)).unwrap_or(Value::Null)
        })
        .collect();
    RecordedRequest {
        messages,
        tools: request
            .tools
            .iter()
            .map(|tool| {
                let definition = serde_json::to_value(tool.definition()).unwrap_or_default();
                format!("{}#{}", tool.name, hash8(&definition))
            })
            .collect(),
        tool_choice: request.tool_choice.clone(),
    }
}

/// What changed between a recorded request and the one made now, for people.
pub fn diff(recorded: &RecordedRequest, now: &RecordedRequest) -> String {
    if recorded.tools != now.tools {
        let gone: Vec<&String> = recorded
            .tools
            .iter()
            .filter(|t| !now.tools.contains(t))
            .collect();
        let new: Vec<&String> = now
            .tools
            .iter()
            .filter(|t| !recorded.tools.contains(t))
            .collect();
        return format!("the tools changed: recorded {gone:?}, now {new:?}");
    }
    if recorded.tool_choice != now.tool_choice {
        return format!(
            "tool_choice changed: recorded {:?}, now {:?}",
            recorded.tool_choice, now.tool_choice
        );
    }
    for (i, (old, new)) in recorded.messages.iter().zip(&now.messages).enumerate() {
        if old == new {
            continue;
        }
        let role = new["role"].as_str().unwrap_or("?");
        if old["role"] != new["role"] {
            return format!("messages[{i}]: role was {}, now {role}", old["role"]);
        }
        for field in ["content", "tool_calls", "tool_call_id"] {
            if old[field] == new[field] {
                continue;
            }
            let (a, b) = (text_of(&old[field]), text_of(&new[field]));
            let line = a
                .lines()
                .zip(b.lines())
                .position(|(x, y)| x != y)
                .unwrap_or_else(|| a.lines().count().min(b.lines().count()));
            let show = |text: &str| {
                let l = text.lines().nth(line).unwrap_or("<end>");
                l.chars().take(160).collect::<String>()
            };
            return format!(
                "messages[{i}] ({role}) {field} differs at line {}:\n    recorded: {}\n    now:      {}",
                line + 1,
                show(&a),
                show(&b)
            );
        }
    }
    format!(
        "the request has {} messages, the recording {}",
        now.messages.len(),
        recorded.messages.len()
    )
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

/// The answer to serve for a recorded call.
pub fn answer_to_response(answer: &RecordedAnswer) -> Result<ModelResponse, u16> {
    match answer {
        RecordedAnswer::Message {
            message:
                Message::Assistant {
                    content,
                    tool_calls,
                },
            usage,
            finish_reason,
        } => Ok(ModelResponse {
            content: content.clone(),
            tool_calls: tool_calls.clone(),
            usage: *usage,
            finish_reason: finish_reason.clone(),
        }),
        RecordedAnswer::Message { .. } => Err(500),
        RecordedAnswer::Error { status } => Err(*status),
    }
}

/// Reads a cassette's calls.
pub fn read(path: &Path) -> std::io::Result<Vec<RecordedCall>> {
    let text = std::fs::read_to_string(path)?;
    let mut calls = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        match serde_json::from_str::<CassetteLine>(line) {
            Ok(CassetteLine::ModelCall(call)) => calls.push(*call),
            Ok(_) => {}
            Err(err) => {
                return Err(std::io::Error::other(format!(
                    "{}:{}: {err}",
                    path.display(),
                    n + 1
                )));
            }
        }
    }
    Ok(calls)
}

/// Writes a cassette (atomically).
pub fn write(
    path: &Path,
    case: &str,
    customer: Option<&str>,
    calls: &[RecordedCall],
) -> std::io::Result<()> {
    let mut text = serde_json::to_string(&CassetteLine::Session(SessionHeader {
        version: TRANSCRIPT_VERSION,
        session_id: format!("eval-{case}"),
        customer: customer.map(str::to_string),
        created_at: jiff::Timestamp::now().to_string(),
    }))
    .map_err(std::io::Error::other)?;
    text.push('\n');
    for call in calls {
        text.push_str(
            &serde_json::to_string(&CassetteLine::ModelCall(Box::new(call.clone())))
                .map_err(std::io::Error::other)?,
        );
        text.push('\n');
    }
    crate::atomic::write_atomic(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ToolCall;

    fn request(id: &str, date: &str) -> ModelRequest {
        ModelRequest {
            messages: vec![
                Message::system(format!(
                    "Today is {date}. Session 0123456789abcdef0123456789abcdef."
                )),
                Message::Assistant {
                    content: None,
                    tool_calls: vec![ToolCall {
                        id: id.into(),
                        name: "log_event".into(),
                        arguments: "{}".into(),
                    }],
                },
                Message::Tool {
                    tool_call_id: id.into(),
                    content: format!("Saved analysis-x-{date}.md"),
                },
            ],
            ..ModelRequest::default()
        }
    }

    #[test]
    fn ids_and_dates_do_not_matter() {
        let a = normalize(&request("call_abc", "2026-11-24"));
        let b = normalize(&request("call_xyz", "2027-01-02"));
        assert_eq!(a, b);
        assert_eq!(a.messages[1]["tool_calls"][0]["id"], "call_1");
        assert_eq!(a.messages[2]["tool_call_id"], "call_1");
        assert!(
            a.messages[0]["content"]
                .as_str()
                .is_some_and(|c| c.contains("<date>") && c.contains("<id>"))
        );
    }

    #[test]
    fn a_changed_prompt_is_shown_by_message_field_and_line() {
        let a = normalize(&ModelRequest {
            messages: vec![Message::system("one\ntwo\nthree"), Message::user("hi")],
            ..ModelRequest::default()
        });
        let b = normalize(&ModelRequest {
            messages: vec![Message::system("one\nTWO\nthree"), Message::user("hi")],
            ..ModelRequest::default()
        });
        let text = diff(&a, &b);
        assert!(
            text.starts_with("messages[0] (system) content differs at line 2"),
            "{text}"
        );
        assert!(
            text.contains("recorded: two") && text.contains("now:      TWO"),
            "{text}"
        );
    }
}
