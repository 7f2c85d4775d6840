//! The ops surface over real HTTP: readiness (its checks, its cache, what its
//! body may say), the Prometheus metrics (who may read them, what they count,
//! which labels), and what the OpenAPI document promises, table-driven over
//! the document.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use common::{FakeUpstream, Step, TEST_API_KEY, TestServer, config_for, setup, text};
use pmcoach::access::{CustomersField, KeyEntry, Keys, new_key};
use serde_json::{Value, json};

/// An upstream whose `GET /v1/models` answers `status` with a body that must
/// never be passed on; it counts the probes and keeps their `Authorization`.
struct ModelsStub {
    base_url: String,
    probes: Arc<AtomicUsize>,
    authorization: Arc<std::sync::Mutex<Option<String>>>,
}

const STUB_BODY: &str = "upstream-private-detail";

async fn models_stub(status: u16) -> ModelsStub {
    let probes = Arc::new(AtomicUsize::new(0));
    let authorization = Arc::new(std::sync::Mutex::new(None));
    let (count, seen) = (Arc::clone(&probes), Arc::clone(&authorization));
    let app = axum::Router::new().route(
        "/v1/models",
        axum::routing::get(move |headers: HeaderMap| {
            count.fetch_add(1, Ordering::SeqCst);
            *seen.lock().expect("lock") = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            async move {
                let status = StatusCode::from_u16(status).expect("status");
                (status, STUB_BODY)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    ModelsStub {
        base_url: format!("http://{addr}/v1"),
        probes,
        authorization,
    }
}

/// A server whose model lives at `base_url`.
async fn server_at(base_url: &str) -> TestServer {
    let mut config = config_for(None);
    config.model.base_url = base_url.to_string();
    config.model.api_key = Some(TEST_API_KEY.into());
    config.model.model = Some("fake-model".into());
    TestServer::start(config).await
}

#[tokio::test]
async fn ready_with_a_reachable_model_and_a_writable_workspace() {
    let (_upstream, server) = setup().await;
    let (status, body) = server.get("/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"status": "ready", "failing": [], "checks": {"model": {"ok": true}, "workspace": {"ok": true}}})
    );
    let left: Vec<_> = std::fs::read_dir(&server.workspace)
        .expect("workspace")
        .flatten()
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with(".pmcoach-tmp-")
        })
        .collect();
    assert!(left.is_empty(), "the write check cleans up: {left:?}");
}

#[tokio::test]
async fn not_ready_names_each_failing_check() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").expect("write");
    let mut config = config_for(None);
    config.workspace_dir = file.join("workspace");
    let server = TestServer::start(config).await;
    let (status, body) = server.get("/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["failing"], json!(["model", "workspace"]));
    assert_eq!(body["checks"]["model"]["error"], "no model is configured");
    let workspace = body["checks"]["workspace"]["error"].as_str().expect("why");
    assert!(
        workspace.starts_with("the workspace is not writable"),
        "{workspace}"
    );
    assert!(!workspace.contains("a-file"), "no paths: {workspace}");
}

#[tokio::test]
async fn a_refused_key_or_a_failing_upstream_is_not_ready_and_nothing_of_it_is_told() {
    for (status, ready) in [
        (200, true),
        (404, true),
        (429, true),
        (401, false),
        (403, false),
        (500, false),
        (503, false),
    ] {
        let stub = models_stub(status).await;
        let server = server_at(&stub.base_url).await;
        let (answer, body) = server.get("/readyz").await;
        assert_eq!(answer == 200, ready, "upstream {status}: {answer} {body}");
        let text = body.to_string();
        assert!(
            !text.contains(TEST_API_KEY) && !text.contains(STUB_BODY),
            "{text}"
        );
        if !ready {
            assert_eq!(body["failing"], json!(["model"]), "{body}");
            let why = body["checks"]["model"]["error"].as_str().expect("why");
            assert!(why.contains(&status.to_string()), "{why}");
        }
        assert_eq!(
            stub.authorization.lock().expect("lock").as_deref(),
            Some(format!("Bearer {TEST_API_KEY}").as_str()),
            "the probe uses the configured key"
        );
    }
    // Nothing listens on port 9: unreachable.
    let server = server_at("http://127.0.0.1:9/v1").await;
    let (status, body) = server.get("/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body["checks"]["model"]["error"],
        "the model upstream could not be reached"
    );
}

#[tokio::test]
async fn a_verdict_is_kept_for_a_few_seconds_so_scrapers_cannot_hammer_the_upstream() {
    let stub = models_stub(200).await;
    let server = server_at(&stub.base_url).await;
    let checks = (0..8).map(|_| server.get("/readyz"));
    for (status, _) in futures::future::join_all(checks).await {
        assert_eq!(status, 200);
    }
    assert_eq!(server.get("/readyz").await.0, 200);
    assert_eq!(stub.probes.load(Ordering::SeqCst), 1, "one probe for all");
}

/// Keys for `upstream`: an admin key and one scoped to acme.
fn keyed(upstream: &FakeUpstream) -> (pmcoach::config::Config, String, String) {
    let (admin, admin_hash) = new_key().expect("key");
    let (acme, acme_hash) = new_key().expect("key");
    let entries = vec![
        KeyEntry {
            name: "ops".into(),
            hash: admin_hash,
            customers: CustomersField::All("*".into()),
            admin: true,
        },
        KeyEntry {
            name: "acme-pm".into(),
            hash: acme_hash,
            customers: CustomersField::List(vec!["acme".into()]),
            admin: false,
        },
    ];
    let mut config = config_for(Some(upstream));
    config.keys = Keys::from_entries(&entries).expect("keys");
    config.auth.keys = entries;
    (config, admin, acme)
}

async fn status_of(server: &TestServer, path: &str, key: Option<&str>, host: Option<&str>) -> u16 {
    let mut request = server.client.get(format!("{}{path}", server.base));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    if let Some(host) = host {
        request = request.header("host", host);
    }
    request.send().await.expect("response").status().as_u16()
}

#[tokio::test]
async fn readiness_is_public_metrics_are_for_admin_keys_and_both_check_the_host() {
    let upstream = FakeUpstream::start().await;
    let (config, admin, acme) = keyed(&upstream);
    let server = TestServer::start(config).await;
    assert_eq!(status_of(&server, "/readyz", None, None).await, 200);
    assert_eq!(status_of(&server, "/metrics", None, None).await, 401);
    assert_eq!(status_of(&server, "/metrics", Some(&acme), None).await, 403);
    assert_eq!(
        status_of(&server, "/metrics", Some(&admin), None).await,
        200
    );
    for path in ["/readyz", "/metrics"] {
        let host = Some("attacker.example");
        assert_eq!(
            status_of(&server, path, Some(&admin), host).await,
            421,
            "{path}"
        );
    }
}

/// The value of the sample `name{labels}` in a Prometheus text rendering.
fn sample(rendered: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let wanted: BTreeMap<&str, &str> = labels.iter().copied().collect();
    rendered.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (metric, rest) = series.split_once('{').unwrap_or((series, "}"));
        if metric != name {
            return None;
        }
        let found: BTreeMap<&str, &str> = rest
            .trim_end_matches('}')
            .split(',')
            .filter(|pair| !pair.is_empty())
            .filter_map(|pair| pair.split_once('='))
            .map(|(key, value)| (key, value.trim_matches('"')))
            .collect();
        (found == wanted).then(|| value.parse().ok())?
    })
}

