//! A fake OpenAI-compatible chat completions server for integration tests.
//!
//! [`FakeUpstream::start`] binds `127.0.0.1:0` and serves, over real HTTP:
//!
//! * `POST /v1/chat/completions`: records the request, then answers with the
//!   next scripted [`Step`] (FIFO), or with the [`FakeUpstream::repeat_forever`]
//!   factory once the script is empty, or with an OpenAI-shaped 500 error
//!   ("script exhausted") when there is neither. Requests with
//!   `"stream": true` get a `text/event-stream` reply in OpenAI's exact chunk
//!   format, one SSE event per body frame.
//! * `GET /v1/models`: a one-model list (`fake-model`).
//!
//! Any other route answers 404 with an OpenAI-shaped error body.
//!
//! Usage figures are deterministic: `prompt_tokens` is the byte length of the
//! serialized request `messages` array / 4 + 1, `completion_tokens` is the byte
//! length of the reply content plus all tool-call arguments / 4 + 1.
#![allow(dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// One scripted reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Assistant message with text content, finish_reason "stop".
    Text(String),
    /// Assistant message with tool calls (content null), finish_reason "tool_calls".
    ToolCalls(Vec<ScriptedCall>),
    /// Non-200 response with this status and raw body (sent as-is;
    /// content-type application/json if it parses as JSON, else text/plain).
    /// The same reply is sent whether or not the request asked to stream.
    /// A status that is not a valid HTTP status code is sent as 500.
    Error {
        /// HTTP status code.
        status: u16,
        /// Raw response body.
        body: String,
    },
    /// Wait, then reply with the inner step.
    Delayed(Duration, Box<Step>),
    /// When streaming: only the first `events` SSE events of the inner step, then
    /// the body ends (no finish_reason, no `[DONE]`), as a dropped connection
    /// would. Not streaming: the inner step.
    Truncated {
        /// The reply to cut.
        step: Box<Step>,
        /// How many SSE events get through.
        events: usize,
    },
    /// When streaming: the first `events` SSE events of the inner step, then
    /// nothing, the connection held open, as a stalled upstream would. Not
    /// streaming: the inner step.
    Stalled {
        /// The reply to stall.
        step: Box<Step>,
        /// How many SSE events get through.
        events: usize,
    },
    /// 200 with this exact JSON body (non-streaming) — escape hatch. Sent as
    /// `application/json` even when the request asked to stream.
    Raw(Value),
    /// The inner step's response with these headers added (e.g. `retry-after`).
    WithHeaders {
        /// Header names and values.
        headers: Vec<(&'static str, String)>,
        /// The reply.
        step: Box<Step>,
    },
    /// 200 whose body is an answer that never closes its content string: about
    /// `bytes` bytes in 64 KiB frames (or without end, for `None`), as JSON or,
    /// when the request streams, as one SSE event that never ends.
    Flood {
        /// How much to send; `None` never stops.
        bytes: Option<usize>,
    },
}

/// One scripted tool call of a [`Step::ToolCalls`] reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptedCall {
    /// Tool call id, e.g. `"call_1"`.
    pub id: String,
    /// Function name.
    pub name: String,
    /// Function arguments, a JSON document as a string (sent verbatim, even if invalid).
    pub arguments: String,
}

/// Builds a [`ScriptedCall`].
pub fn call(id: &str, name: &str, arguments: &str) -> ScriptedCall {
    ScriptedCall {
        id: id.to_owned(),
        name: name.to_owned(),
        arguments: arguments.to_owned(),
    }
}

/// Builds a [`Step::Text`].
pub fn text(s: &str) -> Step {
    Step::Text(s.to_owned())
}

/// Builds a [`Step::ToolCalls`].
pub fn tool_calls(calls: Vec<ScriptedCall>) -> Step {
    Step::ToolCalls(calls)
}

/// A request the fake received.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// The parsed JSON body. A body that was not valid JSON (answered 400) is
    /// recorded as a JSON string holding the raw body, lossily decoded as UTF-8.
    pub body: Value,
    /// The `Authorization` header, if present and valid UTF-8 / visible ASCII.
    pub authorization: Option<String>,
    /// The request path, e.g. `"/v1/chat/completions"` (no query string).
    pub path: String,
}

