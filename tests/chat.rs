//! POST /v1/chat through the real server against a scripted fake upstream.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{
    FakeUpstream, Step, TEST_API_KEY, TestServer, call, config_for, messages, setup, system_prompt,
    text, tool_calls,
};
use serde_json::{Value, json};

/// Every assistant tool call in a request is answered by a tool message.
fn assert_no_dangling_calls(request: &Value) {
    let messages = messages(request);
    for (i, message) in messages.iter().enumerate() {
        let Some(calls) = message["tool_calls"].as_array() else {
            continue;
        };
        for call in calls {
            let id = &call["id"];
            assert!(
                messages[i + 1..]
                    .iter()
                    .any(|m| m["role"] == "tool" && &m["tool_call_id"] == id),
                "tool call {id} has no result in {request}"
            );
        }
    }
}

#[tokio::test]
async fn the_coach_answers_with_its_frameworks_in_the_system_prompt() {
    let (upstream, server) = setup().await;
    upstream.push(text("Ask what decisions the PRDs must enable."));

    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "My client wants me to write PRDs."}),
        )
        .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reply"], "Ask what decisions the PRDs must enable.");
    assert_eq!(body["capability"], "strategic-pm-coach");
    assert_eq!(body["tool_calls"], json!([]));
    assert!(body["session_id"].as_str().is_some_and(|s| s.len() >= 16));

    let requests = upstream.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0].body;
    assert_eq!(request["model"], "fake-model");
    assert_eq!(
        requests[0].authorization.as_deref(),
        Some(format!("Bearer {TEST_API_KEY}").as_str())
    );
    let system = system_prompt(request);
    for framework in [
        "Fractional PM Value Ladder",
        "| **Strategic Advisor** | Thought partner | 2-3x |",
        "Engagement Positioning Matrix",
        "What decisions do these PRDs need to enable?",
        "NOW (0-3 mo)",
        "### Phase 5: Graduation Planning",
    ] {
        assert!(
            system.contains(framework),
            "system prompt lacks {framework:?}"
        );
    }
    // The coach is offered one consult tool per sibling, described from their data.
    let tools = common::tool_names(request);
    assert_eq!(
        tools,
        [
            "fill_template",
            "consult_exec_comms_specialist",
            "consult_growth_advisor",
            "consult_relationship_advisor",
            "consult_strategy_architect"
        ]
    );
    let user = &messages(request)[1];
    assert_eq!(user["role"], "user");
    assert_eq!(user["content"], "My client wants me to write PRDs.");

    // Usage is the upstream's, passed through.
    let prompt_tokens = serde_json::to_string(&request["messages"])
        .expect("serialize")
        .len()
        / 4
        + 1;
    assert_eq!(body["usage"]["prompt_tokens"], prompt_tokens);
    assert_eq!(
        body["usage"]["total_tokens"],
        body["usage"]["prompt_tokens"].as_u64().expect("n")
            + body["usage"]["completion_tokens"].as_u64().expect("n")
    );
}

