//! Who may reach what: API keys and scopes on every route (driven by the
//! routes the OpenAPI document lists, so a new route without auth fails
//! here), the Host check, per-key load shedding, and the refusal to serve a
//! public address without keys.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use std::time::Duration;

use common::{FakeUpstream, Step, TestServer, keyed, text};
use reqwest::Method;
use serde_json::{Value, json};

/// Every documented route and method, with its path parameters filled in.
fn routes() -> Vec<(Method, String)> {
    let document = serde_json::to_value(pmcoach::http::openapi()).expect("document");
    let mut routes = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        let id = if path.starts_with("/v1/capabilities/") {
            "strategic-pm-coach"
        } else {
            "acme"
        };
        let filled = path
            .replace("{id}", id)
            .replace("{session}", "0123456789abcdef0123456789abcdef")
            .replace("{name}", "analysis-x.md");
        for method in item.as_object().expect("item").keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            routes.push((method, filled.clone()));
        }
    }
    assert!(
        routes.len() >= 14,
        "the document lists the routes: {routes:?}"
    );
    routes
}

/// A body that names the customer `acme` where a route takes one.
fn body_for(path: &str) -> Value {
    match path {
        "/v1/chat" => json!({"message": "hi", "customer": "acme"}),
        "/v1/chat/completions" => {
            json!({"model": "strategic-pm-coach", "messages": [{"role": "user", "content": "hi"}]})
        }
        "/v1/responses" => json!({"model": "strategic-pm-coach", "input": "hi"}),
        p if p.ends_with("/invoke") => json!({"task": "x", "customer": "acme"}),
        p if p.contains("/artifacts/") => json!({"status": "Final"}),
        _ => json!({}),
    }
}

async fn call(server: &TestServer, method: &Method, path: &str, key: Option<&str>) -> u16 {
    let mut request = server
        .client
        .request(method.clone(), format!("{}{path}", server.base))
        .header("x-pmcoach-customer", "acme");
    if [Method::POST, Method::PATCH].contains(method) {
        request = request.json(&body_for(path));
    }
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    request.send().await.expect("response").status().as_u16()
}

#[tokio::test]
async fn every_route_needs_a_key_and_keeps_to_its_customers() {
    let upstream = FakeUpstream::start().await;
    upstream.repeat_forever(|_| text("ok"));
    let (config, keys) = keyed(&upstream);
    let server = TestServer::start(config).await;
    const PUBLIC: &[&str] = &[
        "/healthz",
        "/readyz",
        "/openapi.json",
        "/.well-known/agent-card.json",
    ];
    // Customer ids are among its labels: admin keys only (none of these is one).
    const ADMIN: &[&str] = &["/metrics"];
    for (method, path) in routes() {
        if PUBLIC.contains(&path.as_str()) {
            assert_eq!(
                call(&server, &method, &path, None).await,
                200,
                "{method} {path}"
            );
            continue;
        }
        for key in [None, Some("pmk_not-a-key"), Some("")] {
            let status = call(&server, &method, &path, key).await;
            assert_eq!(status, 401, "{method} {path} with {key:?}");
        }
        if ADMIN.contains(&path.as_str()) {
            for key in [&keys.acme, &keys.globex, &keys.all] {
                let status = call(&server, &method, &path, Some(key)).await;
                assert_eq!(status, 403, "{method} {path} with a key that is not admin");
            }
            continue;
        }
        let customer_bound = path.contains("/customers/acme")
            || ["/v1/chat", "/v1/chat/completions", "/v1/responses"].contains(&path.as_str())
            || path.ends_with("/invoke");
        let foreign = call(&server, &method, &path, Some(&keys.globex)).await;
        if customer_bound {
            assert_eq!(foreign, 403, "{method} {path} with another customer's key");
        } else {
            assert!(![401, 403].contains(&foreign), "{method} {path}: {foreign}");
        }
        for key in [&keys.acme, &keys.all] {
            let status = call(&server, &method, &path, Some(key)).await;
            assert!(![401, 403].contains(&status), "{method} {path}: {status}");
        }
    }
    // The customer list shows only what the key reaches.
    let list = server
        .client
        .get(format!("{}/v1/customers", server.base))
        .bearer_auth(&keys.globex)
        .send()
        .await
        .expect("response");
    let (_, body) = common::read(list).await;
    assert_eq!(
        body["customers"],
        json!([]),
        "acme exists but is not globex's"
    );
}

