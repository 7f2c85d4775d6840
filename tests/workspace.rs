//! The customer workspace through the real server: read before, write after,
//! artifacts, transcripts, durability and path safety.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use std::path::{Path, PathBuf};

use common::{FakeUpstream, Step, TestServer, call, config_for, messages, setup, text, tool_calls};
use serde_json::{Value, json};

fn customer_dir(server: &TestServer, id: &str) -> PathBuf {
    server.workspace.join("customers").join(id)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// What the PM says to report the client work the scripted model logs:
/// `log_event` records only work quoted from the PM's own words.
const REPORTED: &str = "I did this work with the client team.";

fn log_event_call(
    id: &str,
    title: &str,
    category: &str,
    hours: f64,
) -> common::fake_upstream::ScriptedCall {
    call(
        id,
        "log_event",
        &json!({
            "event_type": "Workshop",
            "pm_report": REPORTED,
            "title": title,
            "work_category": category,
            "hours": hours,
            "what_happened": format!("{title} with the client team."),
            "decisions": ["Focus on the enterprise segment"],
            "action_items": [{"task": "Draft the strategy brief", "owner": "Me", "due": "2026-12-01"}]
        })
        .to_string(),
    )
}

#[tokio::test]
async fn a_first_turn_creates_the_customer_folder_and_records_the_session() {
    let (upstream, server) = setup().await;
    upstream.push(text("Welcome; tell me about the engagement."));

    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "Hi", "customer": "acme-corp"}),
        )
        .await;

    assert_eq!(status, 200, "{body}");
    let dir = customer_dir(&server, "acme-corp");
    assert!(read(&dir.join("customer-info.md")).starts_with("# Customer: acme-corp"));
    assert!(read(&dir.join("event-log.md")).contains("## Open Action Items"));
    assert!(dir.join("artifacts").is_dir());
    let session = body["session_id"].as_str().expect("session id");
    let transcript = read(&dir.join(format!("sessions/{session}.jsonl")));
    let lines: Vec<Value> = transcript
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["type"], "session");
    assert_eq!(lines[0]["customer"], "acme-corp");
    assert_eq!(lines[1]["type"], "turn");
    assert_eq!(lines[1]["model"], "fake-model");
    assert_eq!(lines[1]["messages"][0]["content"], "Hi");
    assert_eq!(lines[1]["messages"][1]["role"], "assistant");
    assert_eq!(lines[1]["model_calls"][0]["step"], 1);
    assert!(
        lines[1]["started_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert!(
        lines[1]["usage"]["total_tokens"]
            .as_u64()
            .is_some_and(|t| t > 0)
    );

    let (status, list) = server.get("/v1/customers").await;
    assert_eq!(status, 200);
    assert_eq!(list["customers"][0]["id"], "acme-corp");
    let (status, record) = server
        .get(&format!("/v1/customers/acme-corp/sessions/{session}"))
        .await;
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["turns"].as_array().map(Vec::len), Some(1));
    // The system prompt told the model this customer has no documentation yet.
    let system = common::system_prompt(&upstream.requests()[0].body).to_string();
    assert!(system.contains("## Customer: `acme-corp`"), "{system}");
    assert!(common::tool_names(&upstream.requests()[0].body).contains(&"log_event"));
}

