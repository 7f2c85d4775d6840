//! The web pages in a real browser: Debian's Chromium, driven through
//! chromedriver (WebDriver) by fantoccini, against the real server and the
//! fake upstream. Screenshots are saved under target/screenshots/ for review.
//! Needs `chromium` and `chromium-driver` (scripts/browser-deps.sh installs them);
//! CHROMIUM and CHROMEDRIVER override their paths.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::seeded::seeded_workspace;
use common::{FakeUpstream, TestServer, call, config_for, text, tool_calls};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use pmcoach::access::{CustomersField, KeyEntry, Keys, new_key};
use serde_json::{Value, json};
use tokio::process::{Child, Command};

/// chromedriver on a free port, killed when dropped.
struct Driver {
    _child: Child,
    url: String,
}

fn tool(name: &str) -> String {
    std::env::var(name.to_uppercase().replace('-', "_"))
        .unwrap_or_else(|_| format!("/usr/bin/{name}"))
}

async fn driver() -> Driver {
    let path = tool("chromedriver");
    assert!(
        std::path::Path::new(&path).exists(),
        "{path} is missing: the browser tests need Debian's chromium and chromium-driver \
         (`sudo apt-get install chromium chromium-driver`; scripts/browser-deps.sh does it)"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(&path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("chromedriver starts");
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ready = reqwest::get(format!("{url}/status"))
            .await
            .ok()
            .filter(|r| r.status().is_success());
        if ready.is_some() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "chromedriver did not answer on {url}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Driver { _child: child, url }
}

async fn browser(driver: &Driver, width: u32, height: u32) -> Client {
    let options = json!({
        "binary": tool("chromium"),
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--hide-scrollbars", format!("--window-size={width},{height}")],
    });
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("goog:chromeOptions".into(), options);
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a browser session")
}

/// Polls `script` (a JS expression) until it is truthy; returns its value.
async fn until(client: &Client, what: &str, script: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let value = client
            .execute(&format!("return ({script});"), vec![])
            .await
            .expect("script runs");
        let truthy = !matches!(&value, Value::Null | Value::Bool(false))
            && value != json!(0)
            && value != json!("");
        if truthy {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Picks `value` in the `<select>` matching `css`.
async fn pick(client: &Client, css: &str, value: &str) {
    client
        .find(Locator::Css(css))
        .await
        .expect("a picker")
        .select_by_value(value)
        .await
        .expect("picked");
}

/// Types `text` into the element matching `css` and presses Enter.
async fn type_and_enter(client: &Client, css: &str, text: &str) {
    client
        .find(Locator::Css(css))
        .await
        .expect("a text box")
        .send_keys(&format!("{text}\u{E007}"))
        .await
        .expect("typed");
}

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .expect("something to click")
        .click()
        .await
        .expect("clicked");
}

async fn screenshot(client: &Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshots folder");
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("saved");
}

async fn server(upstream: &FakeUpstream) -> (TestServer, tempfile::TempDir) {
    keyed_server(upstream, &[]).await
}

async fn keyed_server(
    upstream: &FakeUpstream,
    keys: &[KeyEntry],
) -> (TestServer, tempfile::TempDir) {
    let root = seeded_workspace();
    let mut config = config_for(Some(upstream));
    config.keys = Keys::from_entries(keys).expect("keys");
    config.auth.keys = keys.to_vec();
    config.workspace_dir = root.path().to_path_buf();
    config.today = Some(jiff::civil::date(2026, 11, 30));
    (TestServer::start(config).await, root)
}

/// Everything the page loaded came from the server itself.
async fn assert_nothing_from_elsewhere(client: &Client) {
    let foreign = client
        .execute(
            "return performance.getEntriesByType('resource').map(e => e.name)\
             .filter(n => !n.startsWith(location.origin + '/'));",
            vec![],
        )
        .await
        .expect("script runs");
    assert_eq!(foreign, json!([]), "loaded from elsewhere");
}

const REPLY: &str = "Your hours moved from 9% to 75% strategic in eight weeks. \
                     Bring that line to the renewal conversation, with the two wins from the evidence ledger.";

#[tokio::test]
async fn a_message_streams_its_reply_and_tool_calls_then_the_session_resumes() {
    let upstream = FakeUpstream::start().await;
    upstream.push_all([
        tool_calls(vec![
            call("call_1", "engagement_summary", "{}"),
            call(
                "call_2",
                "consult_exec_comms_specialist",
                r#"{"question": "How should the renewal email open?"}"#,
            ),
        ]),
        text("Open with the outcome: 75% of the hours now go to strategy."),
        text(REPLY),
    ]);
    upstream.set_chunk_size(4);
    upstream.set_chunk_delay(Duration::from_millis(40));
    let (server, _root) = server(&upstream).await;
    let driver = driver().await;
    let client = browser(&driver, 1280, 900).await;

    client
        .goto(&format!("{}/?customer=northwind", server.base))
        .await
        .expect("chat page");
    until(
        &client,
        "htmx",
        "window.htmx && document.querySelector('#sessions .muted')",
    )
    .await;
    pick(&client, "#capability", "strategic-pm-coach").await;
    // Enter sends (the keyboard alone is enough).
    type_and_enter(&client, "#message", "How is the engagement shifting?").await;

    let marker = until(
        &client,
        "the tool-call marker",
        "[...document.querySelectorAll('.tool-call')].map(e => e.textContent).join('|')",
    )
    .await;
    assert!(
        marker
            .as_str()
            .expect("text")
            .contains("engagement_summary"),
        "{marker}"
    );
    until(
        &client,
        "the consult's marker",
        "[...document.querySelectorAll('.tool-call')].some(e => e.textContent.includes('exec-comms-specialist'))",
    )
    .await;
    // Part of the reply is on the page before all of it is.
    let partial = until(
        &client,
        "the first streamed text",
        &format!(
            "(() => {{ const t = document.querySelector('.reply').textContent; \
             return t.length > 0 && t.length < {} ? t : ''; }})()",
            REPLY.len()
        ),
    )
    .await;
    assert!(
        REPLY.starts_with(partial.as_str().expect("text")),
        "{partial}"
    );
    until(
        &client,
        "the finished turn",
        "document.querySelector('.msg .meta')",
    )
    .await;
    let shown = client
        .find(Locator::Css(".reply"))
        .await
        .expect("reply")
        .text()
        .await
        .expect("text");
    assert_eq!(shown, REPLY);
    let finished = until(
        &client,
        "both markers finished",
        "document.querySelectorAll('.tool-call.ok').length === 2 && \
         [...document.querySelectorAll('.tool-call.ok')].map(e => e.textContent).join('|')",
    )
    .await;
    let finished = finished.as_str().expect("text");
    assert!(
        finished.contains("engagement_summary · finished"),
        "{finished}"
    );
    assert!(
        finished.contains("consulted exec-comms-specialist · finished"),
        "{finished}"
    );
    assert_nothing_from_elsewhere(&client).await;
    screenshot(&client, "chat").await;
    assert_eq!(
        accessibility_violations(&client).await,
        json!([]),
        "the chat with a turn in it"
    );

    // The session is listed; a new session clears the log; picking the old
    // one brings its turn back and the next message continues it.
    let session = until(
        &client,
        "the session list",
        "document.querySelector('button.session') && document.querySelector('button.session').dataset.session",
    )
    .await;
    let id = client
        .execute(
            "return document.getElementById('session-id').value;",
            vec![],
        )
        .await
        .expect("id");
    assert_eq!(session, id);
    click(&client, "#new-session").await;
    until(
        &client,
        "an empty log",
        "document.querySelectorAll('#log .msg').length === 0",
    )
    .await;
    click(&client, "button.session").await;
    until(
        &client,
        "the resumed session",
        "document.querySelector('#log .msg.user') && document.getElementById('session-id').value",
    )
    .await;
    let resumed = client
        .execute("return document.getElementById('log').textContent;", vec![])
        .await
        .expect("log");
    let resumed = resumed.as_str().expect("text");
    assert!(
        resumed.contains("How is the engagement shifting?"),
        "{resumed}"
    );
    assert!(
        resumed.contains("Bring that line to the renewal conversation"),
        "{resumed}"
    );
    client.close().await.expect("closed");
}

#[tokio::test]
async fn an_error_is_shown_in_words() {
    let upstream = FakeUpstream::start().await;
    let (server, _root) = server(&upstream).await;
    let driver = driver().await;
    let client = browser(&driver, 1280, 900).await;
    client.goto(&server.base).await.expect("chat page");
    // No scripted answer: the upstream fails, and the page says so in words.
    type_and_enter(&client, "#message", "Hello?").await;
    let shown = until(
        &client,
        "the error",
        "document.querySelector('.msg .error') && document.querySelector('.msg .error').textContent",
    )
    .await;
    let shown = shown.as_str().expect("text");
    assert!(shown.starts_with("The coach could not answer: "), "{shown}");
    assert!(!shown.contains('{'), "words, not JSON: {shown}");
    client.close().await.expect("closed");
}

#[tokio::test]
async fn the_dashboard_draws_the_apis_numbers_and_fits_a_phone() {
    let upstream = FakeUpstream::start().await;
    let (server, _root) = server(&upstream).await;
    let (_, engagement) = server.get("/v1/customers/northwind/engagement").await;
    let driver = driver().await;
    let client = browser(&driver, 1280, 1500).await;
    client
        .goto(&format!("{}/customers/northwind", server.base))
        .await
        .expect("dashboard");
    let drawn = until(
        &client,
        "the hours chart",
        "window.Chart && Chart.getChart('hours-chart') && \
         Chart.getChart('hours-chart').data.datasets.map(d => ({label: d.label, data: d.data}))",
    )
    .await;
    let weeks = engagement["weeks"].as_array().expect("weeks");
    let numbers = |values: &Value| -> Vec<f64> {
        values
            .as_array()
            .expect("numbers")
            .iter()
            .map(|v| v.as_f64().expect("a number"))
            .collect()
    };
    let series = |label: &str| {
        numbers(
            &drawn
                .as_array()
                .expect("datasets")
                .iter()
                .find(|d| d["label"] == label)
                .unwrap_or_else(|| panic!("no {label} series in {drawn}"))["data"],
        )
    };
    let from_api = |key: &str| -> Vec<f64> {
        weeks
            .iter()
            .map(|w| w["hours"].get(key).and_then(Value::as_f64).unwrap_or(0.0))
            .collect()
    };
    assert_eq!(series("Tactical"), from_api("tactical"));
    assert_eq!(series("Strategic"), from_api("strategic"));
    assert_eq!(
        series("Capability building"),
        from_api("capability_building")
    );
    let share: Value = weeks.iter().map(|w| w["strategic_pct"].clone()).collect();
    assert_eq!(series("Strategic share (%)"), numbers(&share));
    // Pixels, not just data: a good part of the canvas is painted.
    let painted = client
        .execute(
            "const c = document.getElementById('hours-chart'); \
             const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; \
             let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; \
             return n / (c.width * c.height);",
            vec![],
        )
        .await
        .expect("pixels");
    assert!(
        painted.as_f64().expect("share") > 0.05,
        "painted share {painted}"
    );
    until(
        &client,
        "the ladder chart",
        "!!Chart.getChart('ladder-chart')",
    )
    .await;
    assert_nothing_from_elsewhere(&client).await;
    screenshot(&client, "dashboard").await;

    client.set_window_size(1280, 420).await.expect("resized");
    client
        .goto(&format!("{}/portfolio", server.base))
        .await
        .expect("portfolio");
    let rows = until(
        &client,
        "the portfolio",
        "document.querySelectorAll('table.portfolio tbody tr').length",
    )
    .await;
    assert_eq!(rows, json!(2));
    screenshot(&client, "portfolio").await;

    // A phone-width screen: nothing runs off the side.
    client.set_window_size(390, 844).await.expect("resized");
    for page in ["/customers/northwind", "/"] {
        client
            .goto(&format!("{}{page}", server.base))
            .await
            .expect("page");
        let overflow = until(
            &client,
            "the laid-out page",
            "document.readyState === 'complete' && \
             String(document.documentElement.scrollWidth - window.innerWidth)",
        )
        .await;
        assert_eq!(overflow, json!("0"), "{page} is wider than the screen");
    }
    screenshot(&client, "chat-phone").await;
    client.close().await.expect("closed");
}

#[tokio::test]
async fn a_document_arrives_rendered_with_its_download_and_viewer() {
    let upstream = FakeUpstream::start().await;
    let fields: Value = serde_json::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/templates/engagement-value-assessment.json"),
        )
        .expect("fixture"),
    )
    .expect("json");
    let arguments = json!({"template": "engagement-value-assessment", "fields": fields});
    upstream.push_all([
        tool_calls(vec![call(
            "fill_1",
            "fill_template",
            &arguments.to_string(),
        )]),
        text("Here is the assessment; the roadmap session is the lever."),
    ]);
    let (server, _root) = server(&upstream).await;
    let driver = driver().await;
    let client = browser(&driver, 1280, 900).await;
    client
        .goto(&format!("{}/?customer=northwind", server.base))
        .await
        .expect("chat page");
    until(&client, "htmx", "!!window.htmx").await;
    pick(&client, "#capability", "strategic-pm-coach").await;
    type_and_enter(&client, "#message", "Assess the engagement.").await;
    let rendered = until(
        &client,
        "the rendered document",
        "document.querySelector('.document .markdown h3') && \
         document.querySelector('.document .markdown').innerHTML",
    )
    .await;
    assert!(
        rendered
            .as_str()
            .expect("html")
            .contains("<h3>Time Allocation Review</h3>"),
        "{rendered}"
    );
    let links = client
        .execute(
            "return [...document.querySelectorAll('.document .actions a')]\
             .map(a => ({href: a.getAttribute('href'), download: a.getAttribute('download')}));",
            vec![],
        )
        .await
        .expect("links");
    let download = &links[0];
    assert!(
        download["href"]
            .as_str()
            .expect("href")
            .starts_with("blob:"),
        "{links}"
    );
    let name = download["download"].as_str().expect("a file name");
    assert!(name.ends_with(".md"), "{links}");
    assert_eq!(
        links[1]["href"],
        json!(format!("/customers/northwind/documents/{name}")),
        "the saved file's viewer"
    );
    click(&client, ".document .actions a:nth-of-type(2)").await;
    let heading = until(
        &client,
        "the viewer",
        "document.querySelector('.document-view h1') && document.querySelector('.document-view h1').textContent",
    )
    .await;
    assert!(
        heading
            .as_str()
            .expect("text")
            .starts_with("Engagement Value Assessment"),
        "{heading}"
    );
    client.close().await.expect("closed");
}

#[tokio::test]
async fn a_key_entered_once_signs_the_browser_in_to_its_customers_only() {
    let upstream = FakeUpstream::start().await;
    upstream.push(text("Name the decision the roadmap must enable."));
    let (key, hash) = new_key().expect("key");
    let entry = KeyEntry {
        name: "acme-pm".into(),
        hash,
        customers: CustomersField::List(vec!["acme".into()]),
        admin: false,
    };
    let (server, _root) = keyed_server(&upstream, &[entry]).await;
    let driver = driver().await;
    let client = browser(&driver, 1280, 900).await;

    client
        .goto(&format!("{}/customers/acme", server.base))
        .await
        .expect("dashboard");
    until(
        &client,
        "the sign-in page",
        "location.pathname === '/login'",
    )
    .await;
    assert_eq!(accessibility_violations(&client).await, json!([]), "/login");
    type_and_enter(&client, "#key", &key).await;
    until(
        &client,
        "the dashboard it came for",
        "location.pathname === '/customers/acme' && document.querySelector('h1').textContent",
    )
    .await;
    let cookie = client
        .execute("return document.cookie;", vec![])
        .await
        .expect("cookies");
    assert_eq!(cookie, json!(""), "HttpOnly: scripts cannot read the key");

    client.goto(&server.base).await.expect("chat page");
    let offered = until(
        &client,
        "the customer picker",
        "[...document.querySelectorAll('#customer option')].map(o => o.value).join(',')",
    )
    .await;
    assert_eq!(
        offered,
        json!(",acme"),
        "northwind is out of scope, so not listed"
    );
    pick(&client, "#customer", "acme").await;
    pick(&client, "#capability", "strategic-pm-coach").await;
    type_and_enter(&client, "#message", "Where do I start?").await;
    let reply = until(
        &client,
        "the reply",
        "document.querySelector('.msg .meta') && document.querySelector('.reply').textContent.trim()",
    )
    .await;
    assert_eq!(reply, json!("Name the decision the roadmap must enable."));

    client
        .goto(&format!("{}/customers/northwind", server.base))
        .await
        .expect("page");
    let refused = until(
        &client,
        "the refusal",
        "document.querySelector('.error-page') && document.querySelector('.error-page').textContent",
    )
    .await;
    assert!(
        refused
            .as_str()
            .expect("text")
            .contains("Your key does not reach this page"),
        "{refused}"
    );
    client.close().await.expect("closed");
}

/// axe-core's violations on the open page (tests/vendor/, never served).
async fn accessibility_violations(client: &Client) -> Value {
    let axe = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vendor/axe-core-4.14.1/axe.min.js"),
    )
    .expect("axe-core");
    client
        .execute(&format!("{axe}\n;window.axe = axe;"), vec![])
        .await
        .expect("axe loads");
    client
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             axe.run(document, {resultTypes: ['violations']}) \
               .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, \
                 nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))) \
               .catch(e => done([{id: 'axe failed', impact: String(e)}]));",
            vec![],
        )
        .await
        .expect("axe runs")
}

#[tokio::test]
async fn every_page_passes_axe_core() {
    let upstream = FakeUpstream::start().await;
    let (server, _root) = server(&upstream).await;
    let driver = driver().await;
    let client = browser(&driver, 1280, 900).await;
    for (page, ready) in [
        (
            "/?customer=northwind",
            "document.querySelector('button.session, #sessions .muted')",
        ),
        (
            "/customers/northwind",
            "!!(window.Chart && Chart.getChart('hours-chart'))",
        ),
        ("/portfolio", "document.readyState === 'complete'"),
        (
            "/customers/northwind/documents/2026-11-20-roadmap-one-pager.md",
            "document.readyState === 'complete'",
        ),
    ] {
        client
            .goto(&format!("{}{page}", server.base))
            .await
            .expect("page");
        until(&client, page, ready).await;
        let violations = accessibility_violations(&client).await;
        assert_eq!(violations, json!([]), "{page}");
    }
    client.close().await.expect("closed");
}
