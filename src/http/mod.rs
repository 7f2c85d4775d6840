//! The HTTP API: routes, shared state, and the server loop.

mod access;
mod body_timeout;
mod capabilities;
mod chat;
mod connection;
mod customers;
mod error;
mod follow_ups;
mod invoke;
mod openai;
mod server;
mod shutdown;
mod sse;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Uri;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use std::future::Future;
use std::sync::OnceLock;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use capabilities::{CapabilityList, CapabilitySummary};
pub use chat::{ChatRequest, ChatResponse};
pub use error::{ApiError, AppJson, AppPath, ErrorBody, ErrorCause, ErrorDetail};
pub use invoke::{InvokeRequest, InvokeResponse};
pub use openai::{CUSTOMER_HEADER, ModelEntry, ModelList, OpenAiError, OpenAiJson, STORE_HEADER};

pub use crate::app::AppState;
use access::Access;

/// The request id header, set on every request and echoed on every response.
pub const REQUEST_ID: &str = "x-request-id";

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
    let (router, _) = api_router().split_for_parts();
    router
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
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::map_request(drop_odd_request_id))
        .with_state(state)
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
        .routes(routes!(follow_ups::action_items))
        .routes(routes!(follow_ups::reminders))
}

/// The OpenAPI document of the whole API: every route but the public ones
/// takes a bearer key.
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
    let mut document = api_router().into_openapi();
    document
        .components
        .get_or_insert_with(Default::default)
        .add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    document.security = Some(vec![SecurityRequirement::new(
        "bearer",
        Vec::<String>::new(),
    )]);
    for path in access::PUBLIC_PATHS {
        if let Some(item) = document.paths.paths.get_mut(*path) {
            if let Some(get) = item.get.as_mut() {
                get.security = Some(vec![SecurityRequirement::default()]);
            }
        }
    }
    document
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
