//! pmcoach's own cost per turn, against a zero-latency fake upstream on
//! loopback, in the same run as the fake alone and a thin axum + reqwest
//! relay in front of it (`relay.rs`): `cargo bench --bench turns`.
//!
//! The server runs as a child process (`pmcoach serve`), so the CPU per turn
//! is the server's own (from `/proc/<pid>/stat`), never the load generator's
//! or the fake's, which share this process. It prints a table and appends it
//! to BENCHMARKS.md with the date and the machine (`PMCOACH_BENCH_LABEL`
//! names the run; `PMCOACH_BENCH_APPEND=0` only prints).
//! `PMCOACH_BENCH_BIN` runs another pmcoach binary (a build of main, say).
//! `PMCOACH_BENCH_SECONDS` (default 3) is how long each 64-connection run
//! lasts, `PMCOACH_BENCH_IDLE` (default 10000) how many idle sessions the
//! memory figure is taken with. `PMCOACH_BENCH_ONLY=<text>` runs only the
//! rows whose name contains it (the direct and relay rows always run; the cost
//! by session length only with `lengths`), for profiling.
#![allow(
    clippy::expect_used,
    clippy::too_many_lines,
    missing_docs,
    unreachable_pub
)] // bench code

mod fake;
mod load;
mod relay;
mod report;
mod server;

use std::sync::Arc;
use std::time::Duration;

use load::{Kind, Target, concurrent, sequential};
use report::{Report, Row};

const CONNECTIONS: usize = 64;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const fn chat(customer: bool, continuing: bool, consult: bool, streamed: bool) -> Kind {
    Kind::Chat {
        customer,
        continuing,
        consult,
        streamed,
    }
}

/// The rows, each with the direct row it is compared to.
fn scenarios() -> Vec<(&'static str, Kind)> {
    vec![
        ("direct (fake alone)", Kind::Direct { streamed: false }),
        (
            "thin relay (axum + reqwest)",
            Kind::Relay { streamed: false },
        ),
        ("plain, /v1/chat/completions", Kind::OpenAi),
        (
            "/v1/chat, no customer, new session",
            chat(false, false, false, false),
        ),
        (
            "/v1/chat, customer, new session",
            chat(true, false, false, false),
        ),
        (
            "/v1/chat, customer, continuing",
            chat(true, true, false, false),
        ),
        (
            "consult (three calls), customer",
            chat(true, false, true, false),
        ),
        ("direct, streamed", Kind::Direct { streamed: true }),
        ("thin relay, streamed", Kind::Relay { streamed: true }),
        (
            "streamed /v1/chat, customer",
            chat(true, false, false, true),
        ),
    ]
}

