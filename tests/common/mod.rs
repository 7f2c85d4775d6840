//! Shared integration-test harness: the real pmcoach server on 127.0.0.1:0 in
//! front of a scripted fake OpenAI-compatible upstream, also on port 0.
#![allow(dead_code, unreachable_pub, unused_imports)]

pub mod fake_upstream;
pub mod seeded;

use std::path::PathBuf;
use std::time::Duration;

use pmcoach::access::{AuthConfig, CustomersField, HttpConfig, KeyEntry, Keys, new_key};
use pmcoach::config::{Config, ModelConfig};
use pmcoach::limits::{Limits, UpstreamLimits};
use pmcoach::pricing::Prices;
use secrecy::SecretString;
use serde_json::Value;
use tokio::net::TcpListener;

pub use fake_upstream::{FakeUpstream, Step, call, text, tool_calls};

/// The API key the tests configure; it must never come back to a client.
pub const TEST_API_KEY: &str = "sk-test-secret-0123456789";

/// The repository's capabilities directory.
pub fn capabilities_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("capabilities")
}

/// A configuration pointing at `upstream` (or at no model when `None`).
pub fn config_for(upstream: Option<&FakeUpstream>) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().expect("address"),
        capabilities_dir: Some(capabilities_dir()),
        builtin_capabilities: true,
        default_capability: "strategic-pm-coach".into(),
        // Empty: TestServer::start gives each server its own temporary workspace.
        workspace_dir: PathBuf::new(),
        model: ModelConfig {
            base_url: upstream.map_or_else(|| "http://127.0.0.1:9/v1".into(), |u| u.base_url()),
            api_key: upstream.map(|_| SecretString::from(TEST_API_KEY)),
            model: upstream.map(|_| "fake-model".to_string()),
            temperature: None,
            max_output_tokens: None,
            timeout: Duration::from_secs(20),
            // Large: tests of history trimming set their own.
            context_window: Some(128_000),
            encoding: None,
            multimodal: false,
        },
        limits: Limits {
            // Retries as in production, but waits of milliseconds, not seconds.
            upstream: UpstreamLimits {
                backoff_min_ms: 1,
                backoff_max_ms: 10,
                ..UpstreamLimits::default()
            },
            ..Limits::default()
        },
        prices: Prices::default(),
        auth: AuthConfig::default(),
        keys: Keys::default(),
        http: HttpConfig::default(),
        today: None,
        output: Default::default(),
    }
}

/// Keys: one for acme, one for globex, one for everyone.
pub struct TestKeys {
    /// `acme-pm`: customer acme only.
    pub acme: String,
    /// `globex-pm`: customer globex only.
    pub globex: String,
    /// `ops`: every customer, not admin.
    pub all: String,
}

/// A configuration for `upstream` with the three [`TestKeys`].
pub fn keyed(upstream: &FakeUpstream) -> (pmcoach::config::Config, TestKeys) {
    let mut entries = Vec::new();
    let mut make = |name: &str, customers: CustomersField| {
        let (key, hash) = new_key().expect("key");
        entries.push(KeyEntry {
            name: name.into(),
            hash,
            customers,
            admin: false,
        });
        key
    };
    let keys = TestKeys {
        acme: make("acme-pm", CustomersField::List(vec!["acme".into()])),
        globex: make("globex-pm", CustomersField::List(vec!["globex".into()])),
        all: make("ops", CustomersField::All("*".into())),
    };
    let mut config = config_for(Some(upstream));
    config.keys = Keys::from_entries(&entries).expect("keys");
    config.auth.keys = entries;
    (config, keys)
}

/// A running pmcoach server.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// A client for it.
    pub client: reqwest::Client,
    /// The application state the server runs on (for fault injection).
    pub state: pmcoach::app::AppState,
    /// The workspace root.
    pub workspace: PathBuf,
    /// Resolves the shutdown future the server runs with (see [`TestServer::shutdown`]).
    stop: std::sync::Arc<tokio::sync::Notify>,
    /// The server's `run`, until [`TestServer::shutdown`] takes it.
    served: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _workspace_dir: Option<tempfile::TempDir>,
}

