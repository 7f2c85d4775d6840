//! The server's shutdown as a request sees it: the phase the server is in,
//! the moment requests still running are cancelled, and what a cancelled
//! request is told (`shutting_down`).

use std::future::Future;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::sync::watch;

use super::error::{ErrorBody, ErrorDetail};

/// Where the server is in its shutdown; each phase follows the one before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Phase {
    /// Accepting connections and requests.
    Serving,
    /// No longer accepting; requests in flight may finish within the grace
    /// period, idle connections close.
    Draining,
    /// The grace period is over: what still runs is cancelled and told so.
    Cancelling,
    /// Connections still open are dropped, whatever their clients do.
    Closing,
}

/// What a request cancelled by the shutdown is told.
pub(super) const MESSAGE: &str = "the server is shutting down; the request was cancelled";

/// The code of that error.
pub(super) const CODE: &str = "shutting_down";

tokio::task_local! {
    /// The server's phase, for the code a request runs (see [`scope`]).
    static PHASE: watch::Receiver<Phase>;
}

/// Runs `request` (a handler and whatever it builds, such as a streamed
/// turn) where [`cancelled`] can find the server's phase. A task-local
/// rather than an argument: the turns that stream are built by handlers
/// whose signatures belong to the routes, and none of them should have to
/// carry the server's plumbing.
pub(super) async fn scope<F: Future>(phase: watch::Receiver<Phase>, request: F) -> F::Output {
    PHASE.scope(phase, request).await
}

/// Resolves when the server cancels what still runs (or is gone). Called
/// outside a server (a router driven directly, as in unit tests), it never
/// resolves. Takes the phase when called, so call it while the request runs.
pub(super) fn cancelled() -> impl Future<Output = ()> + Send + 'static {
    let phase = PHASE.try_with(Clone::clone).ok();
    async move {
        match phase {
            Some(phase) => reached(phase, Phase::Cancelling).await,
            None => std::future::pending().await,
        }
    }
}

/// Resolves once the server is at `wanted` or later, or is gone.
pub(super) async fn reached(mut phase: watch::Receiver<Phase>, wanted: Phase) {
    // An error means the server dropped its side: nothing runs on.
    let _ = phase.wait_for(|now| *now >= wanted).await;
}

/// `shutting_down` in our error shape, `{"error": {"code", "message"}}`.
pub(super) fn body() -> serde_json::Value {
    serde_json::to_value(ErrorBody {
        error: ErrorDetail {
            code: CODE,
            message: MESSAGE.to_string(),
        },
    })
    .unwrap_or_default()
}

/// `shutting_down` in OpenAI's error shape.
pub(super) fn openai_body() -> serde_json::Value {
    json!({"error": {"message": MESSAGE, "type": "service_unavailable", "param": null, "code": CODE}})
}

/// 503 for a request cancelled before it answered. The server answers it
/// without knowing the route's error shape, so the body is OpenAI's, which
/// carries ours (`code`, `message`) too.
pub(super) fn unavailable() -> Response {
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, axum::Json(openai_body())).into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