#[tokio::main]
async fn main() {
    // Started again as the thin relay (see `server::Server::relay`).
    if let Ok(upstream) = std::env::var("PMCOACH_BENCH_RELAY") {
        let listen = std::env::var("PMCOACH_BENCH_RELAY_LISTEN").expect("where to listen");
        relay::run(upstream, listen).await;
        return;
    }
    let seconds = Duration::from_secs(env_number("PMCOACH_BENCH_SECONDS", 3));
    let idle = env_number("PMCOACH_BENCH_IDLE", 10_000) as usize;
    let load_before = report::load_average();
    let upstream = fake::Fake::start().await;
    let server = server::Server::start(&upstream.base_url()).await;
    let relay = server::Server::relay(&upstream.base_url()).await;
    let base_rss = server.rss_mb();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS * 2)
        .tcp_nodelay(true)
        .build()
        .expect("client");
    let mut target = Target {
        client,
        server: server.base.clone(),
        upstream: upstream.base_url(),
        relay: relay.base.clone(),
        direct_plain: bytes::Bytes::new(),
        direct_streamed: bytes::Bytes::new(),
    };
    // One turn of each, so the direct runs send what pmcoach sends.
    target.turn(Kind::OpenAi, &mut None).await;
    target.turn(chat(true, false, false, true), &mut None).await;
    target.direct_plain = upstream.plain_request().expect("a plain request");
    target.direct_streamed = upstream.streamed_request().expect("a streamed request");
    let target = Arc::new(target);

    let mut report = Report::new(base_rss);
    let mut sessions = 2;
    let only = std::env::var("PMCOACH_BENCH_ONLY").unwrap_or_default();
    let chosen = scenarios().into_iter().filter(|(name, kind)| {
        matches!(kind, Kind::Direct { .. } | Kind::Relay { .. }) || name.contains(&only)
    });
    for (name, kind) in chosen {
        let turns = if matches!(kind, Kind::Chat { consult: true, .. }) {
            100
        } else {
            300
        };
        // The CPU column is the process that serves the row: the relay's, or pmcoach's.
        let serving = if matches!(kind, Kind::Relay { .. }) {
            &relay
        } else {
            &server
        };
        let cpu = serving.cpu();
        let one = sequential(&target, kind, 20, turns).await;
        let cpu_one = serving.cpu() - cpu;
        let cpu = serving.cpu();
        let (many, elapsed) = concurrent(&target, kind, CONNECTIONS, seconds).await;
        let cpu_many = serving.cpu() - cpu;
        if let Kind::Chat { continuing, .. } = kind {
            sessions += if continuing {
                1 + CONNECTIONS
            } else {
                turns + 20 + many.len()
            };
        }
        let direct = matches!(kind, Kind::Direct { .. });
        report.push(Row::new(
            name,
            kind,
            &one,
            cpu_one,
            turns + 20,
            &many,
            elapsed,
            cpu_many,
            direct,
        ));
        eprintln!("{}", report.rows.last().expect("row").line(&report.rows));
    }

    if only.is_empty() || only == "lengths" {
        report.lengths = lengths(&target, &server).await;
    }
    if idle > sessions {
        let kind = chat(false, false, false, false);
        let per = (idle - sessions).div_ceil(CONNECTIONS);
        let workers: Vec<_> = (0..CONNECTIONS)
            .map(|_| {
                let target = Arc::clone(&target);
                tokio::spawn(async move {
                    for _ in 0..per {
                        target.turn(kind, &mut None).await;
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.await.expect("worker");
        }
        sessions += per * CONNECTIONS;
    }
    report.sessions = sessions;
    report.end_rss = server.rss_mb();
    report.load = (load_before, report::load_average());
    let text = report.render();
    println!("{text}");
    if std::env::var("PMCOACH_BENCH_APPEND").as_deref() != Ok("0") {
        report::append(&text);
    }
}

/// Cost by session length: 32 sessions, 200 turns each, CPU per turn and p50
/// over each stretch of 25 turns.
async fn lengths(
    target: &Arc<Target>,
    server: &server::Server,
) -> Vec<(usize, Duration, Duration)> {
    const SESSIONS: usize = 32;
    const STRETCH: usize = 25;
    let kind = chat(true, true, false, false);
    let mut ids: Vec<Option<String>> = vec![None; SESSIONS];
    let mut out = Vec::new();
    for stretch in 0..200 / STRETCH {
        let cpu = server.cpu();
        let workers: Vec<_> = ids
            .drain(..)
            .map(|mut id| {
                let target = Arc::clone(target);
                tokio::spawn(async move {
                    let mut times = Vec::new();
                    for _ in 0..STRETCH {
                        times.push(target.turn(kind, &mut id).await.done);
                    }
                    (id, times)
                })
            })
            .collect();
        let mut times = Vec::new();
        for worker in workers {
            let (id, t) = worker.await.expect("worker");
            ids.push(id);
            times.extend(t);
        }
        let per = (server.cpu() - cpu) / (SESSIONS * STRETCH) as u32;
        out.push((
            (stretch + 1) * STRETCH,
            per,
            load::quantile(&mut times, 0.5),
        ));
    }
    out
}