/// The metrics once `ready` holds of them (a request's duration is recorded
/// when its body is dropped, just after the client has it).
async fn metrics_when(server: &TestServer, ready: impl Fn(&str) -> bool) -> String {
    let mut rendered = String::new();
    for _ in 0..40 {
        let response = server
            .client
            .get(format!("{}/metrics", server.base))
            .send()
            .await
            .expect("metrics");
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"].to_str().expect("type");
        assert!(
            content_type.starts_with("text/plain; version=0.0.4"),
            "{content_type}"
        );
        rendered = response.text().await.expect("text");
        if ready(&rendered) {
            return rendered;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the metrics never showed what was expected:\n{rendered}");
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_turns_by_capability_and_customer() {
    let upstream = FakeUpstream::start().await;
    let mut config = config_for(Some(&upstream));
    config.model.model = Some("gpt-4o-mini".into());
    let server = TestServer::start(config).await;
    upstream.push(text("Start with the decision."));
    let (status, turn) = server
        .post(
            "/v1/chat",
            &json!({"customer": "metrics-acme", "capability": "strategic-pm-coach", "message": "Hello"}),
        )
        .await;
    assert_eq!(status, 200, "{turn}");
    assert_eq!(server.get("/v1/customers/metrics-acme").await.0, 200);
    assert_eq!(server.get("/no/such/route").await.0, 404);

    let chat = [("method", "POST"), ("route", "/v1/chat"), ("status", "200")];
    let rendered = metrics_when(&server, |text| {
        sample(text, "pmcoach_http_request_duration_seconds_count", &chat).is_some()
    })
    .await;
    let requests =
        |labels: &[(&str, &str)]| sample(&rendered, "pmcoach_http_requests_total", labels);
    assert!(requests(&chat) >= Some(1.0));
    let customer = [
        ("method", "GET"),
        ("route", "/v1/customers/{id}"),
        ("status", "200"),
    ];
    assert!(
        requests(&customer) >= Some(1.0),
        "the template, not the path"
    );
    assert!(!rendered.contains("route=\"/v1/customers/metrics-acme\""));
    let unmatched = [("method", "GET"), ("route", "unmatched"), ("status", "404")];
    assert!(requests(&unmatched) >= Some(1.0));
    assert!(rendered.contains("pmcoach_http_request_duration_seconds_bucket{"));

    let by = [
        ("capability", "strategic-pm-coach"),
        ("customer", "metrics-acme"),
    ];
    let with = |extra: (&'static str, &'static str)| {
        let mut labels = by.to_vec();
        labels.push(extra);
        labels
    };
    let tokens = |kind: &str| turn["usage"][kind].as_f64().expect("tokens");
    assert_eq!(
        sample(&rendered, "pmcoach_turns_total", &with(("outcome", "ok"))),
        Some(1.0)
    );
    assert_eq!(
        sample(&rendered, "pmcoach_model_calls_total", &by),
        Some(1.0)
    );
    assert_eq!(
        sample(&rendered, "pmcoach_tokens_total", &with(("kind", "prompt"))),
        Some(tokens("prompt_tokens"))
    );
    assert_eq!(
        sample(
            &rendered,
            "pmcoach_tokens_total",
            &with(("kind", "completion"))
        ),
        Some(tokens("completion_tokens"))
    );
    let cost = turn["cost_usd"].as_f64().expect("gpt-4o-mini has a price");
    assert_eq!(
        sample(&rendered, "pmcoach_cost_usd_micros_total", &by),
        Some((cost * 1e6).round())
    );
    let calls = [("capability", "strategic-pm-coach")];
    assert!(
        sample(
            &rendered,
            "pmcoach_model_call_duration_seconds_count",
            &calls
        ) >= Some(1.0)
    );
}

#[tokio::test]
async fn refusals_and_failed_turns_are_counted() {
    let upstream = FakeUpstream::start().await;
    let mut config = config_for(Some(&upstream));
    config.limits.customer_daily_tokens = Some(1);
    let server = TestServer::start(config).await;
    let turn = |customer: &str| json!({"customer": customer, "capability": "strategic-pm-coach", "message": "Hello"});
    upstream.push(text("Spent."));
    assert_eq!(
        server.post("/v1/chat", &turn("metrics-budget")).await.0,
        200
    );
    assert_eq!(
        server.post("/v1/chat", &turn("metrics-budget")).await.0,
        429
    );
    let failure = || Step::Error {
        status: 500,
        body: json!({"error": {"message": "down", "type": "server_error"}}).to_string(),
    };
    upstream.push_all([failure(), failure(), failure()]);
    assert_eq!(
        server.post("/v1/chat", &turn("metrics-failing")).await.0,
        502
    );

    let refused = [("code", "budget_exhausted"), ("status", "429")];
    let rendered = metrics_when(&server, |text| {
        sample(text, "pmcoach_refusals_total", &refused).is_some()
    })
    .await;
    assert!(sample(&rendered, "pmcoach_refusals_total", &refused) >= Some(1.0));
    let turns = |customer: &str, outcome: &str| {
        let labels = [
            ("capability", "strategic-pm-coach"),
            ("customer", customer),
            ("outcome", outcome),
        ];
        sample(&rendered, "pmcoach_turns_total", &labels)
    };
    assert_eq!(
        turns("metrics-budget", "ok"),
        Some(1.0),
        "a refused turn never ran"
    );
    assert_eq!(turns("metrics-failing", "error"), Some(1.0));
}

/// Statuses every operation documents beyond its own: the layers' answers.
const ALWAYS: &[&str] = &["421", "500", "503"];
const SECURED: &[&str] = &["401"];
const WITH_BODY: &[&str] = &["400", "408", "413", "415"];

/// What each route answers itself (its handler's errors).
const OWN: &[(&str, &str, &[&str])] = &[
    ("get", "/healthz", &["200"]),
    ("get", "/readyz", &["200", "503"]),
    ("get", "/metrics", &["200", "403"]),
    ("get", "/openapi.json", &["200"]),
    ("get", "/.well-known/agent-card.json", &["200"]),
    ("get", "/v1/capabilities", &["200"]),
    ("post", "/v1/chat", &["200", "403", "404", "429", "502"]),
    (
        "post",
        "/v1/capabilities/{id}/invoke",
        &["200", "403", "404", "422", "429", "502"],
    ),
    (
        "post",
        "/v1/chat/completions",
        &["200", "400", "403", "404", "429", "502"],
    ),
    (
        "post",
        "/v1/responses",
        &["200", "400", "403", "404", "429", "502"],
    ),
    ("get", "/v1/models", &["200"]),
    ("get", "/v1/customers", &["200"]),
    ("get", "/v1/customers/{id}", &["200", "400", "403", "404"]),
    (
        "get",
        "/v1/customers/{id}/events",
        &["200", "400", "403", "404"],
    ),
    (
        "get",
        "/v1/customers/{id}/engagement",
        &["200", "400", "403", "404"],
    ),
    (
        "get",
        "/v1/customers/{id}/usage",
        &["200", "400", "403", "404"],
    ),
    (
        "get",
        "/v1/customers/{id}/artifacts",
        &["200", "400", "403", "404"],
    ),
    (
        "get",
        "/v1/customers/{id}/artifacts/{name}",
        &["200", "400", "403", "404"],
    ),
    (
        "patch",
        "/v1/customers/{id}/artifacts/{name}",
        &["200", "400", "403", "404", "409"],
    ),
    (
        "get",
        "/v1/customers/{id}/action-items",
        &["200", "400", "403", "404"],
    ),
    (
        "get",
        "/v1/customers/{id}/reminders",
        &["200", "400", "403", "404"],
    ),
    (
        "get",
        "/v1/customers/{id}/positioning",
        &["200", "400", "403", "404"],
    ),
    (
        "get",
        "/v1/customers/{id}/evidence",
        &["200", "400", "403", "404"],
    ),
    (
        "get",
        "/v1/customers/{id}/client-pms",
        &["200", "400", "403", "404"],
    ),
    ("get", "/v1/portfolio", &["200"]),
    (
        "get",
        "/v1/customers/{id}/sessions/{session}",
        &["200", "400", "403", "404"],
    ),
];

const PUBLIC: &[&str] = &[
    "/healthz",
    "/readyz",
    "/openapi.json",
    "/.well-known/agent-card.json",
];

/// Whether `schema` is, or offers, the error body.
fn offers_error_body(schema: &Value) -> bool {
    let error = json!("#/components/schemas/ErrorBody");
    schema["$ref"] == error
        || schema["oneOf"]
            .as_array()
            .is_some_and(|items| items.iter().any(|item| item["$ref"] == error))
}

#[test]
fn every_operation_has_a_unique_id_the_bearer_scheme_and_every_status_it_can_answer() {
    let document = serde_json::to_value(pmcoach::http::openapi()).expect("document");
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"],
        json!({"type": "http", "scheme": "bearer"})
    );
    assert_eq!(document["security"], json!([{"bearer": []}]));
    let mut ids = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("item") {
            let at = format!("{method} {path}");
            let id = operation["operationId"].as_str().expect("an operationId");
            assert!(
                ids.insert(id.to_string()),
                "{at}: operationId {id} is taken"
            );
            let (_, _, own) = OWN
                .iter()
                .find(|(m, p, _)| m == method && p == path)
                .unwrap_or_else(|| panic!("{at} is not in the table"));
            seen.insert(at.clone());
            let public = PUBLIC.contains(&path.as_str());
            assert_eq!(operation["security"] == json!([{}]), public, "{at}");
            let mut expected: Vec<&str> = own.iter().chain(ALWAYS).copied().collect();
            if !public {
                expected.extend(SECURED);
            }
            if operation.get("requestBody").is_some() {
                expected.extend(WITH_BODY);
            }
            let responses = operation["responses"].as_object().expect("responses");
            for status in expected {
                let response = responses
                    .get(status)
                    .unwrap_or_else(|| panic!("{at} does not document {status}"));
                assert!(
                    response["headers"]["x-request-id"].is_object(),
                    "{at} {status}"
                );
            }
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let schema = &response["content"]["application/json"]["schema"];
                    assert!(offers_error_body(schema), "{at} {status}: {schema}");
                }
                if ["429", "503"].contains(&status.as_str()) {
                    assert!(
                        response["headers"]["retry-after"].is_object(),
                        "{at} {status}"
                    );
                }
            }
            if !public {
                assert!(
                    responses["401"]["headers"]["www-authenticate"].is_object(),
                    "{at}"
                );
            }
        }
    }
    assert_eq!(seen.len(), OWN.len(), "every row of the table is a route");
}

