//! What pmcoach keeps in memory between turns (issue 16) never hides a change
//! on disk that it used to see: a customer's documents edited by hand reach the
//! next turn's prompt.
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
