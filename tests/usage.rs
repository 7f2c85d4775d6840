//! Usage and cost through the real server: each turn's estimated cost in the
//! responses and the transcript, `GET /v1/customers/{id}/usage`, and the
//! per-customer daily token budget (429 with Retry-After, nothing sent upstream).
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use std::collections::BTreeMap;

use common::{FakeUpstream, TestServer, config_for, read, setup, text};
use pmcoach::config::Config;
use pmcoach::pricing::{Price, Prices};
use serde_json::{Value, json};

/// gpt-4o-mini's list price, USD per million tokens.
const MINI: (f64, f64) = (0.15, 0.60);
const COACH: &str = "strategic-pm-coach";

/// A server whose model is called `model`, with `daily_tokens` as the budget.
async fn start(model: &str, daily_tokens: Option<u64>) -> (FakeUpstream, TestServer) {
    let upstream = FakeUpstream::start().await;
    let mut config = config_for(Some(&upstream));
    config.model.model = Some(model.to_string());
    config.limits.customer_daily_tokens = daily_tokens;
    (upstream, TestServer::start(config).await)
}

/// The estimate for `usage` at `(input, output)` USD per million tokens.
fn expected_cost(usage: &Value, (input, output): (f64, f64)) -> f64 {
    let tokens = |key: &str| usage[key].as_u64().expect("a token count") as f64;
    (tokens("prompt_tokens") * input + tokens("completion_tokens") * output) / 1e6
}

fn assert_close(actual: &Value, expected: f64) {
    let actual = actual
        .as_f64()
        .unwrap_or_else(|| panic!("{actual} is no cost"));
    assert!(
        (actual - expected).abs() < 1e-8,
        "cost {actual}, expected {expected}"
    );
}

