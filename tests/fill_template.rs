//! The `fill_template` tool in a conversation through the real server and the fake upstream.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use common::{FakeUpstream, TestServer, call, config_for, text, tool_calls};
use serde_json::{Value, json};

fn fixture(id: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/templates/{id}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

fn fill_call(id: &str, template: &str, fields: &Value) -> common::fake_upstream::ScriptedCall {
    call(
        id,
        "fill_template",
        &json!({"template": template, "fields": fields}).to_string(),
    )
}

#[tokio::test]
async fn the_model_fills_a_template_and_the_document_comes_back() {
    let upstream = FakeUpstream::start().await;
    let server = TestServer::start(config_for(Some(&upstream))).await;
    upstream.push_all([
        tool_calls(vec![fill_call(
            "fill_1",
            "engagement-value-assessment",
            &fixture("engagement-value-assessment"),
        )]),
        text("Here is your assessment; the biggest lever is the roadmap session."),
    ]);

    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "Assess my Acme engagement.", "customer": "acme-corp"}),
        )
        .await;

    assert_eq!(status, 200, "{body}");
    let artifacts = body["artifacts"].as_array().expect("artifacts");
    assert_eq!(artifacts.len(), 1);
    assert_eq!(artifacts[0]["template"], "engagement-value-assessment");
    assert_eq!(
        artifacts[0]["title"],
        "Engagement Value Assessment: Acme Corp"
    );
    let markdown = artifacts[0]["markdown"].as_str().expect("markdown");
    assert!(markdown.contains("### Time Allocation Review"));
    assert_eq!(body["tool_calls"][0]["name"], "fill_template");
    assert_eq!(body["tool_calls"][0]["ok"], true);

    let requests = upstream.requests();
    // The model was told which templates exist (when they fit is in the
    // persona's Outputs Produced); their fields come on demand, not every call.
    let first = &requests[0].body;
    let system = common::system_prompt(first);
    assert!(
        system.contains("- `engagement-value-assessment`: Engagement Value Assessment"),
        "{system}"
    );
    assert!(system.contains("Produce this in Phase 1 (Engagement Assessment)"));
    let fill = first["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .find(|t| t["function"]["name"] == "fill_template")
        .expect("fill_template offered");
    let parameters = &fill["function"]["parameters"];
    assert_eq!(
        parameters["properties"]["template"]["enum"],
        json!([
            "client-pm-coaching-plan",
            "engagement-value-assessment",
            "graduation-plan",
            "strategic-work-proposal"
        ])
    );
    assert_eq!(parameters["properties"]["fields"]["type"], "object");
    assert!(
        !parameters.to_string().contains("value_ladder"),
        "no template's schema rides along on every call"
    );
    // The tool result tells the model it worked without echoing the document.
    let result = &common::tool_results(&requests[1].body)[0];
    assert!(
        result.starts_with("Rendered \"Engagement Value Assessment: Acme Corp\""),
        "{result}"
    );
    assert!(!result.contains("### Time Allocation Review"));
}

#[tokio::test]
async fn a_missing_required_field_is_reported_and_the_retry_succeeds() {
    let upstream = FakeUpstream::start().await;
    let server = TestServer::start(config_for(Some(&upstream))).await;
    let complete = fixture("engagement-value-assessment");
    let mut partial = complete.clone();
    partial
        .as_object_mut()
        .expect("object")
        .remove("rate_basis");
    partial["client_signals"]["meeting_role"] = json!("Boss");
    upstream.push_all([
        tool_calls(vec![fill_call(
            "try_1",
            "engagement-value-assessment",
            &partial,
        )]),
        tool_calls(vec![fill_call(
            "try_2",
            "engagement-value-assessment",
            &complete,
        )]),
        text("Done: the assessment is attached."),
    ]);

    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "Write up the assessment."}),
        )
        .await;

    assert_eq!(status, 200, "{body}");
    let oks: Vec<bool> = body["tool_calls"]
        .as_array()
        .expect("calls")
        .iter()
        .map(|c| c["ok"].as_bool().expect("ok"))
        .collect();
    assert_eq!(oks, [false, true]);
    assert_eq!(body["artifacts"].as_array().map(Vec::len), Some(1));

    let error = &common::tool_results(&upstream.requests()[1].body)[0];
    assert!(
        error.starts_with(
            "error: invalid arguments: fields for engagement-value-assessment: missing required fields: /rate_basis"
        ),
        "{error}"
    );
    assert!(
        error.contains("/client_signals/meeting_role: \"Boss\" is not allowed; use one of: Observer, Facilitator, Decision-maker"),
        "{error}"
    );
    // With required fields missing, the model learns every field it takes.
    assert!(error.contains("Its fields (* required):"), "{error}");
    assert!(error.contains("\nrate_basis*: object"), "{error}");
    assert!(
        error.contains("  meeting_role*: one of: Observer | Facilitator | Decision-maker"),
        "{error}"
    );
}

#[tokio::test]
async fn an_unknown_or_foreign_template_is_an_error_the_model_can_fix() {
    let upstream = FakeUpstream::start().await;
    let server = TestServer::start(config_for(Some(&upstream))).await;
    upstream.push_all([
        tool_calls(vec![call(
            "x",
            "fill_template",
            r#"{"template": "skill-matrix", "fields": {}}"#,
        )]),
        text("I can only fill my own documents."),
    ]);
    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "hi"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["artifacts"], json!([]));
    let error = &common::tool_results(&upstream.requests()[1].body)[0];
    assert!(
        error.contains("unknown template \"skill-matrix\""),
        "{error}"
    );
    assert!(error.contains("engagement-value-assessment"), "{error}");
}

#[tokio::test]
async fn a_consulted_sibling_can_fill_its_own_template_and_the_artifact_reaches_the_client() {
    let upstream = FakeUpstream::start().await;
    let server = TestServer::start(config_for(Some(&upstream))).await;
    upstream.push_all([
        tool_calls(vec![call(
            "ask",
            "consult_relationship_advisor",
            r#"{"question":"Prepare me for telling the CEO I want to stop writing PRDs."}"#,
        )]),
        tool_calls(vec![fill_call(
            "prep",
            "difficult-conversation-prep",
            &fixture("difficult-conversation-prep"),
        )]),
        text("Prep sheet attached; lead with the decisions, not the documents."),
        text(
            "The Relationship Advisor prepared your conversation; start with the outcome you want.",
        ),
    ]);

    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "Help me have the PRD conversation."}),
        )
        .await;

    assert_eq!(status, 200, "{body}");
    let artifacts = body["artifacts"].as_array().expect("artifacts");
    assert_eq!(artifacts.len(), 1, "{body}");
    assert_eq!(artifacts[0]["template"], "difficult-conversation-prep");
    let requests = upstream.requests();
    let sibling_tools = common::tool_names(&requests[1].body);
    assert_eq!(sibling_tools, ["fill_template"], "no consulting at depth 1");
}