#[tokio::test]
async fn the_coach_writes_after_and_reads_before_the_next_turn() {
    let (upstream, server) = setup().await;
    upstream.push_all([
        tool_calls(vec![
            log_event_call("e1", "Roadmap strategy session", "Strategic", 3.0),
            call(
                "i1",
                "update_customer_info",
                &json!({
                    "customer_name": "Acme Corp",
                    "rate": "$150/hour",
                    "hours_per_week": 20,
                    "client_pms": [{"name": "Dana", "role": "PM", "level": "Tactical"}]
                })
                .to_string(),
            ),
        ]),
        text("Logged. Next, let's plan the repositioning conversation."),
        tool_calls(vec![log_event_call(
            "e2",
            "Backlog grooming",
            "Tactical",
            1.0,
        )]),
        text("Noted."),
        text("Your ratio is improving."),
    ]);

    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": format!("We ran the roadmap session today. {REPORTED}"), "customer": "acme"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let oks: Vec<bool> = body["tool_calls"]
        .as_array()
        .expect("calls")
        .iter()
        .map(|c| c["ok"].as_bool().expect("ok"))
        .collect();
    assert_eq!(oks, [true, true], "{body}");

    let dir = customer_dir(&server, "acme");
    let info = read(&dir.join("customer-info.md"));
    assert!(info.contains("- **Rate**: $150/hour"), "{info}");
    assert!(info.contains("| Dana | PM | Tactical |"), "{info}");
    let log = read(&dir.join("event-log.md"));
    assert!(log.contains("### ["), "{log}");
    assert!(log.contains("Workshop: Roadmap strategy session"));
    assert!(log.contains("**Work Category**: Strategic"));
    assert!(log.contains("- [ ] AI-001: Draft the strategy brief - Owner: Me - Due: 2026-12-01"));

    let session = body["session_id"].clone();
    server
        .post(
            "/v1/chat",
            &json!({"message": "Also an hour of grooming.", "session_id": session, "customer": "acme"}),
        )
        .await;
    let (status, third) = server
        .post(
            "/v1/chat",
            &json!({"message": "How am I doing?", "session_id": session, "customer": "acme"}),
        )
        .await;
    assert_eq!(status, 200, "{third}");

    // The third turn's system prompt carried the facts, action items, events and metrics.
    let requests = upstream.requests();
    let system = common::system_prompt(&requests.last().expect("request").body).to_string();
    assert!(system.contains("- Rate: $150/hour"), "{system}");
    assert!(
        system.contains("- Client PM: Dana (PM; Tactical)"),
        "{system}"
    );
    assert!(
        system.contains("AI-001: Draft the strategy brief"),
        "{system}"
    );
    assert!(
        system.contains("Workshop: Backlog grooming (Tactical, 1 h)"),
        "{system}"
    );
    assert!(system.contains("strategic 75% vs tactical 25%"), "{system}");
    // Newest first: the grooming entry comes before the roadmap session.
    let (_, events) = server.get("/v1/customers/acme/events").await;
    let titles: Vec<&str> = events["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["title"].as_str().expect("title"))
        .collect();
    assert_eq!(titles[0], "Backlog grooming");
    assert!(titles.contains(&"Roadmap strategy session"));
    assert!(titles.contains(&"Customer info updated"));

    let (status, engagement) = server.get("/v1/customers/acme/engagement").await;
    assert_eq!(status, 200);
    assert_eq!(engagement["overall"]["total_hours"], 4.0);
    assert_eq!(engagement["overall"]["strategic_pct"], 75.0);
    assert_eq!(engagement["overall"]["hours"]["tactical"], 1.0);
    assert_eq!(engagement["weeks"].as_array().map(Vec::len), Some(1));
    let (_, info) = server.get("/v1/customers/acme").await;
    assert_eq!(info["client_team"][0]["name"], "Dana");
}

#[tokio::test]
async fn rendered_templates_are_saved_as_artifacts_and_logged() {
    let (upstream, server) = setup().await;
    let mut fields: Value = serde_json::from_str(&read(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/templates/engagement-value-assessment.json"
    ))))
    .expect("fixture");
    // Current % left out: it comes from the hours in the event log.
    for row in [
        "tactical",
        "operational",
        "strategic",
        "capability_building",
    ] {
        fields["time_allocation"][row]
            .as_object_mut()
            .expect("row")
            .remove("current_pct");
    }
    let fill = |id: &str, status: &str| {
        call(
            id,
            "fill_template",
            &json!({"template": "engagement-value-assessment", "fields": fields, "status": status})
                .to_string(),
        )
    };
    // The header names the customer and the PM as customer-info.md does.
    let dir = customer_dir(&server, "acme");
    std::fs::create_dir_all(&dir).expect("customer folder");
    std::fs::write(
        dir.join("customer-info.md"),
        "# Customer: acme\n\n## Engagement\n- **Customer Name**: Acme Corp\n- **Fractional PM**: Sam Rivera\n",
    )
    .expect("customer-info.md");
    upstream.push_all([
        tool_calls(vec![log_event_call(
            "e1",
            "Sprint planning",
            "Tactical",
            3.0,
        )]),
        tool_calls(vec![log_event_call(
            "e2",
            "Exec strategy review",
            "Strategic",
            1.0,
        )]),
        tool_calls(vec![fill("f1", "Draft")]),
        tool_calls(vec![fill("f2", "Final")]),
        text("Both versions are saved."),
    ]);

    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": format!("Assess the engagement. {REPORTED}"), "customer": "acme"}),
        )
        .await;

    assert_eq!(status, 200, "{body}");
    let artifacts = body["artifacts"].as_array().expect("artifacts");
    assert_eq!(artifacts.len(), 2);
    let today = pmcoach::templates::today();
    let first = format!("analysis-engagement-value-assessment-{today}.md");
    let second = format!("analysis-engagement-value-assessment-{today}-2.md");
    assert_eq!(artifacts[0]["saved_as"], first.as_str());
    assert_eq!(
        artifacts[1]["saved_as"],
        second.as_str(),
        "a second one never overwrites"
    );
    let markdown = artifacts[0]["markdown"].as_str().expect("markdown");
    assert!(
        markdown.contains("| Tactical (specs, tickets) | 75% | 25% | Reduce |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| Strategic (decisions, direction) | 25% | 35% | Increase |"),
        "{markdown}"
    );
    assert!(
        artifacts[0]["corrections"][0]
            .as_str()
            .is_some_and(|c| c.contains("filled from the event log (4 categorized hours)"))
    );

    let saved = read(&customer_dir(&server, "acme").join("artifacts").join(&first));
    assert!(
        saved.starts_with("# Engagement Value Assessment: Acme Corp\n\n**Customer**: Acme Corp\n"),
        "{saved}"
    );
    for field in [
        "**Created**: ",
        "**Last Updated**: ",
        "**Type**: Analysis",
        "**Status**: Draft",
        "**Author**: Sam Rivera",
    ] {
        assert!(saved.contains(field), "missing {field}");
    }
    let final_one = read(
        &customer_dir(&server, "acme")
            .join("artifacts")
            .join(&second),
    );
    assert!(final_one.contains("**Status**: Final\n"), "{final_one}");
    let (_, list) = server.get("/v1/customers/acme/artifacts").await;
    assert_eq!(list["artifacts"].as_array().map(Vec::len), Some(2));
    let (status, one) = server
        .get(&format!("/v1/customers/acme/artifacts/{first}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(one["markdown"], saved.as_str());
    let (_, events) = server.get("/v1/customers/acme/events").await;
    let deliveries = events["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["event_type"] == "Delivery")
        .count();
    assert_eq!(deliveries, 2);
}

#[tokio::test]
async fn a_restarted_server_resumes_a_session_from_its_file() {
    let upstream = FakeUpstream::start().await;
    let workspace = tempfile::tempdir().expect("temp dir");
    let mut config = config_for(Some(&upstream));
    config.workspace_dir = workspace.path().to_path_buf();
    upstream.push_all([text("first answer"), text("second answer")]);

    let first_server = TestServer::start(config.clone()).await;
    let (_, first) = first_server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "first question", "customer": "acme"}),
        )
        .await;
    drop(first_server);

    let second_server = TestServer::start(config).await;
    let (status, second) = second_server
        .post(
            "/v1/chat",
            &json!({"message": "second question", "session_id": first["session_id"], "customer": "acme"}),
        )
        .await;
    assert_eq!(status, 200, "{second}");
    let request = &upstream.requests()[1].body;
    let contents: Vec<&str> = messages(request)[1..]
        .iter()
        .map(|m| m["content"].as_str().expect("text"))
        .collect();
    assert_eq!(
        contents,
        ["first question", "first answer", "second question"]
    );
    assert!(
        common::system_prompt(request).contains("## Customer: `acme`"),
        "customer kept"
    );
}

