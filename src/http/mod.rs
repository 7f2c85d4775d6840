//! The HTTP API: routes, shared state, and the server loop.

mod capabilities;
mod chat;
mod customers;
mod error;
mod sse;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use std::future::Future;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

pub use capabilities::{CapabilityList, CapabilitySummary};
pub use chat::{ChatRequest, ChatResponse};
pub use error::{ApiError, AppJson, AppPath};

pub use crate::app::AppState;

/// The API's routes.
pub fn router(state: AppState) -> Router {
    let body_limit = state.limits.max_body_bytes;
    Router::new()
        .route("/healthz", get(healthz))
        .route("/v1/capabilities", get(capabilities::list))
        .route("/v1/chat", post(chat::chat))
        .route("/v1/customers", get(customers::list))
        .route("/v1/customers/{id}", get(customers::show))
        .route("/v1/customers/{id}/events", get(customers::events))
        .route("/v1/customers/{id}/engagement", get(customers::engagement))
        .route("/v1/customers/{id}/artifacts", get(customers::artifacts))
        .route(
            "/v1/customers/{id}/artifacts/{name}",
            get(customers::artifact),
        )
        .route(
            "/v1/customers/{id}/sessions/{session}",
            get(customers::session),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(|_panic| {
            ApiError::Internal("a handler panicked".into()).into_response()
        }))
        .with_state(state)
}

/// Serves the API on `listener` until `shutdown` resolves, then finishes the
/// requests in flight.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // axum leaves Nagle's algorithm on; small writes (JSON, and later SSE
    // chunks) would otherwise wait for ACKs.
    let listener = listener.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(%err, "could not set TCP_NODELAY");
        }
    });
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn healthz() -> &'static str {
    "ok"
}

async fn not_found(uri: Uri) -> Response {
    ApiError::NoRoute(uri.path().to_string()).into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::MethodNotAllowed.into_response()
}
