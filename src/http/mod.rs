//! The HTTP API: routes, shared state, and the server loop.

mod access;
mod agent_card;
mod body_timeout;
mod capabilities;
mod chat;
mod chat_stream;
mod connection;
mod customers;
mod documents;
mod error;
mod follow_ups;
mod guarded;
mod invoke;
mod memory;
mod openai;
mod openapi;
mod prometheus;
mod ready;
mod responses;
mod server;
mod shutdown;
mod sse;
mod web;

use axum::extract::DefaultBodyLimit;
use axum::http::Uri;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use capabilities::{CapabilityList, CapabilitySummary};
pub use chat::{ChatRequest, ChatResponse};
pub use error::{ApiError, AppJson, AppPath, ErrorBody, ErrorCause, ErrorDetail};
pub use invoke::{InvokeRequest, InvokeResponse};
pub use openai::{CUSTOMER_HEADER, ModelEntry, ModelList, OpenAiError, OpenAiJson, STORE_HEADER};
pub use openapi::openapi;

pub use crate::app::AppState;
use crate::conversation::AUTO;
use access::Access;

/// The request id header, set on every request and echoed on every response.
pub const REQUEST_ID: &str = "x-request-id";

/// The API's routes and their OpenAPI document, behind the access layer; each
/// request gets an id (`x-request-id`: the client's if it sent a sane one)
/// that its log lines carry and its response echoes.
pub fn router(state: AppState) -> Router {
    let body_limit = state.limits.max_body_bytes;
    let settings = &state.access;
    let access = Access::new(
        settings.keys.clone(),
        settings.http.clone(),
        settings.max_concurrent_per_key,
    );
    let cors = cors(&settings.http.cors_origins);
    let models: Vec<String> = std::iter::once(AUTO.to_string())
        .chain(state.capabilities.iter().map(|c| c.id.clone()))
        .collect();
    let document = Arc::new(openapi::served(
        &state.limits,
        &models,
        !settings.keys.is_empty(),
    ));
    prometheus::handle();
    let (router, _) = api_router().split_for_parts();
    router
        .merge(web::routes())
        // MCP (JSON-RPC over Streamable HTTP): behind the same layers, not in
        // the OpenAPI document. GET, the stream for messages the server starts,
        // is 405 as the spec allows: pmcoach starts none, and an idle stream
        // per client would hold a key's slot and the shutdown's grace period.
        .route("/mcp", mcp_routes(&state))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(
            state.limits.server.body_timeout(),
            body_timeout::enforce,
        ))
        .layer(axum::middleware::from_fn_with_state(access, access::guard))
        .layer(tower::util::option_layer(cors))
        .layer(CatchPanicLayer::custom(|_panic| {
            ApiError::Internal("a handler panicked".into()).into_response()
        }))
        .layer(axum::middleware::map_response(log_errors))
        .layer(axum::middleware::from_fn(prometheus::record))
        .layer(Extension(document))
        .layer(Extension(Arc::new(ready::Cache::default())))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::map_request(drop_odd_request_id))
        .with_state(state)
}

/// POST (messages) and DELETE (a legacy session's end) to the MCP service.
fn mcp_routes(state: &AppState) -> axum::routing::MethodRouter<AppState> {
    let service = crate::mcp::http_service(state.clone());
    axum::routing::post_service(service.clone()).delete_service(service)
}

/// The span every request's log lines carry: method, path (no query) and id.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
}

/// A client's `x-request-id` is kept only when it is a short token, so it
/// cannot forge log lines; otherwise one is made.
async fn drop_odd_request_id(mut request: axum::extract::Request) -> axum::extract::Request {
    let sane = request.headers().get(REQUEST_ID).is_some_and(|v| {
        (1..=64).contains(&v.len())
            && v.as_bytes()
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    });
    if !sane {
        request.headers_mut().remove(REQUEST_ID);
    }
    request
}

/// CORS for the configured origins, or none (browsers then get no CORS
/// headers and refuse cross-origin calls).
fn cors(origins: &[String]) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    (!origins.is_empty()).then(|| {
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                CONTENT_TYPE,
                AUTHORIZATION,
                HeaderName::from_static(CUSTOMER_HEADER),
            ])
            .expose_headers([HeaderName::from_static(REQUEST_ID)])
    })
}

/// Every documented route.
fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::frame())
        .routes(routes!(healthz))
        .routes(routes!(ready::readyz))
        .routes(routes!(prometheus::metrics))
        .routes(routes!(openapi::openapi_json))
        .routes(routes!(agent_card::card))
        .routes(routes!(capabilities::list))
        .routes(routes!(chat::chat))
        .routes(routes!(invoke::invoke))
        .routes(routes!(openai::completions))
        .routes(routes!(responses::create))
        .routes(routes!(openai::models))
        .routes(routes!(customers::list))
        .routes(routes!(customers::show))
        .routes(routes!(customers::events))
        .routes(routes!(customers::engagement))
        .routes(routes!(customers::usage))
        .routes(routes!(customers::artifacts))
        .routes(routes!(customers::artifact, documents::set_artifact_status))
        .routes(routes!(customers::session))
        .routes(routes!(memory::positioning))
        .routes(routes!(memory::evidence))
        .routes(routes!(memory::client_pms))
        .routes(routes!(memory::portfolio))
        .routes(routes!(follow_ups::action_items))
        .routes(routes!(follow_ups::reminders))
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
    let upkeep = tokio::spawn(prometheus::upkeep());
    let served = server::serve(listener, router(state), &limits, shutdown).await;
    upkeep.abort();
    served
}

/// Liveness: the process answers. Whether it can take turns is `/readyz`.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "service",
    operation_id = "health",
    responses((status = 200, description = "The service is up", content_type = "text/plain", body = String))
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
