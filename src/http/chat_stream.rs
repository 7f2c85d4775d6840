//! The server-sent events of a streamed `/v1/chat` turn, as the OpenAPI
//! document describes them: the schema of one event (its `event:` and `data:`
//! lines), the form schemathesis and OpenAPI 3.2's `itemSchema` read a
//! `text/event-stream` schema in. The events themselves are written by
//! `chat.rs` from the turn's events (`agent::TurnEvent`).

/// One event of the stream: `event: <name>` and one `data:` line of JSON.
#[derive(utoipa::ToSchema)]
// Describes the wire format only: never built.
#[allow(dead_code)]
pub(super) struct ChatStreamEvent {
    /// The event's name.
    event: ChatStreamEventName,
    /// Its payload, one line of JSON: `capability` `{"capability", "routed"}`;
    /// `delta` `{"text"}`; `tool_call_started` `{"id", "name", "capability"?}`;
    /// `tool_call_finished` `{"id", "name", "capability"?, "ok", "duration_ms"}`;
    /// `artifact` an `Artifact`; `done` the whole `ChatResponse`; `error` an
    /// `ErrorBody`.
    #[schema(content_media_type = "application/json")]
    data: String,
}

/// The events, in the order they come: `capability` once, then `delta`,
/// `tool_call_started`, `tool_call_finished` and `artifact` as they happen,
/// and last exactly one of `done` or `error`.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub(super) enum ChatStreamEventName {
    /// The capability answering.
    Capability,
    /// Text as the model writes it.
    Delta,
    /// A tool call began.
    ToolCallStarted,
    /// A tool call ended.
    ToolCallFinished,
    /// A document was rendered.
    Artifact,
    /// The turn is over: its `ChatResponse`.
    Done,
    /// The turn failed after the stream began (or the server is shutting down).
    Error,
}

/// The names [`ChatStreamEventName`] lists, as the stream writes them.
#[cfg(test)]
pub(super) const NAMES: &[&str] = &[
    "capability",
    "delta",
    "tool_call_started",
    "tool_call_finished",
    "artifact",
    "done",
    "error",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::TurnEvent;
    use crate::templates::Artifact;
    use utoipa::PartialSchema;

    #[test]
    fn the_documented_event_names_are_the_ones_the_turn_sends() {
        let schema = serde_json::to_value(ChatStreamEventName::schema()).expect("schema");
        let documented: Vec<&str> = schema["enum"]
            .as_array()
            .expect("an enum")
            .iter()
            .filter_map(|name| name.as_str())
            .collect();
        assert_eq!(documented, NAMES);
        let sent = [
            TurnEvent::Capability {
                capability: "c".into(),
                routed: false,
            },
            TurnEvent::Delta { text: "t".into() },
            TurnEvent::ToolCallStarted {
                id: "1".into(),
                name: "n".into(),
                capability: None,
            },
            TurnEvent::ToolCallFinished {
                id: "1".into(),
                name: "n".into(),
                capability: None,
                ok: true,
                duration_ms: 1,
            },
            TurnEvent::Artifact(Artifact {
                template: "t".into(),
                title: "t".into(),
                markdown: "m".into(),
                corrections: Vec::new(),
                saved_as: None,
                status: Default::default(),
            }),
        ];
        for event in &sent {
            assert!(NAMES.contains(&event.name()), "{}", event.name());
        }
    }
}