impl TestServer {
    /// Starts the real server (the library's `run`) with `config`; an empty
    /// `workspace_dir` gets a temporary directory that lives as long as the server.
    pub async fn start(mut config: Config) -> TestServer {
        let temp = config.workspace_dir.as_os_str().is_empty().then(|| {
            let dir = tempfile::tempdir().expect("temp workspace");
            config.workspace_dir = dir.path().to_path_buf();
            dir
        });
        let state = pmcoach::app::build(&config).expect("app builds");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        // Never resolves unless the test calls `shutdown`.
        let stop = std::sync::Arc::new(tokio::sync::Notify::new());
        let signal = std::sync::Arc::clone(&stop);
        let served = tokio::spawn(pmcoach::http::run(listener, state.clone(), async move {
            signal.notified().await;
        }));
        TestServer {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            state,
            workspace: config.workspace_dir.clone(),
            stop,
            served: Some(served),
            _workspace_dir: temp,
        }
    }

    /// Sends the server its shutdown signal (as SIGTERM would); the returned
    /// future resolves with `run`'s result when the server has stopped.
    pub fn shutdown(&mut self) -> impl std::future::Future<Output = std::io::Result<()>> + use<> {
        self.stop.notify_one();
        let served = self.served.take().expect("the server is shut down once");
        async move { served.await.expect("the server task does not panic") }
    }

    /// POSTs JSON and returns status and parsed body.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await
            .expect("request reaches the server");
        read(response).await
    }

    /// GETs a path and returns status and parsed body.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request reaches the server");
        read(response).await
    }
}

/// Status and JSON body; a body that is not JSON fails the test, since every
/// answer of ours is JSON.
pub async fn read(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|err| panic!("status {status}: body is not JSON ({err}): {text:?}"));
    (status, body)
}

/// The system prompt (first message) of a recorded upstream request.
pub fn system_prompt(request: &Value) -> &str {
    let first = &request["messages"][0];
    assert_eq!(
        first["role"], "system",
        "first message is the system prompt"
    );
    first["content"].as_str().expect("system content is text")
}

/// The messages of a recorded upstream request.
pub fn messages(request: &Value) -> &Vec<Value> {
    request["messages"].as_array().expect("messages array")
}

/// The names of the tools offered in a recorded upstream request.
pub fn tool_names(request: &Value) -> Vec<&str> {
    request["tools"]
        .as_array()
        .map(|tools| {
            tools
                .iter()
                .map(|t| t["function"]["name"].as_str().expect("tool name"))
                .collect()
        })
        .unwrap_or_default()
}

/// The contents of the tool-result messages of a recorded upstream request.
pub fn tool_results(request: &Value) -> Vec<String> {
    messages(request)
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["content"].as_str().expect("tool content").to_string())
        .collect()
}

/// One server-sent event: its name (`message` when unnamed) and data.
#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    /// `event:` field, or `message`.
    pub event: String,
    /// `data:` lines joined.
    pub data: String,
}

impl SseEvent {
    /// The data as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|err| {
            panic!(
                "event {} data is not JSON ({err}): {}",
                self.event, self.data
            )
        })
    }
}

/// Reads server-sent events from a response as they arrive.
pub struct SseReader {
    body: std::pin::Pin<Box<dyn futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buffer: String,
}

impl SseReader {
    /// Reads `response`'s body as an event stream (checks the content type).
    pub fn new(response: reqwest::Response) -> Self {
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(
            content_type.starts_with("text/event-stream"),
            "content-type {content_type}"
        );
        Self {
            body: Box::pin(response.bytes_stream()),
            buffer: String::new(),
        }
    }

    /// The next event (comments and keep-alives skipped), or `None` at the end.
    pub async fn next(&mut self) -> Option<SseEvent> {
        use futures::StreamExt;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = String::from("message");
                let mut data = Vec::new();
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("event:") {
                        event = value.trim().to_string();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push(value.strip_prefix(' ').unwrap_or(value).to_string());
                    }
                }
                if data.is_empty() {
                    continue;
                }
                return Some(SseEvent {
                    event,
                    data: data.join("\n"),
                });
            }
            let chunk = self.body.next().await?.expect("body chunk");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Every remaining event.
    pub async fn collect(mut self) -> Vec<SseEvent> {
        let mut events = Vec::new();
        while let Some(event) = self.next().await {
            events.push(event);
        }
        events
    }
}

impl TestServer {
    /// POSTs JSON and returns the raw response (for streaming).
    pub async fn post_raw(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await
            .expect("request reaches the server")
    }
}

/// A fake upstream and a server in front of it: what most tests start with.
pub async fn setup() -> (FakeUpstream, TestServer) {
    let upstream = FakeUpstream::start().await;
    let server = TestServer::start(config_for(Some(&upstream))).await;
    (upstream, server)
}