#[tokio::test]
async fn consulting_a_sibling_runs_it_with_its_own_system_prompt() {
    let (upstream, server) = setup().await;
    upstream.push_all([
        tool_calls(vec![call(
            "call_1",
            "consult_strategy_architect",
            r#"{"question":"Which market should they lead with?","context":"B2B SaaS, two segments"}"#,
        )]),
        text("Pick the beachhead where you can win outright."),
        text("Lead with the beachhead; here is how to frame it to the client."),
    ]);

    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "Help me shape the roadmap conversation.", "customer": "acme-corp"}),
        )
        .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["reply"],
        "Lead with the beachhead; here is how to frame it to the client."
    );
    let calls = body["tool_calls"].as_array().expect("tool_calls");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["name"], "consult_strategy_architect");
    assert_eq!(calls[0]["ok"], true);
    assert_eq!(calls[0]["capability"], "strategy-architect");
    assert_eq!(
        calls[0]["arguments"]["question"],
        "Which market should they lead with?"
    );
    assert!(calls[0]["duration_ms"].is_u64());

    let requests = upstream.requests();
    assert_eq!(requests.len(), 3);
    // Request 2 is the sibling: its own persona, told who asks, no tools (depth 1).
    let sibling = &requests[1].body;
    let system = system_prompt(sibling);
    assert!(system.starts_with("# Strategy Architect"), "{system}");
    assert!(system.contains("Playing to Win"));
    assert!(system.contains("Strategic PM Coach is consulting you"));
    assert!(!system.contains("Fractional PM Value Ladder"));
    let sibling_tools = common::tool_names(sibling);
    assert_eq!(
        sibling_tools,
        ["fill_template", "engagement_summary"],
        "the sibling reads the same customer's documents, never writes them, and cannot consult"
    );
    let question = &messages(sibling)[1];
    assert_eq!(
        question["content"],
        "Strategic PM Coach asks: Which market should they lead with?\n\n\
         Context from Strategic PM Coach:\nB2B SaaS, two segments"
    );
    // Request 3 is the coach again, with the sibling's answer as the tool result.
    let resumed = &requests[2].body;
    assert!(system_prompt(resumed).contains("Fractional PM Value Ladder"));
    let last = messages(resumed).last().expect("messages");
    assert_eq!(last["role"], "tool");
    assert_eq!(last["tool_call_id"], "call_1");
    assert_eq!(
        last["content"],
        "<consulted-answer>\nPick the beachhead where you can win outright.\n</consulted-answer>"
    );
    assert_no_dangling_calls(resumed);

    // Usage adds up all three model calls.
    let total: u64 = body["usage"]["total_tokens"].as_u64().expect("n");
    assert!(total > 0);
    let (_, again) = server
        .post(
            "/v1/chat",
            &json!({"message": "x", "session_id": body["session_id"], "customer": "acme-corp"}),
        )
        .await;
    assert_eq!(
        again["error"]["code"], "upstream_error",
        "script is exhausted"
    );
}

#[tokio::test]
async fn parallel_tool_calls_all_run_and_results_keep_call_order() {
    let (upstream, server) = setup().await;
    let fake = upstream.clone();
    upstream.repeat_forever(move |n| {
        let request = fake.requests()[n].body.clone();
        let system = system_prompt(&request).to_string();
        if n == 0 {
            tool_calls(vec![
                call(
                    "a",
                    "consult_growth_advisor",
                    r#"{"question":"How do I grow?"}"#,
                ),
                call(
                    "b",
                    "consult_relationship_advisor",
                    r#"{"question":"How do I raise this with the CEO?"}"#,
                ),
            ])
        } else if system.starts_with("# Growth Advisor") {
            // The first call finishes last; its result must still come first.
            Step::Delayed(
                Duration::from_millis(300),
                Box::new(text("growth: own your positioning")),
            )
        } else if system.starts_with("# Relationship Advisor") {
            text("relationship: name the pattern, then ask")
        } else {
            text("combined advice")
        }
    });

    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "I am stuck as staff aug."}),
        )
        .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reply"], "combined advice");
    let names: Vec<&str> = body["tool_calls"]
        .as_array()
        .expect("calls")
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        ["consult_growth_advisor", "consult_relationship_advisor"]
    );

    let requests = upstream.requests();
    assert_eq!(requests.len(), 4, "coach, two siblings, coach");
    let last = &requests[3].body;
    let tool_messages: Vec<(&str, &str)> = messages(last)
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| {
            (
                m["tool_call_id"].as_str().expect("id"),
                m["content"].as_str().expect("content"),
            )
        })
        .collect();
    assert_eq!(
        tool_messages,
        [
            (
                "a",
                "<consulted-answer>\ngrowth: own your positioning\n</consulted-answer>"
            ),
            (
                "b",
                "<consulted-answer>\nrelationship: name the pattern, then ask\n</consulted-answer>"
            )
        ]
    );
    assert_no_dangling_calls(last);
}

