//! MCP with rmcp's own client: over Streamable HTTP against the running server
//! (a legacy client that opens a session, and a stateless 2026-07-28 client),
//! and over stdio against the spawned binary. Tools, prompts and resources
//! listed; a coached turn with a customer, continued; a document rendered;
//! scope refusals; bad arguments named; the access layer in front of `/mcp`.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use common::{FakeUpstream, TestServer, config_for, text};
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ErrorCode, GetPromptRequestParams, ProtocolVersion,
    ReadResourceRequestParams, ResourceContents,
};
use rmcp::service::{RunningService, ServiceError};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientLifecycleMode, ClientServiceExt, RoleClient, ServiceExt};
use serde_json::{Map, Value, json};

type Client = RunningService<RoleClient, ()>;

/// A server with the three test keys (see [`common::TestKeys`]).
struct Keyed {
    server: TestServer,
    acme: String,
    globex: String,
    ops: String,
}

async fn keyed(upstream: &FakeUpstream) -> Keyed {
    let (config, keys) = common::keyed(upstream);
    Keyed {
        server: TestServer::start(config).await,
        acme: keys.acme,
        globex: keys.globex,
        ops: keys.all,
    }
}

fn transport(
    server: &TestServer,
    key: Option<&str>,
) -> StreamableHttpClientTransport<reqwest::Client> {
    let mut config = StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", server.base));
    if let Some(key) = key {
        config = config.auth_header(key);
    }
    StreamableHttpClientTransport::from_config(config)
}

/// A client that opens a session the pre-2026 way (`initialize`).
async fn legacy_client(server: &TestServer, key: Option<&str>) -> Client {
    ().serve(transport(server, key))
        .await
        .expect("client connects")
}

/// A client on the 2026-07-28 revision: `server/discover`, then stateless requests.
async fn stateless_client(server: &TestServer, key: Option<&str>) -> Client {
    ().serve_with_lifecycle(
        transport(server, key),
        ClientLifecycleMode::Discover {
            preferred_versions: vec![ProtocolVersion::V_2026_07_28],
        },
    )
    .await
    .expect("client discovers")
}

fn args(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("arguments must be an object, not {other}"),
    }
}

async fn call(
    client: &Client,
    tool: &str,
    arguments: Value,
) -> Result<CallToolResult, ServiceError> {
    client
        .call_tool(CallToolRequestParams::new(tool.to_string()).with_arguments(args(arguments)))
        .await
}

async fn read(client: &Client, uri: &str) -> Result<String, ServiceError> {
    let result = client
        .read_resource(ReadResourceRequestParams::new(uri))
        .await?;
    match result.contents.into_iter().next() {
        Some(ResourceContents::TextResourceContents { text, .. }) => Ok(text),
        other => panic!("{uri}: expected text contents, got {other:?}"),
    }
}

/// The JSON-RPC error a refused call carries.
fn mcp_error(result: Result<impl std::fmt::Debug, ServiceError>) -> rmcp::ErrorData {
    match result {
        Err(ServiceError::McpError(error)) => error,
        other => panic!("expected an MCP error, got {other:?}"),
    }
}

