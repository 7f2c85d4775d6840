//! Connections and shutdown through the real server: slow and idle clients
//! are closed, the connection cap holds new ones back, and a shutdown lets
//! turns finish within the grace period, then cancels them and returns
//! within grace + 2 s. Timeouts are configured short; the bounds asserted are
//! the generous ones the issue states, and the measured times are printed.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use std::time::{Duration, Instant};

use common::{FakeUpstream, SseReader, Step, TestServer, config_for, text};
use pmcoach::config::Config;
use pmcoach::limits::ServerLimits;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Timeouts of a second and a grace period of a second.
fn quick() -> ServerLimits {
    ServerLimits {
        header_read_timeout_secs: 1,
        body_timeout_secs: 1,
        idle_timeout_secs: 1,
        max_connections: 1024,
        shutdown_grace_secs: 1,
    }
}

fn with(mut config: Config, server: ServerLimits) -> Config {
    config.limits.server = server;
    config
}

async fn connect(server: &TestServer) -> TcpStream {
    let addr = server.base.trim_start_matches("http://");
    TcpStream::connect(addr).await.expect("connects")
}

/// How long until the server closes `stream` (reading and discarding what it
/// sends), or `None` if it is still open after `limit`.
async fn closed_within(mut stream: TcpStream, limit: Duration) -> Option<Duration> {
    let opened = Instant::now();
    let mut buf = [0u8; 1024];
    tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return opened.elapsed(),
                Ok(_) => {}
            }
        }
    })
    .await
    .ok()
}

/// One HTTP/1.1 response with a `Content-Length` body: status and body.
async fn read_response(stream: &mut (impl AsyncReadExt + Unpin)) -> (u16, String) {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n");
        if let Some(end) = head_end {
            let head = String::from_utf8_lossy(&raw[..end]).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().expect("content-length"));
            if raw.len() >= end + 4 + length {
                let status = head[9..12].parse().expect("status");
                let body = String::from_utf8_lossy(&raw[end + 4..end + 4 + length]).into_owned();
                return (status, body);
            }
        }
        let n = stream.read(&mut buf).await.expect("reads");
        assert!(n > 0, "the connection closed mid-response: {raw:?}");
        raw.extend_from_slice(&buf[..n]);
    }
}

async fn healthz(server: &TestServer) -> u16 {
    let response = reqwest::Client::new()
        .get(format!("{}/healthz", server.base))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("healthz answers");
    response.status().as_u16()
}

/// Waits until the fake upstream has received `count` requests.
async fn upstream_reached(upstream: &FakeUpstream, count: usize) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while upstream.request_count() < count {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the turns reach the upstream");
}

/// A server with `limits` in front of an upstream that answers its first
/// request with `reply` after `delay`.
async fn slow_upstream(
    delay: Duration,
    reply: &str,
    limits: ServerLimits,
) -> (FakeUpstream, TestServer) {
    let upstream = FakeUpstream::start().await;
    upstream.push(Step::Delayed(delay, Box::new(text(reply))));
    let server = TestServer::start(with(config_for(Some(&upstream)), limits)).await;
    (upstream, server)
}

/// A non-streaming chat turn, answered (or not) in the background.
fn chat_in_background(base: &str, message: &str) -> tokio::task::JoinHandle<(u16, Value)> {
    let request = reqwest::Client::new()
        .post(format!("{base}/v1/chat"))
        .json(&json!({"message": message, "capability": "strategic-pm-coach"}));
    tokio::spawn(async move { common::read(request.send().await.expect("answered")).await })
}

/// A connection that has sent a chat request's headers and the first byte
/// of its 100-byte body.
async fn body_begun(server: &TestServer) -> TcpStream {
    let mut stream = connect(server).await;
    stream
        .write_all(b"POST /v1/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        .await
        .expect("writes");
    stream
}

/// Sends a byte of the body every `every`, until the server closes.
fn trickle(
    mut writer: impl AsyncWriteExt + Unpin + Send + 'static,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        for _ in 0..99 {
            tokio::time::sleep(every).await;
            if writer.write_all(b" ").await.is_err() {
                return;
            }
        }
    })
}

fn transcripts(server: &TestServer) -> usize {
    std::fs::read_dir(server.workspace.join("sessions"))
        .map(|dir| dir.count())
        .unwrap_or(0)
}