type StepFactory = Arc<dyn Fn(usize) -> Step + Send + Sync + 'static>;

const DEFAULT_CHUNK_SIZE: usize = 8;

struct Inner {
    script: VecDeque<Step>,
    factory: Option<StepFactory>,
    chunk_size: usize,
    chunk_delay: Duration,
    streams_finished: Arc<std::sync::atomic::AtomicUsize>,
    requests: Vec<Recorded>,
}

/// A scripted fake OpenAI chat completions server. Cheap to clone; all clones
/// share one server, script and request log.
#[derive(Clone)]
pub struct FakeUpstream {
    addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl fmt::Debug for FakeUpstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeUpstream")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl FakeUpstream {
    /// Binds `127.0.0.1:0` and spawns the server on the current tokio runtime.
    ///
    /// Panics if the port cannot be bound.
    pub async fn start() -> FakeUpstream {
        let inner = Arc::new(Mutex::new(Inner {
            script: VecDeque::new(),
            factory: None,
            chunk_size: DEFAULT_CHUNK_SIZE,
            chunk_delay: Duration::ZERO,
            streams_finished: Arc::default(),
            requests: Vec::new(),
        }));
        let app = Router::new()
            .route("/v1/chat/completions", post(chat_completions))
            .route("/v1/models", get(models))
            .fallback(not_found)
            .layer(DefaultBodyLimit::disable())
            .with_state(Arc::clone(&inner));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("fake upstream: bind 127.0.0.1:0");
        let addr = listener
            .local_addr()
            .expect("fake upstream: local_addr of bound listener");
        tokio::spawn(async move {
            // The server runs until the runtime shuts down; an I/O error
            // here only means the test is over.
            // Like a real API server, flush small SSE writes at once (Nagle off).
            let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
                let _ = tcp.set_nodelay(true);
            });
            let _ = axum::serve(listener, app).await;
        });
        FakeUpstream { addr, inner }
    }

    /// The OpenAI base URL of this fake: `"http://127.0.0.1:PORT/v1"`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Appends one step to the FIFO script.
    pub fn push(&self, step: Step) {
        self.lock().script.push_back(step);
    }

    /// Appends several steps to the FIFO script, in order.
    pub fn push_all(&self, steps: impl IntoIterator<Item = Step>) {
        self.lock().script.extend(steps);
    }

    /// Sets the factory used whenever the script queue is empty (replacing
    /// any earlier one). Its argument is the request number: the 0-based
    /// index of the request among all chat completion requests received so
    /// far (including those answered from the queue). It is called without
    /// any lock held, so it may use this `FakeUpstream`.
    pub fn repeat_forever(&self, step_factory: impl Fn(usize) -> Step + Send + Sync + 'static) {
        self.lock().factory = Some(Arc::new(step_factory));
    }

    /// Streaming: wait this long between SSE events (default none).
    pub fn set_chunk_delay(&self, delay: Duration) {
        self.lock().chunk_delay = delay;
    }

    /// Streamed bodies of this fake that have sent their last event.
    pub fn streams_finished(&self) -> usize {
        self.lock()
            .streams_finished
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Streaming: the maximum number of chars of content / tool-call
    /// arguments per SSE chunk (default 8; values below 1 are taken as 1).
    pub fn set_chunk_size(&self, n: usize) {
        self.lock().chunk_size = n.max(1);
    }

    /// All `POST /v1/chat/completions` requests received, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// The number of `POST /v1/chat/completions` requests received.
    pub fn request_count(&self) -> usize {
        self.lock().requests.len()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        lock(&self.inner)
    }
}

fn lock(inner: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    inner.lock().unwrap_or_else(|e| e.into_inner())
}

/// What to answer after recording a request.
enum Next {
    /// The body was not JSON: answer 400.
    BadRequest,
    /// The next step from the script queue.
    Step(Step),
    /// The script queue is empty: call the `repeat_forever` factory.
    Factory(StepFactory),
    /// Neither a queued step nor a factory: answer 500.
    Exhausted,
}

