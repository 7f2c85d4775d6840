//! What pmcoach keeps in memory between turns (issue 16) never hides a change
//! on disk that it used to see: a customer's documents edited by hand reach the
//! next turn's prompt, and files removed by hand are made again.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use common::{setup, system_prompt, text};
use serde_json::json;

#[tokio::test]
async fn a_hand_edit_of_a_customers_documents_reaches_the_next_turn() {
    let (upstream, server) = setup().await;
    upstream.repeat_forever(|n| text(&format!("answer {n}")));
    let body = json!({"capability": "strategic-pm-coach", "message": "hi", "customer": "acme"});
    for _ in 0..2 {
        let (status, answer) = server.post("/v1/chat", &body).await;
        assert_eq!(status, 200, "{answer}");
    }
    let requests = upstream.requests();
    let prompt = |i: usize| system_prompt(&requests[i].body).to_string();
    assert_eq!(prompt(0), prompt(1), "nothing changed, the same context");

    let info = server.workspace.join("customers/acme/customer-info.md");
    let before = std::fs::read_to_string(&info).expect("info");
    let edited = before.replace(
        "**Engagement Scope**: ",
        "**Engagement Scope**: llama grooming",
    );
    assert_ne!(before, edited, "the template has the field");
    std::fs::write(&info, edited).expect("hand edit");
    let (status, answer) = server.post("/v1/chat", &body).await;
    assert_eq!(status, 200, "{answer}");
    let last = upstream.requests().last().expect("a request").body.clone();
    assert!(
        system_prompt(&last).contains("llama grooming"),
        "the edit is in the next turn's context"
    );

    // An edit of the same length, as an editor saving in place might make.
    let now = std::fs::read_to_string(&info).expect("info");
    std::fs::write(&info, now.replace("llama grooming", "alpaca combing")).expect("hand edit");
    let (status, _) = server.post("/v1/chat", &body).await;
    assert_eq!(status, 200);
    let last = upstream.requests().last().expect("a request").body.clone();
    assert!(system_prompt(&last).contains("alpaca combing"));
}

#[tokio::test]
async fn a_customer_file_removed_by_hand_is_made_again_by_the_next_turn() {
    let (upstream, server) = setup().await;
    upstream.repeat_forever(|n| text(&format!("answer {n}")));
    let body = json!({"capability": "strategic-pm-coach", "message": "hi", "customer": "acme"});
    let (status, answer) = server.post("/v1/chat", &body).await;
    assert_eq!(status, 200, "{answer}");
    let dir = server.workspace.join("customers/acme");
    let ideas = dir.join("ideas.md");
    let made = std::fs::read_to_string(&ideas).expect("the first turn made ideas.md");

    // The folder was checked once in this process; a file gone since is still noticed.
    std::fs::remove_file(&ideas).expect("removed by hand");
    std::fs::remove_dir_all(dir.join("artifacts")).expect("removed by hand");
    let (status, answer) = server.post("/v1/chat", &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(std::fs::read_to_string(&ideas).expect("made again"), made);
    assert!(
        dir.join("artifacts").is_dir(),
        "the artifacts folder made again"
    );

    // A file replaced by a link is refused, as on the first check, not read through.
    #[cfg(unix)]
    {
        let outside = server.workspace.join("outside.md");
        std::fs::write(&outside, "not acme's").expect("outside file");
        std::fs::remove_file(&ideas).expect("removed");
        std::os::unix::fs::symlink(&outside, &ideas).expect("link");
        let (status, answer) = server.post("/v1/chat", &body).await;
        assert_eq!(status, 500, "a linked file is refused: {answer}");
        assert_eq!(answer["error"]["code"], "storage_error", "{answer}");
        assert_eq!(
            std::fs::read_to_string(&outside).expect("outside file"),
            "not acme's",
            "nothing written through the link"
        );
    }
}