#[test]
fn the_document_states_the_constraints_the_server_enforces() {
    let document = serde_json::to_value(pmcoach::http::openapi()).expect("document");
    let schemas = &document["components"]["schemas"];
    let slug = "^[a-z0-9]+(-[a-z0-9]+)*$";
    for id in ["CustomerId", "SessionId"] {
        assert_eq!(schemas[id]["pattern"], slug, "{id}");
        assert_eq!(schemas[id]["maxLength"], 64, "{id}");
    }
    assert_eq!(
        schemas["ArtifactName"]["pattern"],
        "^[a-z0-9]+(-[a-z0-9]+)*\\.md$"
    );
    let chat = &schemas["ChatRequest"];
    assert_eq!(chat["additionalProperties"], false);
    let max = pmcoach::limits::Limits::default().max_message_chars;
    assert_eq!(chat["properties"]["message"]["minLength"], 1);
    assert_eq!(chat["properties"]["message"]["maxLength"], max);
    for id in ["customer", "session_id"] {
        assert_eq!(chat["properties"][id]["pattern"], slug, "{id}");
    }
    assert_eq!(
        schemas["InvokeRequest"]["properties"]["task"]["minLength"],
        1
    );
    // Path parameters name the validated types.
    for (path, item) in document["paths"].as_object().expect("paths") {
        for operation in item.as_object().expect("item").values() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let expected = match parameter["name"].as_str().expect("name") {
                    "id" if path.starts_with("/v1/customers") => "CustomerId",
                    "session" => "SessionId",
                    "name" => "ArtifactName",
                    _ => continue,
                };
                assert_eq!(
                    parameter["schema"]["$ref"],
                    format!("#/components/schemas/{expected}"),
                    "{path}"
                );
            }
        }
    }
    // Streams are described event by event.
    let chat_ok = &document["paths"]["/v1/chat"]["post"]["responses"]["200"]["content"];
    assert_eq!(
        chat_ok["text/event-stream"]["schema"]["$ref"],
        "#/components/schemas/ChatStreamEvent"
    );
    let names = &schemas["ChatStreamEventName"]["enum"];
    for name in ["capability", "delta", "done", "error"] {
        assert!(
            names.as_array().expect("enum").contains(&json!(name)),
            "{name}"
        );
    }
}

