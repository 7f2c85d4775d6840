//! What orchestrators ask of the OpenAI-compatible endpoint, with async-openai
//! as the client: their own tools (a round trip, streaming and not), tool
//! choice, structured output, sampling parameters, and a 400 naming every
//! parameter pmcoach does not support.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::types::chat::{
    ChatCompletionMessageToolCalls, ChatCompletionRequestMessage, ChatCompletionTool,
    ChatCompletionTools, CreateChatCompletionRequest, FinishReason, FunctionObject,
};
use common::{FakeUpstream, Step, TestServer, call, config_for, text, tool_calls};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};

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

fn weather_tool() -> ChatCompletionTools {
    ChatCompletionTools::Function(ChatCompletionTool {
        function: FunctionObject {
            name: "get_crm_notes".into(),
            description: Some("Notes from the orchestrator's CRM about the client.".into()),
            parameters: Some(json!({
                "type": "object",
                "properties": {"account": {"type": "string"}},
                "required": ["account"]
            })),
            strict: None,
        },
    })
}

fn with_tool(messages: Vec<Value>) -> CreateChatCompletionRequest {
    serde_json::from_value(json!({
        "model": "strategic-pm-coach",
        "messages": messages,
    }))
    .map(|mut request: CreateChatCompletionRequest| {
        request.tools = Some(vec![weather_tool()]);
        request
    })
    .expect("request")
}

