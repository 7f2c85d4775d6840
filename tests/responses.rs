//! `POST /v1/responses` as orchestrators use it, with async-openai's Responses
//! client over real HTTP: text with and without streaming (and the events in
//! OpenAI's order, read raw), a caller's function round trip both ways,
//! structured output parsed and corrected once, the 400s naming what is not
//! supported, and `previous_response_id` continuing a stored response.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::types::responses::{
    CreateResponse, OutputItem, Response, ResponseStreamEvent, Status,
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

fn request(body: Value) -> CreateResponse {
    serde_json::from_value(body).expect("a Responses request")
}

fn crm_tool() -> Value {
    json!({"type": "function", "name": "get_crm_notes",
           "description": "Notes from the orchestrator's CRM about the client.",
           "parameters": {"type": "object", "properties": {"account": {"type": "string"}},
                          "required": ["account"]}})
}

/// Every event of a stream, in order.
async fn stream_events(
    client: &Client<OpenAIConfig>,
    mut body: CreateResponse,
) -> Vec<ResponseStreamEvent> {
    body.stream = Some(true);
    let mut stream = client
        .responses()
        .create_stream(body)
        .await
        .expect("stream");
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event.expect("event"));
    }
    events
}

fn completed(events: &[ResponseStreamEvent]) -> &Response {
    match events.last() {
        Some(ResponseStreamEvent::ResponseCompleted(done)) => &done.response,
        other => panic!("the stream ends with response.completed, not {other:?}"),
    }
}

