//! The OpenAI-compatible endpoint, exercised with async-openai as the client,
//! streaming and not.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::types::chat::{
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestAssistantMessageContent,
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestUserMessage, ChatCompletionStreamOptions, CreateChatCompletionRequest,
};
use common::{FakeUpstream, TestServer, call, config_for, messages, text, tool_calls};
use futures::StreamExt;
use serde_json::json;

async fn setup() -> (FakeUpstream, TestServer, Client<OpenAIConfig>) {
    let upstream = FakeUpstream::start().await;
    let server = TestServer::start(config_for(Some(&upstream))).await;
    let client = Client::with_config(
        OpenAIConfig::new()
            .with_api_base(format!("{}/v1", server.base))
            .with_api_key("not-needed"),
    );
    (upstream, server, client)
}

fn user(text: &str) -> ChatCompletionRequestMessage {
    ChatCompletionRequestUserMessage {
        content: text.into(),
        name: None,
    }
    .into()
}

fn request(
    model: &str,
    messages: Vec<ChatCompletionRequestMessage>,
) -> CreateChatCompletionRequest {
    CreateChatCompletionRequest {
        model: model.into(),
        messages,
        ..Default::default()
    }
}

#[tokio::test]
async fn a_completion_answers_as_openai_would() {
    let (upstream, _server, client) = setup().await;
    upstream.push_all([
        tool_calls(vec![call(
            "c",
            "consult_strategy_architect",
            r#"{"question":"Which segment?"}"#,
        )]),
        text("Pick the mid-market."),
        text("Lead with mid-market logistics firms."),
    ]);
    let history = vec![
        ChatCompletionRequestSystemMessage {
            content: "The user is preparing for a board meeting.".into(),
            name: None,
        }
        .into(),
        user("We have two segments."),
        ChatCompletionRequestAssistantMessage {
            content: Some(ChatCompletionRequestAssistantMessageContent::Text(
                "Which ones?".into(),
            )),
            ..Default::default()
        }
        .into(),
        user("Enterprise and mid-market. Where do we start?"),
    ];

    let response = client
        .chat()
        .create(request("strategic-pm-coach", history))
        .await
        .expect("completion");

    assert_eq!(response.object, "chat.completion");
    assert_eq!(response.model, "strategic-pm-coach");
    assert!(response.id.starts_with("chatcmpl-"));
    let choice = &response.choices[0];
    assert_eq!(
        choice.message.content.as_deref(),
        Some("Lead with mid-market logistics firms.")
    );
    assert!(
        choice.message.tool_calls.is_none(),
        "internal tool calls stay server-side"
    );
    let usage = response.usage.expect("usage");
    assert!(usage.total_tokens > 0);
    assert_eq!(
        usage.total_tokens,
        usage.prompt_tokens + usage.completion_tokens
    );

    // The caller's history follows our system prompt.
    let first = &upstream.requests()[0].body;
    let sent: Vec<(&str, &str)> = messages(first)[1..]
        .iter()
        .map(|m| {
            (
                m["role"].as_str().expect("role"),
                m["content"].as_str().expect("text"),
            )
        })
        .collect();
    assert_eq!(
        sent,
        [
            ("system", "The user is preparing for a board meeting."),
            ("user", "We have two segments."),
            ("assistant", "Which ones?"),
            ("user", "Enterprise and mid-market. Where do we start?")
        ]
    );
    assert!(common::system_prompt(first).contains("Fractional PM Value Ladder"));
}