#[tokio::test]
async fn five_hundred_half_open_connections_close_within_15_s_while_healthz_answers() {
    let limits = ServerLimits {
        header_read_timeout_secs: 3,
        ..quick()
    };
    let server = TestServer::start(with(config_for(None), limits)).await;
    let mut watchers = Vec::new();
    for i in 0..500 {
        let mut stream = connect(&server).await;
        // Half send the start of a request; the others send nothing at all.
        if i % 2 == 0 {
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept:")
                .await
                .expect("writes");
        }
        watchers.push(tokio::spawn(closed_within(stream, Duration::from_secs(15))));
    }
    for _ in 0..3 {
        assert_eq!(
            healthz(&server).await,
            200,
            "healthz answers while they are held"
        );
    }
    let mut longest = Duration::ZERO;
    for watcher in watchers {
        let lived = watcher.await.expect("watcher").expect("closed within 15 s");
        longest = longest.max(lived);
    }
    eprintln!("500 half-open connections (header timeout 3 s): the longest lived {longest:?}");
    assert_eq!(healthz(&server).await, 200);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_but_a_slow_turn_is_not() {
    let limits = ServerLimits {
        header_read_timeout_secs: 30,
        ..quick()
    };
    let (_upstream, server) =
        slow_upstream(Duration::from_millis(1500), "Slow but sure.", limits).await;
    let mut stream = connect(&server).await;
    let body =
        json!({"message": "Take your time.", "capability": "strategic-pm-coach"}).to_string();
    let request = format!(
        "POST /v1/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("writes");
    let (status, body) = read_response(&mut stream).await;
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(body["reply"], "Slow but sure.");

    // Then, kept alive but silent, it is closed after the idle timeout (1 s),
    // long before the header timeout (30 s).
    let idle = closed_within(stream, Duration::from_secs(15))
        .await
        .expect("the idle connection is closed");
    eprintln!("idle keep-alive connection (idle timeout 1 s) closed after {idle:?}");
}

#[tokio::test]
async fn a_body_that_trickles_is_cut_with_408_and_the_connection_closed() {
    let limits = ServerLimits {
        header_read_timeout_secs: 30,
        idle_timeout_secs: 30,
        ..quick()
    };
    let server = TestServer::start(with(config_for(None), limits)).await;
    let (mut reader, writer) = body_begun(&server).await.into_split();
    let started = Instant::now();
    // A byte every 200 ms: each arrives well within any per-read timeout.
    let trickle = trickle(writer, Duration::from_millis(200));
    let (status, body) = read_response(&mut reader).await;
    let cut = started.elapsed();
    assert_eq!(status, 408, "{body}");
    let body: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(body["error"]["code"], "body_timeout");
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), reader.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the connection is closed after the 408");
    eprintln!("trickling body (body timeout 1 s) cut after {cut:?}");
    trickle.abort();
}

#[tokio::test]
async fn past_the_connection_cap_a_new_connection_waits_until_one_closes() {
    let limits = ServerLimits {
        header_read_timeout_secs: 30,
        idle_timeout_secs: 30,
        max_connections: 3,
        ..quick()
    };
    let server = TestServer::start(with(config_for(None), limits)).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut stream = connect(&server).await;
        stream.write_all(b"GET /hea").await.expect("writes");
        held.push(stream);
    }
    let base = server.base.clone();
    let waiting = tokio::spawn(async move {
        reqwest::Client::new()
            .get(format!("{base}/healthz"))
            .send()
            .await
            .map(|response| response.status().as_u16())
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!waiting.is_finished(), "a fourth connection is not served");

    drop(held.pop());
    let status = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("served once a connection closes")
        .expect("task")
        .expect("healthz answers");
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_shutdown_lets_a_turn_in_flight_finish_within_the_grace_period() {
    let limits = ServerLimits {
        shutdown_grace_secs: 5,
        ..quick()
    };
    let (upstream, mut server) =
        slow_upstream(Duration::from_secs(1), "Finished in time.", limits).await;
    let turn = chat_in_background(&server.base, "One more thing.");
    upstream_reached(&upstream, 1).await;

    let started = Instant::now();
    let stopped = server.shutdown();
    let (status, body) = turn.await.expect("task");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reply"], "Finished in time.");
    tokio::time::timeout(Duration::from_secs(5 + 2), stopped)
        .await
        .expect("returns within grace + 2 s")
        .expect("run ends without error");
    eprintln!(
        "shutdown with a 1 s turn in flight (grace 5 s) took {:?}",
        started.elapsed()
    );
    assert_eq!(transcripts(&server), 1, "the finished turn is recorded");
    let addr = server.base.trim_start_matches("http://");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no longer accepting"
    );
}

#[tokio::test]
async fn a_turn_longer_than_the_grace_period_is_cancelled_and_the_server_returns_in_time() {
    let limits = ServerLimits {
        header_read_timeout_secs: 30,
        body_timeout_secs: 30,
        ..quick()
    };
    let (upstream, mut server) = slow_upstream(Duration::from_secs(40), "Too late.", limits).await;
    let turn = chat_in_background(&server.base, "Think hard.");
    upstream_reached(&upstream, 1).await;
    // And a client sending its body a byte a second, under the body timeout.
    let trickle = trickle(body_begun(&server).await, Duration::from_secs(1));
    // And one that never finishes its headers, under the header timeout: no
    // answer can close it, so the server drops it.
    let mut half = connect(&server).await;
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost:")
        .await
        .expect("writes");
    // (Once the server has read those bytes; before, the connection counts
    // as fresh and the shutdown closes it at once.)
    tokio::time::sleep(Duration::from_millis(200)).await;

    let started = Instant::now();
    let stopped = server.shutdown();
    tokio::time::timeout(Duration::from_secs(1 + 2), stopped)
        .await
        .expect("returns within grace + 2 s")
        .expect("run ends without error");
    eprintln!(
        "shutdown with a 40 s turn, a slow body and half a header (grace 1 s) took {:?}",
        started.elapsed()
    );
    assert!(
        closed_within(half, Duration::from_secs(1)).await.is_some(),
        "the half-sent request's connection is closed"
    );
    let (status, body) = turn.await.expect("task");
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "shutting_down");
    assert_eq!(transcripts(&server), 0, "a cancelled turn writes nothing");
    trickle.abort();
}