#[tokio::test]
async fn text_answers_with_and_without_streaming() {
    let (upstream, _server, client) = setup().await;
    upstream.set_chunk_size(4);
    upstream.push_all([
        text("Ask which decision the PRD should enable."),
        text("Reframe standups as decision reviews."),
    ]);
    let response = client
        .responses()
        .create(request(json!({
            "model": "strategic-pm-coach",
            "instructions": "Answer in one sentence.",
            "input": "My client keeps asking for PRDs. How do I shift toward strategy?",
            "metadata": {"run": "42"}
        })))
        .await
        .expect("response");
    assert_eq!(
        response.output_text().as_deref(),
        Some("Ask which decision the PRD should enable.")
    );
    assert_eq!(response.status, Status::Completed);
    assert_eq!(response.object, "response");
    assert_eq!(response.model, "strategic-pm-coach");
    assert!(response.id.starts_with("resp_"), "{}", response.id);
    assert_eq!(
        response
            .metadata
            .as_ref()
            .and_then(|m| m.get("run"))
            .map(String::as_str),
        Some("42")
    );
    let usage = response.usage.expect("usage");
    assert!(usage.input_tokens > 0 && usage.output_tokens > 0);
    assert_eq!(usage.total_tokens, usage.input_tokens + usage.output_tokens);
    // The instructions reach the model as a system message after pmcoach's own.
    let sent = common::messages(&upstream.requests()[0].body).clone();
    assert_eq!(sent[1]["role"], "system");
    assert_eq!(sent[1]["content"], "Answer in one sentence.");
    assert_eq!(sent.last().expect("user")["role"], "user");

    let events = stream_events(
        &client,
        request(json!({"model": "strategic-pm-coach", "input": "They want me in every standup."})),
    )
    .await;
    let streamed: String = events
        .iter()
        .filter_map(|event| match event {
            ResponseStreamEvent::ResponseOutputTextDelta(delta) => Some(delta.delta.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(streamed, "Reframe standups as decision reviews.");
    assert!(
        events
            .iter()
            .filter(|e| matches!(e, ResponseStreamEvent::ResponseOutputTextDelta(_)))
            .count()
            > 1,
        "the text arrives in several deltas"
    );
    let done = completed(&events);
    assert_eq!(done.status, Status::Completed);
    assert_eq!(
        done.output_text().as_deref(),
        Some("Reframe standups as decision reviews.")
    );
}

/// The `event:` names of a raw stream, each checked against its data's
/// `type` and a `sequence_number` counting from 0.
async fn raw_event_names(server: &TestServer, body: &Value) -> (Vec<String>, Vec<Value>) {
    let events = common::SseReader::new(server.post_raw("/v1/responses", body).await)
        .collect()
        .await;
    let mut names = Vec::new();
    let mut data = Vec::new();
    for (n, event) in events.iter().enumerate() {
        let json = event.json();
        assert_eq!(json["type"], event.event.as_str(), "{json}");
        assert_eq!(json["sequence_number"], n, "{json}");
        names.push(event.event.clone());
        data.push(json);
    }
    (names, data)
}

#[tokio::test]
async fn a_stream_sends_the_events_in_openais_order() {
    let (upstream, server, _client) = setup().await;
    upstream.set_chunk_size(6);
    upstream.push(text("Lead with the decision."));
    let (names, data) = raw_event_names(
        &server,
        &json!({"model": "strategic-pm-coach", "input": "How do I open the QBR?", "stream": true}),
    )
    .await;
    let deltas = names
        .iter()
        .filter(|n| *n == "response.output_text.delta")
        .count();
    assert!(deltas >= 2, "{names:?}");
    let mut expected = vec![
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ];
    expected.extend(std::iter::repeat_n("response.output_text.delta", deltas));
    expected.extend([
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]);
    assert_eq!(names, expected);
    assert_eq!(data[0]["response"]["status"], "in_progress");
    assert_eq!(data[names.len() - 4]["text"], "Lead with the decision.");
    assert_eq!(data[names.len() - 1]["response"]["status"], "completed");

    // A call of the caller's function: its own item, arguments, done.
    upstream.push(tool_calls(vec![call(
        "c1",
        "get_crm_notes",
        r#"{"account":"acme"}"#,
    )]));
    let (names, data) = raw_event_names(
        &server,
        &json!({"model": "strategic-pm-coach", "input": "Check the CRM first.",
                "tools": [crm_tool()], "stream": true}),
    )
    .await;
    assert_eq!(
        names,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.function_call_arguments.delta",
            "response.function_call_arguments.done",
            "response.output_item.done",
            "response.completed",
        ]
    );
    assert_eq!(data[2]["item"]["type"], "function_call");
    assert_eq!(data[4]["arguments"], r#"{"account":"acme"}"#);
    assert_eq!(data[6]["response"]["output"][0]["call_id"], "c1");
}

#[tokio::test]
async fn a_callers_function_round_trip_without_streaming() {
    let (upstream, _server, client) = setup().await;
    upstream.push_all([
        tool_calls(vec![call("t1", "get_crm_notes", r#"{"account":"acme"}"#)]),
        text("Their CRM says renewal is in March: open with the pricing decision."),
    ]);
    let question = json!({"role": "user", "content": "How do I open the renewal talk?"});
    let first = client
        .responses()
        .create(request(
            json!({"model": "strategic-pm-coach", "input": [question],
                               "tools": [crm_tool()], "store": false}),
        ))
        .await
        .expect("response");
    assert_eq!(first.output_text(), None);
    let [OutputItem::FunctionCall(called)] = first.output.as_slice() else {
        panic!("one function_call item: {:?}", first.output);
    };
    assert_eq!(called.name, "get_crm_notes");
    assert_eq!(called.arguments, r#"{"account":"acme"}"#);
    assert_eq!(called.call_id, "t1");
    let requests = upstream.requests();
    let offered = common::tool_names(&requests[0].body);
    assert!(offered.contains(&"get_crm_notes") && offered.contains(&"fill_template"));

    // The caller sends the whole context back, its result last: the turn goes on.
    let call_item = serde_json::to_value(&first.output[0]).expect("item");
    let result = json!({"type": "function_call_output", "call_id": called.call_id,
                        "output": "Renewal: March 1."});
    let second = client
        .responses()
        .create(request(json!({"model": "strategic-pm-coach",
                               "input": [question, call_item, result],
                               "tools": [crm_tool()], "store": false})))
        .await
        .expect("response");
    assert_eq!(
        second.output_text().as_deref(),
        Some("Their CRM says renewal is in March: open with the pricing decision.")
    );
    let sent = common::messages(&upstream.requests()[1].body).clone();
    let last = sent.last().expect("messages");
    assert_eq!(last["role"], "tool");
    assert_eq!(last["tool_call_id"], "t1");
    assert_eq!(last["content"], "Renewal: March 1.");
    assert_eq!(
        sent[sent.len() - 2]["tool_calls"][0]["function"]["name"],
        "get_crm_notes"
    );
}

#[tokio::test]
async fn a_callers_function_round_trip_streaming_continues_the_stored_response() {
    let (upstream, _server, client) = setup().await;
    upstream.set_chunk_size(5);
    upstream.push_all([
        tool_calls(vec![call("t1", "get_crm_notes", r#"{"account":"acme"}"#)]),
        text("Open with the pricing decision."),
    ]);
    let events = stream_events(
        &client,
        request(
            json!({"model": "strategic-pm-coach", "input": "How do I open the renewal talk?",
                       "tools": [crm_tool()]}),
        ),
    )
    .await;
    let done = completed(&events);
    let calls: Vec<_> = events
        .iter()
        .filter_map(|event| match event {
            ResponseStreamEvent::ResponseOutputItemDone(done) => match &done.item {
                OutputItem::FunctionCall(call) => Some(call.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].name, "get_crm_notes");
    assert_eq!(calls[0].arguments, r#"{"account":"acme"}"#);

    // Only the result, after the stored response: the server has the rest.
    let events = stream_events(
        &client,
        request(
            json!({"previous_response_id": done.id, "tools": [crm_tool()],
                       "input": [{"type": "function_call_output", "call_id": calls[0].call_id,
                                  "output": "Renewal: March 1."}]}),
        ),
    )
    .await;
    let second = completed(&events);
    assert_eq!(
        second.output_text().as_deref(),
        Some("Open with the pricing decision.")
    );
    assert_eq!(second.model, "strategic-pm-coach", "the stored capability");
    let sent = common::messages(&upstream.requests()[1].body).clone();
    let roles: Vec<&str> = sent.iter().filter_map(|m| m["role"].as_str()).collect();
    assert_eq!(roles, ["system", "user", "assistant", "tool"]);
    assert_eq!(sent[1]["content"], "How do I open the renewal talk?");
    assert_eq!(sent[3]["content"], "Renewal: March 1.");

    // The stored conversation holds each message once.
    upstream.push(text("Good luck."));
    let third = client
        .responses()
        .create(request(
            json!({"previous_response_id": second.id, "input": "Thanks!"}),
        ))
        .await
        .expect("response");
    assert_eq!(third.output_text().as_deref(), Some("Good luck."));
    let sent = common::messages(&upstream.requests()[2].body).clone();
    let roles: Vec<&str> = sent.iter().filter_map(|m| m["role"].as_str()).collect();
    assert_eq!(
        roles,
        ["system", "user", "assistant", "tool", "assistant", "user"]
    );
    assert_eq!(sent[4]["content"], "Open with the pricing decision.");
}

#[derive(Debug, Deserialize, PartialEq)]
struct Opener {
    opening_line: String,
    decision: String,
}

fn structured() -> Value {
    json!({
        "model": "strategic-pm-coach",
        "input": "Give me the opener as JSON.",
        "text": {"format": {"type": "json_schema", "name": "opener", "strict": true,
            "schema": {"type": "object", "additionalProperties": false,
                       "required": ["opening_line", "decision"],
                       "properties": {"opening_line": {"type": "string"},
                                      "decision": {"type": "string"}}}}}
    })
}

#[tokio::test]
async fn structured_output_parses_and_is_corrected_once() {
    let (upstream, server, client) = setup().await;
    let good = r#"{"opening_line": "What decision should pricing enable?", "decision": "tiers"}"#;
    upstream.push_all([text("Sure! Here is your opener."), text(good)]);
    let response = client
        .responses()
        .create(request(structured()))
        .await
        .expect("response");
    let opener: Opener =
        serde_json::from_str(&response.output_text().expect("text")).expect("the schema's type");
    assert_eq!(opener.decision, "tiers");
    let requests = upstream.requests();
    assert_eq!(requests.len(), 2, "one correction");
    assert_eq!(requests[0].body["response_format"]["type"], "json_schema");
    assert_eq!(
        requests[0].body["response_format"]["json_schema"]["name"],
        "opener"
    );

    upstream.push_all([text("Not JSON."), text(r#"{"opening_line": "x"}"#)]);
    let (status, body) = server.post("/v1/responses", &structured()).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"]["code"], "invalid_structured_output");

    // Streamed, only the checked answer reaches the client.
    upstream.push_all([text("Prose first."), text(good)]);
    let events = stream_events(&client, request(structured())).await;
    let streamed: String = events
        .iter()
        .filter_map(|event| match event {
            ResponseStreamEvent::ResponseOutputTextDelta(delta) => Some(delta.delta.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(streamed, good);
    assert_eq!(completed(&events).output_text().as_deref(), Some(good));
}

#[tokio::test]
async fn what_is_not_supported_or_out_of_range_is_a_400_naming_it() {
    let (upstream, server, client) = setup().await;
    let base = || json!({"model": "strategic-pm-coach", "input": "hi"});
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "tools",
            json!([{"type": "web_search"}]),
            "tools[0].type",
            "unsupported_parameter",
        ),
        (
            "tools",
            json!([crm_tool(), {"type": "file_search", "vector_store_ids": ["vs_1"]}]),
            "tools[1].type",
            "unsupported_parameter",
        ),
        (
            "tools",
            json!([{"type": "mcp", "server_label": "x"}]),
            "tools[0].type",
            "unsupported_parameter",
        ),
        (
            "background",
            json!(true),
            "background",
            "unsupported_parameter",
        ),
        (
            "reasoning",
            json!({"effort": "low"}),
            "reasoning",
            "unsupported_parameter",
        ),
        (
            "include",
            json!(["file_search_call.results"]),
            "include",
            "unsupported_parameter",
        ),
        (
            "truncation",
            json!("disabled"),
            "truncation",
            "unsupported_parameter",
        ),
        (
            "conversation",
            json!("conv_1"),
            "conversation",
            "unsupported_parameter",
        ),
        (
            "top_logprobs",
            json!(3),
            "top_logprobs",
            "unsupported_parameter",
        ),
        ("n", json!(2), "n", "unsupported_parameter"),
        (
            "text",
            json!({"verbosity": "low"}),
            "text.verbosity",
            "unsupported_parameter",
        ),
        (
            "text",
            json!({"format": {"type": "grammar"}}),
            "text.format",
            "unsupported_parameter",
        ),
        ("temperature", json!(3.5), "temperature", "invalid_value"),
        ("top_p", json!(1.5), "top_p", "invalid_value"),
        (
            "max_output_tokens",
            json!(0),
            "max_output_tokens",
            "invalid_value",
        ),
        (
            "tool_choice",
            json!({"type": "function", "name": "nope"}),
            "tool_choice",
            "invalid_value",
        ),
        (
            "tool_choice",
            json!({"type": "web_search_preview"}),
            "tool_choice",
            "unsupported_parameter",
        ),
        (
            "input",
            json!([{"type": "item_reference", "id": "msg_1"}]),
            "input[0].type",
            "unsupported_parameter",
        ),
        (
            "input",
            json!([{"role": "user", "content": [
                {"type": "input_text", "text": "What is on this slide?"},
                {"type": "input_image", "image_url": "https://example.com/slide.png"}]}]),
            "input[0].content",
            "unsupported_parameter",
        ),
    ];
    for (field, value, param, code) in cases {
        let mut body = base();
        body[field] = value;
        let (status, answer) = server.post("/v1/responses", &body).await;
        assert_eq!(status, 400, "{field}: {answer}");
        assert_eq!(answer["error"]["param"], param, "{answer}");
        assert_eq!(answer["error"]["code"], code, "{field}: {answer}");
    }
    // Their neutral values are accepted.
    upstream.push(text("ok"));
    let mut neutral = base();
    for (field, value) in [
        ("background", json!(false)),
        ("include", json!([])),
        ("truncation", json!("auto")),
        ("user", json!("end-user-7")),
    ] {
        neutral[field] = value;
    }
    let (status, answer) = server.post("/v1/responses", &neutral).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        upstream.request_count(),
        1,
        "only the accepted request went upstream"
    );

    // The SDK reports ours as it would OpenAI's.
    let mut body = request(base());
    body.background = Some(true);
    match client.responses().create(body).await {
        Err(OpenAIError::ApiError(err)) => {
            assert_eq!(err.status_code, 400);
            assert_eq!(err.api_error.param.as_deref(), Some("background"));
        }
        other => panic!("a 400, not {other:?}"),
    }
}

#[tokio::test]
async fn previous_response_id_continues_a_stored_response() {
    let (upstream, server, client) = setup().await;
    upstream.push_all([
        text("Ask which decision the PRD should enable."),
        text("Then make standups decision reviews."),
    ]);
    let first = client
        .responses()
        .create(request(json!({"model": "strategic-pm-coach",
                               "instructions": "Answer in one sentence.",
                               "input": "My client keeps asking for PRDs."})))
        .await
        .expect("response");
    let second = client
        .responses()
        .create(request(json!({"previous_response_id": first.id,
                               "input": "And the standups?"})))
        .await
        .expect("response");
    assert_eq!(
        second.output_text().as_deref(),
        Some("Then make standups decision reviews.")
    );
    assert_eq!(
        second.previous_response_id.as_deref(),
        Some(first.id.as_str())
    );
    assert_ne!(second.id, first.id);
    let sent = common::messages(&upstream.requests()[1].body).clone();
    let said: Vec<(&str, &str)> = sent[1..]
        .iter()
        .map(|m| {
            (
                m["role"].as_str().expect("role"),
                m["content"].as_str().expect("text"),
            )
        })
        .collect();
    // The first response's instructions are not carried over.
    assert_eq!(
        said,
        [
            ("user", "My client keeps asking for PRDs."),
            ("assistant", "Ask which decision the PRD should enable."),
            ("user", "And the standups?"),
        ]
    );

    // Only the latest response of a conversation goes on.
    let (status, body) = server
        .post(
            "/v1/responses",
            &json!({"previous_response_id": first.id, "input": "Again?"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["param"], "previous_response_id");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains(&second.id)),
        "{body}"
    );

    // An unknown id, one in another customer's scope, and one never stored: 404.
    upstream.push(text("Not kept."));
    let unstored = client
        .responses()
        .create(request(
            json!({"model": "strategic-pm-coach", "input": "hi", "store": false}),
        ))
        .await
        .expect("response");
    for id in [
        "resp_0123456789abcdef0123456789abcdef_1",
        "resp_nope",
        "chatcmpl-1",
        unstored.id.as_str(),
    ] {
        let (status, body) = server
            .post(
                "/v1/responses",
                &json!({"previous_response_id": id, "input": "hi"}),
            )
            .await;
        assert_eq!(status, 404, "{id}: {body}");
        assert_eq!(body["error"]["param"], "previous_response_id");
        assert_eq!(body["error"]["code"], "previous_response_not_found");
    }
    let elsewhere = server
        .client
        .post(format!("{}/v1/responses", server.base))
        .header("x-pmcoach-customer", "acme")
        .json(&json!({"previous_response_id": second.id, "input": "hi"}))
        .send()
        .await
        .expect("response");
    assert_eq!(elsewhere.status(), 404, "the conversation has no customer");
    assert_eq!(
        upstream.request_count(),
        3,
        "no refused request went upstream"
    );
}

#[tokio::test]
async fn a_stored_response_is_only_for_the_key_and_customer_that_made_it() {
    use pmcoach::access::{CustomersField, KeyEntry, Keys, new_key};
    let upstream = FakeUpstream::start().await;
    upstream.repeat_forever(|_| text("ok"));
    let mut entries = Vec::new();
    let mut make = |name: &str| {
        let (key, hash) = new_key().expect("key");
        entries.push(KeyEntry {
            name: name.into(),
            hash,
            customers: CustomersField::All("*".into()),
            admin: false,
        });
        key
    };
    let (mine, theirs) = (make("orchestrator"), make("someone-else"));
    let mut config = config_for(Some(&upstream));
    config.keys = Keys::from_entries(&entries).expect("keys");
    config.auth.keys = entries;
    let server = TestServer::start(config).await;
    let post = |key: &str, customer: &str, body: Value| {
        server
            .client
            .post(format!("{}/v1/responses", server.base))
            .bearer_auth(key)
            .header("x-pmcoach-customer", customer)
            .json(&body)
            .send()
    };
    let first = post(
        &mine,
        "acme",
        json!({"model": "strategic-pm-coach", "input": "hi"}),
    )
    .await
    .expect("response");
    let (status, first) = common::read(first).await;
    assert_eq!(status, 200, "{first}");
    let next = json!({"previous_response_id": first["id"], "input": "and?"});
    for (key, customer) in [(&theirs, "acme"), (&mine, "globex")] {
        let (status, body) =
            common::read(post(key, customer, next.clone()).await.expect("response")).await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(body["error"]["param"], "previous_response_id");
    }
    let (status, body) = common::read(post(&mine, "acme", next).await.expect("response")).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_failure_before_the_first_event_is_a_status_and_after_it_response_failed() {
    let (upstream, server, _client) = setup().await;
    upstream.push(Step::Error {
        status: 400,
        body: json!({"error": {"message": "bad", "type": "invalid_request_error",
                               "param": null, "code": "context_length_exceeded"}})
        .to_string(),
    });
    let streamed = json!({"model": "strategic-pm-coach", "input": "hi", "stream": true});
    let (status, body) = common::read(server.post_raw("/v1/responses", &streamed).await).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"]["code"], "upstream_error");

    upstream.set_chunk_size(4);
    upstream.push(Step::Truncated {
        step: Box::new(text("Start with the decision the client must make.")),
        events: 4,
    });
    let (names, data) = raw_event_names(&server, &streamed).await;
    assert!(
        names.contains(&"response.output_text.delta".to_string()),
        "{names:?}"
    );
    assert_eq!(names[names.len() - 2..], ["error", "response.failed"]);
    assert_eq!(data[names.len() - 2]["code"], "upstream_error");
    assert_eq!(data[names.len() - 1]["response"]["status"], "failed");
}
