//! The HTTP API: routes, shared state, and the server loop.

mod body_timeout;
mod capabilities;
mod chat;
mod connection;
mod customers;
mod error;
mod invoke;
mod openai;
mod server;
mod shutdown;
mod sse;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use std::future::Future;
use std::sync::OnceLock;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use capabilities::{CapabilityList, CapabilitySummary};
pub use chat::{ChatRequest, ChatResponse};
pub use error::{ApiError, AppJson, AppPath, ErrorBody, ErrorCause, ErrorDetail};
pub use invoke::{InvokeRequest, InvokeResponse};
pub use openai::{CUSTOMER_HEADER, ModelEntry, ModelList, OpenAiError, OpenAiJson};

pub use crate::app::AppState;

/// The OpenAPI document's frame; every path is added from the handlers' own
/// `#[utoipa::path]` annotations as they are routed, so routes and document
/// cannot drift apart.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "pmcoach",
        description = "A Strategic PM Coach (and its sibling capabilities) for fractional product managers: chat, an OpenAI-compatible endpoint, structured invoke, and the customer documentation."
    ),
    tags(
        (name = "chat", description = "Conversations with a capability"),
        (name = "openai", description = "OpenAI-compatible: model = capability id or auto"),
        (name = "orchestrators", description = "Structured invocation"),
        (name = "capabilities", description = "What each capability is for"),
        (name = "customers", description = "Customer documentation, read-only"),
        (name = "service", description = "Health and this document")
    )
)]
struct ApiDoc;

/// The API's routes and their OpenAPI document.
pub fn router(state: AppState) -> Router {
    let body_limit = state.limits.max_body_bytes;
    let (router, _) = api_router().split_for_parts();
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(
            state.limits.server.body_timeout(),
            body_timeout::enforce,
        ))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(|_panic| {
            ApiError::Internal("a handler panicked".into()).into_response()
        }))
        .layer(axum::middleware::map_response(log_errors))
        .with_state(state)
}

/// Every documented route.
fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(healthz))
        .routes(routes!(openapi_json))
        .routes(routes!(capabilities::list))
        .routes(routes!(chat::chat))
        .routes(routes!(invoke::invoke))
        .routes(routes!(openai::completions))
        .routes(routes!(openai::models))
        .routes(routes!(customers::list))
        .routes(routes!(customers::show))
        .routes(routes!(customers::events))
        .routes(routes!(customers::engagement))
        .routes(routes!(customers::usage))
        .routes(routes!(customers::artifacts))
        .routes(routes!(customers::artifact))
        .routes(routes!(customers::session))
}

/// The OpenAPI document of the whole API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_router().into_openapi()
}

/// This document, built once from the routes on first request.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "service",
    responses((status = 200, description = "The OpenAPI document of this API"))
)]
async fn openapi_json() -> axum::Json<&'static utoipa::openapi::OpenApi> {
    static DOCUMENT: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    axum::Json(DOCUMENT.get_or_init(openapi))
}

/// Serves the API on `listener` until `shutdown` resolves, then shuts down
/// as `[limits.server]` says (see `server`): requests in flight get the grace
/// period, then are cancelled; it returns within the grace period and a
/// second, whatever the clients do.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.limits.server.clone();
    server::serve(listener, router(state), &limits, shutdown).await
}

/// Liveness.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "service",
    responses((status = 200, description = "The service is up", body = String))
)]
async fn healthz() -> &'static str {
    "ok"
}

/// Logs the cause an error response carries (see [`ErrorCause`]): every error
/// is logged here, once.
async fn log_errors(response: Response) -> Response {
    if let Some(cause) = response.extensions().get::<ErrorCause>() {
        cause.log();
    }
    response
}

async fn not_found(uri: Uri) -> Response {
    ApiError::NoRoute(uri.path().to_string()).into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::MethodNotAllowed.into_response()
}
