//! `pmcoach chat`: the terminal chat, run as a real process against the fake upstream.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use std::process::Stdio;

use common::{FakeUpstream, TEST_API_KEY, messages, text};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

/// The binary with a clean environment: only what the test sets reaches it.
fn pmcoach(cwd: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pmcoach"));
    command
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "error")
        .env("PMCOACH_WORKSPACE", "workspace")
        .arg("--capabilities-dir")
        .arg(common::capabilities_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

#[tokio::test]
async fn chat_answers_each_line_and_keeps_the_conversation() {
    let upstream = FakeUpstream::start().await;
    upstream.push_all([text("Reframe the ask."), text("Then propose a workshop.")]);
    let cwd = tempfile::tempdir().expect("temp dir");

    let mut child = pmcoach(cwd.path())
        .args(["chat", "--customer", "acme"])
        .env("OPENAI_BASE_URL", upstream.base_url())
        .env("OPENAI_API_KEY", TEST_API_KEY)
        .env("PMCOACH_MODEL", "fake-model")
        .spawn()
        .expect("spawn pmcoach chat");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(b"They want PRDs.\n\nWhat next?\n")
        .await
        .expect("write");
    drop(stdin);
    let output = child.wait_with_output().await.expect("wait");

    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(stdout, "Reframe the ask.\n\nThen propose a workshop.\n\n");
    assert!(!stderr.contains(TEST_API_KEY));

    let requests = upstream.requests();
    assert_eq!(requests.len(), 2, "the blank line is skipped");
    let second = messages(&requests[1].body);
    let contents: Vec<&str> = second[1..]
        .iter()
        .map(|m| m["content"].as_str().expect("text"))
        .collect();
    assert_eq!(
        contents,
        ["They want PRDs.", "Reframe the ask.", "What next?"]
    );
    assert!(common::system_prompt(&requests[0].body).contains("## Customer: `acme`"));
    // The conversation was recorded in the workspace under the customer.
    let sessions = cwd.path().join("workspace/customers/acme/sessions");
    let files: Vec<_> = std::fs::read_dir(&sessions)
        .expect("sessions folder")
        .filter_map(Result::ok)
        .collect();
    assert_eq!(files.len(), 1);
    let transcript = std::fs::read_to_string(files[0].path()).expect("transcript");
    assert_eq!(transcript.lines().count(), 3, "header and two turns");
}

#[tokio::test]
async fn chat_without_a_model_says_how_to_configure_one() {
    let cwd = tempfile::tempdir().expect("temp dir");
    let output = pmcoach(cwd.path())
        .arg("chat")
        .output()
        .await
        .expect("run pmcoach chat");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no model is configured"), "{stderr}");
    assert!(stderr.contains("OPENAI_API_KEY"), "{stderr}");
}

#[tokio::test]
async fn a_bad_environment_value_is_named() {
    let cwd = tempfile::tempdir().expect("temp dir");
    let output = pmcoach(cwd.path())
        .arg("chat")
        .env("PMCOACH_TIMEOUT_SECS", "soon")
        .output()
        .await
        .expect("run pmcoach chat");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("PMCOACH_TIMEOUT_SECS"), "{stderr}");
}
