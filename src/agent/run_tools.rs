//! Running one step's tool calls: concurrently, each in its span and timed,
//! reported to a listener as they start and finish; then taken into the turn's
//! progress in call order, one tool message per call.

use std::sync::Arc;
use std::time::Instant;

use futures::future::join_all;
use serde_json::Value;
use tracing::{Instrument, field};

use super::Agent;
use super::events::{EventSink, TurnEvent, emit};
use super::runner::elapsed_ms;
use super::step::LoopState;
use crate::model::{Message, ToolCall};
use crate::session::{Progress, ToolCallRecord};
use crate::tools::{DynTool, FillTemplateTool, Tool, ToolContext, ToolError, ToolOutput};

/// A call that ran (or was refused), with what it produced and how long it took.
pub(super) struct Ran {
    output: ToolOutput,
    duration_ms: u64,
}

impl Agent {
    /// Runs `run` concurrently and answers `refused` with an error, in call order.
    pub(super) async fn run_tools<'c>(
        &self,
        tools: &[Arc<dyn DynTool>],
        context: ToolContext<'_>,
        events: Option<&EventSink>,
        run: &'c [ToolCall],
        refused: &'c [ToolCall],
    ) -> Vec<(&'c ToolCall, Ran)> {
        let ran = join_all(
            run.iter()
                .map(|call| self.run_reported(tools, context, events, call)),
        )
        .await;
        let limit = self.inner.limits.max_parallel_tool_calls;
        let not_run = refused.iter().map(|call| {
            let error = ToolError::Failed(format!(
                "not run: at most {limit} tool calls are run per step; call it again"
            ));
            let ran = Ran {
                output: error.into(),
                duration_ms: 0,
            };
            (call, ran)
        });
        run.iter().zip(ran).chain(not_run).collect()
    }

    /// Runs one call between its `started` and `finished` events.
    async fn run_reported(
        &self,
        tools: &[Arc<dyn DynTool>],
        context: ToolContext<'_>,
        events: Option<&EventSink>,
        call: &ToolCall,
    ) -> Ran {
        let capability = self.consulted_capability(&call.name);
        let started = TurnEvent::ToolCallStarted {
            id: call.id.clone(),
            name: call.name.clone(),
            capability: capability.clone(),
        };
        emit(events, started).await;
        let (output, duration_ms) = run_tool(tools, context, call).await;
        let finished = TurnEvent::ToolCallFinished {
            id: call.id.clone(),
            name: call.name.clone(),
            capability,
            ok: output.is_ok(),
            duration_ms,
        };
        emit(events, finished).await;
        Ran {
            output,
            duration_ms,
        }
    }
}

/// Takes one call's result into the turn: its spending and documents into
/// `progress` (documents reported as they are taken), a `fill_template` error
/// into the loop state; returns the tool message for the model.
pub(super) async fn absorb(
    state: &mut LoopState,
    progress: &mut Progress,
    events: Option<&EventSink>,
    call: &ToolCall,
    ran: Ran,
) -> Message {
    let Ran {
        output,
        duration_ms,
    } = ran;
    for artifact in &output.spent.artifacts {
        emit(events, TurnEvent::Artifact(artifact.clone())).await;
    }
    if let (Err(err), Some(required)) = (&output.outcome, &mut state.required)
        && call.name == FillTemplateTool::NAME
    {
        required.last_error = Some(err.to_string());
    }
    progress.tool_calls.push(record(call, &output, duration_ms));
    let content = output.message();
    progress.absorb(output.spent);
    Message::Tool {
        tool_call_id: call.id.clone(),
        content,
    }
}

/// Runs one call (never fails: an error is a result for the model) and times it.
async fn run_tool(
    tools: &[Arc<dyn DynTool>],
    context: ToolContext<'_>,
    call: &ToolCall,
) -> (ToolOutput, u64) {
    let span = tracing::info_span!(
        "tool",
        tool = %call.name,
        call_id = %call.id,
        ok = field::Empty,
        latency_ms = field::Empty,
    );
    let started = Instant::now();
    let output = match tools
        .iter()
        .find(|tool| tool.definition().name == call.name)
    {
        Some(tool) => {
            tool.call(context, &call.arguments)
                .instrument(span.clone())
                .await
        }
        None => unknown_tool(tools, &call.name).into(),
    };
    let duration_ms = elapsed_ms(started);
    span.record("ok", output.is_ok());
    span.record("latency_ms", duration_ms);
    if let Err(err) = &output.outcome {
        tracing::info!(parent: &span, kind = err.kind(), "tool call failed");
    }
    (output, duration_ms)
}

fn unknown_tool(tools: &[Arc<dyn DynTool>], name: &str) -> ToolError {
    ToolError::Unknown {
        name: name.to_string(),
        available: if tools.is_empty() {
            "none".to_string()
        } else {
            tools
                .iter()
                .map(|tool| tool.definition().name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        },
    }
}

fn record(call: &ToolCall, output: &ToolOutput, duration_ms: u64) -> ToolCallRecord {
    ToolCallRecord {
        name: call.name.clone(),
        arguments: serde_json::from_str(&call.arguments)
            .unwrap_or_else(|_| Value::String(call.arguments.clone())),
        duration_ms,
        ok: output.is_ok(),
        capability: output.capability.clone(),
    }
}