#[tokio::test]
async fn open_streams_end_with_shutting_down_on_both_endpoints() {
    let upstream = FakeUpstream::start().await;
    let mut server = TestServer::start(with(config_for(Some(&upstream)), quick())).await;
    // The answers start at once, then stall: both streams are open when the
    // server stops (a stream that has not started yet gets a plain 503).
    upstream.repeat_forever(|_| Step::Stalled {
        step: Box::new(text("It begins, and then it never ends.")),
        events: 3,
    });
    let chat = server
        .post_raw(
            "/v1/chat",
            &json!({"message": "Stream it.", "capability": "strategic-pm-coach", "stream": true}),
        )
        .await;
    let mut chat = SseReader::new(chat);
    let completions = server
        .post_raw(
            "/v1/chat/completions",
            &json!({"model": "strategic-pm-coach", "stream": true,
                    "messages": [{"role": "user", "content": "Stream it too."}]}),
        )
        .await;
    let mut completions = SseReader::new(completions);
    assert_eq!(chat.next().await.expect("first event").event, "capability");
    assert_eq!(chat.next().await.expect("first text").event, "delta");
    let role = completions.next().await.expect("first chunk").json();
    assert_eq!(role["choices"][0]["delta"]["role"], "assistant");
    let text = completions.next().await.expect("first text").json();
    assert!(text["choices"][0]["delta"]["content"].is_string(), "{text}");
    upstream_reached(&upstream, 2).await;

    let started = Instant::now();
    let stopped = server.shutdown();
    let (chat_events, chunks) = tokio::join!(chat.collect(), completions.collect());
    tokio::time::timeout(Duration::from_secs(1 + 2), stopped)
        .await
        .expect("returns within grace + 2 s")
        .expect("run ends without error");
    eprintln!(
        "shutdown with two open streams (grace 1 s) took {:?}",
        started.elapsed()
    );

    let last = chat_events.last().expect("an event after the shutdown");
    assert_eq!(last.event, "error");
    assert_eq!(last.json()["error"]["code"], "shutting_down");
    assert!(last.json()["error"]["message"].is_string());
    let last = chunks.last().expect("a chunk after the shutdown");
    let error = &last.json()["error"];
    assert_eq!(error["code"], "shutting_down");
    assert_eq!(error["type"], "service_unavailable");
    assert!(!chunks.iter().any(|c| c.data == "[DONE]"));
}

/// The binary, as `serve` runs in production, stopped with SIGTERM.
#[cfg(unix)]
#[tokio::test]
async fn sigterm_with_a_40_s_turn_in_flight_exits_within_grace_plus_2_s() {
    use tokio::io::AsyncBufReadExt;

    let upstream = FakeUpstream::start().await;
    upstream.push(Step::Delayed(
        Duration::from_secs(40),
        Box::new(text("Too late.")),
    ));
    let cwd = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        cwd.path().join("pmcoach.toml"),
        "[limits.server]\nshutdown_grace_secs = 1\n",
    )
    .expect("config file");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_pmcoach"))
        .current_dir(cwd.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "info")
        .env("OPENAI_BASE_URL", upstream.base_url())
        .env("OPENAI_API_KEY", common::TEST_API_KEY)
        .env("PMCOACH_MODEL", "fake-model")
        .env("PMCOACH_WORKSPACE", "workspace")
        .arg("--capabilities-dir")
        .arg(common::capabilities_dir())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn pmcoach serve");
    let mut lines = tokio::io::BufReader::new(child.stderr.take().expect("stderr")).lines();
    let base = loop {
        let line = lines
            .next_line()
            .await
            .expect("stderr")
            .expect("the server logs its address");
        if let Some(at) = line.find("listening on http://") {
            let addr: String = line[at + "listening on http://".len()..]
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                .collect();
            break format!("http://{addr}");
        }
    };
    let log = tokio::spawn(async move {
        let mut log = String::new();
        while let Ok(Some(line)) = lines.next_line().await {
            log.push_str(&line);
            log.push('\n');
        }
        log
    });
    let turn = chat_in_background(&base, "Think hard.");
    upstream_reached(&upstream, 1).await;

    let started = Instant::now();
    let pid = child.id().expect("running").to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("kill runs");
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(1 + 2), child.wait())
        .await
        .expect("exits within grace + 2 s")
        .expect("wait");
    eprintln!(
        "SIGTERM with a 40 s turn in flight (grace 1 s): exited after {:?}",
        started.elapsed()
    );
    let log = log.await.expect("log");
    assert!(status.success(), "{status}: {log}");
    let (status, body) = turn.await.expect("task");
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "shutting_down");
    assert!(log.contains("grace period over"), "{log}");
}