#[tokio::test]
async fn fifty_concurrent_turns_on_one_customer_leave_fifty_intact_entries() {
    let (upstream, server) = setup().await;
    let fake = upstream.clone();
    upstream.repeat_forever(move |n| {
        let request = fake.requests()[n].body.clone();
        let last = messages(&request).last().cloned().unwrap_or_default();
        if last["role"] == "tool" {
            text("logged")
        } else {
            let topic = last["content"].as_str().unwrap_or_default().to_string();
            tool_calls(vec![log_event_call(
                &format!("c{n}"),
                &topic,
                "Strategic",
                1.0,
            )])
        }
    });

    let turns = (0..50).map(|i| {
        let server = &server;
        async move {
            server
                .post(
                    "/v1/chat",
                    &json!({"capability": "strategic-pm-coach", "message": format!("Session number {i}. {REPORTED}"), "customer": "busy"}),
                )
                .await
        }
    });
    let results = futures::future::join_all(turns).await;
    for (status, body) in &results {
        assert_eq!(*status, 200, "{body}");
    }

    let log = read(&customer_dir(&server, "busy").join("event-log.md"));
    let parsed = pmcoach::workspace::event_log::parse(&log);
    assert_eq!(parsed.events.len(), 50);
    let mut titles: Vec<&str> = parsed.events.iter().map(|e| e.title.as_str()).collect();
    titles.sort();
    titles.dedup();
    assert_eq!(titles.len(), 50, "every entry intact and distinct");
    assert!(parsed.events.iter().all(|e| e.hours == Some(1.0)));
    let mut ids: Vec<String> = parsed
        .action_items
        .iter()
        .map(|a| a.item[..6].to_string())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 50, "action item ids never reused");
    let sessions = std::fs::read_dir(customer_dir(&server, "busy").join("sessions"))
        .expect("sessions")
        .count();
    assert_eq!(sessions, 50);
}