#[tokio::test]
async fn a_callers_tool_round_trip_without_streaming() {
    let (upstream, _server, client) = setup().await;
    upstream.push_all([
        tool_calls(vec![call("t1", "get_crm_notes", r#"{"account":"acme"}"#)]),
        text("Their CRM says renewal is in March: open with the pricing decision."),
    ]);
    let question = json!({"role": "user", "content": "How do I open the renewal talk?"});
    let first = client
        .chat()
        .create(with_tool(vec![question.clone()]))
        .await
        .expect("completion");
    let choice = &first.choices[0];
    assert_eq!(choice.finish_reason, Some(FinishReason::ToolCalls));
    let calls = choice.message.tool_calls.as_ref().expect("tool calls");
    let ChatCompletionMessageToolCalls::Function(called) = &calls[0] else {
        panic!("a function call");
    };
    assert_eq!(called.function.name, "get_crm_notes");
    assert_eq!(called.function.arguments, r#"{"account":"acme"}"#);
    // The model was offered pmcoach's tools and the caller's.
    let requests = upstream.requests();
    let offered = common::tool_names(&requests[0].body);
    assert!(offered.contains(&"get_crm_notes") && offered.contains(&"fill_template"));

    // The caller runs its tool and sends the result: the turn goes on.
    let assistant = serde_json::to_value(&choice.message).expect("message");
    let result = json!({"role": "tool", "tool_call_id": called.id, "content": "Renewal: March 1."});
    let second = client
        .chat()
        .create(with_tool(vec![question, assistant, result]))
        .await
        .expect("completion");
    assert_eq!(second.choices[0].finish_reason, Some(FinishReason::Stop));
    assert_eq!(
        second.choices[0].message.content.as_deref(),
        Some("Their CRM says renewal is in March: open with the pricing decision.")
    );
    let sent = common::messages(&upstream.requests()[1].body).clone();
    let last = sent.last().expect("messages");
    assert_eq!(last["role"], "tool");
    assert_eq!(last["content"], "Renewal: March 1.");
    assert_eq!(
        sent[sent.len() - 2]["tool_calls"][0]["function"]["name"],
        "get_crm_notes"
    );
}

#[tokio::test]
async fn a_callers_tool_round_trip_streaming() {
    let (upstream, _server, client) = setup().await;
    upstream.set_chunk_size(5);
    upstream.push_all([
        tool_calls(vec![call("t1", "get_crm_notes", r#"{"account":"acme"}"#)]),
        text("Open with the pricing decision."),
    ]);
    let question = json!({"role": "user", "content": "How do I open the renewal talk?"});
    let mut request = with_tool(vec![question.clone()]);
    request.stream = Some(true);
    let mut stream = client.chat().create_stream(request).await.expect("stream");
    let (mut id, mut name, mut arguments, mut finish) = (None, String::new(), String::new(), None);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("chunk");
        for choice in chunk.choices {
            for fragment in choice.delta.tool_calls.unwrap_or_default() {
                id = fragment.id.or(id);
                if let Some(function) = fragment.function {
                    name.push_str(function.name.as_deref().unwrap_or_default());
                    arguments.push_str(function.arguments.as_deref().unwrap_or_default());
                }
            }
            finish = choice.finish_reason.or(finish);
        }
    }
    assert_eq!(finish, Some(FinishReason::ToolCalls));
    assert_eq!(name, "get_crm_notes");
    assert_eq!(arguments, r#"{"account":"acme"}"#);
    let id = id.expect("call id");

    let assistant = json!({"role": "assistant", "tool_calls": [
        {"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}]});
    let result = json!({"role": "tool", "tool_call_id": id, "content": "Renewal: March 1."});
    let mut request = with_tool(vec![question, assistant, result]);
    request.stream = Some(true);
    let mut stream = client.chat().create_stream(request).await.expect("stream");
    let mut answer = String::new();
    while let Some(chunk) = stream.next().await {
        for choice in chunk.expect("chunk").choices {
            answer.push_str(choice.delta.content.as_deref().unwrap_or_default());
        }
    }
    assert_eq!(answer, "Open with the pricing decision.");
}

#[tokio::test]
async fn tool_choice_and_sampling_reach_the_model() {
    let (upstream, server, _client) = setup().await;
    upstream.push(tool_calls(vec![call(
        "t1",
        "get_crm_notes",
        r#"{"account":"acme"}"#,
    )]));
    let (status, body) = server
        .post(
            "/v1/chat/completions",
            &json!({
                "model": "strategic-pm-coach",
                "messages": [{"role": "user", "content": "Check the CRM."}],
                "tools": [serde_json::to_value(weather_tool()).expect("tool")],
                "tool_choice": {"type": "function", "function": {"name": "get_crm_notes"}},
                "parallel_tool_calls": false,
                "temperature": 0.2, "top_p": 0.9, "max_completion_tokens": 300,
                "stop": ["END"], "seed": 7, "presence_penalty": 0.5, "frequency_penalty": -0.5
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let sent = &upstream.requests()[0].body;
    assert_eq!(sent["tool_choice"]["function"]["name"], "get_crm_notes");
    assert_eq!(sent["parallel_tool_calls"], false);
    assert_eq!(sent["max_completion_tokens"], 300);
    assert_eq!(sent["stop"], json!(["END"]));
    assert_eq!(sent["seed"], 7);
    for (field, value) in [
        ("temperature", 0.2),
        ("top_p", 0.9),
        ("presence_penalty", 0.5),
        ("frequency_penalty", -0.5),
    ] {
        let sent_value = sent[field].as_f64().expect("a number");
        assert!((sent_value - value).abs() < 1e-6, "{field}: {sent_value}");
    }
}

#[derive(Debug, Deserialize, PartialEq)]
struct Opener {
    opening_line: String,
    decision: String,
}

fn structured(answers: &[&str]) -> (Value, Vec<Step>) {
    let request = json!({
        "model": "strategic-pm-coach",
        "messages": [{"role": "user", "content": "Give me the opener as JSON."}],
        "response_format": {"type": "json_schema", "json_schema": {
            "name": "opener", "strict": true,
            "schema": {"type": "object", "additionalProperties": false,
                       "required": ["opening_line", "decision"],
                       "properties": {"opening_line": {"type": "string"}, "decision": {"type": "string"}}}}}
    });
    (request, answers.iter().map(|a| text(a)).collect())
}

#[tokio::test]
async fn structured_output_parses_and_is_corrected_once() {
    let (upstream, server, _client) = setup().await;
    let good = r#"{"opening_line": "What decision should pricing enable?", "decision": "tiers"}"#;
    let (request, steps) = structured(&["Sure! Here is your opener.", good]);
    upstream.push_all(steps);
    let (status, body) = server.post("/v1/chat/completions", &request).await;
    assert_eq!(status, 200, "{body}");
    let content = body["choices"][0]["message"]["content"]
        .as_str()
        .expect("content");
    let opener: Opener = serde_json::from_str(content).expect("parses as the schema's type");
    assert_eq!(opener.decision, "tiers");
    let requests = upstream.requests();
    assert_eq!(requests.len(), 2, "one correction");
    assert_eq!(requests[0].body["response_format"]["type"], "json_schema");
    let correction = common::messages(&requests[1].body)
        .last()
        .expect("message")
        .clone();
    assert!(
        correction["content"]
            .as_str()
            .is_some_and(|c| c.contains("not JSON")),
        "{correction}"
    );

    let (request, steps) = structured(&["Not JSON.", r#"{"opening_line": "x"}"#]);
    upstream.push_all(steps);
    let (status, body) = server.post("/v1/chat/completions", &request).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"]["code"], "invalid_structured_output");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("decision")),
        "{body}"
    );

    // Streamed, the client gets only the checked answer.
    let (mut request, steps) = structured(&["Prose first.", good]);
    request["stream"] = json!(true);
    upstream.push_all(steps);
    let events = common::SseReader::new(server.post_raw("/v1/chat/completions", &request).await)
        .collect()
        .await;
    let streamed: String = events
        .iter()
        .filter(|e| e.data != "[DONE]")
        .filter_map(|e| {
            e.json()["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_string)
        })
        .collect();
    assert_eq!(streamed, good);
}

#[tokio::test]
async fn every_unsupported_or_invalid_parameter_is_a_400_naming_it() {
    let (upstream, server, _client) = setup().await;
    let base =
        || json!({"model": "strategic-pm-coach", "messages": [{"role": "user", "content": "hi"}]});
    let cases: Vec<(&str, Value, &str)> = vec![
        ("n", json!(2), "unsupported_parameter"),
        ("logprobs", json!(true), "unsupported_parameter"),
        ("top_logprobs", json!(3), "unsupported_parameter"),
        (
            "audio",
            json!({"voice": "alloy", "format": "mp3"}),
            "unsupported_parameter",
        ),
        (
            "modalities",
            json!(["text", "audio"]),
            "unsupported_parameter",
        ),
        (
            "prediction",
            json!({"type": "content", "content": "x"}),
            "unsupported_parameter",
        ),
        (
            "logit_bias",
            json!({"50256": -100}),
            "unsupported_parameter",
        ),
        (
            "functions",
            json!([{"name": "f", "parameters": {}}]),
            "unsupported_parameter",
        ),
        ("temperature", json!(3.5), "invalid_value"),
        ("top_p", json!(1.5), "invalid_value"),
        ("presence_penalty", json!(-3), "invalid_value"),
        ("stop", json!(["a", "b", "c", "d", "e"]), "invalid_value"),
        ("max_completion_tokens", json!(0), "invalid_value"),
        (
            "tool_choice",
            json!({"type": "function", "function": {"name": "nope"}}),
            "invalid_value",
        ),
    ];
    for (param, value, code) in cases {
        let mut request = base();
        request[param] = value;
        let (status, body) = server.post("/v1/chat/completions", &request).await;
        assert_eq!(status, 400, "{param}: {body}");
        assert_eq!(body["error"]["param"], param, "{body}");
        assert_eq!(body["error"]["code"], code, "{param}: {body}");
    }
    let mut image = base();
    image["messages"] = json!([{"role": "user", "content": [
        {"type": "text", "text": "What is on this slide?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/slide.png"}}]}]);
    let (status, body) = server.post("/v1/chat/completions", &image).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["param"], "messages[0].content");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("multimodal"))
    );
    let mut clash = base();
    clash["tools"] =
        json!([{"type": "function", "function": {"name": "fill_template", "parameters": {}}}]);
    let (status, body) = server.post("/v1/chat/completions", &clash).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["param"], "tools");
    assert_eq!(upstream.request_count(), 0, "nothing was sent upstream");
}

#[tokio::test]
async fn images_reach_a_model_declared_multimodal() {
    let upstream = FakeUpstream::start().await;
    let mut config = config_for(Some(&upstream));
    config.model.multimodal = true;
    let server = TestServer::start(config).await;
    upstream.push(text("A roadmap slide."));
    let (status, body) = server
        .post(
            "/v1/chat/completions",
            &json!({"model": "strategic-pm-coach", "messages": [{"role": "user", "content": [
                {"type": "text", "text": "What is on this slide?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let sent: Vec<ChatCompletionRequestMessage> =
        serde_json::from_value(upstream.requests()[0].body["messages"].clone()).expect("messages");
    let user = serde_json::to_value(sent.last().expect("user")).expect("json");
    assert_eq!(
        user["content"][1]["image_url"]["url"],
        "data:image/png;base64,iVBORw0KGgo="
    );
}
