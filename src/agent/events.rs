//! What a turn reports while it runs, for streaming clients.

use serde::Serialize;
use tokio::sync::mpsc;

use crate::templates::Artifact;

/// Where a running turn sends its events. A send to a client that has gone
/// away is ignored: the turn is then dropped with the response stream.
pub type EventSink = mpsc::Sender<TurnEvent>;

/// One event of a running turn (depth 0 only: a consulted capability's text is
/// not streamed, its answer arrives as a tool result).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TurnEvent {
    /// The capability answering (chosen by routing when `routed`).
    Capability {
        /// Capability id.
        capability: String,
        /// Whether a routing call chose it.
        routed: bool,
    },
    /// Text as the model writes it.
    Delta {
        /// The new text.
        text: String,
    },
    /// A tool call began.
    ToolCallStarted {
        /// The call's id.
        id: String,
        /// Tool name.
        name: String,
        /// The capability consulted, for consult tools.
        #[serde(skip_serializing_if = "Option::is_none")]
        capability: Option<String>,
    },
    /// A tool call ended.
    ToolCallFinished {
        /// The call's id.
        id: String,
        /// Tool name.
        name: String,
        /// The capability consulted, for consult tools.
        #[serde(skip_serializing_if = "Option::is_none")]
        capability: Option<String>,
        /// Whether it succeeded.
        ok: bool,
        /// Wall time.
        duration_ms: u64,
    },
    /// A document was rendered (and saved, with a customer).
    Artifact(Artifact),
}

impl TurnEvent {
    /// The SSE event name.
    pub fn name(&self) -> &'static str {
        match self {
            TurnEvent::Capability { .. } => "capability",
            TurnEvent::Delta { .. } => "delta",
            TurnEvent::ToolCallStarted { .. } => "tool_call_started",
            TurnEvent::ToolCallFinished { .. } => "tool_call_finished",
            TurnEvent::Artifact(_) => "artifact",
        }
    }

    /// The SSE data: the event's fields as JSON.
    pub fn data(&self) -> serde_json::Value {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut outer)) => {
                outer.remove(self.name()).unwrap_or(serde_json::Value::Null)
            }
            _ => serde_json::Value::Null,
        }
    }
}

/// Sends an event if there is a sink; a gone receiver is not an error.
pub(crate) async fn emit(sink: Option<&EventSink>, event: TurnEvent) {
    if let Some(sink) = sink {
        let _ = sink.send(event).await;
    }
}
