//! Our policy towards the model upstream, against the fake: which failures are
//! retried and how often, Retry-After, answers too large to read, and no retry
//! once text has reached the client.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use common::{SseReader, Step, setup, text};
use serde_json::json;

fn rate_limited(headers: Vec<(&'static str, String)>) -> Step {
    Step::WithHeaders {
        headers,
        step: Box::new(Step::Error {
            status: 429,
            body: r#"{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}"#
                .into(),
        }),
    }
}

fn chat() -> serde_json::Value {
    json!({"capability": "strategic-pm-coach", "message": "Where do I start?"})
}

#[tokio::test]
async fn a_storm_of_429s_is_retried_twice_then_fails() {
    let (upstream, server) = setup().await;
    upstream.repeat_forever(|_| rate_limited(Vec::new()));
    let (status, body) = server.post("/v1/chat", &chat()).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"]["code"], "upstream_error");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("429") && m.contains("rate_limit_exceeded")),
        "{body}"
    );
    assert_eq!(upstream.request_count(), 3, "one call and two retries");
}

#[tokio::test]
async fn a_short_retry_after_is_waited_for_and_the_call_succeeds() {
    let (upstream, server) = setup().await;
    upstream.push_all([
        rate_limited(vec![("retry-after-ms", "30".into())]),
        Step::Error {
            status: 503,
            body: "upstream overloaded".into(),
        },
        text("Start with the decision the client must make."),
    ]);
    let (status, body) = server.post("/v1/chat", &chat()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(upstream.request_count(), 3);
}

#[tokio::test]
async fn a_retry_after_of_an_hour_fails_at_once_with_the_wait_for_the_client() {
    let (upstream, server) = setup().await;
    upstream.repeat_forever(|_| rate_limited(vec![("retry-after", "3600".into())]));
    let response = server
        .client
        .post(format!("{}/v1/chat", server.base))
        .json(&chat())
        .send()
        .await
        .expect("response");
    assert_eq!(response.status(), 503);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("3600")
    );
    let (_, body) = common::read(response).await;
    assert_eq!(body["error"]["code"], "upstream_rate_limited");
    assert_eq!(upstream.request_count(), 1, "no waiting, no retry");

    // The OpenAI-compatible endpoint says the same in OpenAI's shape.
    let response = server
        .client
        .post(format!("{}/v1/chat/completions", server.base))
        .json(&json!({"model": "strategic-pm-coach", "messages": [{"role": "user", "content": "Hi"}]}))
        .send()
        .await
        .expect("response");
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let (_, body) = common::read(response).await;
    assert_eq!(body["error"]["code"], "upstream_rate_limited");
}

#[tokio::test]
async fn a_client_error_is_not_retried() {
    let (upstream, server) = setup().await;
    upstream.repeat_forever(|_| Step::Error {
        status: 400,
        body: r#"{"error":{"message":"bad","type":"invalid_request_error","code":"context_length_exceeded"}}"#.into(),
    });
    let (status, body) = server.post("/v1/chat", &chat()).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(upstream.request_count(), 1);
}

#[tokio::test]
async fn an_answer_over_the_size_limit_is_refused_whole_or_streamed() {
    let (upstream, server) = setup().await;
    upstream.push(Step::Flood {
        bytes: Some(20 * 1024 * 1024),
    });
    let (status, body) = server.post("/v1/chat", &chat()).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"]["code"], "upstream_too_large");

    upstream.push(Step::Flood { bytes: None });
    let mut streamed = chat();
    streamed["stream"] = json!(true);
    // The flood never completes a chunk: nothing reached the client, so the
    // failure is a plain status.
    let response = server.post_raw("/v1/chat", &streamed).await;
    assert_eq!(response.status(), 502);
    let (_, last) = common::read(response).await;
    assert_eq!(last["error"]["code"], "upstream_too_large", "{last}");
    assert_eq!(upstream.request_count(), 2, "too large is not retried");
}

#[tokio::test]
async fn a_stream_that_breaks_after_text_is_not_retried() {
    let (upstream, server) = setup().await;
    upstream.push(Step::Truncated {
        step: Box::new(text(
            "Start with the decision the client must make, then work back.",
        )),
        events: 3,
    });
    upstream.repeat_forever(|_| text("a second answer the client must never see"));
    let mut streamed = chat();
    streamed["stream"] = json!(true);
    let events = SseReader::new(server.post_raw("/v1/chat", &streamed).await)
        .collect()
        .await;
    assert!(events.iter().any(|e| e.event == "delta"), "{events:?}");
    let last = events.last().expect("events");
    assert_eq!(last.event, "error", "{events:?}");
    assert_eq!(upstream.request_count(), 1);
}