#[tokio::test]
async fn an_unauthorised_answer_says_how_to_authenticate() {
    let upstream = FakeUpstream::start().await;
    let (config, _) = keyed(&upstream);
    let server = TestServer::start(config).await;
    let response = server
        .client
        .post(format!("{}/v1/chat", server.base))
        .json(&json!({"message": "hi"}))
        .send()
        .await
        .expect("response");
    assert_eq!(response.status(), 401);
    assert_eq!(
        response
            .headers()
            .get("www-authenticate")
            .map(|v| v.as_bytes()),
        Some(&b"Bearer"[..])
    );
    assert!(response.headers().contains_key("x-request-id"));
    let (_, body) = common::read(response).await;
    assert_eq!(body["error"]["code"], "unauthorized");
}

#[tokio::test]
async fn a_session_is_only_for_the_key_that_started_it() {
    let upstream = FakeUpstream::start().await;
    upstream.repeat_forever(|_| text("ok"));
    let (config, keys) = keyed(&upstream);
    let server = TestServer::start(config).await;
    let post = |key: &str, body: Value| {
        server
            .client
            .post(format!("{}/v1/chat", server.base))
            .bearer_auth(key)
            .json(&body)
            .send()
    };
    let first = post(&keys.acme, json!({"message": "mine", "customer": "acme"}))
        .await
        .expect("response");
    let (_, first) = common::read(first).await;
    let again = json!({"message": "yours?", "customer": "acme", "session_id": first["session_id"]});
    let other = post(&keys.all, again.clone()).await.expect("response");
    assert_eq!(other.status(), 404, "another key does not see the session");
    let own = post(&keys.acme, again).await.expect("response");
    assert_eq!(own.status(), 200);
}

#[tokio::test]
async fn a_foreign_host_is_misdirected() {
    let (_upstream, server) = common::setup().await;
    for host in [
        "attacker.example",
        "attacker.example:8080",
        "127.0.0.1.nip.io",
    ] {
        let response = server
            .client
            .get(format!("{}/healthz", server.base))
            .header("host", host)
            .send()
            .await
            .expect("response");
        assert_eq!(response.status(), 421, "{host}");
        let (_, body) = common::read(response).await;
        assert_eq!(body["error"]["code"], "misdirected_request");
    }
    let healthy = server
        .client
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .expect("response");
    assert_eq!(healthy.status(), 200, "127.0.0.1 is served");
}

#[tokio::test]
async fn a_key_over_its_concurrency_is_shed_at_once() {
    let upstream = FakeUpstream::start().await;
    upstream.repeat_forever(|_| Step::Delayed(Duration::from_millis(400), Box::new(text("ok"))));
    let (mut config, keys) = keyed(&upstream);
    config.auth.max_concurrent_per_key = 1;
    let server = TestServer::start(config).await;
    let post = || {
        server
            .client
            .post(format!("{}/v1/chat", server.base))
            .bearer_auth(&keys.acme)
            .json(&json!({"message": "hi"}))
            .send()
    };
    let (slow, shed) = tokio::join!(post(), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        post().await
    });
    let shed = shed.expect("response");
    assert_eq!(shed.status(), 503);
    assert_eq!(
        shed.headers().get("retry-after").map(|v| v.as_bytes()),
        Some(&b"1"[..])
    );
    assert_eq!(slow.expect("response").status(), 200);
    assert_eq!(
        post().await.expect("response").status(),
        200,
        "the slot is free again"
    );
}