#[tokio::test]
async fn a_streamed_completion_has_openai_chunks_usage_and_done() {
    let (upstream, server, client) = setup().await;
    upstream.set_chunk_size(2);
    upstream.push(text("Coach the team; do not become the team."));
    let mut req = request(
        "strategic-pm-coach",
        vec![user("How do I stop being their PM?")],
    );
    req.stream = Some(true);
    req.stream_options = Some(ChatCompletionStreamOptions {
        include_usage: Some(true),
        ..Default::default()
    });

    let mut stream = client.chat().create_stream(req).await.expect("stream");
    let mut streamed = String::new();
    let mut finish = None;
    let mut usage = None;
    let mut chunks = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("chunk parses as OpenAI's");
        chunks += 1;
        assert_eq!(chunk.object, "chat.completion.chunk");
        assert_eq!(chunk.model, "strategic-pm-coach");
        if let Some(choice) = chunk.choices.first() {
            streamed.push_str(choice.delta.content.as_deref().unwrap_or_default());
            if choice.finish_reason.is_some() {
                finish = choice.finish_reason;
            }
        }
        if chunk.usage.is_some() {
            usage = chunk.usage;
        }
    }
    assert_eq!(streamed, "Coach the team; do not become the team.");
    assert!(chunks > 5);
    assert!(finish.is_some());
    assert!(usage.is_some_and(|u| u.total_tokens > 0));

    // The raw stream ends with data: [DONE].
    upstream.push(text("Again."));
    let raw = server
        .post_raw(
            "/v1/chat/completions",
            &json!({"model": "strategic-pm-coach", "stream": true, "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await
        .text()
        .await
        .expect("body");
    assert!(raw.trim_end().ends_with("data: [DONE]"), "{raw}");
    assert!(
        !raw.contains("\"usage\":{"),
        "no usage chunk unless asked: {raw}"
    );
}

#[tokio::test]
async fn auto_routes_and_reports_the_capability_as_the_model() {
    let (upstream, _server, client) = setup().await;
    upstream.push_all([
        tool_calls(vec![call(
            "r",
            "choose_capability",
            r#"{"capability":"relationship-advisor"}"#,
        )]),
        text("Name the pattern before asking for change."),
    ]);
    let response = client
        .chat()
        .create(request(
            "auto",
            vec![user("My client keeps adding scope. How do I push back?")],
        ))
        .await
        .expect("completion");
    assert_eq!(response.model, "relationship-advisor");
    assert!(
        common::system_prompt(&upstream.requests()[1].body).starts_with("# Relationship Advisor")
    );
}

#[tokio::test]
async fn an_unusable_routing_answer_falls_back_to_the_coach() {
    let (upstream, _server, client) = setup().await;
    upstream.push_all([text("I think maybe the oracle?"), text("Coach answer.")]);
    let response = client
        .chat()
        .create(request("auto", vec![user("hello")]))
        .await
        .expect("completion");
    assert_eq!(response.model, "strategic-pm-coach");
}

#[tokio::test]
async fn errors_come_back_in_openai_shape() {
    let (upstream, server, client) = setup().await;
    let err = client
        .chat()
        .create(request("oracle", vec![user("hi")]))
        .await
        .expect_err("unknown model");
    match err {
        OpenAIError::ApiError(api) => {
            assert_eq!(api.status_code.as_u16(), 404);
            assert_eq!(api.api_error.code.as_deref(), Some("model_not_found"));
            assert_eq!(
                api.api_error.r#type.as_deref(),
                Some("invalid_request_error")
            );
        }
        other => panic!("expected an API error, got {other:?}"),
    }
    let (status, body) = server
        .post(
            "/v1/chat/completions",
            &json!({"model": "strategic-pm-coach", "messages": [
                {"role": "user", "content": "hi"},
                {"role": "tool", "tool_call_id": "x", "content": "result"}
            ]}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert_eq!(body["error"]["param"], "messages[1]", "{body}");
    let (status, body) = server
        .post("/v1/chat/completions", &json!({"model": "auto"}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("messages"))
    );
    assert_eq!(upstream.request_count(), 0);
}

#[tokio::test]
async fn the_customer_comes_from_the_header_and_user_never_names_one() {
    let (upstream, server, _) = setup().await;
    upstream.repeat_forever(|_| text("ok"));
    let client = Client::with_config(
        OpenAIConfig::new()
            .with_api_base(format!("{}/v1", server.base))
            .with_header("x-pmcoach-customer", "acme")
            .expect("header"),
    );
    client
        .chat()
        .create(request("strategic-pm-coach", vec![user("hi")]))
        .await
        .expect("completion");
    assert!(common::system_prompt(&upstream.requests()[0].body).contains("## Customer: `acme`"));

    // An end user's id in `user`, even one shaped like a customer id, names
    // no customer and creates no folder.
    for user_id in [
        "globex",
        "5b0e7c1e-93c5-4d2f-9a43-3f1f1f6c2a10",
        "jane@example.com",
    ] {
        let (status, _) = server
            .post(
                "/v1/chat/completions",
                &json!({"model": "strategic-pm-coach", "user": user_id, "messages": [{"role": "user", "content": "hi"}]}),
            )
            .await;
        assert_eq!(status, 200);
        let sent = upstream.requests();
        let system = common::system_prompt(&sent.last().expect("request").body);
        assert!(!system.contains("## Customer"), "{user_id}");
    }
    assert!(!server.workspace.join("customers/globex").exists());
}

#[tokio::test]
async fn completions_store_no_session_unless_asked() {
    let (upstream, server, _) = setup().await;
    upstream.repeat_forever(|_| text("ok"));
    let sessions = server.workspace.join("customers/acme/sessions");
    let count = || std::fs::read_dir(&sessions).map_or(0, |d| d.count());
    let ask = |store: Option<bool>| {
        let mut body =
            json!({"model": "strategic-pm-coach", "messages": [{"role": "user", "content": "hi"}]});
        if let Some(store) = store {
            body["store"] = json!(store);
        }
        server
            .client
            .post(format!("{}/v1/chat/completions", server.base))
            .header("x-pmcoach-customer", "acme")
            .json(&body)
            .send()
    };
    for _ in 0..3 {
        assert_eq!(ask(None).await.expect("response").status(), 200);
    }
    assert_eq!(count(), 0, "no session files");
    // What they spent is still the customer's.
    let usage = std::fs::read_to_string(server.workspace.join("customers/acme/usage.jsonl"))
        .expect("usage lines");
    assert_eq!(usage.lines().count(), 3);
    assert!(!usage.contains("\"hi\""), "no message is kept: {usage}");
    let (_, spent) = server.get("/v1/customers/acme/usage").await;
    assert_eq!(spent["unstored"]["turns"], 3, "{spent}");

    assert_eq!(ask(Some(true)).await.expect("response").status(), 200);
    assert_eq!(count(), 1, "store: true keeps the session");
    let header = server
        .client
        .post(format!("{}/v1/chat/completions", server.base))
        .header("x-pmcoach-customer", "acme")
        .header("x-pmcoach-store", "true")
        .json(&json!({"model": "strategic-pm-coach", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("response");
    assert_eq!(header.status(), 200);
    assert_eq!(count(), 2);
    let unclear = server
        .client
        .post(format!("{}/v1/chat/completions", server.base))
        .header("x-pmcoach-customer", "acme")
        .header("x-pmcoach-store", "%")
        .json(&json!({"model": "strategic-pm-coach", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .expect("response");
    assert_eq!(unclear.status(), 400);
    let body: serde_json::Value = unclear.json().await.expect("JSON");
    assert_eq!(body["error"]["param"], "x-pmcoach-store", "{body}");
    assert_eq!(count(), 2, "nothing stored");
}

#[tokio::test]
async fn models_lists_the_capabilities_and_auto() {
    let (_upstream, server, _) = setup().await;
    let (status, body) = server.get("/v1/models").await;
    assert_eq!(status, 200);
    assert_eq!(body["object"], "list");
    let ids: Vec<&str> = body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|m| m["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids[0], "auto");
    assert!(ids.contains(&"strategic-pm-coach") && ids.contains(&"growth-advisor"));
    assert_eq!(body["data"][1]["object"], "model");
}
