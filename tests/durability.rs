//! Appends under concurrency (issue 16): turns answered at the same time are
//! each on disk when answered, whether they share a file (the OpenAI route's
//! usage.jsonl) or each have their own (new sessions), and a restarted server
//! continues a session from its file.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use common::{TestServer, config_for, setup, text};
use serde_json::{Value, json};

const TURNS: usize = 24;

fn lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("{}: {err}", path.display()))
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_turns_are_each_on_disk_once_answered() {
    let (upstream, server) = setup().await;
    upstream.repeat_forever(|n| text(&format!("answer {n}")));
    let server = std::sync::Arc::new(server);
    let chats: Vec<_> = (0..TURNS)
        .map(|n| {
            let server = std::sync::Arc::clone(&server);
            tokio::spawn(async move {
                let body =
                    json!({"capability": "strategic-pm-coach", "message": format!("turn {n}")});
                server.post("/v1/chat", &body).await
            })
        })
        .collect();
    let completions: Vec<_> = (0..TURNS)
        .map(|n| {
            let server = std::sync::Arc::clone(&server);
            tokio::spawn(async move {
                let body = json!({"model": "strategic-pm-coach",
                                  "messages": [{"role": "user", "content": format!("call {n}")}]});
                server.post("/v1/chat/completions", &body).await
            })
        })
        .collect();
    for chat in chats {
        let (status, body) = chat.await.expect("joins");
        assert_eq!(status, 200, "{body}");
        // Answered, so on disk: the session's header and its one turn.
        let id = body["session_id"].as_str().expect("session id");
        let file = lines(&server.workspace.join(format!("sessions/{id}.jsonl")));
        assert_eq!(file.len(), 2, "{file:?}");
        assert_eq!(file[0]["type"], "session");
        assert_eq!(file[0]["session_id"], id);
        assert_eq!(file[1]["type"], "turn");
    }
    for completion in completions {
        let (status, body) = completion.await.expect("joins");
        assert_eq!(status, 200, "{body}");
    }
    // Every unstored turn has its line in the one shared file, none torn.
    let usage = lines(&server.workspace.join("usage.jsonl"));
    assert_eq!(usage.len(), TURNS);
    assert!(usage.iter().all(|line| line["type"] == "turn"));
    assert!(server.state.workspace.append_syncs() <= 2 * TURNS);
}

#[tokio::test]
async fn a_restarted_server_continues_a_session_from_its_file() {
    let dir = tempfile::tempdir().expect("workspace");
    let upstream = common::FakeUpstream::start().await;
    upstream.repeat_forever(|n| text(&format!("answer {n}")));
    let mut config = config_for(Some(&upstream));
    config.workspace_dir = dir.path().to_path_buf();
    let mut first = TestServer::start(config.clone()).await;
    let body = json!({"capability": "strategic-pm-coach", "message": "remember the llama", "customer": "acme"});
    let (status, answer) = first.post("/v1/chat", &body).await;
    assert_eq!(status, 200, "{answer}");
    let session = answer["session_id"].as_str().expect("id").to_string();
    first.shutdown().await.expect("stops");

    let second = TestServer::start(config).await;
    let body = json!({"capability": "strategic-pm-coach", "message": "what did I say?",
                      "customer": "acme", "session_id": session});
    let (status, answer) = second.post("/v1/chat", &body).await;
    assert_eq!(status, 200, "{answer}");
    let sent = upstream.requests().last().expect("a request").body.clone();
    let said: Vec<&str> = common::messages(&sent)
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert!(said.contains(&"remember the llama"), "{said:?}");
    assert!(said.contains(&"answer 0"), "{said:?}");
}