#[tokio::test]
async fn a_failed_write_is_a_clear_500_and_loses_nothing() {
    let (upstream, server) = setup().await;
    upstream.push_all([text("one"), text("two"), text("three")]);
    let (_, first) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "first", "customer": "acme"}),
        )
        .await;
    let session = first["session_id"].as_str().expect("session").to_string();
    let path = customer_dir(&server, "acme").join(format!("sessions/{session}.jsonl"));
    let before = read(&path);

    // The transcript append dies 10 bytes in, as on a full disk.
    server.state.workspace.fail_next_write_after(10);
    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"message": "second", "session_id": session, "customer": "acme"}),
        )
        .await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["error"]["code"], "storage_error");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("could not record the session"),
        "{message}"
    );
    assert!(read(&path).starts_with(&before), "earlier turns intact");

    // The next append moves the torn bytes aside instead of fusing with them.
    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"message": "third", "session_id": session, "customer": "acme"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let after = read(&path);
    assert!(after.starts_with(&before));
    for line in after.lines() {
        serde_json::from_str::<Value>(line).expect("every line is whole JSON");
    }
    assert_eq!(after.lines().count(), 3);
    assert!(read(&pmcoach::atomic::torn_path(&path)).len() >= 10);
    let request = &upstream.requests()[2].body;
    let contents: Vec<&str> = messages(request)[1..]
        .iter()
        .map(|m| m["content"].as_str().expect("text"))
        .collect();
    assert_eq!(
        contents,
        ["first", "one", "third"],
        "the failed turn is not in the history"
    );
}

#[tokio::test]
async fn a_failed_event_log_write_leaves_the_log_intact_and_the_model_is_told() {
    let (upstream, server) = setup().await;
    upstream.push(text("hello"));
    server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "hi", "customer": "acme"}),
        )
        .await;
    let log_path = customer_dir(&server, "acme").join("event-log.md");
    let before = read(&log_path);

    upstream.push_all([
        tool_calls(vec![log_event_call(
            "e1",
            "Strategy offsite",
            "Strategic",
            6.0,
        )]),
        text("I could not record that; please note it by hand."),
    ]);
    server.state.workspace.fail_next_write_after(20);
    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": format!("Log the offsite. {REPORTED}"), "customer": "acme"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tool_calls"][0]["ok"], false);
    assert_eq!(read(&log_path), before, "the log is exactly as it was");
    let result = &common::tool_results(&upstream.requests()[2].body)[0];
    assert!(result.contains("could not be fully updated"), "{result}");
    let leftovers: Vec<_> = std::fs::read_dir(customer_dir(&server, "acme"))
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(pmcoach::atomic::TEMP_PREFIX))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary files left: {leftovers:?}"
    );
}