async fn chat_completions(
    State(inner): State<Arc<Mutex<Inner>>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let path = uri.path().to_owned();
    let parsed = serde_json::from_slice::<Value>(&body);

    // Record, and take the next step, under one lock so that request numbers
    // and script order agree even for concurrent requests.
    let (request_number, chunk_size, chunk_delay, finished, next) = {
        let mut guard = lock(&inner);
        let recorded_body = match &parsed {
            Ok(v) => v.clone(),
            Err(_) => Value::String(String::from_utf8_lossy(&body).into_owned()),
        };
        guard.requests.push(Recorded {
            body: recorded_body,
            authorization,
            path,
        });
        let request_number = guard.requests.len() - 1;
        let next = if parsed.is_err() {
            Next::BadRequest
        } else if let Some(step) = guard.script.pop_front() {
            Next::Step(step)
        } else if let Some(factory) = &guard.factory {
            Next::Factory(Arc::clone(factory))
        } else {
            Next::Exhausted
        };
        (
            request_number,
            guard.chunk_size,
            guard.chunk_delay,
            Arc::clone(&guard.streams_finished),
            next,
        )
    };
    let mut limit: Option<usize> = None;
    let mut stall = false;

    let request = match parsed {
        Ok(v) => v,
        Err(e) => {
            return openai_error(
                StatusCode::BAD_REQUEST,
                &format!("fake upstream: request body is not valid JSON: {e}"),
                "invalid_request_error",
            );
        }
    };

    let mut step = match next {
        Next::BadRequest | Next::Exhausted => {
            return openai_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "fake upstream: script exhausted",
                "server_error",
            );
        }
        Next::Step(step) => step,
        Next::Factory(factory) => factory(request_number),
    };

    loop {
        match step {
            Step::Delayed(delay, inner_step) => {
                tokio::time::sleep(delay).await;
                step = *inner_step;
            }
            Step::Truncated {
                step: inner_step,
                events,
            } => {
                limit = Some(events);
                step = *inner_step;
            }
            Step::Stalled {
                step: inner_step,
                events,
            } => {
                limit = Some(events);
                stall = true;
                step = *inner_step;
            }
            Step::Error { status, body } => return error_response(status, body),
            Step::WithHeaders {
                headers,
                step: inner_step,
            } => {
                let mut response = Box::pin(respond_boxed(
                    Arc::clone(&inner),
                    request.clone(),
                    request_number,
                    *inner_step,
                ))
                .await;
                for (name, value) in headers {
                    if let Ok(value) = HeaderValue::from_str(&value) {
                        response.headers_mut().insert(name, value);
                    }
                }
                return response;
            }
            Step::Flood { bytes } => {
                let streaming = request.get("stream") == Some(&Value::Bool(true));
                return flood_response(bytes, streaming);
            }
            Step::Raw(value) => return json_response(StatusCode::OK, &value),
            Step::Text(content) => {
                let reply = Reply {
                    content: Some(content),
                    calls: Vec::new(),
                    finish_reason: "stop",
                };
                let stream = StreamOptions {
                    chunk_size,
                    delay: chunk_delay,
                    limit,
                    stall,
                    finished: Arc::clone(&finished),
                };
                return reply.respond(&request, request_number, stream);
            }
            Step::ToolCalls(calls) => {
                let reply = Reply {
                    content: None,
                    calls,
                    finish_reason: "tool_calls",
                };
                let stream = StreamOptions {
                    chunk_size,
                    delay: chunk_delay,
                    limit,
                    stall,
                    finished: Arc::clone(&finished),
                };
                return reply.respond(&request, request_number, stream);
            }
        }
    }
}

/// Answers `step` as if it were the next scripted one (for wrappers).
async fn respond_boxed(
    inner: Arc<Mutex<Inner>>,
    request: Value,
    request_number: usize,
    step: Step,
) -> Response {
    let (chunk_size, delay, finished) = {
        let guard = lock(&inner);
        (
            guard.chunk_size,
            guard.chunk_delay,
            Arc::clone(&guard.streams_finished),
        )
    };
    match step {
        Step::Error { status, body } => error_response(status, body),
        Step::Raw(value) => json_response(StatusCode::OK, &value),
        Step::Text(content) => Reply {
            content: Some(content),
            calls: Vec::new(),
            finish_reason: "stop",
        }
        .respond(
            &request,
            request_number,
            StreamOptions {
                chunk_size,
                delay,
                limit: None,
                stall: false,
                finished,
            },
        ),
        other => error_response(500, format!("fake upstream: cannot wrap {other:?}")),
    }
}