/// A chat turn with the coach (no routing call), which must succeed.
async fn chat(server: &TestServer, mut body: Value) -> Value {
    body["capability"] = json!(COACH);
    let (status, body) = server.post("/v1/chat", &body).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn a_priced_model_reports_each_turns_cost_in_responses_and_the_transcript() {
    let (upstream, server) = start("gpt-4o-mini-2024-07-18", None).await;
    upstream.push_all([text("One."), text("Two."), text("Three.")]);

    let body = chat(&server, json!({"customer": "acme", "message": "Hello"})).await;
    let cost = expected_cost(&body["usage"], MINI);
    assert!(cost > 0.0);
    assert_close(&body["cost_usd"], cost);
    let path = format!(
        "/v1/customers/acme/sessions/{}",
        body["session_id"].as_str().expect("id")
    );
    let (status, transcript) = server.get(&path).await;
    assert_eq!(status, 200, "{transcript}");
    assert_close(&transcript["turns"][0]["cost_usd"], cost);

    let (status, invoked) = server
        .post(
            "/v1/capabilities/strategic-pm-coach/invoke",
            &json!({"task": "Summarise.", "customer": "acme"}),
        )
        .await;
    assert_eq!(status, 200, "{invoked}");
    assert_close(&invoked["cost_usd"], expected_cost(&invoked["usage"], MINI));

    let (status, completion) = server
        .post(
            "/v1/chat/completions",
            &json!({"model": "strategic-pm-coach", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(status, 200, "{completion}");
    let usage = &completion["usage"];
    assert_close(
        &completion["pmcoach"]["cost_usd"],
        expected_cost(usage, MINI),
    );
    // OpenAI's own usage keeps OpenAI's shape.
    assert!(usage.get("cost_usd").is_none(), "{usage}");
}

#[tokio::test]
async fn an_unpriced_model_reports_tokens_but_no_cost() {
    let (upstream, server) = setup().await;
    upstream.push(text("Hi."));
    let body = chat(&server, json!({"customer": "acme", "message": "Hello"})).await;
    assert!(body["usage"]["total_tokens"].as_u64().expect("tokens") > 0);
    assert!(body.get("cost_usd").is_none(), "{body}");

    let (_, transcript) = server
        .get(&format!(
            "/v1/customers/acme/sessions/{}",
            body["session_id"].as_str().expect("id")
        ))
        .await;
    assert!(
        transcript["turns"][0].get("cost_usd").is_none(),
        "{transcript}"
    );

    let (status, usage) = server.get("/v1/customers/acme/usage").await;
    assert_eq!(status, 200, "{usage}");
    assert!(usage["total"].get("cost_usd").is_none(), "{usage}");
    assert_eq!(
        usage["total"]["unpriced_tokens"],
        body["usage"]["total_tokens"]
    );
}

#[tokio::test]
async fn usage_adds_up_across_sessions_and_days() {
    let upstream = FakeUpstream::start().await;
    let mut config: Config = config_for(Some(&upstream));
    // A price of our own for the fake model, from the configuration.
    let price = Price {
        input_per_mtok: 1.0,
        output_per_mtok: 2.0,
    };
    config.prices = Prices::default().with(BTreeMap::from([("fake-model".to_string(), price)]));
    let server = TestServer::start(config).await;
    upstream.push_all([text("a"), text("b"), text("c"), text("d")]);

    let first = chat(&server, json!({"customer": "acme", "message": "One"})).await;
    let session_one = first["session_id"].as_str().expect("id").to_string();
    let second = chat(
        &server,
        json!({"customer": "acme", "session_id": session_one, "message": "Two"}),
    )
    .await;
    let third = chat(&server, json!({"customer": "acme", "message": "Three"})).await;
    // Another customer's turn is not acme's.
    chat(&server, json!({"customer": "globex", "message": "Four"})).await;

    let tokens = |body: &Value| body["usage"]["total_tokens"].as_u64().expect("tokens");
    let cost = |body: &Value| body["cost_usd"].as_f64().expect("cost");
    let (status, usage) = server.get("/v1/customers/acme/usage").await;
    assert_eq!(status, 200, "{usage}");
    assert_eq!(usage["customer"], "acme");
    let total = &usage["total"];
    assert_eq!(total["turns"], 3);
    assert_eq!(
        total["usage"]["total_tokens"].as_u64(),
        Some(tokens(&first) + tokens(&second) + tokens(&third))
    );
    assert_close(
        &total["cost_usd"],
        cost(&first) + cost(&second) + cost(&third),
    );
    assert_eq!(total["unpriced_tokens"], 0);

    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let days = usage["days"].as_array().expect("days");
    assert_eq!(days.len(), 1, "{usage}");
    assert_eq!(days[0]["date"], today.to_string());
    assert_eq!(days[0]["usage"], total["usage"]);

    let sessions = usage["sessions"].as_array().expect("sessions");
    assert_eq!(sessions.len(), 2, "{usage}");
    let one = sessions
        .iter()
        .find(|s| s["session_id"] == session_one.as_str())
        .expect("the first session");
    assert_eq!(one["turns"], 2);
    assert_eq!(
        one["usage"]["total_tokens"].as_u64(),
        Some(tokens(&first) + tokens(&second))
    );
    assert_close(&one["cost_usd"], cost(&first) + cost(&second));
    let other = sessions
        .iter()
        .find(|s| s["session_id"] == third["session_id"])
        .expect("the second session");
    assert_eq!(other["usage"], third["usage"]);

    assert_eq!(server.get("/v1/customers/Acme/usage").await.0, 400);
    let (status, body) = server.get("/v1/customers/nobody/usage").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "unknown_customer");
}

/// The seconds of a refusal's Retry-After, checked to be within a day.
fn retry_after(response: &reqwest::Response) -> u64 {
    let secs: u64 = response
        .headers()
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!((1..=86_400).contains(&secs), "Retry-After {secs}");
    secs
}

#[tokio::test]
async fn a_spent_daily_budget_refuses_the_customers_turns_until_midnight() {
    let (upstream, server) = start("fake-model", Some(100)).await;
    upstream.push_all([
        text("Spent."),
        text("Other customer."),
        text("No customer."),
    ]);
    // Under the budget a turn runs, however much it then spends.
    let first = chat(&server, json!({"customer": "acme", "message": "Hello"})).await;
    let spent = first["usage"]["total_tokens"].as_u64().expect("tokens");
    assert!(
        spent >= 100,
        "the seed prompt alone passes the budget: {spent}"
    );
    let sent = upstream.request_count();

    let response = server
        .post_raw(
            "/v1/chat",
            &json!({"customer": "acme", "capability": COACH, "message": "Again"}),
        )
        .await;
    let secs = retry_after(&response);
    let (status, body) = read(response).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "budget_exhausted");
    let message = body["error"]["message"].as_str().expect("message");
    let tomorrow = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .tomorrow()
        .expect("a day");
    for part in [
        "acme".to_string(),
        format!("spent {spent} tokens"),
        "budget is 100".to_string(),
        format!("resets at {tomorrow}T00:00:00Z"),
    ] {
        assert!(message.contains(&part), "{part:?} not in {message}");
    }
    assert!(secs <= 86_400);

    // Streaming is refused before the stream starts: the same JSON 429.
    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"customer": "acme", "capability": COACH, "message": "Again", "stream": true}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("budget_exhausted"))
    );

    // The OpenAI-compatible endpoint answers in OpenAI's shape.
    let response = server
        .client
        .post(format!("{}/v1/chat/completions", server.base))
        .header("x-pmcoach-customer", "acme")
        .json(&json!({"model": "strategic-pm-coach", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("response");
    retry_after(&response);
    let (status, body) = read(response).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "budget_exhausted");
    assert_eq!(body["error"]["type"], "insufficient_quota");
    assert_eq!(upstream.request_count(), sent, "nothing was sent upstream");

    // Other customers, and turns without one, are not held up.
    chat(&server, json!({"customer": "globex", "message": "Hello"})).await;
    chat(&server, json!({"message": "Hello"})).await;
}

#[tokio::test]
async fn a_restarted_server_reads_todays_spend_from_the_transcripts() {
    let (upstream, first) = start("fake-model", None).await;
    upstream.push(text("Spent."));
    chat(&first, json!({"customer": "acme", "message": "Hello"})).await;

    let mut config = config_for(Some(&upstream));
    config.workspace_dir = first.workspace.clone();
    config.limits.customer_daily_tokens = Some(100);
    let restarted = TestServer::start(config).await;
    let (status, body) = restarted
        .post(
            "/v1/chat",
            &json!({"customer": "acme", "capability": COACH, "message": "Again"}),
        )
        .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(upstream.request_count(), 1);
}