#[tokio::test]
async fn the_served_document_states_this_servers_limits() {
    let mut config = config_for(None);
    config.limits.max_message_chars = 500;
    let server = TestServer::start(config).await;
    let (status, document) = server.get("/openapi.json").await;
    assert_eq!(status, 200);
    let message = &document["components"]["schemas"]["ChatRequest"]["properties"]["message"];
    assert_eq!(message["maxLength"], 500);
}

#[tokio::test]
async fn the_served_document_names_this_servers_models_and_asks_for_a_key_only_when_it_has_keys() {
    let upstream = FakeUpstream::start().await;
    let open = TestServer::start(config_for(Some(&upstream))).await;
    let (_, document) = open.get("/openapi.json").await;
    let model = &document["components"]["schemas"]["CompletionsRequest"]["properties"]["model"];
    let models = model["enum"].as_array().expect("an enum of models");
    assert!(models.contains(&json!("auto")), "{model}");
    assert!(models.contains(&json!("strategic-pm-coach")), "{model}");
    assert!(document["security"].is_null(), "no keys: nothing to send");
    let chat = &document["paths"]["/v1/chat"]["post"];
    assert!(
        chat["responses"].get("401").is_none(),
        "no keys: never a 401"
    );

    let (config, admin, _) = keyed(&upstream);
    let keyed = TestServer::start(config).await;
    let (status, document) = keyed.get("/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(document["security"], json!([{"bearer": []}]));
    let chat = &document["paths"]["/v1/chat"]["post"];
    assert!(chat["responses"]["401"].is_object());
    assert_eq!(
        status_of(&keyed, "/v1/customers", Some(&admin), None).await,
        200
    );
}
