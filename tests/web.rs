//! The web pages through the real server, without a browser: every page
//! answers HTML with the Content-Security-Policy and names no other host; a
//! key kept in the sign-in cookie reaches exactly what it reaches on the API;
//! the cookie signs nothing in from another site. (tests/browser.rs drives
//! the same pages in Chromium.)
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use std::path::PathBuf;

use common::seeded::seeded_workspace;
use common::{FakeUpstream, TestServer, config_for, text};
use pmcoach::access::{CustomersField, KeyEntry, Keys, new_key};
use reqwest::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;

async fn server(upstream: &FakeUpstream, keys: &[KeyEntry]) -> (TestServer, tempfile::TempDir) {
    let root = seeded_workspace();
    let mut config = config_for(Some(upstream));
    config.workspace_dir = root.path().to_path_buf();
    config.today = Some(jiff::civil::date(2026, 11, 30));
    config.keys = Keys::from_entries(keys).expect("keys");
    config.auth.keys = keys.to_vec();
    (TestServer::start(config).await, root)
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

async fn page(client: &reqwest::Client, url: String, cookie: Option<&str>) -> (u16, String) {
    let mut request = client.get(url).header("accept", "text/html");
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    let response = request.send().await.expect("response");
    let status = response.status().as_u16();
    let html = response.text().await.expect("body");
    (status, html)
}

#[tokio::test]
async fn every_page_is_html_under_the_policy_and_names_no_other_host() {
    let upstream = FakeUpstream::start().await;
    let (server, _root) = server(&upstream, &[]).await;
    let client = no_redirects();
    for path in [
        "/",
        "/?customer=northwind",
        "/portfolio",
        "/customers/northwind",
        "/customers/acme",
        "/customers/northwind/documents/2026-11-20-roadmap-one-pager.md",
        "/ui/sessions?customer=northwind",
        "/ui/sessions",
    ] {
        let response = client
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .expect("response");
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers().clone();
        assert!(
            headers[CONTENT_TYPE]
                .to_str()
                .expect("type")
                .starts_with("text/html"),
            "{path}"
        );
        let csp = headers[CONTENT_SECURITY_POLICY].to_str().expect("csp");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        let html = response.text().await.expect("body");
        for outside in ["http://", "https://", "//cdn", "src=\"//"] {
            assert!(!html.contains(outside), "{path} names {outside}:\n{html}");
        }
    }
}

#[tokio::test]
async fn the_dashboard_shows_what_the_api_returns() {
    let upstream = FakeUpstream::start().await;
    let (server, _root) = server(&upstream, &[]).await;
    let (status, html) = page(
        &no_redirects(),
        format!("{}/customers/northwind", server.base),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (_, engagement) = server.get("/v1/customers/northwind/engagement").await;
    // The chart's data is the API's answer, embedded as JSON.
    let start = html.find("id=\"dashboard-data\">").expect("data block") + 20;
    let end = start + html[start..].find("</script>").expect("end");
    let embedded: serde_json::Value = serde_json::from_str(&html[start..end]).expect("json");
    assert_eq!(embedded["engagement"], engagement);
    assert_eq!(engagement["weeks"].as_array().expect("weeks").len(), 8);
    assert!(html.contains("Northwind Freight"));
    assert!(html.contains("AI-003"), "the overdue item is listed");
    assert!(html.contains("of which 1 overdue"));
    assert!(html.contains("Pricing options workshop"), "evidence");
    assert!(html.contains("Strategic Advisor"), "ladder");
    assert!(
        html.contains("2026-11-20-roadmap-one-pager.md"),
        "documents"
    );
}

#[tokio::test]
async fn documents_are_rendered_inert_and_downloadable() {
    let upstream = FakeUpstream::start().await;
    let (server, _root) = server(&upstream, &[]).await;
    let base = format!(
        "{}/customers/northwind/documents/2026-11-20-roadmap-one-pager.md",
        server.base
    );
    let (status, html) = page(&no_redirects(), base.clone(), None).await;
    assert_eq!(status, 200);
    assert!(html.contains("<h2>NOW (this quarter)</h2>"), "{html}");
    assert!(html.contains("<table>"));
    assert!(!html.contains("<script>alert"), "raw HTML is text: {html}");
    assert!(html.contains("&lt;script&gt;alert"));
    let download = reqwest::get(format!("{base}/download"))
        .await
        .expect("download");
    assert_eq!(download.status(), 200);
    assert_eq!(
        download.headers()["content-disposition"],
        "attachment; filename=\"2026-11-20-roadmap-one-pager.md\""
    );
    let text = download.text().await.expect("markdown");
    assert!(text.starts_with("# Roadmap One-Pager: Northwind Freight"));
    // A path out of the customer's folder is refused like on the API.
    let (status, _) = page(
        &no_redirects(),
        format!(
            "{}/customers/northwind/documents/..%2Fcustomer-info.md",
            server.base
        ),
        None,
    )
    .await;
    assert_eq!(status, 400);
}

fn scoped_key(name: &str, customers: CustomersField) -> (String, KeyEntry) {
    let (key, hash) = new_key().expect("key");
    let entry = KeyEntry {
        name: name.into(),
        hash,
        customers,
        admin: false,
    };
    (key, entry)
}

async fn sign_in(server: &TestServer, key: &str) -> reqwest::Response {
    no_redirects()
        .post(format!("{}/login", server.base))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("key={key}&next=%2Fcustomers%2Facme"))
        .send()
        .await
        .expect("response")
}

#[tokio::test]
async fn a_signed_in_key_reaches_its_customers_only() {
    let upstream = FakeUpstream::start().await;
    let (acme_key, acme) = scoped_key("acme-pm", CustomersField::List(vec!["acme".into()]));
    let (server, _root) = server(&upstream, &[acme]).await;
    let client = no_redirects();

    // Without a key a page sends the browser to sign in; the API still says 401.
    let response = client
        .get(format!("{}/customers/acme", server.base))
        .header("accept", "text/html")
        .send()
        .await
        .expect("response");
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()[LOCATION], "/login?next=/customers/acme");
    let (status, _) = server.get("/v1/customers").await;
    assert_eq!(status, 401);
    let (status, html) = page(&client, format!("{}/login", server.base), None).await;
    assert_eq!(status, 200);
    assert!(html.contains("<label for=\"key\">API key</label>"));

    // A wrong key is the form again, with the reason.
    let wrong = sign_in(&server, "pmc_not-a-key").await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get(SET_COOKIE).is_none());
    assert!(
        wrong
            .text()
            .await
            .expect("body")
            .contains("not a key this server knows")
    );

    let signed = sign_in(&server, &acme_key).await;
    assert_eq!(signed.status(), 303);
    assert_eq!(signed.headers()[LOCATION], "/customers/acme");
    let set = signed.headers()[SET_COOKIE].to_str().expect("cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let cookie = set.split(';').next().expect("pair").to_string();

    let (status, html) = page(&client, format!("{}/", server.base), Some(&cookie)).await;
    assert_eq!(status, 200);
    assert!(html.contains("value=\"acme\""), "acme is offered");
    assert!(
        !html.contains("northwind"),
        "a customer outside the scope is not listed"
    );
    let (status, html) = page(&client, format!("{}/portfolio", server.base), Some(&cookie)).await;
    assert_eq!(status, 200);
    assert!(html.contains("/customers/acme") && !html.contains("northwind"));
    let (status, _) = page(
        &client,
        format!("{}/customers/acme", server.base),
        Some(&cookie),
    )
    .await;
    assert_eq!(status, 200);
    for path in [
        "/customers/northwind",
        "/customers/northwind/documents/2026-11-20-roadmap-one-pager.md",
        "/ui/sessions?customer=northwind",
        "/?customer=northwind",
    ] {
        let (status, html) = page(&client, format!("{}{path}", server.base), Some(&cookie)).await;
        assert_eq!(status, 403, "{path}");
        assert!(
            html.contains("Your key does not reach this page"),
            "{path}: {html}"
        );
        assert!(!html.contains("\"error\""), "words, not JSON: {html}");
    }
}

