//! Running a prepared turn: route if asked, run the agent (streaming its events
//! to a listener), record the turn in the session, answer.

use std::sync::Arc;

use super::prepare::{Choice, PreparedTurn};
use super::{ConversationError, TurnResult};
use crate::agent::{Answer, EventSink, Turn, TurnEvent, TurnFailure};
use crate::capability::Capability;
use crate::limits::Budget;
use crate::model::{Message, Usage};
use crate::session::{ArtifactRef, ModelCallRecord, Progress, TurnRecord, store_answers_once};

/// The capability that answers and what choosing it cost.
struct Chosen {
    capability: Arc<Capability>,
    routed: bool,
    usage: Usage,
    model_calls: Vec<ModelCallRecord>,
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

impl PreparedTurn {
    /// Runs the turn, streaming its events to `events` when given, and records it.
    pub async fn run(self, events: Option<EventSink>) -> Result<TurnResult, ConversationError> {
        let started_at = now();
        let budget = Budget::new(&self.state.limits);
        let chosen = self.choose(&budget).await?;
        if let Some(sink) = &events {
            let announce = TurnEvent::Capability {
                capability: chosen.capability.id.clone(),
                routed: chosen.routed,
            };
            let _ = sink.send(announce).await;
        }
        let turn = Turn {
            history: &self.history,
            customer: self.customer.as_ref(),
            events: events.as_ref(),
            required_template: self.template.as_deref(),
            message: self.message.as_deref(),
            options: Some(&self.options),
            practice: self.caller.scope == crate::access::Scope::All,
            ..Turn::new(&chosen.capability, "", &self.session_id, &budget)
        };
        let result = self.agent.run_turn(turn).await;
        let record = self.record(started_at, &chosen, &result);
        crate::telemetry::turn(&record);
        let appended = self.keep(&record).await;
        let answer = match result {
            Ok(answer) => answer,
            Err(failure) => {
                // The turn's own error is what the caller needs; a failure to
                // record it as well is logged.
                if let Err(err) = appended {
                    tracing::error!(error = %err, "could not record a failed turn");
                }
                return Err(ConversationError::Agent(failure.error));
            }
        };
        appended?;
        Ok(self.result(chosen, record, answer))
    }

    /// Appends the turn to its session; a turn not to be stored leaves only
    /// what it spent.
    async fn keep(&self, record: &TurnRecord) -> Result<(), ConversationError> {
        if self.store {
            Ok(self.state.sessions.append(&self.session_id, record).await?)
        } else {
            Ok(self.state.workspace.append_usage(record).await?)
        }
    }

    /// What routing reads: the new message, or for a continued turn the
    /// last user message of the history.
    fn routing_text(&self) -> String {
        match &self.message {
            Some(message) => message.clone(),
            None => self
                .history
                .iter()
                .rev()
                .find_map(|m| match m {
                    Message::User { content, .. } => Some(content.clone()),
                    _ => None,
                })
                .unwrap_or_default(),
        }
    }

    /// The capability: the one asked for, or the one a routing call picks.
    async fn choose(&self, budget: &Budget) -> Result<Chosen, ConversationError> {
        Ok(match &self.choice {
            Choice::Fixed(capability) => Chosen {
                capability: Arc::clone(capability),
                routed: false,
                usage: Usage::default(),
                model_calls: Vec::new(),
            },
            Choice::Route => {
                let routed = self.agent.route(&self.routing_text(), budget).await?;
                Chosen {
                    capability: routed.capability,
                    routed: true,
                    usage: routed.usage,
                    model_calls: vec![routed.model_call],
                }
            }
        })
    }

    /// The transcript line. A failed turn is recorded too (its tool calls may
    /// have written to the customer's documents) but adds only the user's
    /// message to the history, so no dangling tool call is ever replayed.
    fn record(
        &self,
        started_at: String,
        chosen: &Chosen,
        result: &Result<Answer, TurnFailure>,
    ) -> TurnRecord {
        let (messages, progress, error): (Vec<Message>, &Progress, _) = match result {
            Ok(answer) => (self.recorded(&answer.messages), &answer.progress, None),
            Err(failure) => (
                self.message.iter().map(Message::user).collect(),
                &failure.progress,
                Some(failure.error.to_string()),
            ),
        };
        let mut usage = chosen.usage;
        usage += progress.usage;
        let mut model_calls = chosen.model_calls.clone();
        model_calls.extend(progress.model_calls.iter().cloned());
        store_answers_once(&mut model_calls, &messages);
        let model = self.agent.model_name();
        let cost_usd = self
            .state
            .prices
            .cost(model, usage.prompt_tokens, usage.completion_tokens);
        TurnRecord {
            started_at,
            finished_at: now(),
            capability: chosen.capability.id.clone(),
            customer: self.customer.as_ref().map(ToString::to_string),
            key: Some(self.caller.name.clone()),
            model: model.to_string(),
            messages,
            tool_calls: progress.tool_calls.clone(),
            artifacts: progress.artifacts.iter().map(ArtifactRef::from).collect(),
            model_calls,
            usage,
            cost_usd,
            error,
        }
    }

    /// The messages a finished turn adds to its session: the answer's, after
    /// the request's own history when it is kept. A turn that continues after
    /// the caller's function results starts from the history's last user
    /// message (see `agent::request::Conversation`): the history already
    /// holds those.
    fn recorded(&self, answer: &[Message]) -> Vec<Message> {
        let Some(from) = self.recorded_from else {
            return answer.to_vec();
        };
        let history = &self.history;
        let overlap = match self.message {
            Some(_) => 0,
            None => (1..=answer.len().min(history.len()))
                .rev()
                .find(|&k| history[history.len() - k..] == answer[..k])
                .unwrap_or(0),
        };
        let mut messages = history[from.min(history.len())..].to_vec();
        messages.extend_from_slice(&answer[overlap..]);
        messages
    }

    fn result(self, chosen: Chosen, record: TurnRecord, answer: Answer) -> TurnResult {
        let document = self.template.as_deref().and_then(|template| {
            answer
                .progress
                .artifacts
                .iter()
                .rev()
                .find(|a| a.template == template)
                .cloned()
        });
        TurnResult {
            session_id: self.session_id,
            capability: chosen.capability.id.clone(),
            routed: chosen.routed,
            customer: record.customer,
            reply: answer.reply,
            handed_back: answer.handed_back,
            document,
            tool_calls: answer.progress.tool_calls,
            artifacts: answer.progress.artifacts,
            usage: record.usage,
            cost_usd: record.cost_usd,
        }
    }
}
