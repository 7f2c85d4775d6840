//! Engagement memory through the real server: coaching is not client work,
//! the ratio's coverage, action items kept in both files, reminders in the API
//! and the prompt, Notes and the family's files.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use std::path::{Path, PathBuf};

use common::{FakeUpstream, TestServer, call, config_for, system_prompt, text, tool_calls};
use serde_json::{Value, json};

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("evals/fixtures/acme")
        .join(name);
    std::fs::read_to_string(&path).expect("fixture")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// A server on 2026-12-01 whose workspace holds acme (the eval fixture, with a
/// renewal on 2027-01-05: five weeks out).
async fn acme_server(upstream: &FakeUpstream) -> (TestServer, PathBuf, tempfile::TempDir) {
    let root = tempfile::tempdir().expect("workspace");
    let dir = root.path().join("customers/acme");
    std::fs::create_dir_all(&dir).expect("folder");
    let info = fixture("customer-info.md").replace(
        "- **Rate**: $150/hour, billed monthly\n",
        "- **Rate**: $150/hour, billed monthly\n- **Renewal Date**: 2027-01-05\n",
    );
    std::fs::write(dir.join("customer-info.md"), info).expect("info");
    std::fs::write(dir.join("event-log.md"), fixture("event-log.md")).expect("log");
    let mut config = config_for(Some(upstream));
    config.workspace_dir = root.path().to_path_buf();
    config.today = Some(jiff::civil::date(2026, 12, 1));
    (TestServer::start(config).await, dir, root)
}

async fn chat(server: &TestServer, message: &str) -> Value {
    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": message, "customer": "acme"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn log_event(id: &str, pm_report: Option<&str>) -> common::fake_upstream::ScriptedCall {
    let mut args = json!({
        "event_type": "Decision", "title": "Reframe the PRD request",
        "work_category": "Strategic", "hours": 0.5,
        "what_happened": "Decided to answer the CEO with the decisions the PRDs must enable."
    });
    if let Some(report) = pm_report {
        args["pm_report"] = json!(report);
    }
    call(id, "log_event", &args.to_string())
}

#[tokio::test]
async fn a_coaching_conversation_leaves_the_ratio_unchanged() {
    let upstream = FakeUpstream::start().await;
    let (server, dir, _root) = acme_server(&upstream).await;
    let (_, before) = server.get("/v1/customers/acme/engagement").await;
    let log_before = read(&dir.join("event-log.md"));
    // The model tries to log the conversation itself: without a report, then
    // with words the PM never said.
    upstream.push_all([
        tool_calls(vec![
            log_event("c1", None),
            log_event("c2", Some("I reframed the PRD request")),
        ]),
        text("Ask what decisions the PRDs must enable."),
    ]);
    chat(
        &server,
        "The CEO wants PRDs for every feature. Should I just do it?",
    )
    .await;

    let results = common::tool_results(&upstream.requests()[1].body);
    assert!(results[0].contains("pm_report"), "{results:?}");
    assert!(
        results[1].contains("pm_report") && results[1].contains("not what the PM said"),
        "{results:?}"
    );
    let (_, after) = server.get("/v1/customers/acme/engagement").await;
    assert_eq!(after["overall"], before["overall"]);
    assert_eq!(after["weeks"], before["weeks"]);
    assert_eq!(
        read(&dir.join("event-log.md")),
        log_before,
        "nothing logged"
    );
    assert_eq!(after["coaching_sessions"]["sessions"], 1, "{after}");
    assert_eq!(
        after["coaching_sessions"]["last"].as_str().map(str::len),
        Some(10)
    );

    // Work the PM reports, quoted, is logged and counted.
    upstream.push_all([
        tool_calls(vec![log_event(
            "c3",
            Some("I ran a 2 hour pricing workshop"),
        )]),
        text("Logged."),
    ]);
    chat(
        &server,
        "Yesterday I ran a 2 hour pricing workshop with the VP.",
    )
    .await;
    let (_, logged) = server.get("/v1/customers/acme/engagement").await;
    assert_eq!(logged["overall"]["total_hours"], 8.5, "{logged}");
    assert!(
        read(&dir.join("event-log.md"))
            .contains("**Reported by PM**: \"I ran a 2 hour pricing workshop\"")
    );
}

