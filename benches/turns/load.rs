//! The load: what one turn of each kind sends and when it counts as answered,
//! run by one connection for a number of turns or by many for a while.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{Value, json};

use super::fake::CONSULT_MARKER;

/// One kind of turn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// The fake upstream alone, sent the request pmcoach sends it.
    Direct { streamed: bool },
    /// The same request through the thin relay (`relay.rs`).
    Relay { streamed: bool },
    /// `/v1/chat/completions`, no customer, not stored.
    OpenAi,
    /// `/v1/chat`.
    Chat {
        customer: bool,
        continuing: bool,
        consult: bool,
        streamed: bool,
    },
}

impl Kind {
    /// Whether the answer is streamed.
    pub fn streamed(self) -> bool {
        matches!(
            self,
            Kind::Direct { streamed: true }
                | Kind::Relay { streamed: true }
                | Kind::Chat { streamed: true, .. }
        )
    }
}

/// Where the turns go and what direct (and relayed) turns send.
pub struct Target {
    pub client: reqwest::Client,
    pub server: String,
    pub upstream: String,
    pub relay: String,
    pub direct_plain: Bytes,
    pub direct_streamed: Bytes,
}

/// One answered turn: to the end, and to the first text when streamed.
#[derive(Clone, Copy)]
pub struct Sample {
    pub done: Duration,
    pub first: Option<Duration>,
}

impl Target {
    /// Runs one turn of `kind`; `session` is the connection's session, kept
    /// between its turns when continuing.
    pub async fn turn(&self, kind: Kind, session: &mut Option<String>) -> Sample {
        let (url, body) = self.request(kind, session);
        let started = Instant::now();
        let response = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request sent");
        assert!(
            response.status().is_success(),
            "{kind:?}: {}",
            response.status()
        );
        if kind.streamed() {
            return read_stream(response, started, kind).await;
        }
        let bytes = response.bytes().await.expect("body");
        let done = started.elapsed();
        if let Kind::Chat {
            continuing: true, ..
        } = kind
        {
            let value: Value = serde_json::from_slice(&bytes).expect("json");
            *session = value["session_id"].as_str().map(str::to_string);
        }
        Sample { done, first: None }
    }

    fn request(&self, kind: Kind, session: &Option<String>) -> (String, Bytes) {
        match kind {
            Kind::Direct { streamed } | Kind::Relay { streamed } => (
                match kind {
                    Kind::Relay { .. } => format!("{}/chat/completions", self.relay),
                    _ => format!("{}/chat/completions", self.upstream),
                },
                if streamed {
                    self.direct_streamed.clone()
                } else {
                    self.direct_plain.clone()
                },
            ),
            Kind::OpenAi => (
                format!("{}/v1/chat/completions", self.server),
                Bytes::from(
                    json!({"model": "strategic-pm-coach",
                           "messages": [{"role": "user", "content": "How do I move this client from PRDs to strategy?"}]})
                    .to_string(),
                ),
            ),
            Kind::Chat {
                customer,
                consult,
                streamed,
                ..
            } => {
                let message = if consult {
                    format!("Help me shape the roadmap conversation. {CONSULT_MARKER}")
                } else {
                    "How do I move this client from PRDs to strategy?".to_string()
                };
                let mut body = json!({"capability": "strategic-pm-coach", "message": message});
                if customer {
                    body["customer"] = json!("acme");
                }
                if streamed {
                    body["stream"] = json!(true);
                }
                if let Some(id) = session {
                    body["session_id"] = json!(id);
                }
                (format!("{}/v1/chat", self.server), Bytes::from(body.to_string()))
            }
        }
    }
}

/// Reads a streamed answer to its end, noting when the first text came:
/// pmcoach's first `delta` event, or the upstream's first non-empty content
/// (directly or through the relay).
async fn read_stream(mut response: reqwest::Response, started: Instant, kind: Kind) -> Sample {
    let marker: &[u8] = if matches!(kind, Kind::Direct { .. } | Kind::Relay { .. }) {
        b"\"content\":\"S"
    } else {
        b"event: delta"
    };
    let mut first = None;
    let mut tail: Vec<u8> = Vec::new();
    while let Some(chunk) = response.chunk().await.expect("chunk") {
        if first.is_none() {
            tail.extend_from_slice(&chunk);
            if tail.windows(marker.len()).any(|w| w == marker) {
                first = Some(started.elapsed());
            }
        }
    }
    Sample {
        done: started.elapsed(),
        first: Some(first.expect("streamed text arrived")),
    }
}

/// `turns` turns one after another on one connection (after `warmup`).
pub async fn sequential(target: &Target, kind: Kind, warmup: usize, turns: usize) -> Vec<Sample> {
    let mut session = None;
    for _ in 0..warmup {
        target.turn(kind, &mut session).await;
    }
    let mut samples = Vec::with_capacity(turns);
    for _ in 0..turns {
        samples.push(target.turn(kind, &mut session).await);
    }
    samples
}

/// `connections` connections, each turn after turn, for `duration`.
pub async fn concurrent(
    target: &Arc<Target>,
    kind: Kind,
    connections: usize,
    duration: Duration,
) -> (Vec<Sample>, Duration) {
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let target = Arc::clone(target);
            tokio::spawn(async move {
                let mut session = None;
                let mut samples = Vec::new();
                while Instant::now() < deadline {
                    samples.push(target.turn(kind, &mut session).await);
                }
                samples
            })
        })
        .collect();
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.expect("worker"));
    }
    (all, started.elapsed())
}

/// The `q` quantile of `values`.
pub fn quantile(values: &mut [Duration], q: f64) -> Duration {
    values.sort();
    values[((values.len() - 1) as f64 * q).round() as usize]
}