#[tokio::test]
async fn start_up_removes_temporary_files_an_interrupted_write_left() {
    let root = tempfile::tempdir().expect("temp dir");
    let dir = root.path().join("customers/acme");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let left = dir.join(format!("{}x1Yz", pmcoach::atomic::TEMP_PREFIX));
    let fresh = dir.join(format!("{}w2Qr", pmcoach::atomic::TEMP_PREFIX));
    for path in [&left, &fresh] {
        std::fs::write(path, "half a documen").expect("write");
    }
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&left)
        .expect("open")
        .set_modified(an_hour_ago)
        .expect("age it");
    std::fs::write(dir.join("customer-info.md"), "# Customer: acme\n").expect("write");

    let mut config = config_for(None);
    config.workspace_dir = root.path().to_path_buf();
    let _server = TestServer::start(config).await;

    assert!(!left.exists(), "the left-behind temporary file is gone");
    assert!(fresh.exists(), "one a running write may own stays");
    assert!(dir.join("customer-info.md").exists());
}

#[tokio::test]
async fn a_hand_edited_log_keeps_every_entry_when_the_coach_writes() {
    let (upstream, server) = setup().await;
    let dir = customer_dir(&server, "acme");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let hand = "# Acme — my notes\n\nWorking log, kept by hand.\n\n\
###   2026-11-10 -  Meeting :  Weekly sync\n**Work Category:** tactical\n**Duration**: 2 hours\n\
Groomed the backlog; Dana asked good questions.\n\n\
### [2026-11-03] [Decision]: Pick beachhead\n**Category**: Strategic\n**Hours**: 3\n";
    std::fs::write(dir.join("event-log.md"), hand).expect("write");
    upstream.push_all([
        tool_calls(vec![log_event_call(
            "e1",
            "Coaching Dana",
            "Capability Building",
            1.0,
        )]),
        text("Logged."),
    ]);
    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": format!("I coached Dana today. {REPORTED}"), "customer": "acme"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let log = read(&dir.join("event-log.md"));
    for line in hand.lines() {
        assert!(log.contains(line), "lost {line:?}\n{log}");
    }
    let (_, events) = server.get("/v1/customers/acme/events").await;
    let titles: Vec<&str> = events["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["title"].as_str().expect("title"))
        .collect();
    assert_eq!(titles, ["Coaching Dana", "Weekly sync", "Pick beachhead"]);
    let (_, engagement) = server.get("/v1/customers/acme/engagement").await;
    assert_eq!(engagement["overall"]["total_hours"], 6.0);
    assert_eq!(engagement["overall"]["strategic_pct"], 66.7);
}

#[tokio::test]
async fn hostile_ids_and_names_are_refused_before_any_path_is_touched() {
    let (upstream, server) = setup().await;
    for customer in [
        "../etc",
        "Acme",
        "a/b",
        "",
        "ac\u{0435}me",
        "x".repeat(65).as_str(),
    ] {
        let (status, body) = server
            .post(
                "/v1/chat",
                &json!({"capability": "strategic-pm-coach", "message": "hi", "customer": customer}),
            )
            .await;
        assert_eq!(status, 400, "{customer:?}: {body}");
        assert_eq!(body["error"]["code"], "invalid_request");
    }
    for path in [
        "/v1/customers/..%2F..%2Fetc",
        "/v1/customers/Acme/events",
        "/v1/customers/acme/artifacts/..%2F..%2Fcustomer-info.md",
        "/v1/customers/acme/artifacts/notes.txt",
        "/v1/customers/acme/sessions/..%2Fx",
    ] {
        let (status, body) = server.get(path).await;
        assert_eq!(status, 400, "{path}: {body}");
    }
    let (status, body) = server.get("/v1/customers/nobody").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "unknown_customer");
    assert_eq!(upstream.request_count(), 0);
    assert!(
        !server.workspace.join("customers").exists(),
        "nothing was created"
    );
}