#[tokio::test]
async fn a_model_that_calls_tools_forever_is_stopped_at_the_step_limit() {
    let upstream = FakeUpstream::start().await;
    let mut config = config_for(Some(&upstream));
    config.limits.max_steps = 3;
    let server = TestServer::start(config).await;
    upstream.repeat_forever(|n| {
        tool_calls(vec![call(
            &format!("loop_{n}"),
            "consult_growth_advisor",
            "{}",
        )])
    });

    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "Go around in circles."}),
        )
        .await;

    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"]["code"], "model_error");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("did not finish within 3 steps"),
        "{message}"
    );
    let requests = upstream.requests();
    assert_eq!(requests.len(), 3);
    for request in &requests {
        assert_no_dangling_calls(&request.body);
    }
    // The failed turn did not break the server.
    let (status, _) = server.get("/v1/capabilities").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn malformed_tool_arguments_go_back_to_the_model_which_recovers() {
    let (upstream, server) = setup().await;
    upstream.push_all([
        tool_calls(vec![
            call(
                "bad_json",
                "consult_growth_advisor",
                r#"{"question": "cut off"#,
            ),
            call("no_such", "consult_the_oracle", r#"{"question":"?"}"#),
        ]),
        tool_calls(vec![call(
            "wrong_type",
            "consult_growth_advisor",
            r#"{"question": 42, "mood": "bold"}"#,
        )]),
        tool_calls(vec![call(
            "good",
            "consult_growth_advisor",
            r#"{"question":"What should I work on?"}"#,
        )]),
        text("Work on saying no."),
        text("Start by saying no to one misaligned request."),
    ]);

    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "What next?"}),
        )
        .await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["reply"],
        "Start by saying no to one misaligned request."
    );
    let oks: Vec<bool> = body["tool_calls"]
        .as_array()
        .expect("calls")
        .iter()
        .map(|c| c["ok"].as_bool().expect("ok"))
        .collect();
    assert_eq!(oks, [false, false, false, true]);
    assert_eq!(
        body["tool_calls"][0]["arguments"],
        r#"{"question": "cut off"#
    );

    let requests = upstream.requests();
    let after_first = common::tool_results(&requests[1].body);
    assert!(
        after_first[0].starts_with("error: invalid arguments: arguments are not valid JSON"),
        "{after_first:?}"
    );
    assert!(
        after_first[1].contains("unknown tool \"consult_the_oracle\"")
            && after_first[1].contains("consult_growth_advisor"),
        "{after_first:?}"
    );
    let after_second = common::tool_results(&requests[2].body);
    assert!(after_second[2].contains("/question"), "{after_second:?}");
    assert!(after_second[2].contains("mood"), "{after_second:?}");
    for request in &requests {
        assert_no_dangling_calls(&request.body);
    }
}

#[tokio::test]
async fn an_upstream_failure_is_a_sanitised_502_and_the_server_keeps_serving() {
    let (upstream, server) = setup().await;
    let failing = Arc::new(AtomicBool::new(true));
    let flag = Arc::clone(&failing);
    upstream.repeat_forever(move |_| {
        if flag.load(Ordering::SeqCst) {
            Step::Error {
                status: 500,
                body: format!("stack trace: upstream exploded near key {TEST_API_KEY}"),
            }
        } else {
            text("back to normal")
        }
    });

    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "hello"}),
        )
        .await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"]["code"], "upstream_error");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(message.contains("HTTP 500"), "{message}");
    let raw = body.to_string();
    assert!(
        !raw.contains("exploded") && !raw.contains(TEST_API_KEY),
        "{raw}"
    );

    failing.store(false, Ordering::SeqCst);
    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "hello"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reply"], "back to normal");
}

#[tokio::test]
async fn an_upstream_auth_error_names_the_code_but_never_the_key() {
    let (upstream, server) = setup().await;
    upstream.push(Step::Error {
        status: 401,
        body: json!({"error": {
            "message": format!("Incorrect API key provided: {TEST_API_KEY}"),
            "type": "invalid_request_error", "param": null, "code": "invalid_api_key"
        }})
        .to_string(),
    });
    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "hello"}),
        )
        .await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(
        body["error"]["message"],
        "the model upstream answered HTTP 401 (invalid_api_key)"
    );
    assert!(!body.to_string().contains(TEST_API_KEY));
}

#[tokio::test]
async fn a_session_carries_its_history_into_the_next_turn() {
    let (upstream, server) = setup().await;
    upstream.push_all([text("first answer"), text("second answer")]);

    let (_, first) = server
        .post(
            "/v1/chat",
            &json!({"message": "first question", "capability": "growth-advisor"}),
        )
        .await;
    let session_id = first["session_id"].clone();
    let (status, second) = server
        .post(
            "/v1/chat",
            &json!({"message": "second question", "session_id": session_id}),
        )
        .await;

    assert_eq!(status, 200, "{second}");
    assert_eq!(second["session_id"], session_id);
    assert_eq!(
        second["capability"], "growth-advisor",
        "the session's capability"
    );
    let request = &upstream.requests()[1].body;
    assert!(system_prompt(request).starts_with("# Growth Advisor"));
    let turns: Vec<(&str, &str)> = messages(request)[1..]
        .iter()
        .map(|m| {
            (
                m["role"].as_str().expect("role"),
                m["content"].as_str().expect("content"),
            )
        })
        .collect();
    assert_eq!(
        turns,
        [
            ("user", "first question"),
            ("assistant", "first answer"),
            ("user", "second question")
        ]
    );
}

