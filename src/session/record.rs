//! What a transcript records of a turn: the turn itself, each model call and
//! each tool call, and the progress a running turn accumulates before it
//! becomes a record.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{Message, ModelResponse, Usage};
use crate::templates::Artifact;

/// One finished turn, as appended to a session: the line a transcript file holds
/// (see README, "Session transcripts"), and what offline evals replay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnRecord {
    /// When the turn started (RFC 3339).
    pub started_at: String,
    /// When it finished.
    pub finished_at: String,
    /// The capability that answered.
    pub capability: String,
    /// The customer, if any.
    #[serde(default)]
    pub customer: Option<String>,
    /// The name of the API key that made the turn (never the key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The model's name.
    pub model: String,
    /// The messages the turn added, user message first.
    pub messages: Vec<Message>,
    /// Tool calls at the turn's level.
    #[serde(default)]
    pub tool_calls: Vec<ToolCallRecord>,
    /// Documents rendered, and where they were saved.
    #[serde(default)]
    pub artifacts: Vec<ArtifactRef>,
    /// Every model call of the turn, consulted capabilities included, in order.
    #[serde(default)]
    pub model_calls: Vec<ModelCallRecord>,
    /// Tokens the turn spent.
    pub usage: Usage,
    /// Their estimated cost in USD at the model's price when the turn ran;
    /// absent when the model has no price (and in transcripts written before
    /// costs were recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// Why the turn failed, when it did (its messages then hold only the user's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A rendered document as a transcript mentions it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArtifactRef {
    /// Template id.
    pub template: String,
    /// Document title.
    pub title: String,
    /// File name under the customer's `artifacts/`, when saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saved_as: Option<String>,
}

impl From<&Artifact> for ArtifactRef {
    fn from(artifact: &Artifact) -> Self {
        Self {
            template: artifact.template.clone(),
            title: artifact.title.clone(),
            saved_as: artifact.saved_as.clone(),
        }
    }
}

/// One model call as a transcript records it: enough to replay the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCallRecord {
    /// The capability whose turn made the call.
    pub capability: String,
    /// 0 for the person's turn, 1 inside a consulted capability.
    pub depth: usize,
    /// Step within that turn, from 1.
    pub step: usize,
    /// The assistant message the model answered with, unless the turn's
    /// `messages` hold it (then `message` says where): each answer is stored once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Message>,
    /// The index of the answer in the turn's `messages`, when it is there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<usize>,
    /// Tokens of this call.
    pub usage: Usage,
    /// Why the model stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    /// Wall time of the call.
    pub latency_ms: u64,
}

/// One tool call as reported to the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ToolCallRecord {
    /// Tool name as the model called it.
    pub name: String,
    /// Arguments: the parsed JSON, or the raw text when it was not JSON.
    pub arguments: Value,
    /// Wall time of the call.
    pub duration_ms: u64,
    /// Whether it succeeded.
    pub ok: bool,
    /// The capability consulted, for consult tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capability: Option<String>,
}

/// What a turn has done so far: kept when it fails too, so the tool calls that
/// already wrote to the customer's documents are still recorded.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    /// Tool calls made at the turn's level.
    pub tool_calls: Vec<ToolCallRecord>,
    /// Documents rendered.
    pub artifacts: Vec<Artifact>,
    /// Model calls made (consulted capabilities' included).
    pub model_calls: Vec<ModelCallRecord>,
    /// Tokens spent.
    pub usage: Usage,
}

impl ModelCallRecord {
    /// The record of an answer not (yet) placed in the turn's messages.
    pub fn answered(
        capability: &str,
        depth: usize,
        step: usize,
        answer: &ModelResponse,
        latency_ms: u64,
    ) -> Self {
        Self {
            capability: capability.to_string(),
            depth,
            step,
            response: Some(answer.to_message()),
            message: None,
            usage: answer.usage,
            finish_reason: answer.finish_reason.clone(),
            latency_ms,
        }
    }
}

/// Points each model call whose answer is in `messages` at it instead of
/// keeping a second copy. Answers are matched in order, so the same text
/// twice finds its own place.
pub fn store_answers_once(calls: &mut [ModelCallRecord], messages: &[Message]) {
    let mut from = 0;
    for call in calls {
        let Some(response) = &call.response else {
            continue;
        };
        if let Some(offset) = messages[from..].iter().position(|m| m == response) {
            call.message = Some(from + offset);
            call.response = None;
            from += offset + 1;
        }
    }
}

impl Progress {
    /// Takes in what a nested piece of work (a tool call, a consulted
    /// capability) spent and produced. Its own tool calls stay with it: a
    /// turn records the calls made at its level.
    pub fn absorb(&mut self, nested: Progress) {
        self.usage += nested.usage;
        self.artifacts.extend(nested.artifacts);
        self.model_calls.extend(nested.model_calls);
    }

    /// Whether a document from `template` was produced.
    pub fn produced(&self, template: &str) -> bool {
        self.artifacts.iter().any(|a| a.template == template)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(depth: usize, text: &str) -> ModelCallRecord {
        let answer = ModelResponse {
            content: Some(text.into()),
            tool_calls: Vec::new(),
            usage: Usage::default(),
            finish_reason: None,
        };
        ModelCallRecord::answered("coach", depth, 1, &answer, 5)
    }

    #[test]
    fn answers_in_the_messages_are_stored_once() {
        let assistant = |text: &str| Message::Assistant {
            content: Some(text.into()),
            tool_calls: Vec::new(),
        };
        let messages = vec![
            Message::user("hi"),
            assistant("same"),
            Message::user("nudge"),
            assistant("same"),
        ];
        let mut calls = vec![call(0, "same"), call(1, "the sibling's"), call(0, "same")];
        store_answers_once(&mut calls, &messages);
        assert_eq!(
            (calls[0].message, calls[0].response.is_none()),
            (Some(1), true)
        );
        assert_eq!(
            calls[1].message, None,
            "a consult's answer is not in the messages"
        );
        assert!(calls[1].response.is_some());
        assert_eq!(
            calls[2].message,
            Some(3),
            "the second copy finds its own place"
        );
        let line = serde_json::to_string(&calls[0]).expect("json");
        assert!(!line.contains("\"response\""), "{line}");
    }
}