#[tokio::test]
async fn a_session_is_invisible_to_another_customer() {
    let (upstream, server) = setup().await;
    upstream.push(text("private to acme"));
    let (_, first) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "secret plans", "customer": "acme"}),
        )
        .await;
    let (status, body) = server
        .post("/v1/chat", &json!({"message": "what did they say?", "customer": "rival", "session_id": first["session_id"]}))
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = server
        .get(&format!(
            "/v1/customers/rival/sessions/{}",
            first["session_id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(status, 404);
    // Nor does the session id alone open it: a session is reached with its customer.
    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"message": "and now?", "session_id": first["session_id"]}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(upstream.request_count(), 1);
}

#[cfg(unix)]
#[tokio::test]
async fn a_symbolic_link_in_the_workspace_is_not_followed() {
    let (upstream, server) = setup().await;
    let outside = tempfile::tempdir().expect("temp dir");
    std::fs::write(outside.path().join("event-log.md"), "outside").expect("write");
    std::fs::create_dir_all(server.workspace.join("customers")).expect("mkdir");
    std::os::unix::fs::symlink(outside.path(), customer_dir(&server, "evil")).expect("symlink");
    upstream.push(text("never reached"));

    let (status, body) = server.get("/v1/customers/evil/events").await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "hi", "customer": "evil"}),
        )
        .await;
    assert_eq!(status, 500, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("symbolic link"))
    );
    assert_eq!(read(&outside.path().join("event-log.md")), "outside");
    assert_eq!(std::fs::read_dir(outside.path()).expect("dir").count(), 1);
}

#[tokio::test]
async fn the_growth_advisor_never_touches_a_clients_documents() {
    let (upstream, server) = setup().await;
    upstream.push(text("Let's look at your own skills."));
    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"message": "Rate my skills honestly.", "customer": "acme", "capability": "growth-advisor"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let request = &upstream.requests()[0].body;
    let system = common::system_prompt(request);
    assert!(
        !system.contains("## Customer: `acme`"),
        "no client documents in its prompt"
    );
    let tools = common::tool_names(request);
    assert!(
        !tools.contains(&"log_event") && !tools.contains(&"update_customer_info"),
        "{tools:?}"
    );
    assert!(tools.contains(&"fill_template"));
}

#[tokio::test]
async fn a_failed_turn_is_recorded_with_what_it_did_but_not_replayed() {
    let (upstream, server) = setup().await;
    upstream.push_all([
        text("Hello."),
        tool_calls(vec![log_event_call("e1", "Pricing workshop", "Strategic", 2.0)]),
        Step::Error {
            status: 400,
            body: json!({"error": {"message": "too long", "type": "invalid_request_error", "param": null, "code": "context_length_exceeded"}}).to_string(),
        },
        text("Back again."),
    ]);
    let (_, first) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "hi", "customer": "acme"}),
        )
        .await;
    let session = first["session_id"].as_str().expect("session").to_string();
    let (status, _) = server
        .post(
            "/v1/chat",
            &json!({"message": format!("Log the workshop. {REPORTED}"), "session_id": session, "customer": "acme"}),
        )
        .await;
    assert_eq!(status, 502);

    let path = customer_dir(&server, "acme").join(format!("sessions/{session}.jsonl"));
    let lines: Vec<Value> = read(&path)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), 3, "header, the good turn, the failed turn");
    let failed = &lines[2];
    assert!(
        failed["error"]
            .as_str()
            .is_some_and(|e| e.contains("HTTP 400")),
        "{failed}"
    );
    assert_eq!(
        failed["tool_calls"][0]["name"], "log_event",
        "its side effect is on record"
    );
    assert_eq!(failed["messages"].as_array().map(Vec::len), Some(1));

    let (status, _) = server
        .post(
            "/v1/chat",
            &json!({"message": "Again?", "session_id": session, "customer": "acme"}),
        )
        .await;
    assert_eq!(status, 200);
    let request = &upstream.requests()[3].body;
    let roles: Vec<&str> = messages(request)[1..]
        .iter()
        .map(|m| m["role"].as_str().expect("role"))
        .collect();
    assert_eq!(
        roles,
        ["user", "assistant", "user"],
        "the failed turn is not replayed"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_linked_sessions_folder_is_neither_read_nor_written() {
    let (upstream, server) = setup().await;
    upstream.push_all([text("one"), text("two")]);
    let (_, first) = server
        .post(
            "/v1/chat",
            &json!({"capability": "strategic-pm-coach", "message": "hi", "customer": "acme"}),
        )
        .await;
    let session = first["session_id"].as_str().expect("session").to_string();
    let sessions = customer_dir(&server, "acme").join("sessions");
    let outside = tempfile::tempdir().expect("temp dir");
    std::fs::rename(
        sessions.join(format!("{session}.jsonl")),
        outside.path().join(format!("{session}.jsonl")),
    )
    .expect("move");
    std::fs::remove_dir(&sessions).expect("rmdir");
    std::os::unix::fs::symlink(outside.path(), &sessions).expect("symlink");
    let before = read(&outside.path().join(format!("{session}.jsonl")));

    let (status, body) = server
        .get(&format!("/v1/customers/acme/sessions/{session}"))
        .await;
    assert_eq!(status, 500, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("symbolic link"))
    );
    let (status, _) = server
        .post(
            "/v1/chat",
            &json!({"message": "again", "session_id": session, "customer": "acme"}),
        )
        .await;
    assert_eq!(status, 404, "a session behind a link is not found");
    assert_eq!(
        read(&outside.path().join(format!("{session}.jsonl"))),
        before
    );
}

