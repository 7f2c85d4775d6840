//! pmcoach as an installed binary: copied alone into an empty folder, with a
//! home of its own and no configuration, it lists its built-in capabilities
//! and templates, prints an example that renders, replays the built-in evals
//! and serves; a capabilities folder that does not exist is named with its
//! absolute path and the flag that set it.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// The built binary, copied into `folder`.
fn installed(folder: &Path) -> PathBuf {
    let to = folder.join("bin").join("pmcoach");
    std::fs::create_dir_all(to.parent().expect("parent")).expect("bin folder");
    std::fs::copy(env!("CARGO_BIN_EXE_pmcoach"), &to).expect("copied");
    to
}

/// The copy, run in `folder` with nothing of the environment but `PATH` and
/// a `HOME` inside `folder`.
fn pmcoach(binary: &Path, folder: &Path) -> Command {
    let mut command = Command::new(binary);
    command
        .current_dir(folder)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", folder.join("home"))
        .stdin(Stdio::null())
        .kill_on_drop(true);
    command
}

/// Retries while the fresh copy is still open for writing in a process that
/// another test's spawn forked at that moment (ETXTBSY); a moment later the
/// copy is free.
async fn retrying<T>(mut attempt: impl AsyncFnMut() -> std::io::Result<T>) -> T {
    for _ in 0..100 {
        match attempt().await {
            Err(err) if err.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            other => return other.expect("runs"),
        }
    }
    panic!("the copied binary stayed busy");
}

async fn run(binary: &Path, folder: &Path, args: &[&str]) -> (Output, String, String) {
    let output = retrying(async || pmcoach(binary, folder).args(args).output().await).await;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, stdout, stderr)
}

#[tokio::test]
async fn the_binary_alone_in_an_empty_folder_lists_renders_and_replays() {
    let folder = tempfile::tempdir().expect("dir");
    let binary = installed(folder.path());
    let dir = folder.path();

    let (output, stdout, stderr) = run(&binary, dir, &["capabilities"]).await;
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains("strategic-pm-coach"), "{stdout}");
    assert!(stdout.contains("from: built in"), "{stdout}");

    let (output, stdout, stderr) = run(&binary, dir, &["templates"]).await;
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains("engagement-value-assessment"), "{stdout}");

    let id = "engagement-value-assessment";
    let (output, stdout, stderr) = run(&binary, dir, &["templates", "show", id]).await;
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains("Fields (* required)"), "{stdout}");

    let (output, example, stderr) = run(&binary, dir, &["templates", "example", id]).await;
    assert!(output.status.success(), "{stderr}");
    std::fs::write(dir.join("fields.json"), &example).expect("written");
    let args = ["render", id, "--fields", "fields.json"];
    let (output, document, stderr) = run(&binary, dir, &args).await;
    assert!(output.status.success(), "{stderr}");
    assert!(document.starts_with('#'), "{document}");

    let (output, stdout, stderr) = run(&binary, dir, &["eval"]).await;
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        !dir.join("workspace").exists(),
        "nothing written in the folder"
    );
}

#[tokio::test]
async fn the_binary_alone_serves_from_the_users_data_folder() {
    let folder = tempfile::tempdir().expect("dir");
    let binary = installed(folder.path());
    let mut child = retrying(async || {
        pmcoach(&binary, folder.path())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
    })
    .await;
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut workspace_line = None;
    let address = tokio::time::timeout(Duration::from_secs(60), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains("pmcoach: workspace ") {
                workspace_line = Some(line.clone());
            }
            if let Some(at) = line.find("listening on http://") {
                let rest = &line[at + "listening on http://".len()..];
                return rest.split_whitespace().next().map(str::to_string);
            }
        }
        None
    })
    .await
    .expect("it starts in time")
    .expect("it says where it listens");
    let workspace_line = workspace_line.expect("it says where its workspace is");
    let home = folder.path().join("home");
    assert!(
        workspace_line.contains(&home.display().to_string()),
        "{workspace_line}"
    );

    let body: serde_json::Value = reqwest::get(format!("http://{address}/v1/capabilities"))
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    let ids: Vec<&str> = body["capabilities"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(ids.len(), 5, "{body}");
    assert!(ids.contains(&"strategic-pm-coach"), "{body}");
    child.kill().await.expect("stopped");
}

#[tokio::test]
async fn a_missing_capabilities_folder_is_named_with_its_absolute_path_and_its_flag() {
    let folder = tempfile::tempdir().expect("dir");
    let binary = installed(folder.path());
    let args = ["--capabilities-dir", "no-such-folder", "capabilities"];
    let (output, _, stderr) = run(&binary, folder.path(), &args).await;
    assert!(!output.status.success());
    let absolute = folder.path().join("no-such-folder");
    assert!(stderr.contains(&absolute.display().to_string()), "{stderr}");
    assert!(stderr.contains("--capabilities-dir"), "{stderr}");
}
