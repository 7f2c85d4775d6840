//! The I/O half of the agent loop: render the prompt, call the model, let
//! `step::next` decide, run the tools it asks for, repeat.

use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use tracing::{Instrument, Span, field};

use super::events::{EventSink, TurnEvent, emit};
use super::run_tools;
use super::step::{self, LoopState, Next};
use super::{Agent, AgentError, Answer, Turn, TurnFailure};
use crate::model::{Assembler, Message, ModelError, ModelRequest, ModelResponse, ToolDefinition};
use crate::prompt::{CustomerView, SystemContext, TemplateView, ToolView};
use crate::session::{ModelCallRecord, Progress};
use crate::tools::{DynTool, ToolContext};
use crate::workspace::CustomerDocs;

/// What a turn works with once its prompt is rendered.
pub(super) struct Setup {
    pub(super) tools: Vec<Arc<dyn DynTool>>,
    pub(super) definitions: Vec<ToolDefinition>,
    pub(super) messages: Vec<Message>,
    /// Index of the turn's first own message (the user's) in `messages`.
    pub(super) first_new: usize,
}

impl Agent {
    /// Runs `turn` in its own span, keeping what it did whether it succeeds or not.
    pub(super) async fn run(&self, mut turn: Turn<'_>) -> Result<Answer, TurnFailure> {
        // A capability that does not work with customer documents never sees
        // or touches them, whoever asks.
        if !turn.capability.settings.customer_documents {
            turn.customer = None;
        }
        let span = tracing::info_span!(
            "turn",
            capability = %turn.capability.id,
            session = %turn.session_id,
            depth = turn.depth,
            steps = field::Empty,
            prompt_tokens = field::Empty,
            completion_tokens = field::Empty,
            latency_ms = field::Empty,
        );
        let started = Instant::now();
        let mut progress = Progress::default();
        let result = self
            .run_loop(turn, &mut progress)
            .instrument(span.clone())
            .await;
        span.record("latency_ms", elapsed_ms(started));
        span.record("prompt_tokens", progress.usage.prompt_tokens);
        span.record("completion_tokens", progress.usage.completion_tokens);
        match result {
            Ok((reply, messages, steps)) => {
                span.record("steps", steps);
                Ok(Answer {
                    reply,
                    messages,
                    steps,
                    progress,
                })
            }
            Err(error) => Err(TurnFailure { error, progress }),
        }
    }

    /// The loop: at most `max_steps` model calls, each followed by what
    /// `step::next` decides.
    async fn run_loop(
        &self,
        turn: Turn<'_>,
        progress: &mut Progress,
    ) -> Result<(String, Vec<Message>, usize), AgentError> {
        let limits = &self.inner.limits;
        let Setup {
            tools,
            definitions,
            mut messages,
            first_new,
        } = self.setup(&turn)?;
        let context = ToolContext {
            consult: self,
            caller: turn.capability,
            depth: turn.depth,
            session_id: turn.session_id,
            customer: turn
                .customer
                .map(|id| CustomerDocs::new(&self.inner.workspace, id)),
        };
        let mut state = LoopState::new(
            limits.max_steps,
            limits.max_parallel_tool_calls,
            turn.required_template,
        );
        for step in 1..=state.max_steps {
            let request = ModelRequest {
                messages: messages.clone(),
                tools: definitions.clone(),
                temperature: turn.capability.settings.temperature,
                tool_choice: None,
            };
            let response = self.model_step(&turn, step, request, progress).await?;
            let next = step::next(&state, step, &response);
            messages.push(response.to_message());
            match next {
                Next::Reply(reply) => return Ok((reply, messages.split_off(first_new), step)),
                Next::Nudge(text) => messages.push(Message::user(text)),
                Next::Fail(error) => return Err(error),
                Next::RunTools { run, refused } => {
                    let results = self
                        .run_tools(&tools, context, turn.events, &run, &refused)
                        .await;
                    for (call, ran) in results {
                        let message =
                            run_tools::absorb(&mut state, progress, turn.events, call, ran).await;
                        messages.push(message);
                    }
                    if let Some(required) = &mut state.required {
                        required.filled = progress.produced(&required.template);
                    }
                }
            }
        }
        Err(state.give_up())
    }

    /// The tools, their definitions and the opening messages of a turn: the
    /// system prompt, the history, the user's message.
    fn setup(&self, turn: &Turn<'_>) -> Result<Setup, AgentError> {
        let inner = &self.inner;
        let tools = self.tools_for(turn.capability, turn.depth, turn.customer.is_some());
        let definitions: Vec<ToolDefinition> =
            tools.iter().map(|tool| tool.definition().clone()).collect();
        let templates = inner.templates.for_capability(&turn.capability.id);
        let customer_context = match turn.customer {
            Some(customer) => inner
                .workspace
                .context(customer, inner.limits.customer_context_chars)?,
            None => None,
        };
        let system = inner.prompts.system(&SystemContext {
            capability: turn.capability.into(),
            tools: definitions.iter().map(ToolView::from).collect(),
            templates: templates.iter().map(|t| TemplateView::from(&**t)).collect(),
            consulted_by: turn.consulted_by,
            customer: turn.customer.map(|id| CustomerView {
                id: id.as_str(),
                context: customer_context.as_deref(),
            }),
        })?;
        let mut messages = Vec::with_capacity(turn.history.len() + 4);
        messages.push(Message::system(system));
        messages.extend_from_slice(turn.history);
        let first_new = messages.len();
        messages.push(Message::user(turn.message));
        Ok(Setup {
            tools,
            definitions,
            messages,
            first_new,
        })
    }

    /// One model call in its span, its tokens and its record added to `progress`.
    async fn model_step(
        &self,
        turn: &Turn<'_>,
        step: usize,
        request: ModelRequest,
        progress: &mut Progress,
    ) -> Result<ModelResponse, AgentError> {
        let span = tracing::info_span!(
            "model_call",
            step,
            model = %self.inner.model.name(),
            prompt_tokens = field::Empty,
            completion_tokens = field::Empty,
            tool_calls = field::Empty,
            latency_ms = field::Empty,
        );
        let started = Instant::now();
        let mut response = self
            .call_model(request, turn.events)
            .instrument(span.clone())
            .await?;
        let latency_ms = elapsed_ms(started);
        record_call(&span, &response, latency_ms);
        progress.usage += response.usage;
        step::name_calls(&mut response, step);
        progress.model_calls.push(ModelCallRecord {
            capability: turn.capability.id.clone(),
            depth: turn.depth,
            step,
            response: response.to_message(),
            usage: response.usage,
            finish_reason: response.finish_reason.clone(),
            latency_ms,
        });
        Ok(response)
    }

    /// One model call: streamed (text forwarded as it arrives) when someone is
    /// listening, whole otherwise.
    async fn call_model(
        &self,
        request: ModelRequest,
        events: Option<&EventSink>,
    ) -> Result<ModelResponse, ModelError> {
        let Some(sink) = events else {
            return self.inner.model.complete(request).await;
        };
        let mut stream = self.inner.model.stream(request).await?;
        let mut assembler = Assembler::new();
        while let Some(delta) = stream.next().await {
            if let Some(text) = assembler.push(delta?) {
                emit(Some(sink), TurnEvent::Delta { text }).await;
            }
        }
        assembler.finish()
    }
}

fn record_call(span: &Span, response: &ModelResponse, latency_ms: u64) {
    span.record("latency_ms", latency_ms);
    span.record("prompt_tokens", response.usage.prompt_tokens);
    span.record("completion_tokens", response.usage.completion_tokens);
    span.record("tool_calls", response.tool_calls.len());
}

pub(super) fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}
