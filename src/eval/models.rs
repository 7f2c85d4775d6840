//! The models an eval runs against: a replay of a cassette (the default), a
//! recorder around a live model, and the authored script of a case.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::case::ScriptStep;
use super::cassette::{self, RecordedAnswer, RecordedCall, RecordedRequest};
use crate::model::{ChatModel, ModelError, ModelRequest, ModelResponse, ToolCall, Usage};

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Serves a cassette's answers, each only to the request it was recorded for.
pub struct ReplayModel {
    calls: Mutex<Vec<(RecordedCall, bool)>>,
    stale: Mutex<Option<String>>,
}

impl ReplayModel {
    /// Replays `calls`.
    pub fn new(calls: Vec<RecordedCall>) -> Self {
        Self {
            calls: Mutex::new(calls.into_iter().map(|c| (c, false)).collect()),
            stale: Mutex::new(None),
        }
    }

    /// Why the recording no longer fits the case, if it does not: a request
    /// that matches no recorded one, or recorded calls never asked for.
    pub fn staleness(&self) -> Option<String> {
        if let Some(stale) = lock(&self.stale).clone() {
            return Some(stale);
        }
        let unused = lock(&self.calls).iter().filter(|(_, used)| !used).count();
        (unused > 0).then(|| format!("{unused} recorded model call(s) were never made"))
    }
}

#[async_trait]
impl ChatModel for ReplayModel {
    fn name(&self) -> &str {
        "replay"
    }

    async fn complete(&self, request: ModelRequest) -> Result<ModelResponse, ModelError> {
        let now = cassette::normalize(&request);
        let mut calls = lock(&self.calls);
        // Match by request rather than position: concurrent calls (parallel
        // consults) may arrive in either order.
        if let Some((call, used)) = calls.iter_mut().find(|(c, used)| !used && c.request == now) {
            *used = true;
            return cassette::answer_to_response(&call.answer)
                .map_err(|status| ModelError::Status { status, code: None });
        }
        let why = match calls.iter().find(|(_, used)| !used) {
            Some((expected, _)) => format!(
                "model call {} does not match the recording: {}",
                expected.seq,
                cassette::diff(&expected.request, &now)
            ),
            None => "the case made more model calls than were recorded".to_string(),
        };
        let mut stale = lock(&self.stale);
        if stale.is_none() {
            *stale = Some(why);
        }
        Err(ModelError::InvalidRequest("recording is stale".into()))
    }
}

/// Wraps a model and records every call with its normalized request.
pub struct RecordingModel {
    inner: Arc<dyn ChatModel>,
    calls: Mutex<Vec<RecordedCall>>,
}

impl RecordingModel {
    /// Records what `inner` answers.
    pub fn new(inner: Arc<dyn ChatModel>) -> Self {
        Self {
            inner,
            calls: Mutex::new(Vec::new()),
        }
    }

    /// The calls so far, in order.
    pub fn calls(&self) -> Vec<RecordedCall> {
        lock(&self.calls).clone()
    }

    fn push(&self, request: RecordedRequest, answer: RecordedAnswer) {
        let mut calls = lock(&self.calls);
        let seq = calls.len() + 1;
        calls.push(RecordedCall {
            seq,
            request,
            answer,
        });
    }
}

#[async_trait]
impl ChatModel for RecordingModel {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn complete(&self, request: ModelRequest) -> Result<ModelResponse, ModelError> {
        let recorded = cassette::normalize(&request);
        let result = self.inner.complete(request).await;
        match &result {
            Ok(response) => self.push(
                recorded,
                RecordedAnswer::Message {
                    message: response.to_message(),
                    usage: response.usage,
                    finish_reason: response.finish_reason.clone(),
                },
            ),
            Err(ModelError::Status { status, .. }) => {
                self.push(recorded, RecordedAnswer::Error { status: *status });
            }
            Err(_) => {}
        }
        result
    }
}

/// A case's authored answers, served in order (for recording where no live
/// model is reachable; see evals/README.md).
pub struct ScriptModel {
    steps: Mutex<VecDeque<ScriptStep>>,
    served: Mutex<usize>,
}

impl ScriptModel {
    /// Serves `steps`.
    pub fn new(steps: Vec<ScriptStep>) -> Self {
        Self {
            steps: Mutex::new(steps.into()),
            served: Mutex::new(0),
        }
    }

    /// Answers left unused.
    pub fn remaining(&self) -> usize {
        lock(&self.steps).len()
    }
}

/// A deterministic token count for authored answers: a quarter of the bytes.
fn estimate(request: &ModelRequest, answer: usize) -> Usage {
    let prompt = serde_json::to_string(&request.messages).map_or(0, |s| s.len()) as u64 / 4 + 1;
    let completion = answer as u64 / 4 + 1;
    Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
    }
}

#[async_trait]
impl ChatModel for ScriptModel {
    fn name(&self) -> &str {
        "script"
    }

    async fn complete(&self, request: ModelRequest) -> Result<ModelResponse, ModelError> {
        let step = lock(&self.steps).pop_front().ok_or_else(|| {
            ModelError::InvalidRequest("the case's script has no more answers".into())
        })?;
        let n = {
            let mut served = lock(&self.served);
            *served += 1;
            *served
        };
        if let Some(status) = step.error_status {
            return Err(ModelError::Status { status, code: None });
        }
        let tool_calls: Vec<ToolCall> = step
            .tool_calls
            .iter()
            .enumerate()
            .map(|(i, call)| ToolCall {
                id: format!("call_{n}_{i}"),
                name: call.name.clone(),
                arguments: call.arguments.clone(),
            })
            .collect();
        let size = step.text.as_ref().map_or(0, String::len)
            + tool_calls.iter().map(|c| c.arguments.len()).sum::<usize>();
        Ok(ModelResponse {
            finish_reason: Some(
                if tool_calls.is_empty() {
                    "stop"
                } else {
                    "tool_calls"
                }
                .into(),
            ),
            content: step.text,
            tool_calls,
            usage: estimate(&request, size),
        })
    }
}