#[tokio::test]
async fn a_saved_document_moves_from_draft_to_final_and_keeps_its_hand_edits() {
    let (_upstream, server) = setup().await;
    let artifacts = server.workspace.join("customers/acme/artifacts");
    std::fs::create_dir_all(&artifacts).expect("folder");
    let written = "# Engagement Value Assessment\n\n**Customer**: Acme Logistics\n**Created**: 2026-11-01\n**Last Updated**: 2026-11-01\n**Type**: Analysis\n**Status**: Draft\n**Author**: Dana\n\n---\n\nA line the PM added by hand.\n";
    let name = "analysis-engagement-value-assessment-2026-11-01.md";
    std::fs::write(artifacts.join(name), written).expect("document");
    std::fs::write(artifacts.join("notes-by-hand.md"), "# Notes\n\nno header\n").expect("notes");
    let path = format!("{}/v1/customers/acme/artifacts/{name}", server.base);

    let response = server
        .client
        .patch(&path)
        .json(&json!({"status": "Final"}))
        .send()
        .await
        .expect("response");
    let (status, body) = common::read(response).await;
    assert_eq!(status, 200, "{body}");
    let now = read(&artifacts.join(name));
    assert_eq!(body["markdown"], now.as_str());
    assert!(now.contains("**Status**: Final\n"), "{now}");
    assert!(!now.contains("**Last Updated**: 2026-11-01"), "{now}");
    assert_eq!(
        now.replace("**Status**: Final", "**Status**: Draft")
            .lines()
            .filter(|l| !l.starts_with("**Last Updated**"))
            .collect::<Vec<_>>(),
        written
            .lines()
            .filter(|l| !l.starts_with("**Last Updated**"))
            .collect::<Vec<_>>(),
        "every other line kept"
    );
    let (_, list) = server.get("/v1/customers/acme/artifacts").await;
    let listed = list["artifacts"]
        .as_array()
        .expect("list")
        .iter()
        .find(|a| a["name"] == name)
        .cloned()
        .expect("listed");
    assert_eq!(listed["status"], "Final");

    let patch = |target: String, body: Value| {
        let request = server.client.patch(target).json(&body);
        async move { common::read(request.send().await.expect("response")).await }
    };
    let (status, body) = patch(path.clone(), json!({"status": "Done"})).await;
    assert_eq!(status, 400, "{body}");
    let notes = format!(
        "{}/v1/customers/acme/artifacts/notes-by-hand.md",
        server.base
    );
    let (status, body) = patch(notes, json!({"status": "Final"})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "conflict");
    let missing = format!(
        "{}/v1/customers/acme/artifacts/nothing-here.md",
        server.base
    );
    let (status, _) = patch(missing, json!({"status": "Final"})).await;
    assert_eq!(status, 404);
    assert_eq!(
        read(&artifacts.join("notes-by-hand.md")),
        "# Notes\n\nno header\n"
    );
}
