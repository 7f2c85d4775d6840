//! POST /v1/chat with `"stream": true`: server-sent events through the real
//! server from a fake upstream that streams in OpenAI's exact chunk format.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use std::time::Duration;

use common::{SseReader, Step, call, setup, text, tool_calls};
use serde_json::json;

fn coach(message: &str) -> serde_json::Value {
    json!({"message": message, "capability": "strategic-pm-coach", "stream": true})
}

#[tokio::test]
async fn text_streams_as_deltas_then_done() {
    let (upstream, server) = setup().await;
    upstream.set_chunk_size(3);
    let reply = "Ask which decisions the PRDs must enable — then coach the team.";
    upstream.push(text(reply));

    let response = server.post_raw("/v1/chat", &coach("They want PRDs.")).await;
    assert_eq!(response.status().as_u16(), 200);
    let events = SseReader::new(response).collect().await;

    assert_eq!(events[0].event, "capability");
    assert_eq!(
        events[0].json(),
        json!({"capability": "strategic-pm-coach", "routed": false})
    );
    let deltas: Vec<String> = events
        .iter()
        .filter(|e| e.event == "delta")
        .map(|e| e.json()["text"].as_str().expect("text").to_string())
        .collect();
    assert!(deltas.len() > 10, "streamed in pieces: {deltas:?}");
    assert_eq!(deltas.concat(), reply);
    let done = events.last().expect("events");
    assert_eq!(done.event, "done");
    let done = done.json();
    assert_eq!(done["reply"], reply);
    assert!(
        done["usage"]["total_tokens"]
            .as_u64()
            .is_some_and(|t| t > 0)
    );
    assert!(done["session_id"].is_string());
    // The upstream was asked to stream, with usage.
    let request = &upstream.requests()[0].body;
    assert_eq!(request["stream"], true);
    assert_eq!(request["stream_options"]["include_usage"], true);
}

#[tokio::test]
async fn tool_calls_split_at_every_boundary_and_interleaved_are_assembled() {
    for chunk_size in 1..=7 {
        let (upstream, server) = setup().await;
        upstream.set_chunk_size(chunk_size);
        let fake = upstream.clone();
        upstream.repeat_forever(move |n| {
            let request = fake.requests()[n].body.clone();
            let system = common::system_prompt(&request).to_string();
            if n == 0 {
                tool_calls(vec![
                    call(
                        "call_g",
                        "consult_growth_advisor",
                        r#"{"question":"Where should I grow — é, 你好?"}"#,
                    ),
                    call(
                        "call_r",
                        "consult_relationship_advisor",
                        r#"{"question":"How do I tell the CEO?","context":"Series B"}"#,
                    ),
                ])
            } else if system.starts_with("# Growth Advisor") {
                text("growth answer")
            } else if system.starts_with("# Relationship Advisor") {
                text("relationship answer")
            } else {
                text("Combined.")
            }
        });

        let response = server.post_raw("/v1/chat", &coach("Help.")).await;
        let events = SseReader::new(response).collect().await;
        let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
        assert_eq!(names.first(), Some(&"capability"));
        assert_eq!(
            names.last(),
            Some(&"done"),
            "chunk size {chunk_size}: {names:?}"
        );
        let started: Vec<_> = events
            .iter()
            .filter(|e| e.event == "tool_call_started")
            .collect();
        let finished: Vec<_> = events
            .iter()
            .filter(|e| e.event == "tool_call_finished")
            .collect();
        assert_eq!(started.len(), 2);
        assert_eq!(finished.len(), 2);
        for event in &finished {
            assert_eq!(
                event.json()["ok"],
                true,
                "chunk size {chunk_size}: {}",
                event.data
            );
        }
        let consulted: Vec<String> = started
            .iter()
            .map(|e| {
                e.json()["capability"]
                    .as_str()
                    .expect("capability")
                    .to_string()
            })
            .collect();
        assert_eq!(consulted, ["growth-advisor", "relationship-advisor"]);

        // The sibling requests carry the reassembled arguments exactly.
        let requests = upstream.requests();
        let questions: Vec<String> = requests[1..3]
            .iter()
            .map(|r| {
                common::messages(&r.body)[1]["content"]
                    .as_str()
                    .expect("text")
                    .to_string()
            })
            .collect();
        assert!(
            questions
                .contains(&"Strategic PM Coach asks: Where should I grow — é, 你好?".to_string()),
            "chunk size {chunk_size}: {questions:?}"
        );
        assert!(
            questions
                .iter()
                .any(|q| q.ends_with("Context from Strategic PM Coach:\nSeries B"))
        );
        let done = events.last().expect("done").json();
        assert_eq!(done["reply"], "Combined.");
        assert_eq!(
            done["tool_calls"][0]["arguments"]["question"],
            "Where should I grow — é, 你好?"
        );
    }
}