/// A 200 answer whose content never closes: `bytes` of it, or endless.
fn flood_response(bytes: Option<usize>, streaming: bool) -> Response {
    const FRAME: usize = 64 * 1024;
    let head = if streaming {
        r#"data: {"id":"x","object":"chat.completion.chunk","created":0,"model":"m","choices":[{"index":0,"delta":{"content":""#
    } else {
        r#"{"id":"x","object":"chat.completion","created":0,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":""#
    };
    let frames = bytes.map(|n| n / FRAME + 1);
    let stream = futures::stream::unfold(0usize, move |sent| async move {
        if frames.is_some_and(|frames| sent >= frames) {
            return None;
        }
        let frame = if sent == 0 {
            Bytes::from(head)
        } else {
            Bytes::from(vec![b'a'; FRAME])
        };
        tokio::task::yield_now().await;
        Some((Ok::<Bytes, Infallible>(frame), sent + 1))
    });
    let content_type = if streaming {
        "text/event-stream"
    } else {
        "application/json"
    };
    let mut response = Response::new(Body::from_stream(stream));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// How a streamed reply is sent.
struct StreamOptions {
    chunk_size: usize,
    delay: Duration,
    limit: Option<usize>,
    /// Hold the connection open after the events instead of ending it.
    stall: bool,
    finished: Arc<std::sync::atomic::AtomicUsize>,
}

/// A successful assistant reply, ready to be rendered.
struct Reply {
    content: Option<String>,
    calls: Vec<ScriptedCall>,
    finish_reason: &'static str,
}

impl Reply {
    fn respond(self, request: &Value, request_number: usize, stream: StreamOptions) -> Response {
        let id = format!("chatcmpl-fake-{request_number}");
        let created = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let model = match request.get("model") {
            Some(Value::String(m)) => m.clone(),
            _ => "fake-model".to_owned(),
        };
        let usage = self.usage(request);
        let streaming = request.get("stream") == Some(&Value::Bool(true));
        if streaming {
            let include_usage = request
                .get("stream_options")
                .and_then(|o| o.get("include_usage"))
                == Some(&Value::Bool(true));
            let mut events = self.sse_events(
                &id,
                created,
                &model,
                usage,
                include_usage,
                stream.chunk_size,
            );
            if let Some(limit) = stream.limit {
                events.truncate(limit);
            }
            sse_response(events, stream.delay, stream.stall, stream.finished)
        } else {
            json_response(
                StatusCode::OK,
                &self.completion(&id, created, &model, usage),
            )
        }
    }

    fn usage(&self, request: &Value) -> Value {
        let messages = request.get("messages").unwrap_or(&Value::Null);
        let messages_len = serde_json::to_string(messages)
            .map(|s| s.len())
            .unwrap_or(0);
        let prompt = messages_len / 4 + 1;
        let completion_len = self.content.as_deref().map(str::len).unwrap_or(0)
            + self.calls.iter().map(|c| c.arguments.len()).sum::<usize>();
        let completion = completion_len / 4 + 1;
        json!({
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        })
    }

    fn completion(&self, id: &str, created: u64, model: &str, usage: Value) -> Value {
        let mut message = json!({
            "role": "assistant",
            "content": self.content,
            "refusal": null,
        });
        if !self.calls.is_empty() {
            let calls: Vec<Value> = self
                .calls
                .iter()
                .map(|c| {
                    json!({
                        "id": c.id,
                        "type": "function",
                        "function": { "name": c.name, "arguments": c.arguments },
                    })
                })
                .collect();
            message["tool_calls"] = Value::Array(calls);
        }
        json!({
            "id": id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [{
                "index": 0,
                "message": message,
                "logprobs": null,
                "finish_reason": self.finish_reason,
            }],
            "usage": usage,
            "system_fingerprint": null,
        })
    }

    /// The full SSE body, one string per event (each `data: ...\n\n`).
    fn sse_events(
        &self,
        id: &str,
        created: u64,
        model: &str,
        usage: Value,
        include_usage: bool,
        chunk_size: usize,
    ) -> Vec<String> {
        let chunk = |delta: Value, finish_reason: Value| -> String {
            let mut obj = json!({
                "id": id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": null,
                "choices": [{
                    "index": 0,
                    "delta": delta,
                    "logprobs": null,
                    "finish_reason": finish_reason,
                }],
            });
            if include_usage {
                obj["usage"] = Value::Null;
            }
            sse_event(&obj)
        };

        let mut events = vec![chunk(
            json!({"role": "assistant", "content": ""}),
            Value::Null,
        )];

        if let Some(content) = &self.content {
            for piece in split_chars(content, chunk_size) {
                events.push(chunk(json!({ "content": piece }), Value::Null));
            }
        }

        for (i, c) in self.calls.iter().enumerate() {
            events.push(chunk(
                json!({ "tool_calls": [{
                    "index": i,
                    "id": c.id,
                    "type": "function",
                    "function": { "name": c.name, "arguments": "" },
                }] }),
                Value::Null,
            ));
        }
        // Argument pieces, interleaved round-robin across calls.
        let pieces: Vec<Vec<&str>> = self
            .calls
            .iter()
            .map(|c| split_chars(&c.arguments, chunk_size))
            .collect();
        let rounds = pieces.iter().map(Vec::len).max().unwrap_or(0);
        for round in 0..rounds {
            for (i, call_pieces) in pieces.iter().enumerate() {
                if let Some(piece) = call_pieces.get(round) {
                    events.push(chunk(
                        json!({ "tool_calls": [{
                            "index": i,
                            "function": { "arguments": piece },
                        }] }),
                        Value::Null,
                    ));
                }
            }
        }

        events.push(chunk(json!({}), Value::from(self.finish_reason)));

        if include_usage {
            events.push(sse_event(&json!({
                "id": id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": null,
                "choices": [],
                "usage": usage,
            })));
        }

        events.push("data: [DONE]\n\n".to_owned());
        events
    }
}

/// Splits `s` into pieces of at most `max_chars` chars, on char boundaries.
/// An empty string gives no pieces.
fn split_chars(s: &str, max_chars: usize) -> Vec<&str> {
    let max_chars = max_chars.max(1);
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut count = 0;
    for (idx, _) in s.char_indices() {
        if count == max_chars {
            pieces.push(&s[start..idx]);
            start = idx;
            count = 0;
        }
        count += 1;
    }
    if start < s.len() {
        pieces.push(&s[start..]);
    }
    pieces
}

fn sse_event(value: &Value) -> String {
    format!("data: {value}\n\n")
}

/// Streams `events` as separate body frames, yielding to the runtime between
/// them so each is flushed on its own.
fn sse_response(
    events: Vec<String>,
    delay: Duration,
    stall: bool,
    finished: Arc<std::sync::atomic::AtomicUsize>,
) -> Response {
    let stream =
        futures::stream::unfold((VecDeque::from(events), true), move |(mut queue, first)| {
            let finished = Arc::clone(&finished);
            async move {
                let Some(event) = queue.pop_front() else {
                    if stall {
                        std::future::pending::<()>().await;
                    }
                    return None;
                };
                if !first {
                    if delay.is_zero() {
                        tokio::task::yield_now().await;
                    } else {
                        tokio::time::sleep(delay).await;
                    }
                }
                if queue.is_empty() {
                    finished.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                Some((Ok::<Bytes, Infallible>(Bytes::from(event)), (queue, false)))
            }
        });
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        value.to_string(),
    )
        .into_response()
}

fn error_response(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = if serde_json::from_str::<Value>(&body).is_ok() {
        "application/json"
    } else {
        "text/plain; charset=utf-8"
    };
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}

fn openai_error(status: StatusCode, message: &str, kind: &str) -> Response {
    json_response(
        status,
        &json!({
            "error": {
                "message": message,
                "type": kind,
                "param": null,
                "code": null,
            }
        }),
    )
}

async fn models() -> Response {
    json_response(
        StatusCode::OK,
        &json!({
            "object": "list",
            "data": [{
                "id": "fake-model",
                "object": "model",
                "created": 0,
                "owned_by": "fake",
            }],
        }),
    )
}

async fn not_found(uri: Uri) -> Response {
    openai_error(
        StatusCode::NOT_FOUND,
        &format!("fake upstream: no route for {}", uri.path()),
        "invalid_request_error",
    )
}
