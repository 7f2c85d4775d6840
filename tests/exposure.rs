//! The server as a process: it refuses a public address without keys, and at
//! `RUST_LOG=trace` no key, upstream body or customer document reaches its log.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{FakeUpstream, Step, TEST_API_KEY, text};
use pmcoach::access::new_key;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

fn pmcoach(workspace: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pmcoach"));
    command
        .current_dir(workspace)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("PMCOACH_WORKSPACE", workspace)
        .arg("--capabilities-dir")
        .arg(common::capabilities_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Collects the child's stderr lines; returns them and the address it
/// announced it listens on.
async fn listening(child: &mut Child) -> (Arc<Mutex<Vec<String>>>, String) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let (found, address) = tokio::sync::oneshot::channel();
    let mut found = Some(found);
    let mut reader = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let collected = Arc::clone(&lines);
    tokio::spawn(async move {
        while let Ok(Some(line)) = reader.next_line().await {
            if let Some(at) = line.find("listening on http://") {
                let addr = line[at + "listening on http://".len()..]
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                if let Some(found) = found.take() {
                    let _ = found.send(addr);
                }
            }
            collected.lock().expect("lines").push(line);
        }
    });
    let addr = tokio::time::timeout(Duration::from_secs(60), address)
        .await
        .expect("the server starts")
        .expect("an address");
    (lines, addr)
}

#[tokio::test]
async fn a_public_address_without_keys_is_refused() {
    let workspace = tempfile::tempdir().expect("dir");
    let output = pmcoach(workspace.path())
        .args(["serve", "--listen", "0.0.0.0:0"])
        .output()
        .await
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refusing to listen on 0.0.0.0:0 without API keys"),
        "{stderr}"
    );
    assert!(stderr.contains("--allow-unauthenticated"), "{stderr}");

    let mut allowed = pmcoach(workspace.path())
        .args(["serve", "--listen", "0.0.0.0:0", "--allow-unauthenticated"])
        .spawn()
        .expect("spawns");
    let (_, addr) = listening(&mut allowed).await;
    assert!(addr.starts_with("0.0.0.0:"), "{addr}");
}

#[tokio::test]
async fn no_secret_reaches_the_log_at_trace_level() {
    const DOC_SECRET: &str = "DOC-SECRET-7f3a";
    const BODY_SECRET: &str = "UPSTREAM-BODY-SECRET-91c2";
    let upstream = FakeUpstream::start().await;
    upstream.push_all([
        Step::Error {
            status: 401,
            body: json!({"error": {"message": format!("Incorrect API key provided: {TEST_API_KEY}. {BODY_SECRET}"),
                                   "type": "invalid_request_error", "code": "invalid_api_key"}})
            .to_string(),
        },
        text("Start from the decision the PRD serves."),
    ]);
    let workspace = tempfile::tempdir().expect("dir");
    let customer = workspace.path().join("customers/acme");
    std::fs::create_dir_all(&customer).expect("dir");
    std::fs::write(
        customer.join("customer-info.md"),
        format!("# Customer Info: acme\n\n## Engagement\n\n- **Rate**: {DOC_SECRET}\n"),
    )
    .expect("info");
    let (key, hash) = new_key().expect("key");
    let config = workspace.path().join("pmcoach.toml");
    std::fs::write(
        &config,
        format!("[[auth.keys]]\nname = \"pm\"\nhash = \"{hash}\"\ncustomers = [\"acme\"]\n"),
    )
    .expect("config");
    let mut server = pmcoach(workspace.path())
        .env("RUST_LOG", "trace")
        .env("OPENAI_BASE_URL", upstream.base_url())
        .env("OPENAI_API_KEY", TEST_API_KEY)
        .env("PMCOACH_MODEL", "fake-model")
        .arg("--config")
        .arg(&config)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .spawn()
        .expect("spawns");
    let (lines, addr) = listening(&mut server).await;

    let client = reqwest::Client::new();
    let chat = |bearer: &str| {
        client
            .post(format!("http://{addr}/v1/chat"))
            .bearer_auth(bearer)
            .json(&json!({"message": "PRDs again?", "customer": "acme", "capability": "strategic-pm-coach"}))
            .send()
    };
    assert_eq!(chat(&key).await.expect("response").status(), 502);
    assert_eq!(chat(&key).await.expect("response").status(), 200);
    assert_eq!(chat("pmk_wrong-key").await.expect("response").status(), 401);
    let info = client
        .get(format!("http://{addr}/v1/customers/acme"))
        .bearer_auth(&key)
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .expect("response");
    assert_eq!(info.status(), 200);
    assert!(info.text().await.expect("body").contains(DOC_SECRET));
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.kill().await.expect("stops");

    let log = lines.lock().expect("lines").join("\n");
    assert!(log.lines().count() > 10, "a trace log was written:\n{log}");
    for secret in [
        key.as_str(),
        TEST_API_KEY,
        BODY_SECRET,
        DOC_SECRET,
        &hash[7..],
    ] {
        assert!(!log.contains(secret), "{secret:?} is in the log:\n{log}");
    }
    assert!(
        log.contains("request_id=trace-me-42"),
        "request ids are logged:\n{log}"
    );
    assert!(
        log.contains("invalid_api_key"),
        "the upstream's code is logged, its body not"
    );
}