#[tokio::test]
async fn a_stream_cut_mid_arguments_runs_no_tool_and_fails_plainly() {
    let (upstream, server) = setup().await;
    upstream.set_chunk_size(4);
    upstream.push(Step::Truncated {
        step: Box::new(tool_calls(vec![call(
            "c1",
            "consult_growth_advisor",
            r#"{"question":"a question long enough to be cut"}"#,
        )])),
        events: 4,
    });

    // Nothing reached the client before the cut: it is a plain 502.
    let response = server.post_raw("/v1/chat", &coach("Go.")).await;
    assert_eq!(response.status(), 502);
    let (_, error) = common::read(response).await;
    assert_eq!(error["error"]["code"], "upstream_error");
    assert!(
        error["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("cut off"))
    );
    assert_eq!(upstream.request_count(), 1, "no sibling was consulted");
    // And the server keeps serving.
    upstream.push(text("fine"));
    let (status, _) = server
        .post(
            "/v1/chat",
            &json!({"message": "again", "capability": "strategic-pm-coach"}),
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_failure_before_any_text_is_a_real_status_and_after_it_an_error_event() {
    let (upstream, server) = setup().await;
    upstream.push(Step::Error {
        status: 400,
        body: json!({"error": {"message": "bad", "type": "invalid_request_error", "param": null, "code": "context_length_exceeded"}}).to_string(),
    });
    // Nothing was sent yet: the client (or a router) sees the status.
    let response = server.post_raw("/v1/chat", &coach("Go.")).await;
    assert_eq!(response.status(), 502);
    let (_, body) = common::read(response).await;
    assert_eq!(
        body["error"]["message"],
        "the model upstream answered HTTP 400 (context_length_exceeded)"
    );
    // After text has gone out, the stream ends with an error event.
    upstream.set_chunk_size(4);
    upstream.push(Step::Truncated {
        step: Box::new(text("Start with the decision the client must make.")),
        events: 4,
    });
    let response = server.post_raw("/v1/chat", &coach("Go on.")).await;
    assert_eq!(response.status(), 200);
    let events = SseReader::new(response).collect().await;
    assert!(events.iter().any(|e| e.event == "delta"), "{events:?}");
    let last = events.last().expect("events");
    assert_eq!(last.event, "error", "{events:?}");
    assert_eq!(last.json()["error"]["code"], "upstream_error");
}

#[tokio::test]
async fn the_first_token_is_forwarded_before_the_upstream_finishes() {
    let (upstream, server) = setup().await;
    upstream.set_chunk_size(2);
    upstream.set_chunk_delay(Duration::from_millis(150));
    upstream.push(text("one two three four five six"));

    let response = server.post_raw("/v1/chat", &coach("Go.")).await;
    let mut reader = SseReader::new(response);
    let first = reader.next().await.expect("capability");
    assert_eq!(first.event, "capability");
    let delta = reader.next().await.expect("delta");
    assert_eq!(delta.event, "delta");
    assert_eq!(
        upstream.streams_finished(),
        0,
        "forwarded while the upstream is still writing"
    );
    let rest = reader.collect().await;
    assert_eq!(rest.last().map(|e| e.event.as_str()), Some("done"));
    assert_eq!(upstream.streams_finished(), 1);
}

#[tokio::test]
async fn a_disconnecting_client_cancels_the_turn_and_what_was_recorded_stays_consistent() {
    let (upstream, server) = setup().await;
    upstream.push_all([
        tool_calls(vec![call(
            "log",
            "log_event",
            &json!({"event_type": "Meeting", "pm_report": "Log the kickoff", "title": "Kickoff", "work_category": "Strategic", "hours": 1, "what_happened": "Kicked off."}).to_string(),
        )]),
        // The answer after the tool call takes a while; the client leaves first.
        Step::Delayed(Duration::from_millis(800), Box::new(text("too late"))),
    ]);

    let response = server
        .post_raw(
            "/v1/chat",
            &json!({"message": "Log the kickoff.", "customer": "acme", "capability": "strategic-pm-coach", "stream": true}),
        )
        .await;
    let mut reader = SseReader::new(response);
    loop {
        let event = reader.next().await.expect("event");
        if event.event == "tool_call_finished" {
            assert_eq!(event.json()["ok"], true);
            break;
        }
    }
    drop(reader); // the client disconnects

    tokio::time::sleep(Duration::from_millis(1500)).await;
    let dir = server.workspace.join("customers/acme");
    let log = std::fs::read_to_string(dir.join("event-log.md")).expect("log");
    assert!(
        log.contains("Meeting: Kickoff"),
        "the tool's write is whole"
    );
    let transcripts = std::fs::read_dir(dir.join("sessions"))
        .expect("sessions")
        .count();
    assert_eq!(
        transcripts, 0,
        "a cancelled turn records no half-finished session"
    );
    assert_eq!(upstream.request_count(), 2);
}

#[tokio::test]
async fn routing_picks_a_capability_and_the_stream_reports_it() {
    let (upstream, server) = setup().await;
    upstream.push_all([
        tool_calls(vec![call(
            "route",
            "choose_capability",
            r#"{"capability":"exec-comms-specialist","reason":"a board memo"}"#,
        )]),
        text("Here is the memo outline."),
    ]);
    let response = server
        .post_raw(
            "/v1/chat",
            &json!({"message": "Draft a board update memo.", "stream": true}),
        )
        .await;
    let events = SseReader::new(response).collect().await;
    assert_eq!(
        events[0].json(),
        json!({"capability": "exec-comms-specialist", "routed": true})
    );
    let done = events.last().expect("done").json();
    assert_eq!(done["capability"], "exec-comms-specialist");
    assert_eq!(done["routed"], true);
    let requests = upstream.requests();
    let routing = &requests[0].body;
    assert_eq!(
        routing["tool_choice"]["function"]["name"],
        "choose_capability"
    );
    assert!(common::system_prompt(routing).contains("`growth-advisor` (Growth Advisor)"));
    assert!(common::system_prompt(&requests[1].body).starts_with("# Exec Comms Specialist"));
}
