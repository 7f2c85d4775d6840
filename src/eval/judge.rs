//! The LLM judge: a reply scored against each of the capability's quality standards.

use serde_json::{Value, json};

use super::grade::Check;
use crate::capability::Capability;
use crate::model::{ChatModel, Message, ModelRequest, ModelResponse};
use crate::model::{PreparedTool, ToolDefinition};
use crate::prompt::Prompts;

/// The judge's tool.
pub const SCORE_REPLY: &str = "score_reply";

/// Scores a reply with the judge: one check per quality standard.
pub async fn rubric(
    model: &dyn ChatModel,
    prompts: &Prompts,
    capability: &Capability,
    turn: usize,
    user: &str,
    reply: &str,
    min_score: u8,
) -> Vec<Check> {
    let standards = capability.quality_standards();
    let name = |standard: &str| format!("turn {turn}: rubric {standard} >= {min_score}");
    let system = match prompts.judge(&capability.name, &standards) {
        Ok(system) => system,
        Err(err) => return vec![Check::new(name("judge"), false, err.to_string())],
    };
    let names: Vec<&str> = standards.iter().map(|(n, _)| n.as_str()).collect();
    let response = model
        .complete(judge_request(system, user, reply, &names))
        .await;
    let scores = match &response {
        Ok(response) => scores(response),
        Err(err) => {
            return vec![Check::new(
                name("judge"),
                false,
                format!("the judge failed: {err}"),
            )];
        }
    };
    standards
        .iter()
        .map(|(standard, _)| standard_check(name(standard), standard, &scores, min_score))
        .collect()
}

/// The request to the judge: its system prompt, the exchange to score, and
/// the one tool it must answer with.
fn judge_request(system: String, user: &str, reply: &str, standards: &[&str]) -> ModelRequest {
    ModelRequest {
        messages: vec![
            Message::system(system),
            Message::user(format!("The request:\n{user}\n\nThe reply:\n{reply}")),
        ],
        tools: vec![PreparedTool::new(score_reply_tool(standards))],
        temperature: Some(0.0),
        tool_choice: Some(SCORE_REPLY.to_string()),
        options: Default::default(),
    }
}

/// `score_reply`: a score from 1 to 5 and a reason for each of `standards`.
fn score_reply_tool(standards: &[&str]) -> ToolDefinition {
    ToolDefinition {
        name: SCORE_REPLY.to_string(),
        description: "Score the reply against every quality standard.".to_string(),
        parameters: json!({
            "type": "object",
            "properties": {"scores": {"type": "array", "items": {
                "type": "object",
                "properties": {
                    "standard": {"type": "string", "enum": standards},
                    "score": {"type": "integer", "minimum": 1, "maximum": 5},
                    "reason": {"type": "string"}
                },
                "required": ["standard", "score", "reason"],
                "additionalProperties": false
            }}},
            "required": ["scores"],
            "additionalProperties": false
        }),
    }
}

/// The `scores` array of the judge's `score_reply` call (empty when it made none).
fn scores(response: &ModelResponse) -> Vec<Value> {
    response
        .tool_calls
        .iter()
        .find(|c| c.name == SCORE_REPLY)
        .and_then(|c| serde_json::from_str::<Value>(&c.arguments).ok())
        .and_then(|args| args["scores"].as_array().cloned())
        .unwrap_or_default()
}

/// Whether the judge scored `standard` at least `min_score`, with its reason.
fn standard_check(name: String, standard: &str, scores: &[Value], min_score: u8) -> Check {
    let entry = scores.iter().find(|s| s["standard"] == standard);
    match entry.and_then(|s| {
        Some((
            s["score"].as_u64()?,
            s["reason"].as_str().unwrap_or_default(),
        ))
    }) {
        Some((score, reason)) => Check::noted(
            name,
            score >= u64::from(min_score),
            format!("{score}/5: {reason}"),
        ),
        None => Check::new(name, false, "the judge gave no score"),
    }
}