#[tokio::test]
async fn the_ratio_reports_its_coverage_and_the_eva_carries_the_caveat() {
    let upstream = FakeUpstream::start().await;
    let (server, _dir, _root) = acme_server(&upstream).await;
    let (status, engagement) = server.get("/v1/customers/acme/engagement").await;
    assert_eq!(status, 200);
    let coverage = &engagement["coverage"];
    assert_eq!(coverage["contracted_hours_per_week"], 20.0);
    assert_eq!(coverage["weeks"], 3);
    assert_eq!(coverage["logged_hours"], 8.0);
    assert_eq!(coverage["percent"], 13.3);
    assert_eq!(coverage["trustworthy"], false);

    upstream.push_all([
        tool_calls(vec![call("e1", "engagement_summary", "{}")]),
        text("Thin data."),
    ]);
    chat(&server, "How strategic am I?").await;
    let requests = upstream.requests();
    let prompt = system_prompt(&requests[0].body);
    assert!(
        prompt.contains("Coverage: 8 h logged of 60 h contracted"),
        "{prompt}"
    );
    assert!(prompt.contains("too thin to trust"));
    let result = &common::tool_results(&requests[1].body)[0];
    assert!(result.contains("\"trustworthy\":false"), "{result}");
}

#[tokio::test]
async fn an_overdue_item_and_a_renewal_five_weeks_out_are_reminders() {
    let upstream = FakeUpstream::start().await;
    let (server, _dir, _root) = acme_server(&upstream).await;
    let (status, body) = server.get("/v1/customers/acme/reminders").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["today"], "2026-12-01");
    let reminders = body["reminders"].as_array().expect("list");
    let kinds: Vec<&str> = reminders
        .iter()
        .filter_map(|r| r["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["ActionItemOverdue", "RenewalApproaching"], "{body}");
    assert_eq!(reminders[0]["due"], "2026-11-28");
    assert!(
        reminders[0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("AI-003") && t.contains("3 days overdue"))
    );
    assert!(
        reminders[1]["text"]
            .as_str()
            .is_some_and(|t| t.contains("start the renewal conversation"))
    );

    upstream.push(text("Two things need you this week."));
    chat(&server, "What should I focus on?").await;
    let prompt = system_prompt(&upstream.requests()[0].body).to_string();
    assert!(prompt.contains("Today is 2026-12-01"), "{prompt}");
    assert!(prompt.contains("ActionItemOverdue: AI-003"), "{prompt}");
    assert!(
        prompt.contains("RenewalApproaching: Renewal on 2027-01-05 (35 days"),
        "{prompt}"
    );
    // customer-info.md's Notes reach the model too.
    assert!(prompt.contains("Engagement started 2026-09-01"), "{prompt}");

    let (status, _) = server.get("/v1/customers/nobody/reminders").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn action_items_are_added_updated_and_closed_in_both_files() {
    let upstream = FakeUpstream::start().await;
    let (server, dir, _root) = acme_server(&upstream).await;
    upstream.push(text("Hello."));
    chat(&server, "Hi").await;
    // The first turn made the family's files; action-items.md holds the log's rows.
    assert!(read(&dir.join("financials.md")).starts_with("# Financials: acme"));
    assert!(read(&dir.join("ideas.md")).contains("Under Consideration"));
    let items_path = dir.join("action-items.md");
    let seeded = read(&items_path);
    assert!(
        seeded.contains(
            "| AI-003 | Share the Q1 roadmap draft with the VP Product | Me | 2026-11-28 | Open |"
        ),
        "{seeded}"
    );
    // A person's hand edit, kept byte for byte.
    let hand = seeded.replace(
        "# Action Items: acme\n",
        "# Action Items: acme\n\nMy own note,  spaced   oddly.\n",
    );
    std::fs::write(&items_path, &hand).expect("hand edit");

    upstream.push_all([
        tool_calls(vec![call(
            "a1",
            "add_action_item",
            r#"{"task": "Send the pricing memo", "owner": "Me", "due": "2026-12-04"}"#,
        )]),
        tool_calls(vec![
            call("u1", "update_action_item", r#"{"id": "AI-004", "status": "Blocked", "owner": "Dana Ortiz", "note": "waiting on finance"}"#),
            call("x1", "close_action_item", r#"{"id": "AI-003", "status": "Completed", "note": "sent on Friday"}"#),
            call("x2", "close_action_item", r#"{"id": "AI-042", "status": "Cancelled", "note": "n/a"}"#),
            call("x3", "add_action_item", r#"{"task": "x", "owner": "Me", "due": "next Friday"}"#),
        ]),
        text("Done."),
    ]);
    chat(
        &server,
        "I sent the roadmap draft; Dana will send the pricing memo.",
    )
    .await;
    let results = common::tool_results(&upstream.requests()[3].body);
    assert!(
        results.iter().any(|r| r.contains("Added AI-004")),
        "{results:?}"
    );
    let errors: Vec<&String> = results.iter().filter(|r| r.starts_with("error")).collect();
    assert_eq!(errors.len(), 2, "{results:?}");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("id:") && e.contains("AI-042")),
        "{errors:?}"
    );
    assert!(errors.iter().any(|e| e.contains("due:")), "{errors:?}");

    let items = read(&items_path);
    assert!(
        items.starts_with("# Action Items: acme\n\nMy own note,  spaced   oddly.\n"),
        "{items}"
    );
    assert!(items.contains("| AI-003 | Share the Q1 roadmap draft with the VP Product | Me | 2026-11-28 | Completed | 2026-11-10 | Completed 2026-12-01: sent on Friday |"), "{items}");
    assert!(items.contains("| AI-004 | Send the pricing memo | Dana Ortiz | 2026-12-04 | Blocked | 2026-12-01 | waiting on finance |"), "{items}");
    let log = read(&dir.join("event-log.md"));
    assert!(log.contains("| 2026-11-10 | AI-003: Share the Q1 roadmap draft with the VP Product | Me | 2026-11-28 | Completed |"), "{log}");
    assert!(
        log.contains(
            "| 2026-12-01 | AI-004: Send the pricing memo | Dana Ortiz | 2026-12-04 | Blocked |"
        ),
        "{log}"
    );
    // Everything else in the log is as it was.
    let original = fixture("event-log.md");
    for line in original.lines().filter(|l| !l.contains("AI-003")) {
        assert!(log.contains(line), "lost {line:?}");
    }

    let (status, body) = server.get("/v1/customers/acme/action-items").await;
    assert_eq!(status, 200, "{body}");
    let listed: Vec<(&str, &str)> = body["action_items"]
        .as_array()
        .expect("list")
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap_or(""),
                i["status"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("AI-003", "Completed"),
            ("AI-002", "Completed"),
            ("AI-004", "Blocked")
        ]
    );
    // Nothing is overdue any more, and the new item is due soon.
    let (_, reminders) = server.get("/v1/customers/acme/reminders").await;
    assert_eq!(
        reminders["reminders"][0]["kind"], "ActionItemDueSoon",
        "{reminders}"
    );
}

#[tokio::test]
async fn an_idea_is_added_to_ideas_md_and_read_back_next_turn() {
    let upstream = FakeUpstream::start().await;
    let (server, dir, _root) = acme_server(&upstream).await;
    upstream.push_all([
        // One call per step: the ids follow the order the ideas were added.
        tool_calls(vec![call("i1", "add_idea", r#"{"idea": "Usage-based pricing pilot", "status": "Under Consideration", "notes": "from the workshop"}"#)]),
        tool_calls(vec![
            call("i2", "add_idea", r#"{"idea": "Drop the legacy tier"}"#),
            call("i3", "add_idea", r#"{"idea": "x", "status": "Maybe"}"#),
        ]),
        text("Noted."),
        text("Here is where things stand."),
    ]);
    chat(&server, "Two ideas came up.").await;
    let ideas = read(&dir.join("ideas.md"));
    assert!(ideas.contains("| IDEA-001 | 2026-12-01 | Usage-based pricing pilot | Under Consideration | from the workshop |"), "{ideas}");
    assert!(
        ideas.contains("| IDEA-002 | 2026-12-01 | Drop the legacy tier | New |  |"),
        "{ideas}"
    );
    assert!(
        !ideas.contains("IDEA-003"),
        "an unknown status is refused: {ideas}"
    );
    chat(&server, "Where are we?").await;
    let requests = upstream.requests();
    let prompt = system_prompt(&requests[3].body);
    assert!(
        prompt.contains("- IDEA-001: Usage-based pricing pilot (Under Consideration)"),
        "{prompt}"
    );
}
