//! The structured invoke endpoint, and the OpenAPI document that describes every route.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use common::{FakeUpstream, TestServer, call, config_for, setup, text, tool_calls};
use serde_json::{Value, json};

fn fixture(id: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/templates/{id}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

#[tokio::test]
async fn invoke_returns_the_output_events_and_artifacts() {
    let (upstream, server) = setup().await;
    upstream.push_all([
        tool_calls(vec![call(
            "log",
            "log_event",
            &json!({"event_type": "Analysis", "pm_report": "Review our positioning", "title": "Positioning review", "work_category": "Strategic", "hours": 2, "what_happened": "Reviewed positioning."}).to_string(),
        )]),
        text("Reposition around decisions, not documents."),
    ]);

    let (status, body) = server
        .post(
            "/v1/capabilities/strategic-pm-coach/invoke",
            &json!({"task": "Review our positioning.", "context": "20 h/week, PRD-heavy", "customer": "acme"}),
        )
        .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["capability"], "strategic-pm-coach");
    assert_eq!(
        body["output"],
        "Reposition around decisions, not documents."
    );
    assert_eq!(
        body["events_logged"],
        json!([{"event_type": "Analysis", "title": "Positioning review", "work_category": "Strategic", "hours": 2.0}])
    );
    assert!(
        body["usage"]["total_tokens"]
            .as_u64()
            .is_some_and(|t| t > 0)
    );
    let requests = upstream.requests();
    let user = &common::messages(&requests[0].body)[1];
    assert_eq!(
        user["content"],
        "Review our positioning.\n\nContext:\n20 h/week, PRD-heavy"
    );
}

#[tokio::test]
async fn with_a_template_the_loop_continues_until_the_document_is_filled() {
    let (upstream, server) = setup().await;
    upstream.push_all([
        text("Happy to help - what is the client's name?"),
        tool_calls(vec![call(
            "fill",
            "fill_template",
            &json!({"template": "strategic-work-proposal", "fields": fixture("strategic-work-proposal")}).to_string(),
        )]),
        text("Proposal attached."),
    ]);

    let (status, body) = server
        .post(
            "/v1/capabilities/strategic-pm-coach/invoke",
            &json!({"task": "Write the strategic work proposal.", "template": "strategic-work-proposal"}),
        )
        .await;

    assert_eq!(status, 200, "{body}");
    let output = body["output"].as_str().expect("output");
    assert!(
        output.starts_with("# Strategic Work Proposal: "),
        "{output}"
    );
    assert_eq!(body["artifacts"][0]["template"], "strategic-work-proposal");
    let nudge = common::messages(&upstream.requests()[1].body)
        .last()
        .cloned()
        .expect("message");
    assert_eq!(nudge["role"], "user");
    assert!(
        nudge["content"]
            .as_str()
            .is_some_and(|c| c.contains("call fill_template"))
    );
}

#[tokio::test]
async fn a_template_that_cannot_be_filled_is_a_422_listing_the_missing_fields() {
    let upstream = FakeUpstream::start().await;
    let mut config = config_for(Some(&upstream));
    config.limits.max_steps = 3;
    let server = TestServer::start(config).await;
    let mut partial = fixture("strategic-work-proposal");
    partial
        .as_object_mut()
        .expect("object")
        .remove("recommendation");
    partial.as_object_mut().expect("object").remove("scope");
    let attempt = json!({"template": "strategic-work-proposal", "fields": partial}).to_string();
    upstream.repeat_forever(move |n| {
        tool_calls(vec![call(&format!("f{n}"), "fill_template", &attempt)])
    });

    let (status, body) = server
        .post(
            "/v1/capabilities/strategic-pm-coach/invoke",
            &json!({"task": "Write it.", "template": "strategic-work-proposal"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "template_not_filled");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("missing required fields: /scope, /recommendation"),
        "{message}"
    );
}

#[tokio::test]
async fn invoke_refuses_unknown_capabilities_and_foreign_templates() {
    let (upstream, server) = setup().await;
    let (status, body) = server
        .post("/v1/capabilities/oracle/invoke", &json!({"task": "x"}))
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = server
        .post(
            "/v1/capabilities/strategic-pm-coach/invoke",
            &json!({"task": "x", "template": "skill-matrix"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("belongs to growth-advisor"))
    );
    let (status, _) = server
        .post(
            "/v1/capabilities/strategic-pm-coach/invoke",
            &json!({"tsk": "x"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(upstream.request_count(), 0);
}

/// The routes the service has; a new route must be added here and to the document.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
    ("get", "/.well-known/agent-card.json"),
    ("get", "/v1/capabilities"),
    ("post", "/v1/capabilities/{id}/invoke"),
    ("post", "/v1/chat"),
    ("post", "/v1/chat/completions"),
    ("post", "/v1/responses"),
    ("get", "/v1/models"),
    ("get", "/v1/customers"),
    ("get", "/v1/customers/{id}"),
    ("get", "/v1/customers/{id}/events"),
    ("get", "/v1/customers/{id}/engagement"),
    ("get", "/v1/customers/{id}/usage"),
    ("get", "/v1/customers/{id}/artifacts"),
    ("get", "/v1/customers/{id}/artifacts/{name}"),
    ("patch", "/v1/customers/{id}/artifacts/{name}"),
    ("get", "/v1/customers/{id}/sessions/{session}"),
    ("get", "/v1/customers/{id}/positioning"),
    ("get", "/v1/customers/{id}/evidence"),
    ("get", "/v1/customers/{id}/client-pms"),
    ("get", "/v1/portfolio"),
    ("get", "/v1/customers/{id}/action-items"),
    ("get", "/v1/customers/{id}/reminders"),
];

#[tokio::test]
async fn the_openapi_document_describes_every_route_and_only_real_ones() {
    let (_upstream, server) = setup().await;
    let (status, doc) = server.get("/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let paths = doc["paths"].as_object().expect("paths");
    let mut documented: Vec<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flat_map(|methods| methods.keys())
                .filter(|m| ["get", "post", "put", "delete", "patch"].contains(&m.as_str()))
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect();
    documented.sort();
    let mut expected: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    expected.sort();
    assert_eq!(documented, expected);

    // Every documented route exists: our fallback never answers it.
    for (method, path) in &documented {
        let concrete = path
            .replace("{id}", "acme")
            .replace("{name}", "x.md")
            .replace("{session}", "s1");
        let url = format!("{}{concrete}", server.base);
        let response = if method == "get" {
            server.client.get(url).send().await
        } else {
            let method =
                reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
            server
                .client
                .request(method, url)
                .json(&json!({}))
                .send()
                .await
        }
        .expect("request");
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or_default();
        assert!(
            !(status == 404 && body["error"]["code"] == "not_found") && status != 405,
            "{method} {path} is documented but not routed ({status} {body})"
        );
    }
    // Request and response schemas are in the document.
    assert!(doc["components"]["schemas"]["ChatRequest"].is_object());
    assert!(doc["components"]["schemas"]["InvokeResponse"].is_object());
    assert!(doc["components"]["schemas"]["CustomerUsage"].is_object());
    assert!(doc["components"]["schemas"]["CompletionsRequest"].is_object());
    let responses = &doc["components"]["schemas"]["ResponsesRequest"];
    assert!(
        responses["properties"]["previous_response_id"].is_object(),
        "{responses}"
    );
    assert!(doc["components"]["schemas"]["ResponseObject"]["properties"]["output"].is_object());
}
