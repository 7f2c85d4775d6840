//! The I/O half of the agent loop: render the prompt, call the model, run the
//! tools it asks for (concurrently), feed the results back, repeat.

use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use futures::future::join_all;
use serde_json::Value;
use tracing::{Instrument, field};

use super::events::{EventSink, TurnEvent, emit};
use super::step::{self, Next};
use super::{
    Agent, AgentError, ModelCallRecord, Progress, ToolCallRecord, TurnFailure, TurnOutcome,
};
use crate::capability::Capability;
use crate::model::{Assembler, Message, ModelError, ModelRequest, ModelResponse, ToolCall};
use crate::prompt::{CustomerView, SystemContext, TemplateView, ToolView};
use crate::templates::Artifact;
use crate::tools::{FILL_TEMPLATE, Tool, ToolContext, ToolDefinition, ToolError, ToolOutput};
use crate::workspace::CustomerId;

/// How a successful loop ended.
struct Finished {
    reply: String,
    messages: Vec<Message>,
    steps: usize,
}

/// Everything one run of the loop needs.
pub(super) struct Turn<'a> {
    pub(super) events: Option<&'a EventSink>,
    pub(super) required_template: Option<&'a str>,
    pub(super) capability: &'a Capability,
    pub(super) history: &'a [Message],
    pub(super) message: String,
    pub(super) session_id: &'a str,
    pub(super) customer: Option<&'a CustomerId>,
    pub(super) depth: usize,
    pub(super) consulted_by: Option<&'a str>,
}

