//! A zero-latency OpenAI-compatible upstream for the turns bench: it reads no
//! more of a request than it must (a few substring checks on the raw body) and
//! answers from pre-built bytes, so what it costs is close to the floor of any
//! server on this machine. It keeps the first plain and the first streamed
//! request pmcoach sent, so the bench can send the same bytes to it directly.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;

/// A user message containing this makes the coach's first call a consult.
pub const CONSULT_MARKER: &str = "BENCH-CONSULT";

/// The answer's text: 23 chunks of 8 characters when streamed.
const ANSWER: &str = "Start from the decision the roadmap serves, then frame the ask as an outcome. Start from the decision the roadmap serves, then frame the ask as an outcome. Frame it!!";

#[derive(Default)]
struct Kept {
    plain: Option<Bytes>,
    streamed: Option<Bytes>,
}

/// The running fake.
#[derive(Clone)]
pub struct Fake {
    pub addr: SocketAddr,
    kept: Arc<Mutex<Kept>>,
}

impl Fake {
    /// Binds 127.0.0.1:0 and serves on the current runtime.
    pub async fn start() -> Fake {
        let kept = Arc::new(Mutex::new(Kept::default()));
        let app = Router::new()
            .route("/v1/chat/completions", post(completions))
            .with_state(Arc::clone(&kept));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
                let _ = tcp.set_nodelay(true);
            });
            let _ = axum::serve(listener, app).await;
        });
        Fake { addr, kept }
    }

    /// `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The first plain (not streamed) request pmcoach sent, if any.
    pub fn plain_request(&self) -> Option<Bytes> {
        self.kept.lock().expect("lock").plain.clone()
    }

    /// The first streamed request pmcoach sent, if any.
    pub fn streamed_request(&self) -> Option<Bytes> {
        self.kept.lock().expect("lock").streamed.clone()
    }
}

async fn completions(State(kept): State<Arc<Mutex<Kept>>>, body: Bytes) -> Response {
    let Ok(text) = std::str::from_utf8(&body) else {
        return (StatusCode::BAD_REQUEST, "not UTF-8").into_response();
    };
    let streamed = text.contains("\"stream\":true");
    let consults = text.contains(CONSULT_MARKER)
        && !text.contains("is consulting you")
        && !text.contains("\"role\":\"tool\"");
    if !text.contains(CONSULT_MARKER) {
        let mut kept = kept.lock().expect("lock");
        let slot = if streamed {
            &mut kept.streamed
        } else {
            &mut kept.plain
        };
        if slot.is_none() {
            *slot = Some(body.clone());
        }
    }
    match (consults, streamed) {
        (false, false) => json(PLAIN.clone()),
        (false, true) => sse(),
        (true, _) => json(CONSULT.clone()),
    }
}

static PLAIN: LazyLock<Bytes> = LazyLock::new(|| Bytes::from(plain_answer()));
static CONSULT: LazyLock<Bytes> = LazyLock::new(|| Bytes::from(consult_call()));
static EVENTS: LazyLock<Vec<Bytes>> = LazyLock::new(sse_events);

fn json(body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn completion(message: serde_json::Value, finish: &str) -> String {
    json!({
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 0,
        "model": "fake-model",
        "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 40, "total_tokens": 1040},
    })
    .to_string()
}

fn plain_answer() -> String {
    completion(
        json!({"role": "assistant", "content": ANSWER, "refusal": null}),
        "stop",
    )
}

fn consult_call() -> String {
    let arguments =
        r#"{"question":"Which market should they lead with?","context":"B2B SaaS, two segments"}"#;
    completion(
        json!({"role": "assistant", "content": null, "refusal": null, "tool_calls": [{
            "id": "call_1", "type": "function",
            "function": {"name": "consult_strategy_architect", "arguments": arguments},
        }]}),
        "tool_calls",
    )
}

/// The streamed answer: a role chunk, 23 content chunks, the finish, the
/// usage and `[DONE]`.
fn sse_events() -> Vec<Bytes> {
    let chunk = |delta: serde_json::Value, finish: serde_json::Value| {
        let event = json!({
            "id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 0,
            "model": "fake-model",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        });
        Bytes::from(format!("data: {event}\n\n"))
    };
    let mut events = vec![chunk(
        json!({"role": "assistant", "content": ""}),
        serde_json::Value::Null,
    )];
    let chars: Vec<char> = ANSWER.chars().collect();
    for piece in chars.chunks(8) {
        let piece: String = piece.iter().collect();
        events.push(chunk(json!({"content": piece}), serde_json::Value::Null));
    }
    events.push(chunk(json!({}), json!("stop")));
    let usage = json!({"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 0,
        "model": "fake-model", "choices": [],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 40, "total_tokens": 1040}});
    events.push(Bytes::from(format!("data: {usage}\n\n")));
    events.push(Bytes::from_static(b"data: [DONE]\n\n"));
    events
}

/// [`EVENTS`], each its own body frame.
fn sse() -> Response {
    let stream = futures::stream::iter(EVENTS.iter().cloned().map(Ok::<Bytes, Infallible>));
    let mut response = Response::new(Body::from_stream(stream));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    response
}
