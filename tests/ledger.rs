//! The engagement memory through the real server and the fake upstream:
//! positioning history and evidence ledger (surviving a restart, in the API
//! and the prompt), the Renewal Strategy filled from them, client PM progress,
//! the portfolio within a key's scope, and the growth advisor's own store.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use std::path::Path;

use common::{FakeUpstream, TestServer, call, config_for, text, tool_calls};
use pmcoach::access::{CustomersField, KeyEntry, Keys, new_key};
use serde_json::{Value, json};

fn fixture(id: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/templates/{id}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

fn args(value: Value) -> String {
    value.to_string()
}

async fn chat(server: &TestServer, capability: &str, customer: &str, message: &str) -> Value {
    let (status, body) = server
        .post(
            "/v1/chat",
            &json!({"capability": capability, "message": message, "customer": customer}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn dated(upstream: &FakeUpstream, workspace: &Path) -> pmcoach::config::Config {
    let mut config = config_for(Some(upstream));
    config.workspace_dir = workspace.to_path_buf();
    config.today = Some(jiff::civil::date(2026, 11, 30));
    config
}

#[tokio::test]
async fn ladder_history_and_evidence_survive_a_restart_and_show_in_the_api_and_prompt() {
    let upstream = FakeUpstream::start().await;
    let dir = tempfile::tempdir().expect("workspace");
    let mut server = TestServer::start(dated(&upstream, dir.path())).await;
    upstream.push_all([
        tool_calls(vec![
            call("p1", "record_positioning", &args(json!({"level": "Expert Executor", "evidence": "The CEO asks for my view on the roadmap", "rate": "$150/h"}))),
            call("e1", "record_evidence", &args(json!({"contribution": "Framed the enterprise pricing options", "business_impact": "Pricing decision for the enterprise tier", "evidence": "Decision memo of 12 Nov"}))),
            call("l1", "log_event", &args(json!({"event_type": "Decision", "title": "Cut the reporting revamp", "work_category": "Strategic", "hours": 2, "what_happened": "Led the prioritisation with the CEO", "business_impact": "Two engineers back on routing", "pm_report": "I cut the reporting revamp with the CEO"}))),
        ]),
        text("Recorded."),
    ]);
    let body = chat(
        &server,
        "strategic-pm-coach",
        "acme",
        "The CEO now asks my view; here is what I did: I cut the reporting revamp with the CEO.",
    )
    .await;
    assert!(
        body["tool_calls"]
            .as_array()
            .expect("calls")
            .iter()
            .all(|c| c["ok"] == true),
        "{body}"
    );
    let results = common::tool_results(&upstream.requests()[1].body);
    assert!(
        results
            .iter()
            .any(|r| r.contains("Strategic Advisor (2-3x) implies $200-300/h")),
        "{results:?}"
    );

    let check = |positioning: &Value, evidence: &Value| {
        assert_eq!(positioning["current_level"], "Expert Executor");
        assert_eq!(positioning["history"][0]["date"], "2026-11-30");
        assert_eq!(positioning["history"][0]["rate"], "$150/h");
        assert_eq!(positioning["next_levels"][0]["level"], "Strategic Advisor");
        assert_eq!(positioning["next_levels"][0]["range"], "$200-300/h");
        assert_eq!(positioning["next_levels"][1]["range"], "$300-500/h");
        let rows = evidence["evidence"].as_array().expect("evidence");
        assert_eq!(rows.len(), 2, "{evidence}");
        assert_eq!(
            rows[0]["contribution"],
            "Framed the enterprise pricing options"
        );
        assert_eq!(rows[1]["contribution"], "Cut the reporting revamp");
        assert_eq!(rows[1]["business_impact"], "Two engineers back on routing");
    };
    let (_, positioning) = server.get("/v1/customers/acme/positioning").await;
    let (_, evidence) = server.get("/v1/customers/acme/evidence").await;
    check(&positioning, &evidence);

    // A hand edit outside our rows survives the next append.
    let ledger = dir.path().join("customers/acme/evidence.md");
    let edited = format!(
        "{}\nMy own note about the CFO.\n",
        std::fs::read_to_string(&ledger).expect("ledger")
    );
    std::fs::write(&ledger, &edited).expect("edit");

    server.shutdown().await.expect("stops");
    let server = TestServer::start(dated(&upstream, dir.path())).await;
    let (status, positioning) = server.get("/v1/customers/acme/positioning").await;
    assert_eq!(status, 200, "{positioning}");
    let (_, evidence) = server.get("/v1/customers/acme/evidence").await;
    check(&positioning, &evidence);

    upstream.push_all([
        tool_calls(vec![call("e2", "record_evidence", &args(json!({"contribution": "Coached Dana on PRDs", "business_impact": "Dana writes her own PRDs", "evidence": "Her dispatch PRD"})))]),
        text("Where you stand: Expert Executor."),
    ]);
    chat(&server, "strategic-pm-coach", "acme", "Where do I stand?").await;
    let text_now = std::fs::read_to_string(&ledger).expect("ledger");
    assert!(
        text_now.contains("My own note about the CFO."),
        "{text_now}"
    );
    let requests = upstream.requests();
    let system = common::system_prompt(&requests[requests.len() - 2].body);
    assert!(system.contains("### Positioning history"), "{system}");
    assert!(
        system.contains("Strategic Advisor (2-3x) implies $200-300/h"),
        "{system}"
    );
    assert!(
        system.contains("Evidence ledger (evidence.md: 2 strategic contributions"),
        "{system}"
    );
    let (_, evidence) = server.get("/v1/customers/acme/evidence").await;
    assert_eq!(evidence["evidence"].as_array().expect("rows").len(), 3);
}

#[tokio::test]
async fn an_assessment_records_the_level_and_bad_evidence_is_refused() {
    let upstream = FakeUpstream::start().await;
    let server = TestServer::start(config_for(Some(&upstream))).await;
    upstream.push_all([
        tool_calls(vec![
            call("f1", "fill_template", &args(json!({"template": "engagement-value-assessment", "fields": fixture("engagement-value-assessment")}))),
            call("e1", "record_evidence", &args(json!({"contribution": "x", "business_impact": " ", "evidence": "y"}))),
        ]),
        text("Done."),
    ]);
    let body = chat(
        &server,
        "strategic-pm-coach",
        "acme-corp",
        "Assess my engagement.",
    )
    .await;
    let calls = body["tool_calls"].as_array().expect("calls");
    assert_eq!(calls[0]["ok"], true, "{body}");
    assert_eq!(calls[1]["ok"], false, "{body}");
    let corrections = body["artifacts"][0]["corrections"].to_string();
    assert!(
        corrections.contains("Expert Executor recorded in the positioning history"),
        "{corrections}"
    );
    let (_, positioning) = server.get("/v1/customers/acme-corp/positioning").await;
    assert_eq!(positioning["history"][0]["date"], "2026-11-20");
    assert_eq!(positioning["history"][0]["rate"], "$150/hour");
    assert!(
        positioning["history"][0]["evidence"]
            .as_str()
            .expect("evidence")
            .contains("Facilitator")
    );
    assert_eq!(positioning["next_levels"][0]["range"], "$200-300/hour");
    let (_, evidence) = server.get("/v1/customers/acme-corp/evidence").await;
    assert_eq!(evidence["evidence"], json!([]));
    let (status, body) = server.get("/v1/customers/nobody/positioning").await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn the_renewal_strategy_is_filled_from_the_ledger_and_the_ladder() {
    let upstream = FakeUpstream::start().await;
    let server = TestServer::start(config_for(Some(&upstream))).await;
    upstream.push_all([
        tool_calls(vec![
            call("p1", "record_positioning", &args(json!({"level": "Expert Executor", "evidence": "Trusted with the pricing work", "rate": "$150/h", "date": "2026-10-01"}))),
            call("e1", "record_evidence", &args(json!({"contribution": "Framed the pricing options", "business_impact": "Enterprise tier priced", "evidence": "Decision memo", "date": "2026-10-12"}))),
        ]),
        text("Recorded."),
        tool_calls(vec![call("r1", "fill_template", &args(json!({"template": "renewal-strategy", "fields": {"customer_name": "Acme", "renewal_date": "2027-01-15", "current_terms": "20 h/week at $150/hour", "proposed_terms": "20 h/week at $200/hour"}})))]),
        text("Your renewal strategy is ready."),
    ]);
    chat(
        &server,
        "relationship-advisor",
        "acme",
        "Record where I stand.",
    )
    .await;
    let body = chat(
        &server,
        "relationship-advisor",
        "acme",
        "Prepare the renewal.",
    )
    .await;
    assert_eq!(body["tool_calls"][0]["ok"], true, "{body}");
    let artifact = &body["artifacts"][0];
    let markdown = artifact["markdown"].as_str().expect("markdown");
    assert!(
        markdown
            .contains("| Framed the pricing options | Enterprise tier priced | Decision memo |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("**Current Rate**: $150 per hour"),
        "{markdown}"
    );
    assert!(
        markdown.contains("**Proposed Rate**: $200 per hour"),
        "{markdown}"
    );
    assert!(markdown.contains("implies $200-300/h"), "{markdown}");
    let corrections = artifact["corrections"].to_string();
    assert!(
        corrections.contains("value_delivered filled from the evidence ledger (1 contributions)"),
        "{corrections}"
    );
    assert!(
        corrections.contains("rate_justification filled from the positioning history"),
        "{corrections}"
    );

    // Given fields are the model's: nothing is filled over them.
    upstream.push_all([
        tool_calls(vec![call("r2", "fill_template", &args(json!({"template": "renewal-strategy", "fields": {"customer_name": "Acme", "renewal_date": "2027-01-15", "current_terms": "20 h/week at $150/hour", "proposed_terms": "20 h/week at $200/hour", "value_delivered": [{"achievement": "Own row", "impact": "i", "evidence": "e"}]}})))]),
        text("Done."),
    ]);
    let body = chat(
        &server,
        "relationship-advisor",
        "acme",
        "Again with my rows.",
    )
    .await;
    let markdown = body["artifacts"][0]["markdown"].as_str().expect("markdown");
    assert!(
        markdown.contains("| Own row |") && !markdown.contains("Framed the pricing"),
        "{markdown}"
    );
}

#[tokio::test]
async fn client_pm_progress_runs_from_the_coaching_plan_baseline() {
    let upstream = FakeUpstream::start().await;
    let dir = tempfile::tempdir().expect("workspace");
    let server = TestServer::start(dated(&upstream, dir.path())).await;
    upstream.push_all([
        tool_calls(vec![call("f1", "fill_template", &args(json!({"template": "client-pm-coaching-plan", "fields": fixture("client-pm-coaching-plan")})))]),
        text("Plan ready."),
        tool_calls(vec![call("s1", "record_pm_session", &args(json!({"pm_name": "Dana Whitfield", "indicators": {"starts_with_why": "Sometimes"}, "criteria_met": ["Proactively questions strategic alignment"], "notes": "Session 1: reframed the dispatch backlog"})))]),
        text("Session recorded."),
        tool_calls(vec![call("s2", "record_pm_session", &args(json!({"pm_name": "../../Lee", "graduated": true})))]),
        text("Lee graduated."),
    ]);
    chat(
        &server,
        "strategic-pm-coach",
        "acme",
        "Write Dana's coaching plan.",
    )
    .await;
    chat(
        &server,
        "strategic-pm-coach",
        "acme",
        "I had session 1 with Dana today.",
    )
    .await;
    chat(
        &server,
        "strategic-pm-coach",
        "acme",
        "Lee works on his own now.",
    )
    .await;

    let (status, body) = server.get("/v1/customers/acme/client-pms").await;
    assert_eq!(status, 200, "{body}");
    let pms = body["client_pms"].as_array().expect("pms");
    assert_eq!(pms.len(), 2, "{body}");
    let dana = pms
        .iter()
        .find(|p| p["name"] == "Dana Whitfield")
        .expect("dana");
    assert_eq!(dana["baseline"]["starts_with_why"], "Rarely");
    assert_eq!(dana["now"]["starts_with_why"], "Sometimes");
    assert_eq!(dana["now"]["connects_to_outcomes"], "Sometimes");
    assert_eq!(dana["sessions"], 1);
    assert_eq!(dana["criteria_met"].as_array().expect("criteria").len(), 3);
    assert_eq!(dana["graduated"], Value::Null);
    // A name never becomes a path: "../../Lee" is the file lee.md in client-pms/.
    assert!(
        dir.path()
            .join("customers/acme/client-pms/lee.md")
            .is_file()
    );
    assert!(
        dir.path()
            .join("customers/acme/client-pms/dana-whitfield.md")
            .is_file()
    );
    let reminders = body["reminders"].as_array().expect("reminders");
    assert!(reminders.contains(&json!({"pm": "Dana Whitfield", "kind": "CoachingSessionDue", "date": "2026-12-14", "text": "Coaching session 2 with Dana Whitfield is due"})), "{reminders:?}");
    assert!(
        reminders
            .iter()
            .any(|r| r["kind"] == "GraduationCheckIn" && r["date"] == "2026-12-30"),
        "{reminders:?}"
    );

    upstream.push_all([text("Dana is progressing.")]);
    chat(&server, "strategic-pm-coach", "acme", "How is Dana doing?").await;
    let requests = upstream.requests();
    let system = common::system_prompt(&requests.last().expect("request").body);
    assert!(
        system.contains("- Dana Whitfield: 1 sessions; Starts with Why Rarely → Sometimes"),
        "{system}"
    );
    assert!(
        system.contains("next: Coaching session 2 with Dana Whitfield is due (2026-12-14)"),
        "{system}"
    );

    // Two weeks out is not yet a reminder; within a week it is, and Lee's
    // check-in is too.
    let due = |body: &Value, kind: &str| {
        body["reminders"]
            .as_array()
            .expect("reminders")
            .iter()
            .any(|r| r["kind"] == kind)
    };
    let (_, body) = server.get("/v1/customers/acme/reminders").await;
    assert!(!due(&body, "CoachingSessionDue"), "{body}");
    drop(server);
    let mut later = dated(&upstream, dir.path());
    later.today = Some(jiff::civil::date(2026, 12, 24));
    let server = TestServer::start(later).await;
    let (status, body) = server.get("/v1/customers/acme/reminders").await;
    assert_eq!(status, 200, "{body}");
    assert!(due(&body, "CoachingSessionDue"), "{body}");
    assert!(due(&body, "GraduationCheckIn"), "{body}");
    assert!(body.to_string().contains("10 days overdue"), "{body}");
}

fn keyed(upstream: &FakeUpstream) -> (pmcoach::config::Config, String, String) {
    let (acme, acme_hash) = new_key().expect("key");
    let (all, all_hash) = new_key().expect("key");
    let entries = vec![
        KeyEntry {
            name: "acme-pm".into(),
            hash: acme_hash,
            customers: CustomersField::List(vec!["acme".into()]),
            admin: false,
        },
        KeyEntry {
            name: "practice".into(),
            hash: all_hash,
            customers: CustomersField::All("*".into()),
            admin: false,
        },
    ];
    let mut config = config_for(Some(upstream));
    config.today = Some(jiff::civil::date(2026, 12, 10));
    config.keys = Keys::from_entries(&entries).expect("keys");
    config.auth.keys = entries;
    (config, acme, all)
}

async fn get_as(server: &TestServer, key: &str, path: &str) -> (u16, Value) {
    let response = server
        .client
        .get(format!("{}{path}", server.base))
        .bearer_auth(key)
        .send()
        .await
        .expect("reaches");
    common::read(response).await
}

async fn chat_as(server: &TestServer, key: &str, body: &Value) -> (u16, Value) {
    let response = server
        .client
        .post(format!("{}/v1/chat", server.base))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .expect("reaches");
    common::read(response).await
}

#[tokio::test]
async fn the_portfolio_lists_every_customer_in_the_keys_scope() {
    let upstream = FakeUpstream::start().await;
    let (config, acme_key, all_key) = keyed(&upstream);
    let server = TestServer::start(config).await;
    let workspace = server.state.workspace.clone();
    for id in ["acme", "globex", "initech"] {
        workspace
            .ensure_customer(&pmcoach::workspace::CustomerId::parse(id).expect("id"))
            .await
            .expect("folder");
    }
    let info = server.workspace.join("customers/acme/customer-info.md");
    let written = std::fs::read_to_string(&info)
        .expect("info")
        .replace(
            "- **Customer Name**: ",
            "- **Customer Name**: Acme Logistics",
        )
        .replace(
            "## Context\n",
            "## Context\n- **Renewal Date**: 2027-01-15\n",
        );
    std::fs::write(&info, written).expect("info");
    upstream.push_all([
        tool_calls(vec![
            call("p1", "record_positioning", &args(json!({"level": "Staff Aug", "evidence": "Sprint support only", "rate": "$120/h"}))),
            call("l1", "log_event", &args(json!({"event_type": "Workshop", "title": "Roadmap session", "work_category": "Strategic", "hours": 3, "what_happened": "Set the Q1 bets", "business_impact": "Three bets instead of twelve", "action_items": [{"task": "Send the one-pager", "owner": "Me", "due": "2026-12-05"}], "pm_report": "ran a three hour roadmap session"}))),
            call("l2", "log_event", &args(json!({"event_type": "Meeting", "title": "Standup", "work_category": "Tactical", "hours": 1, "what_happened": "Ran standup", "pm_report": "and an hour of standup"}))),
        ]),
        text("Logged."),
    ]);
    let (status, body) = chat_as(
        &server,
        &acme_key,
        &json!({"capability": "strategic-pm-coach", "customer": "acme", "message": "Log my week: I ran a three hour roadmap session and an hour of standup."}),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let (status, all) = get_as(&server, &all_key, "/v1/portfolio").await;
    assert_eq!(status, 200, "{all}");
    let ids: Vec<&str> = all["customers"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["acme", "globex", "initech"]);
    let acme = &all["customers"][0];
    assert_eq!(acme["name"], "Acme Logistics");
    assert_eq!(acme["strategic_pct"], 75.0);
    assert_eq!(acme["ladder_level"], "Staff Aug");
    assert_eq!(acme["renewal_date"], "2027-01-15");
    assert_eq!(acme["open_action_items"], 1);
    assert_eq!(
        acme["overdue_action_items"], 1,
        "due 2026-12-05, today 2026-12-10"
    );
    assert_eq!(acme["evidence"], 1);
    assert_eq!(all["customers"][1]["strategic_pct"], Value::Null);

    let (status, scoped) = get_as(&server, &acme_key, "/v1/portfolio").await;
    assert_eq!(status, 200, "{scoped}");
    let ids: Vec<&str> = scoped["customers"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["acme"]);
    let (status, body) = get_as(&server, &acme_key, "/v1/customers/globex/evidence").await;
    assert_eq!(status, 403, "{body}");

    // The CLI prints the same practice as a table.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_pmcoach"))
        .arg("portfolio")
        .env("PMCOACH_WORKSPACE", &server.workspace)
        .env("PMCOACH_CAPABILITIES_DIR", common::capabilities_dir())
        .env_remove("PMCOACH_CONFIG")
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("Customer") && lines[0].contains("Ladder level"),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("acme")
            && lines[1].contains("Acme Logistics")
            && lines[1].contains("75% of 4 h")
            && lines[1].contains("Staff Aug")
            && lines[1].contains("2027-01-15"),
        "{stdout}"
    );
    assert_eq!(lines.len(), 4, "{stdout}");
}

#[tokio::test]
async fn the_growth_store_is_kept_only_for_a_key_that_covers_the_practice() {
    let upstream = FakeUpstream::start().await;
    let (mut config, acme_key, all_key) = keyed(&upstream);
    config.today = Some(jiff::civil::date(2026, 11, 30));
    let server = TestServer::start(config).await;
    upstream.push_all([
        tool_calls(vec![
            call("c1", "record_growth_commitment", &args(json!({"commitment": "Run two discovery interviews a week", "due": "2026-12-20"}))),
            call("g1", "log_growth_session", &args(json!({"session_type": "Growth Assessment", "title": "Discovery gap", "summary": "Avoids customer interviews; committed to two a week"}))),
        ]),
        text("Committed."),
        tool_calls(vec![call("u1", "update_growth_commitment", &args(json!({"id": "GC-001", "status": "Met", "note": "eight interviews"})))]),
        text("Well done."),
        text("I can't keep your growth store with this key."),
    ]);
    let ask = |message: &str| json!({"capability": "growth-advisor", "message": message});
    let (status, body) = chat_as(&server, &all_key, &ask("Assess my growth.")).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["tool_calls"]
            .as_array()
            .expect("calls")
            .iter()
            .all(|c| c["ok"] == true),
        "{body}"
    );
    let first = upstream.requests()[0].body.clone();
    assert!(common::tool_names(&first).contains(&"record_growth_commitment"));
    assert!(common::system_prompt(&first).contains("Nothing recorded yet: no commitments"));

    let (status, body) = chat_as(&server, &all_key, &ask("I did the interviews.")).await;
    assert_eq!(status, 200, "{body}");
    let requests = upstream.requests();
    let system = common::system_prompt(&requests[2].body);
    assert!(
        system.contains("GC-001 Run two discovery interviews a week (due 2026-12-20): Open"),
        "{system}"
    );
    assert!(
        system.contains("[2026-11-30] Growth Assessment: Discovery gap"),
        "{system}"
    );
    let commitments =
        std::fs::read_to_string(server.workspace.join("growth/commitments.md")).expect("file");
    assert!(commitments.contains("| GC-001 | Run two discovery interviews a week | 2026-12-20 | Met | 2026-11-30: Open; 2026-11-30: Met (eight interviews) |"), "{commitments}");
    let events = std::fs::read_to_string(server.workspace.join("growth/events.md")).expect("file");
    assert!(
        events.contains("### [2026-11-30] Growth Assessment: Discovery gap\n"),
        "{events}"
    );

    let (status, body) = chat_as(&server, &acme_key, &ask("Assess my growth.")).await;
    assert_eq!(status, 200, "{body}");
    let last = upstream.requests().last().expect("request").body.clone();
    assert!(
        !common::tool_names(&last)
            .iter()
            .any(|t| t.contains("growth")),
        "{last}"
    );
    assert!(!common::system_prompt(&last).contains("GC-001"));
}
