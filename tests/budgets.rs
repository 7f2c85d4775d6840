//! What one request may spend: a storm of consults and tool calls stops at the
//! request's budget, whole or streamed, and only the capability the user
//! talks to writes the customer's documents.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use common::{SseReader, call, setup, tool_calls};
use serde_json::json;

/// Every model answer: consult all four siblings twice over and log an event.
fn storm(n: usize) -> common::Step {
    let consults = [
        "consult_growth_advisor",
        "consult_relationship_advisor",
        "consult_strategy_architect",
        "consult_exec_comms_specialist",
    ];
    let mut calls: Vec<_> = consults
        .iter()
        .chain(consults.iter())
        .enumerate()
        .map(|(i, name)| call(&format!("c{n}_{i}"), name, r#"{"question":"And then?"}"#))
        .collect();
    calls.truncate(7);
    calls.push(call(
        &format!("e{n}"),
        "log_event",
        r#"{"event_type":"Meeting","pm_report":"I had a storm meeting","title":"Storm","what_happened":"again","work_category":"Tactical","hours":1}"#,
    ));
    tool_calls(calls)
}

#[tokio::test]
async fn a_consult_storm_stops_at_the_request_budget() {
    let (upstream, server) = setup().await;
    upstream.repeat_forever(storm);
    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "customer": "acme", "message": "Go: I had a storm meeting."}),
        )
        .await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"]["code"], "budget_exhausted");
    let made = upstream.request_count();
    assert!(made <= 16, "{made} model calls");
    // Consulted capabilities were offered no way to write; only the coach's
    // own log_event calls (one per coach step) reached the event log.
    let log = std::fs::read_to_string(server.workspace.join("customers/acme/event-log.md"))
        .expect("event log");
    let storms = log.matches("Storm").count();
    assert!((1..=3).contains(&storms), "{storms} events: {log}");
    for request in upstream.requests().iter().skip(1) {
        let tools = common::tool_names(&request.body);
        if !tools.contains(&"consult_growth_advisor") {
            assert!(
                !tools.contains(&"log_event"),
                "a sibling was offered {tools:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_streamed_storm_ends_with_the_budget_error_event() {
    let (upstream, server) = setup().await;
    upstream.repeat_forever(storm);
    let response = server
        .post_raw(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "Go.", "stream": true}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let events = SseReader::new(response).collect().await;
    let last = events.last().expect("events");
    assert_eq!(last.event, "error", "{events:?}");
    assert_eq!(last.json()["error"]["code"], "budget_exhausted");
    assert!(upstream.request_count() <= 16);
}