#[tokio::test]
async fn two_messages_to_one_session_take_turns() {
    let (upstream, server) = setup().await;
    upstream.push(text("first answer"));
    let (_, first) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "one"}),
        )
        .await;
    let session = first["session_id"].clone();
    upstream.push_all([
        Step::Delayed(Duration::from_millis(300), Box::new(text("second answer"))),
        text("third answer"),
    ]);

    let two = json!({"message": "two", "session_id": session});
    let slow = server.post("/v1/chat", &two);
    let quick = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        server
            .post(
                "/v1/chat",
                &json!({"message": "three", "session_id": session}),
            )
            .await
    };
    let ((s1, _), (s2, _)) = tokio::join!(slow, quick);
    assert_eq!((s1, s2), (200, 200));

    // The third message saw the second turn's answer: the turns did not overlap.
    let requests = upstream.requests();
    let last = &requests[2].body;
    let contents: Vec<&str> = messages(last)[1..]
        .iter()
        .map(|m| m["content"].as_str().expect("text"))
        .collect();
    assert_eq!(
        contents,
        ["one", "first answer", "two", "second answer", "three"]
    );
}

#[tokio::test]
async fn a_failed_consult_keeps_what_the_sibling_did_in_the_record() {
    let (upstream, server) = setup().await;
    let fields = std::fs::read_to_string(format!(
        "{}/tests/fixtures/templates/relationship-health-assessment.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    let fill = json!({"template": "relationship-health-assessment", "fields": serde_json::from_str::<Value>(&fields).expect("json")});
    upstream.push_all([
        tool_calls(vec![call(
            "c1",
            "consult_relationship_advisor",
            r#"{"question":"How healthy is the relationship?"}"#,
        )]),
        // The sibling renders (and saves) its assessment, then its next model
        // call fails: the consult fails, but the document and tokens are real.
        tool_calls(vec![call("f1", "fill_template", &fill.to_string())]),
        common::Step::Error {
            status: 400,
            body:
                r#"{"error":{"message":"bad","type":"invalid_request_error","code":"bad_request"}}"#
                    .into(),
        },
        text("The advisor could not finish; here is my own read."),
    ]);

    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "Check the relationship.", "customer": "acme"}),
        )
        .await;

    assert_eq!(status, 200, "{body}");
    let calls = body["tool_calls"].as_array().expect("tool_calls");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["ok"], false);
    assert_eq!(calls[0]["capability"], "relationship-advisor");
    let requests = upstream.requests();
    let error = common::tool_results(&requests[3].body).join("");
    assert!(
        error.starts_with("error: the Relationship Advisor could not answer"),
        "{error}"
    );
    // The sibling's document is the turn's (not saved: only the capability
    // the user talks to records), and so are its tokens.
    let artifacts = body["artifacts"].as_array().expect("artifacts");
    assert_eq!(artifacts.len(), 1, "{body}");
    assert_eq!(artifacts[0]["template"], "relationship-health-assessment");
    assert!(artifacts[0].get("saved_as").is_none(), "{body}");
    let (_, transcript) = server
        .get(&format!(
            "/v1/customers/acme/sessions/{}",
            body["session_id"].as_str().expect("id")
        ))
        .await;
    let turn = &transcript["turns"][0];
    let depths: Vec<u64> = turn["model_calls"]
        .as_array()
        .expect("model_calls")
        .iter()
        .map(|c| c["depth"].as_u64().expect("depth"))
        .collect();
    assert_eq!(
        depths,
        [0, 1, 0],
        "the sibling's successful call is recorded"
    );
    assert_eq!(
        turn["artifacts"][0]["template"],
        "relationship-health-assessment"
    );
    let coach_only: u64 = [0, 2]
        .iter()
        .map(|&i| {
            turn["model_calls"][i]["usage"]["total_tokens"]
                .as_u64()
                .expect("n")
        })
        .sum();
    assert!(
        body["usage"]["total_tokens"].as_u64().expect("n") > coach_only,
        "the sibling's tokens count: {body}"
    );
}
