//! Bad requests get a JSON error with the right status, and nothing reaches the model.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use common::{TestServer, config_for, read, setup};
use serde_json::{Value, json};

fn assert_error(status: u16, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["error"]["code"], want_code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn malformed_and_invalid_bodies_are_400() {
    let (upstream, server) = setup().await;
    let raw = |body: &'static str| {
        server
            .client
            .post(format!("{}/v1/chat", server.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    let (status, body) = read(raw("{not json").await.expect("send")).await;
    assert_error(status, &body, 400, "invalid_request");

    let (status, body) = read(raw(r#"{"customer":"acme"}"#).await.expect("send")).await;
    assert_error(status, &body, 400, "invalid_request");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("message")
    );

    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "   "}),
        )
        .await;
    assert_error(status, &body, 400, "invalid_request");

    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "hi", "mesage": "typo"}),
        )
        .await;
    assert_error(status, &body, 400, "invalid_request");

    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "hi", "customer": "../etc"}),
        )
        .await;
    assert_error(status, &body, 400, "invalid_request");

    let response = server
        .client
        .post(format!("{}/v1/chat", server.base))
        .body(r#"{"message":"hi"}"#)
        .send()
        .await
        .expect("send");
    let (status, body) = read(response).await;
    assert_error(status, &body, 415, "unsupported_media_type");

    assert_eq!(
        upstream.request_count(),
        0,
        "no bad request reached the model"
    );
}

#[tokio::test]
async fn oversized_messages_and_bodies_are_refused() {
    let (upstream, server) = setup().await;
    let long = "x".repeat(40_000);
    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": long}),
        )
        .await;
    assert_error(status, &body, 400, "invalid_request");

    let huge = "x".repeat(300 * 1024);
    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": huge}),
        )
        .await;
    assert_error(status, &body, 413, "payload_too_large");
    assert_eq!(upstream.request_count(), 0);
}

#[tokio::test]
async fn unknown_capabilities_sessions_and_routes_are_404() {
    let (_upstream, server) = setup().await;
    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"message": "hi", "capability": "oracle"}),
        )
        .await;
    assert_error(status, &body, 404, "unknown_capability");

    let (status, body) = server
        .post("/v1/chat", &json!({"message": "hi", "session_id": "nope"}))
        .await;
    assert_error(status, &body, 404, "unknown_session");

    let (status, body) = server.get("/v1/nothing-here").await;
    assert_error(status, &body, 404, "not_found");

    let (status, body) = server.get("/v1/chat").await;
    assert_error(status, &body, 405, "method_not_allowed");
}

#[tokio::test]
async fn without_a_model_chat_is_503_with_advice_and_the_rest_works() {
    let server = TestServer::start(config_for(None)).await;
    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "hi"}),
        )
        .await;
    assert_error(status, &body, 503, "no_model");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(message.contains("OPENAI_API_KEY") && message.contains("PMCOACH_MODEL"));

    let (status, body) = server.get("/v1/capabilities").await;
    assert_eq!(status, 200);
    let list = body["capabilities"].as_array().expect("list");
    assert_eq!(list.len(), 5);
    let coach = list
        .iter()
        .find(|c| c["id"] == "strategic-pm-coach")
        .expect("coach listed");
    assert_eq!(coach["name"], "Strategic PM Coach");
    assert_eq!(coach["default"], true);
    assert!(
        coach["description"]
            .as_str()
            .is_some_and(|d| d.contains("fractional PMs"))
    );
    assert_eq!(coach["when_to_invoke"].as_array().map(Vec::len), Some(6));

    let health = server
        .client
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .expect("send");
    assert_eq!(health.status().as_u16(), 200);
}