/// Lists what a stock client sees and checks the shape of each list.
async fn check_lists(client: &Client) {
    let tools = client.list_all_tools().await.expect("tools/list");
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    for expected in [
        "ask_strategic_pm_coach",
        "ask_growth_advisor",
        "render_document",
        "engagement_summary",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    let ask = tools
        .iter()
        .find(|t| t.name == "ask_strategic_pm_coach")
        .expect("ask tool");
    let schema = Value::Object((*ask.input_schema).clone());
    assert_eq!(schema["required"], json!(["message"]), "{schema}");
    for property in ["message", "customer", "session_id"] {
        assert!(
            schema["properties"][property].is_object(),
            "{property} in {schema}"
        );
    }
    let prompts = client.list_all_prompts().await.expect("prompts/list");
    let assessment = prompts
        .iter()
        .find(|p| p.name == "engagement-value-assessment")
        .expect("a prompt per template");
    let arguments: Vec<&str> = assessment
        .arguments
        .iter()
        .flatten()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(
        arguments,
        ["customer_name", "current_engagement", "customer"]
    );
    let templates = client
        .list_all_resource_templates()
        .await
        .expect("resources/templates/list");
    let uris: Vec<&str> = templates.iter().map(|t| t.uri_template.as_str()).collect();
    assert!(
        uris.contains(&"pmcoach://customers/{customer}/artifacts/{name}"),
        "{uris:?}"
    );
    assert_eq!(uris.len(), 6, "{uris:?}");
}

#[tokio::test]
async fn a_legacy_client_lists_everything_and_is_coached_across_a_continued_session() {
    let upstream = FakeUpstream::start().await;
    let keyed = keyed(&upstream).await;
    let client = legacy_client(&keyed.server, Some(&keyed.acme)).await;
    check_lists(&client).await;

    upstream.push(text("Start with the renewal conversation."));
    let first = call(
        &client,
        "ask_strategic_pm_coach",
        json!({"message": "How do I move up the ladder?", "customer": "acme"}),
    )
    .await
    .expect("a coached answer");
    assert_eq!(first.is_error, Some(false), "{first:?}");
    let answer = first.structured_content.expect("structured content");
    assert_eq!(answer["reply"], "Start with the renewal conversation.");
    assert_eq!(answer["capability"], "strategic-pm-coach");
    assert_eq!(answer["customer"], "acme");
    let session = answer["session_id"]
        .as_str()
        .expect("a session id")
        .to_string();
    assert!(
        format!("{:?}", first.content).contains(&session),
        "the text content carries the session id too"
    );

    upstream.push(text("Then propose the strategic work."));
    let second = call(
        &client,
        "ask_strategic_pm_coach",
        json!({"message": "And after that?", "customer": "acme", "session_id": session}),
    )
    .await
    .expect("the session continues");
    let answer = second.structured_content.expect("structured content");
    assert_eq!(answer["session_id"], session.as_str());
    assert_eq!(answer["reply"], "Then propose the strategic work.");
    // The model saw the first exchange: the session was recorded and reloaded.
    let requests = upstream.requests();
    let history = common::messages(&requests[1].body);
    let said: Vec<&str> = history
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert!(said.contains(&"How do I move up the ladder?"), "{said:?}");
    assert!(
        said.contains(&"Start with the renewal conversation."),
        "{said:?}"
    );

    // The customer's documents, listed only within the key's scope.
    let resources = client.list_all_resources().await.expect("resources/list");
    let uris: Vec<&str> = resources.iter().map(|r| r.uri.as_str()).collect();
    assert!(uris.contains(&"pmcoach://customers/acme/info"), "{uris:?}");
    assert!(
        uris.iter()
            .all(|uri| uri.starts_with("pmcoach://customers/acme/")),
        "{uris:?}"
    );
    let info = read(&client, "pmcoach://customers/acme/info")
        .await
        .expect("info");
    assert!(info.contains("acme"), "{info}");
    let transcript: Value = serde_json::from_str(
        &read(
            &client,
            &format!("pmcoach://customers/acme/sessions/{session}"),
        )
        .await
        .expect("the session's transcript"),
    )
    .expect("JSON");
    assert_eq!(
        transcript["turns"].as_array().map(Vec::len),
        Some(2),
        "{transcript}"
    );
    let engagement: Value = serde_json::from_str(
        &read(&client, "pmcoach://customers/acme/engagement")
            .await
            .expect("engagement"),
    )
    .expect("JSON");
    assert!(engagement.is_object(), "{engagement}");
    client.cancel().await.expect("closes");
}

#[tokio::test]
async fn a_stateless_client_on_the_current_revision_is_coached_too() {
    let upstream = FakeUpstream::start().await;
    let keyed = keyed(&upstream).await;
    let client = stateless_client(&keyed.server, Some(&keyed.acme)).await;
    check_lists(&client).await;
    upstream.push(text("Name the decision first."));
    let result = call(
        &client,
        "ask_strategy_architect",
        json!({"message": "Where should acme play?", "customer": "acme"}),
    )
    .await
    .expect("a coached answer");
    let answer = result.structured_content.expect("structured content");
    assert_eq!(answer["reply"], "Name the decision first.");
    assert_eq!(answer["capability"], "strategy-architect");
    assert_eq!(upstream.request_count(), 1);
    client.cancel().await.expect("closes");
}

#[tokio::test]
async fn a_key_scoped_to_one_customer_cannot_reach_another() {
    let upstream = FakeUpstream::start().await;
    let keyed = keyed(&upstream).await;
    // Both customers exist, each with a session of its own key.
    let globex_client = legacy_client(&keyed.server, Some(&keyed.globex)).await;
    upstream.push(text("Globex answer."));
    let globex = call(
        &globex_client,
        "ask_strategic_pm_coach",
        json!({"message": "Globex question", "customer": "globex"}),
    )
    .await
    .expect("globex's own key");
    let globex_session = globex.structured_content.expect("structured")["session_id"]
        .as_str()
        .expect("id")
        .to_string();
    let acme = legacy_client(&keyed.server, Some(&keyed.acme)).await;
    upstream.push(text("Acme answer."));
    let acme_session = call(
        &acme,
        "ask_strategic_pm_coach",
        json!({"message": "Acme question", "customer": "acme"}),
    )
    .await
    .expect("acme's own key")
    .structured_content
    .expect("structured")["session_id"]
        .as_str()
        .expect("id")
        .to_string();
    let asked = upstream.request_count();

    let forbidden = pmcoach::mcp::FORBIDDEN;
    let refused = mcp_error(
        call(
            &acme,
            "ask_strategic_pm_coach",
            json!({"message": "hi", "customer": "globex"}),
        )
        .await,
    );
    assert_eq!(
        (refused.code, refused.data.clone()),
        (forbidden, Some(json!({"field": "customer"})))
    );
    let refused = mcp_error(
        call(
            &acme,
            "ask_strategic_pm_coach",
            json!({"message": "hi", "customer": "acme", "session_id": globex_session}),
        )
        .await,
    );
    assert_eq!(refused.code, ErrorCode::INVALID_PARAMS, "{refused:?}");
    assert_eq!(refused.data, Some(json!({"field": "session_id"})));
    let refused = mcp_error(call(&acme, "engagement_summary", json!({"customer": "globex"})).await);
    assert_eq!(refused.code, forbidden);
    for uri in [
        "pmcoach://customers/globex/info",
        "pmcoach://customers/globex/events",
        "pmcoach://customers/globex/artifacts",
        &format!("pmcoach://customers/globex/sessions/{globex_session}"),
    ] {
        let refused = mcp_error(read(&acme, uri).await);
        assert_eq!(refused.code, forbidden, "{uri}: {refused:?}");
    }
    let refused = mcp_error(
        acme.get_prompt(
            GetPromptRequestParams::new("renewal-strategy")
                .with_arguments(args(json!({"customer": "globex"}))),
        )
        .await,
    );
    assert_eq!(refused.code, forbidden);
    let listed = acme.list_all_resources().await.expect("resources/list");
    assert!(
        listed.iter().all(|r| !r.uri.contains("globex")),
        "{:?}",
        listed.iter().map(|r| &r.uri).collect::<Vec<_>>()
    );
    assert!(listed.iter().any(|r| r.uri.contains("/acme/")));
    // A key that reaches every customer still reads only its own sessions.
    let ops = legacy_client(&keyed.server, Some(&keyed.ops)).await;
    let listed = ops.list_all_resources().await.expect("resources/list");
    assert!(listed.iter().any(|r| r.uri.contains("/globex/")));
    let hidden = mcp_error(
        read(
            &ops,
            &format!("pmcoach://customers/acme/sessions/{acme_session}"),
        )
        .await,
    );
    assert_eq!(hidden.code, ErrorCode::RESOURCE_NOT_FOUND, "{hidden:?}");
    assert_eq!(
        upstream.request_count(),
        asked,
        "no refused call reached the model"
    );
}

#[tokio::test]
async fn bad_arguments_are_errors_that_name_the_field() {
    let upstream = FakeUpstream::start().await;
    let server = TestServer::start(config_for(Some(&upstream))).await;
    let client = legacy_client(&server, None).await;
    let cases = [
        ("ask_strategic_pm_coach", json!({}), "message"),
        ("ask_strategic_pm_coach", json!({"message": 5}), "message"),
        (
            "ask_strategic_pm_coach",
            json!({"message": "   "}),
            "message",
        ),
        (
            "ask_strategic_pm_coach",
            json!({"message": "hi", "colour": "red"}),
            "colour",
        ),
        (
            "ask_strategic_pm_coach",
            json!({"message": "hi", "customer": "Not A Slug"}),
            "customer",
        ),
        (
            "ask_strategic_pm_coach",
            json!({"message": "hi", "session_id": "../etc"}),
            "session_id",
        ),
        (
            "ask_strategic_pm_coach",
            json!({"message": "hi", "customer": "acme", "session_id": "0123456789abcdef"}),
            "session_id",
        ),
        (
            "render_document",
            json!({"template": "no-such-template"}),
            "template",
        ),
        (
            "render_document",
            json!({"template": "renewal-strategy", "fields": {}}),
            "fields",
        ),
        (
            "render_document",
            json!({"template": "renewal-strategy", "fields": []}),
            "fields",
        ),
        ("engagement_summary", json!({}), "customer"),
        (
            "engagement_summary",
            json!({"customer": "nobody-here"}),
            "customer",
        ),
    ];
    for (tool, arguments, field) in cases {
        let error = mcp_error(call(&client, tool, arguments.clone()).await);
        assert_eq!(
            error.code,
            ErrorCode::INVALID_PARAMS,
            "{tool} {arguments}: {error:?}"
        );
        assert_eq!(
            error.data.as_ref().map(|d| &d["field"]),
            Some(&json!(field)),
            "{tool} {arguments}: {error:?}"
        );
        assert!(
            error.message.contains(field),
            "{tool} {arguments}: {}",
            error.message
        );
    }
    let missing = mcp_error(
        call(
            &client,
            "render_document",
            json!({"template": "renewal-strategy", "fields": {}}),
        )
        .await,
    );
    let paths = missing.data.expect("data")["paths"].clone();
    assert!(
        paths
            .as_array()
            .is_some_and(|p| p.contains(&json!("fields/customer_name"))),
        "{paths}"
    );
    let error = mcp_error(call(&client, "ask_nobody", json!({"message": "hi"})).await);
    assert_eq!(error.code, ErrorCode::INVALID_PARAMS);
    let error = mcp_error(
        client
            .get_prompt(
                GetPromptRequestParams::new("renewal-strategy")
                    .with_arguments(args(json!({"colour": "red"}))),
            )
            .await,
    );
    assert_eq!(error.data, Some(json!({"field": "colour"})));
    let error = mcp_error(read(&client, "pmcoach://customers/acme/../../etc/passwd").await);
    assert_eq!(error.data, Some(json!({"field": "uri"})));
    let error = mcp_error(read(&client, "pmcoach://customers/acme/artifacts/..%2Fx.md").await);
    assert_eq!(error.data, Some(json!({"field": "uri"})));
    assert_eq!(upstream.request_count(), 0, "nothing reached the model");
    client.cancel().await.expect("closes");
}

#[tokio::test]
async fn a_document_is_rendered_from_fields_and_a_prompt_names_its_inputs() {
    let upstream = FakeUpstream::start().await;
    let server = TestServer::start(config_for(Some(&upstream))).await;
    let client = stateless_client(&server, None).await;
    let fields: Value =
        serde_json::from_str(include_str!("fixtures/templates/renewal-strategy.json"))
            .expect("fixture");
    let customer = fields["customer_name"]
        .as_str()
        .expect("a customer name")
        .to_string();
    let rendered = call(
        &client,
        "render_document",
        json!({"template": "renewal-strategy", "fields": fields}),
    )
    .await
    .expect("rendered");
    let document = rendered.structured_content.expect("structured");
    assert_eq!(document["template"], "renewal-strategy");
    let markdown = document["markdown"].as_str().expect("markdown");
    assert!(markdown.starts_with("# "), "{markdown}");
    assert!(markdown.contains(&customer), "{markdown}");
    assert!(format!("{:?}", rendered.content).contains(&customer));

    let prompt = client
        .get_prompt(
            GetPromptRequestParams::new("renewal-strategy").with_arguments(args(
                json!({"customer_name": "Acme Corp", "customer": "acme"}),
            )),
        )
        .await
        .expect("prompts/get");
    let text = format!("{:?}", prompt.messages);
    for expected in [
        "customer_name: Acme Corp",
        "ask_relationship_advisor",
        "customer `acme`",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    assert_eq!(upstream.request_count(), 0);
    client.cancel().await.expect("closes");
}

#[tokio::test]
async fn the_access_layer_guards_mcp_over_http() {
    let upstream = FakeUpstream::start().await;
    let keyed = keyed(&upstream).await;
    let server = &keyed.server;
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let post = |key: Option<&str>| {
        let mut request = server
            .client
            .post(format!("{}/mcp", server.base))
            .header("accept", "application/json, text/event-stream")
            .json(&initialize);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        request
    };
    let response = post(None).send().await.expect("response");
    assert_eq!(response.status(), 401);
    let challenge = response
        .headers()
        .get("www-authenticate")
        .expect("a challenge");
    assert!(
        challenge.to_str().expect("ascii").starts_with("Bearer"),
        "{challenge:?}"
    );
    let response = post(Some("pmk_not-a-key")).send().await.expect("response");
    assert_eq!(response.status(), 401);
    let response = post(Some(&keyed.acme)).send().await.expect("response");
    assert_eq!(response.status(), 200);
    // A browser page elsewhere is refused, as is a host name not served.
    let response = post(Some(&keyed.acme))
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("response");
    assert_eq!(response.status(), 403);
    let response = post(Some(&keyed.acme))
        .header("host", "evil.example")
        .send()
        .await
        .expect("response");
    assert_eq!(response.status(), 421);
    // No stream for messages the server starts: it starts none.
    let response = server
        .client
        .get(format!("{}/mcp", server.base))
        .header("accept", "text/event-stream")
        .bearer_auth(&keyed.acme)
        .send()
        .await
        .expect("response");
    assert_eq!(response.status(), 405);
    // The rmcp client sees the refusal of a missing key too.
    let refused = ().serve(transport(server, None)).await;
    assert!(refused.is_err(), "no key, no session");
    assert_eq!(upstream.request_count(), 0);
}

#[tokio::test]
async fn the_agent_card_describes_skills_interfaces_and_auth() {
    let upstream = FakeUpstream::start().await;
    let keyed = keyed(&upstream).await;
    let server = &keyed.server;
    // Public, like the API's description: no key.
    let response = server
        .client
        .get(format!("{}/.well-known/agent-card.json", server.base))
        .send()
        .await
        .expect("response");
    assert_eq!(response.status(), 200);
    let card: Value = response.json().await.expect("the card is JSON");
    // A2A 1.0's required fields.
    for field in [
        "name",
        "description",
        "version",
        "supportedInterfaces",
        "capabilities",
        "defaultInputModes",
        "defaultOutputModes",
        "skills",
    ] {
        assert!(!card[field].is_null(), "{field} in {card}");
    }
    let interfaces = card["supportedInterfaces"].as_array().expect("interfaces");
    for interface in interfaces {
        for field in ["url", "protocolBinding", "protocolVersion"] {
            assert!(interface[field].is_string(), "{field} in {interface}");
        }
    }
    assert_eq!(interfaces[0]["url"], format!("{}/mcp", server.base));
    let skills = card["skills"].as_array().expect("skills");
    assert_eq!(skills.len(), server.state.capabilities.len());
    for skill in skills {
        for field in ["id", "name", "description"] {
            assert!(skill[field].is_string(), "{field} in {skill}");
        }
        assert!(
            skill["tags"].as_array().is_some_and(|t| !t.is_empty()),
            "{skill}"
        );
    }
    assert!(skills.iter().any(|s| s["id"] == "strategic-pm-coach"));
    assert!(card["securitySchemes"]["bearer"].is_object(), "{card}");
    assert!(card["securityRequirements"].is_array(), "{card}");
}

#[tokio::test]
async fn the_binary_serves_mcp_over_stdio() {
    use rmcp::transport::{ConfigureCommandExt, TokioChildProcess};

    let upstream = FakeUpstream::start().await;
    let folder = tempfile::tempdir().expect("folder");
    let workspace = folder.path().join("workspace");
    let command = tokio::process::Command::new(env!("CARGO_BIN_EXE_pmcoach")).configure(|cmd| {
        cmd.arg("mcp")
            .current_dir(folder.path())
            .env_clear()
            .env("HOME", folder.path())
            .env("PMCOACH_WORKSPACE", &workspace)
            .env("PMCOACH_BASE_URL", upstream.base_url())
            .env("PMCOACH_API_KEY", common::TEST_API_KEY)
            .env("PMCOACH_MODEL", "fake-model");
    });
    let client =
        ().serve(TokioChildProcess::new(command).expect("spawns"))
            .await
            .expect("initializes");
    check_lists(&client).await;

    upstream.push(text("Write the value story first."));
    let first = call(
        &client,
        "ask_strategic_pm_coach",
        json!({"message": "Renewal is in a month.", "customer": "acme"}),
    )
    .await
    .expect("a coached answer")
    .structured_content
    .expect("structured");
    assert_eq!(first["reply"], "Write the value story first.");
    upstream.push(text("Then the rate."));
    let second = call(
        &client,
        "ask_strategic_pm_coach",
        json!({"message": "Then?", "customer": "acme", "session_id": first["session_id"]}),
    )
    .await
    .expect("continued")
    .structured_content
    .expect("structured");
    assert_eq!(second["session_id"], first["session_id"]);
    assert_eq!(second["reply"], "Then the rate.");

    let resources = client.list_all_resources().await.expect("resources/list");
    assert!(
        resources
            .iter()
            .any(|r| r.uri == "pmcoach://customers/acme/info")
    );
    let transcript: Value = serde_json::from_str(
        &read(
            &client,
            &format!(
                "pmcoach://customers/acme/sessions/{}",
                first["session_id"].as_str().expect("id")
            ),
        )
        .await
        .expect("transcript"),
    )
    .expect("JSON");
    assert_eq!(transcript["turns"].as_array().map(Vec::len), Some(2));
    // The workspace the binary was given holds it.
    assert!(workspace.join("customers").join("acme").is_dir());
    let bad = mcp_error(call(&client, "ask_strategic_pm_coach", json!({"mesage": "typo"})).await);
    assert_eq!(bad.data, Some(json!({"field": "mesage"})));
    client.cancel().await.expect("closes");
}

#[tokio::test]
async fn an_mcp_turn_counts_against_the_daily_budget_like_any_other() {
    let upstream = FakeUpstream::start().await;
    let mut config = config_for(Some(&upstream));
    config.limits.customer_daily_tokens = Some(1);
    let server = TestServer::start(config).await;
    let client = legacy_client(&server, None).await;
    upstream.push(text("Spent it."));
    let first = call(
        &client,
        "ask_strategic_pm_coach",
        json!({"message": "hi", "customer": "acme"}),
    )
    .await
    .expect("the first turn runs");
    assert_eq!(first.is_error, Some(false), "{first:?}");
    // Recorded: the HTTP usage route sees the MCP turn's tokens.
    let (status, usage) = server.get("/v1/customers/acme/usage").await;
    assert_eq!(status, 200, "{usage}");
    assert_eq!(usage["total"]["turns"], 1, "{usage}");
    let refused = call(
        &client,
        "ask_strategic_pm_coach",
        json!({"message": "again", "customer": "acme"}),
    )
    .await
    .expect("a tool result, marked as an error");
    assert_eq!(refused.is_error, Some(true), "{refused:?}");
    let body = refused.structured_content.expect("structured");
    assert_eq!(body["code"], "budget_exhausted", "{body}");
    assert!(
        body["retry_after_secs"].as_u64().is_some_and(|s| s >= 1),
        "{body}"
    );
    assert_eq!(
        upstream.request_count(),
        1,
        "the refused turn never reached the model"
    );
    client.cancel().await.expect("closes");
}

#[tokio::test]
async fn the_ask_tools_take_the_chat_routes_arguments() {
    let upstream = FakeUpstream::start().await;
    let server = TestServer::start(config_for(Some(&upstream))).await;
    let client = legacy_client(&server, None).await;
    let tools = client.list_all_tools().await.expect("tools/list");
    let ask = tools
        .iter()
        .find(|t| t.name == "ask_strategic_pm_coach")
        .expect("ask tool");
    let (_, document) = server.get("/openapi.json").await;
    let chat = &document["components"]["schemas"]["ChatRequest"]["properties"];
    let ask = Value::Object((*ask.input_schema).clone());
    for (name, property) in ask["properties"].as_object().expect("properties") {
        assert!(chat[name].is_object(), "{name} is a /v1/chat field: {chat}");
        let (ours, theirs) = (
            property["description"].as_str().expect("described"),
            chat[name]["description"].as_str().expect("described"),
        );
        assert!(
            ours.starts_with(theirs),
            "{name} is described as /v1/chat describes it: {ours:?} vs {theirs:?}"
        );
    }
    client.cancel().await.expect("closes");
}

#[tokio::test]
async fn shutdown_is_not_held_by_an_open_mcp_session() {
    let upstream = FakeUpstream::start().await;
    let mut server = TestServer::start(config_for(Some(&upstream))).await;
    let client = legacy_client(&server, None).await;
    client.list_all_tools().await.expect("tools/list");
    let started = std::time::Instant::now();
    server.shutdown().await.expect("stops");
    let took = started.elapsed();
    assert!(
        took < std::time::Duration::from_secs(5),
        "shutdown took {took:?}"
    );
    drop(client);
}

#[tokio::test]
async fn a_document_a_turn_saves_comes_back_with_a_link_to_its_resource() {
    let upstream = FakeUpstream::start().await;
    let server = TestServer::start(config_for(Some(&upstream))).await;
    let client = legacy_client(&server, None).await;
    let fields: Value = serde_json::from_str(include_str!(
        "fixtures/templates/engagement-value-assessment.json"
    ))
    .expect("fixture");
    let fill = json!({"template": "engagement-value-assessment", "fields": fields});
    upstream.push_all([
        common::tool_calls(vec![common::call("f1", "fill_template", &fill.to_string())]),
        text("Here is the assessment."),
    ]);
    let result = call(
        &client,
        "ask_strategic_pm_coach",
        json!({"message": "Assess the engagement.", "customer": "acme"}),
    )
    .await
    .expect("a coached answer");
    let answer = result.structured_content.clone().expect("structured");
    let documents = answer["documents"].as_array().expect("documents");
    assert_eq!(documents.len(), 1, "{answer}");
    let saved = documents[0]["saved_as"]
        .as_str()
        .expect("saved with a customer");
    let uri = format!("pmcoach://customers/acme/artifacts/{saved}");
    let linked: Vec<&str> = result
        .content
        .iter()
        .filter_map(|block| block.as_resource_link().map(|link| link.uri.as_str()))
        .collect();
    assert_eq!(linked, [uri.as_str()]);
    let markdown = read(&client, &uri).await.expect("the saved document");
    assert!(
        markdown.contains(documents[0]["title"].as_str().expect("title")),
        "{markdown}"
    );
    let listed = client.list_all_resources().await.expect("resources/list");
    assert!(listed.iter().any(|r| r.uri == uri));
    client.cancel().await.expect("closes");
}

#[tokio::test]
async fn a_turn_the_client_cancels_stops_and_records_nothing() {
    use rmcp::model::{CallToolRequest, ClientRequest};
    use rmcp::service::PeerRequestOptions;

    let upstream = FakeUpstream::start().await;
    let server = TestServer::start(config_for(Some(&upstream))).await;
    let client = legacy_client(&server, None).await;
    let slow = std::time::Duration::from_millis(1_500);
    upstream.push(common::Step::Delayed(slow, Box::new(text("Too late."))));
    let params = CallToolRequestParams::new("ask_strategic_pm_coach")
        .with_arguments(args(json!({"message": "hi", "customer": "acme"})));
    let request = ClientRequest::CallToolRequest(CallToolRequest::new(params));
    let handle = client
        .send_cancellable_request(request, PeerRequestOptions::no_options())
        .await
        .expect("sent");
    while upstream.request_count() == 0 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    handle
        .cancel(Some("changed my mind".into()))
        .await
        .expect("cancelled");
    tokio::time::sleep(slow * 2).await;
    let (status, usage) = server.get("/v1/customers/acme/usage").await;
    assert_eq!(status, 200, "{usage}");
    assert_eq!(
        usage["total"]["turns"], 0,
        "the cancelled turn recorded nothing: {usage}"
    );
    // The session goes on.
    upstream.push(text("Still here."));
    let answer = call(
        &client,
        "ask_strategic_pm_coach",
        json!({"message": "hi again"}),
    )
    .await
    .expect("answers");
    assert_eq!(
        answer.structured_content.expect("structured")["reply"],
        "Still here."
    );
    client.cancel().await.expect("closes");
}
