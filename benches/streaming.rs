//! Streaming latency through the real server on loopback: time to the first
//! text delta and to `done` for a 23-chunk answer from a local fake upstream,
//! and the same turn without streaming. `cargo bench --bench streaming`.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{FakeUpstream, SseReader, TestServer, config_for, text};
use serde_json::json;

const RUNS: usize = 200;
const WARMUP: usize = 20;

fn percentiles(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    format!(
        "p50 {:>6.2} ms  p90 {:>6.2} ms  max {:>6.2} ms",
        at(0.5).as_secs_f64() * 1e3,
        at(0.9).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3
    )
}

#[tokio::main]
async fn main() {
    let upstream = FakeUpstream::start().await;
    upstream.set_chunk_size(8);
    let answer = "x".repeat(8 * 23);
    upstream.repeat_forever(move |_| text(&answer));
    let server = TestServer::start(config_for(Some(&upstream))).await;
    let body = json!({"capability": "strategic-pm-coach", "message": "hi", "stream": true});

    let mut first_delta = Vec::new();
    let mut done = Vec::new();
    for run in 0..WARMUP + RUNS {
        let started = Instant::now();
        let mut reader = SseReader::new(server.post_raw("/v1/chat", &body).await);
        let mut first = None;
        while let Some(event) = reader.next().await {
            if event.event == "delta" && first.is_none() {
                first = Some(started.elapsed());
            }
            if event.event == "done" {
                break;
            }
        }
        if run >= WARMUP {
            first_delta.push(first.expect("a delta arrived"));
            done.push(started.elapsed());
        }
    }

    let plain = json!({"capability": "strategic-pm-coach", "message": "hi"});
    let mut whole = Vec::new();
    for run in 0..WARMUP + RUNS {
        let started = Instant::now();
        let (status, _) = server.post("/v1/chat", &plain).await;
        assert_eq!(status, 200);
        if run >= WARMUP {
            whole.push(started.elapsed());
        }
    }

    println!("{RUNS} turns each, 23-chunk answer, loopback, fake upstream");
    println!("streamed, first delta: {}", percentiles(first_delta));
    println!("streamed, done:        {}", percentiles(done));
    println!("not streamed:          {}", percentiles(whole));
}
