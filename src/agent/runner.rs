//! The I/O half of the agent loop: render the prompt, call the model, run the
//! tools it asks for (concurrently), feed the results back, repeat.

use std::sync::Arc;
use std::time::Instant;

use futures::future::join_all;
use serde_json::Value;
use tracing::{Instrument, field};

use super::step::{self, Next};
use super::{Agent, AgentError, ModelCallRecord, ToolCallRecord, TurnOutcome};
use crate::capability::Capability;
use crate::model::{Message, ModelRequest, ToolCall, Usage};
use crate::prompt::{CustomerView, SystemContext, TemplateView, ToolView};
use crate::tools::{Tool, ToolContext, ToolDefinition, ToolError, ToolOutput};
use crate::workspace::CustomerId;

/// Everything one run of the loop needs.
pub(super) struct Turn<'a> {
    pub(super) capability: &'a Capability,
    pub(super) history: &'a [Message],
    pub(super) message: String,
    pub(super) session_id: &'a str,
    pub(super) customer: Option<&'a CustomerId>,
    pub(super) depth: usize,
    pub(super) consulted_by: Option<&'a str>,
}

impl Agent {
    pub(super) async fn run(&self, turn: Turn<'_>) -> Result<TurnOutcome, AgentError> {
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
        let result = self.run_loop(turn).instrument(span.clone()).await;
        span.record("latency_ms", elapsed_ms(started));
        if let Ok(outcome) = &result {
            span.record("steps", outcome.steps);
            span.record("prompt_tokens", outcome.usage.prompt_tokens);
            span.record("completion_tokens", outcome.usage.completion_tokens);
        }
        result
    }

    async fn run_loop(&self, turn: Turn<'_>) -> Result<TurnOutcome, AgentError> {
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

        let context = ToolContext {
            agent: self,
            caller: turn.capability,
            depth: turn.depth,
            session_id: turn.session_id,
            customer: turn.customer,
        };
        let mut usage = Usage::default();
        let mut records = Vec::new();
        let mut artifacts = Vec::new();
        let mut model_calls = Vec::new();
        let max_steps = inner.limits.max_steps;

        for step in 1..=max_steps {
            let request = ModelRequest {
                messages: messages.clone(),
                tools: definitions.clone(),
                temperature: turn.capability.settings.temperature,
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
            let mut response = inner
                .model
                .complete(request)
                .instrument(span.clone())
                .await?;
            let latency_ms = elapsed_ms(started);
            span.record("latency_ms", latency_ms);
            span.record("prompt_tokens", response.usage.prompt_tokens);
            span.record("completion_tokens", response.usage.completion_tokens);
            span.record("tool_calls", response.tool_calls.len());
            usage += response.usage;

            let next = step::next(&mut response, step, inner.limits.max_parallel_tool_calls);
            messages.push(response.to_message());
            model_calls.push(ModelCallRecord {
                capability: turn.capability.id.clone(),
                depth: turn.depth,
                step,
                response: response.to_message(),
                usage: response.usage,
                finish_reason: response.finish_reason.clone(),
                latency_ms,
            });
            match next {
                Next::Reply(reply) => {
                    return Ok(TurnOutcome {
                        reply,
                        messages: messages.split_off(first_new),
                        tool_calls: records,
                        usage,
                        steps: step,
                        artifacts,
                        model_calls,
                    });
                }
                Next::Empty => return Err(AgentError::EmptyReply),
                Next::RunTools { run, refused } => {
                    let results =
                        join_all(run.iter().map(|call| run_tool(&tools, context, call))).await;
                    for (call, (mut result, duration_ms)) in run.iter().zip(results) {
                        if let Ok(output) = &mut result {
                            usage += output.usage;
                            artifacts.append(&mut output.artifacts);
                            model_calls.append(&mut output.model_calls);
                        }
                        records.push(record(call, &result, duration_ms));
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
                        records.push(record(&call, &result, 0));
                        messages.push(Message::Tool {
                            tool_call_id: call.id.clone(),
                            content: tool_message(result),
                        });
                    }
                }
            }
        }
        Err(AgentError::StepLimit { steps: max_steps })
    }
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
        tracing::warn!(parent: &span, error = %err, "tool call failed");
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
