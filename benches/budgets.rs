//! What budgets cost: counting a typical request's tokens once the static
//! parts are counted, and the memory a huge upstream answer takes before it is
//! refused. `cargo bench --bench budgets`.
#![allow(clippy::expect_used, clippy::too_many_lines)] // bench code: a failed expectation is the bench failing

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use common::{SseReader, Step, setup};
use pmcoach::model::Message;
use pmcoach::tokens::{Encoding, TokenCounter};
use serde_json::json;

/// Peak resident memory of this process so far, in MB.
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("proc");
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    kb / 1024.0
}

fn counting() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/evals/fixtures/acme/");
    let info = std::fs::read_to_string(format!("{fixtures}customer-info.md")).expect("info");
    let log = std::fs::read_to_string(format!("{fixtures}event-log.md")).expect("log");
    // A situation about the size of a customer's context in the prompt.
    let situation = format!("Today is 2026-11-30 (Monday).\n\n{info}\n{log}");
    let history: Vec<Message> = (0..6)
        .map(|i| {
            if i % 2 == 0 {
                Message::user(format!(
                    "Turn {i}: how do I move this client from PRDs to strategy?"
                ))
            } else {
                Message::Assistant {
                    content: Some("Start from the decision the PRD serves. ".repeat(30)),
                    tool_calls: Vec::new(),
                }
            }
        })
        .collect();
    let user = Message::user("They want me to run standups now. How do I reframe that?");
    for encoding in [Encoding::O200k, Encoding::Estimate] {
        let counter = TokenCounter::new(encoding);
        // The static parts (stable prompt, tools) are counted once at start-up;
        // the memo then holds what recurs from turn to turn.
        let count = || {
            counter.text_memo(&situation)
                + history
                    .iter()
                    .map(|m| counter.message_memo(m))
                    .sum::<usize>()
                + counter.message(&user)
        };
        let tokens = count();
        let runs = 20_000;
        let started = Instant::now();
        let mut total = 0;
        for _ in 0..runs {
            total += std::hint::black_box(count());
        }
        let per = started.elapsed().as_secs_f64() / f64::from(runs) * 1e6;
        assert_eq!(total, tokens * runs as usize);
        let cold = Instant::now();
        let fresh = TokenCounter::new(encoding);
        let _ = fresh.text(&situation)
            + history.iter().map(|m| fresh.message(m)).sum::<usize>()
            + fresh.message(&user);
        println!(
            "counting a typical request ({encoding}, {tokens} tokens): {per:.1} us warm, {:.0} us cold",
            cold.elapsed().as_secs_f64() * 1e6
        );
    }
}

#[tokio::main]
async fn main() {
    counting();
    let (upstream, server) = setup().await;
    let before = peak_rss_mb();
    for streamed in [false, true] {
        upstream.push(Step::Flood {
            bytes: Some(1 << 30),
        });
        let started = Instant::now();
        let body =
            json!({"capability": "strategic-pm-coach", "message": "Go.", "stream": streamed});
        let code = if streamed {
            let events = SseReader::new(server.post_raw("/v1/chat", &body).await)
                .collect()
                .await;
            events.last().expect("events").json()["error"]["code"].clone()
        } else {
            server.post("/v1/chat", &body).await.1["error"]["code"].clone()
        };
        println!(
            "1 GiB upstream answer ({}): {code} after {:.0} ms; peak RSS {before:.0} MB before, {:.0} MB after",
            if streamed { "streamed" } else { "whole" },
            started.elapsed().as_secs_f64() * 1e3,
            peak_rss_mb()
        );
    }
}