impl Agent {
    pub(super) async fn run(&self, turn: Turn<'_>) -> Result<TurnOutcome, TurnFailure> {
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
            Ok(finished) => {
                span.record("steps", finished.steps);
                Ok(TurnOutcome {
                    reply: finished.reply,
                    messages: finished.messages,
                    steps: finished.steps,
                    progress,
                })
            }
            Err(error) => Err(TurnFailure { error, progress }),
        }
    }

    async fn run_loop(
        &self,
        mut turn: Turn<'_>,
        progress: &mut Progress,
    ) -> Result<Finished, AgentError> {
        let inner = &self.inner;
        // A capability that does not work with customer documents never sees
        // or touches them, whoever asks.
        if !turn.capability.settings.customer_documents {
            turn.customer = None;
        }
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

        let context = ToolContext {
            agent: self,
            caller: turn.capability,
            depth: turn.depth,
            session_id: turn.session_id,
            customer: turn.customer,
        };
        let mut last_fill_error: Option<String> = None;
        let max_steps = inner.limits.max_steps;

        for step in 1..=max_steps {
            let request = ModelRequest {
                messages: messages.clone(),
                tools: definitions.clone(),
                temperature: turn.capability.settings.temperature,
                tool_choice: None,
            };
            let span = tracing::info_span!(
                "model_call",
                step,
                model = %inner.model.name(),
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
            span.record("latency_ms", latency_ms);
            span.record("prompt_tokens", response.usage.prompt_tokens);
            span.record("completion_tokens", response.usage.completion_tokens);
            span.record("tool_calls", response.tool_calls.len());
            progress.usage += response.usage;

            let next = step::next(&mut response, step, inner.limits.max_parallel_tool_calls);
            messages.push(response.to_message());
            progress.model_calls.push(ModelCallRecord {
                capability: turn.capability.id.clone(),
                depth: turn.depth,
                step,
                response: response.to_message(),
                usage: response.usage,
                finish_reason: response.finish_reason.clone(),
                latency_ms,
            });
            match next {
                Next::Reply(_)
                    if turn
                        .required_template
                        .is_some_and(|t| !produced(&progress.artifacts, t)) =>
                {
                    let template = turn.required_template.unwrap_or_default();
                    if step == max_steps {
                        return Err(AgentError::TemplateNotFilled {
                            template: template.to_string(),
                            detail: last_fill_error.unwrap_or_else(|| {
                                "the model never called fill_template".to_string()
                            }),
                        });
                    }
                    messages.push(Message::user(format!(
                        "Produce the `{template}` document now: call fill_template with template \
                         \"{template}\" and the fields you can fill from the task and context. \
                         Do not ask questions; this request has no one to answer them."
                    )));
                }
                Next::Reply(reply) => {
                    return Ok(Finished {
                        reply,
                        messages: messages.split_off(first_new),
                        steps: step,
                    });
                }
                Next::Empty => return Err(AgentError::EmptyReply),
                // Results of tools run now could never reach the model: stop
                // before running (and writing) anything.
                Next::RunTools { .. } if step == max_steps => break,
                Next::RunTools { run, refused } => {
                    let results = join_all(run.iter().map(|call| async {
                        let capability = self.consulted_capability(&call.name);
                        emit(
                            turn.events,
                            TurnEvent::ToolCallStarted {
                                id: call.id.clone(),
                                name: call.name.clone(),
                                capability: capability.clone(),
                            },
                        )
                        .await;
                        let (result, duration_ms) = run_tool(&tools, context, call).await;
                        emit(
                            turn.events,
                            TurnEvent::ToolCallFinished {
                                id: call.id.clone(),
                                name: call.name.clone(),
                                capability,
                                ok: result.is_ok(),
                                duration_ms,
                            },
                        )
                        .await;
                        (result, duration_ms)
                    }))
                    .await;
                    for (call, (mut result, duration_ms)) in run.iter().zip(results) {
                        match &mut result {
                            Ok(output) => {
                                progress.usage += output.usage;
                                for artifact in &output.artifacts {
                                    emit(turn.events, TurnEvent::Artifact(artifact.clone())).await;
                                }
                                progress.artifacts.append(&mut output.artifacts);
                                progress.model_calls.append(&mut output.model_calls);
                            }
                            Err(err) if call.name == FILL_TEMPLATE => {
                                last_fill_error = Some(err.to_string());
                            }
                            Err(_) => {}
                        }
                        progress.tool_calls.push(record(call, &result, duration_ms));
                        messages.push(Message::Tool {
                            tool_call_id: call.id.clone(),
                            content: tool_message(result),
                        });
                    }
                    for call in refused {
                        let error = ToolError::Failed(format!(
                            "not run: at most {} tool calls are run per step; call it again",
                            inner.limits.max_parallel_tool_calls
                        ));
                        let result = Err(error);
                        progress.tool_calls.push(record(&call, &result, 0));
                        messages.push(Message::Tool {
                            tool_call_id: call.id.clone(),
                            content: tool_message(result),
                        });
                    }
                }
            }
        }
        match turn.required_template {
            Some(template) if !produced(&progress.artifacts, template) => {
                Err(AgentError::TemplateNotFilled {
                    template: template.to_string(),
                    detail: last_fill_error
                        .unwrap_or_else(|| "the model never called fill_template".to_string()),
                })
            }
            _ => Err(AgentError::StepLimit { steps: max_steps }),
        }
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

/// Whether a document from `template` was produced.
fn produced(artifacts: &[Artifact], template: &str) -> bool {
    artifacts.iter().any(|a| a.template == template)
}

/// Runs one call (never fails: an error is a result for the model) and times it.
async fn run_tool(
    tools: &[Arc<dyn Tool>],
    context: ToolContext<'_>,
    call: &ToolCall,
) -> (Result<ToolOutput, ToolError>, u64) {
    let span = tracing::info_span!(
        "tool",
        tool = %call.name,
        call_id = %call.id,
        ok = field::Empty,
        latency_ms = field::Empty,
    );
    let started = Instant::now();
    let result = match tools
        .iter()
        .find(|tool| tool.definition().name == call.name)
    {
        Some(tool) => {
            tool.call(context, &call.arguments)
                .instrument(span.clone())
                .await
        }
        None => Err(ToolError::Unknown {
            name: call.name.clone(),
            available: if tools.is_empty() {
                "none".to_string()
            } else {
                tools
                    .iter()
                    .map(|tool| tool.definition().name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        }),
    };
    let duration_ms = elapsed_ms(started);
    span.record("ok", result.is_ok());
    span.record("latency_ms", duration_ms);
    if let Err(err) = &result {
        tracing::info!(parent: &span, error = %err, "tool call failed");
    }
    (result, duration_ms)
}

fn record(
    call: &ToolCall,
    result: &Result<ToolOutput, ToolError>,
    duration_ms: u64,
) -> ToolCallRecord {
    ToolCallRecord {
        name: call.name.clone(),
        arguments: serde_json::from_str(&call.arguments)
            .unwrap_or_else(|_| Value::String(call.arguments.clone())),
        duration_ms,
        ok: result.is_ok(),
        capability: result
            .as_ref()
            .ok()
            .and_then(|output| output.capability.clone()),
    }
}

/// The tool message content: the output, or the error marked as one.
fn tool_message(result: Result<ToolOutput, ToolError>) -> String {
    match result {
        Ok(output) => output.content,
        Err(err) => format!("error: {err}"),
    }
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}
