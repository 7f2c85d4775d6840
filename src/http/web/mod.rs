//! The web app pmcoach serves itself: a chat page, an engagement dashboard
//! per customer and the portfolio. Pages are rendered on the server from what
//! the API's own handlers return (the same scope checks, the same numbers);
//! htmx swaps fragments in, the chat streams from `/v1/chat`, and charts are
//! drawn by the vendored Chart.js from data embedded in the page. Nothing is
//! loaded from anywhere but this server, and the Content-Security-Policy says so.

mod assets;
mod chat;
mod dashboard;
mod login;
mod markdown;
mod page;

use std::future::Future;

use axum::Extension;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::response::Response;
use axum::routing::{get, post};
use minijinja::Value;
use serde::Serialize;

use super::AppState;
use super::error::{ApiError, AppJson, AppPath};
use crate::access::Caller;
use page::PageError;

/// Scripts, styles, images and requests from this server only; no inline
/// script or style, no framing, forms posted only here.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The pages, their fragments and assets, behind the same access layer as
/// the API (see `http/access.rs`: the key may come from the sign-in cookie).
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(chat::page))
        .route("/ui/sessions", get(chat::sessions))
        .route(
            "/ui/customers/{id}/sessions/{session}",
            get(chat::transcript),
        )
        .route("/ui/markdown", post(chat::markdown))
        .route("/portfolio", get(dashboard::portfolio))
        .route("/customers/{id}", get(dashboard::dashboard))
        .route("/customers/{id}/documents/{name}", get(dashboard::document))
        .route(
            "/customers/{id}/documents/{name}/download",
            get(dashboard::download),
        )
        .route("/login", get(login::form).post(login::sign_in))
        .route("/logout", post(login::sign_out))
        .route(
            "/assets/{file}",
            // Chart.js is 210 KB as vendored, about 70 KB gzipped.
            get(assets::asset).layer(tower_http::compression::CompressionLayer::new().gzip(true)),
        )
        .layer(axum::middleware::map_response(secure_headers))
}

async fn secure_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// What an API handler for one customer answers, as template data: the page
/// shows exactly what the API returns, refusals included.
async fn api<T, F, Fut>(
    handler: F,
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<Value, PageError>
where
    T: Serialize,
    F: FnOnce(State<AppState>, Extension<Caller>, AppPath<String>) -> Fut,
    Fut: Future<Output = Result<AppJson<T>, ApiError>>,
{
    let AppJson(found) = handler(
        State(state.clone()),
        Extension(caller.clone()),
        AppPath(id.to_string()),
    )
    .await?;
    Ok(Value::from_serialize(&found))
}

/// Whether the pages show a sign-out button (only when keys are configured).
fn signed_in(state: &AppState) -> bool {
    !state.access.keys.is_empty()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_page_template_compiles() {
        let count = super::page::compiled().expect("templates compile");
        assert!(count >= 7, "{count} templates");
    }
}