#[tokio::test]
async fn the_cookie_signs_in_only_requests_from_this_servers_pages() {
    let upstream = FakeUpstream::start().await;
    upstream.push(text("Start from the decision the roadmap must enable."));
    let (key, all) = scoped_key("ops", CustomersField::All("*".into()));
    let (server, _root) = server(&upstream, &[all]).await;
    let cookie = format!("pmcoach_key={key}");
    let body = serde_json::json!({"message": "Where do I start?", "customer": "acme", "capability": "strategic-pm-coach"});
    let post = |origin: Option<String>| {
        let mut request = server
            .client
            .post(format!("{}/v1/chat", server.base))
            .header(COOKIE, &cookie)
            .json(&body);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    let foreign = post(Some("http://evil.example".into()))
        .await
        .expect("response");
    assert_eq!(foreign.status(), 403);
    let missing = post(None).await.expect("response");
    assert_eq!(missing.status(), 403);
    assert_eq!(upstream.request_count(), 0, "nothing ran");
    let own = post(Some(server.base.clone())).await.expect("response");
    assert_eq!(own.status(), 200);
    // Reading with the cookie needs no Origin (a GET changes nothing).
    let read = server
        .client
        .get(format!("{}/v1/customers", server.base))
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("response");
    assert_eq!(read.status(), 200);
}

#[tokio::test]
async fn assets_are_served_from_the_binary_and_unknown_ones_are_json_404s() {
    let upstream = FakeUpstream::start().await;
    let (_acme_key, acme) = scoped_key("acme-pm", CustomersField::List(vec!["acme".into()]));
    let (server, _root) = server(&upstream, &[acme]).await;
    for (asset, licence) in [
        ("htmx-2.0.11.min.js", "web/vendor/htmx-2.0.11/htmx.min.js"),
        (
            "chart.js-4.6.1.umd.min.js",
            "web/vendor/chart.js-4.6.1/chart.umd.min.js",
        ),
    ] {
        let response = reqwest::get(format!("{}/assets/{asset}", server.base))
            .await
            .expect("asset");
        assert_eq!(response.status(), 200, "public, like the sign-in page");
        assert!(
            response.headers()["cache-control"]
                .to_str()
                .expect("cc")
                .contains("immutable")
        );
        let bytes = response.bytes().await.expect("bytes");
        let vendored = std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(licence))
            .expect("vendored file");
        assert_eq!(bytes.as_ref(), vendored.as_slice());
    }
    let zipped = server
        .client
        .get(format!("{}/assets/chart.js-4.6.1.umd.min.js", server.base))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("asset");
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    let size = zipped.bytes().await.expect("bytes").len();
    assert!(size < 100_000, "gzipped Chart.js is {size} bytes");
    let (status, body) = server.get("/assets/nope.js").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
}
