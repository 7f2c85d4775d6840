//! The OpenAPI document: the routes' own `#[utoipa::path]` annotations, plus
//! what every operation shares and no annotation should repeat: the bearer
//! scheme, the answers of the layers in front of every handler (Host check,
//! key, slots, body limits, shutdown), the request-id header, and the limits
//! of this configuration.

use std::sync::Arc;

use axum::Extension;
use axum::response::IntoResponse;
use utoipa::OpenApi;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, PathItem, Ref, RefOr};

use super::access::PUBLIC_PATHS;
use super::{REQUEST_ID, api_router};
use crate::limits::Limits;
use crate::workspace::{ArtifactName, CustomerId, MAX_ID_LEN, SLUG_PATTERN, SessionId};

/// The document's frame; every path is added from the handlers' own
/// `#[utoipa::path]` annotations as they are routed, so routes and document
/// cannot drift apart.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "pmcoach",
        description = "A Strategic PM Coach (and its sibling capabilities) for fractional product managers: chat, an OpenAI-compatible endpoint, structured invoke, and the customer documentation. Every error is `{\"error\": {\"code\", \"message\"}}` (the OpenAI-compatible routes add OpenAI's `type` and `param`); every response carries `x-request-id`."
    ),
    components(schemas(CustomerId, SessionId, ArtifactName)),
    tags(
        (name = "chat", description = "Conversations with a capability"),
        (name = "openai", description = "OpenAI-compatible: model = capability id or auto"),
        (name = "orchestrators", description = "Structured invocation"),
        (name = "capabilities", description = "What each capability is for"),
        (name = "customers", description = "Customer documentation, read-only"),
        (name = "service", description = "Health, readiness, metrics and this document")
    )
)]
pub(super) struct ApiDoc;

impl ApiDoc {
    /// The frame, for `api_router`.
    pub(super) fn frame() -> utoipa::openapi::OpenApi {
        <Self as OpenApi>::openapi()
    }
}

/// Which operations an answer of the layers applies to.
#[derive(Clone, Copy, PartialEq)]
enum Applies {
    /// Every operation.
    Always,
    /// Operations that take a key.
    Secured,
    /// Operations with a JSON request body.
    WithBody,
}

/// The answers of the layers in front of the handlers: status, code, when.
const COMMON: &[(&str, &str, Applies, &str)] = &[
    (
        "421",
        "misdirected_request",
        Applies::Always,
        "The Host header names a host this server does not serve (see `[http] allowed_hosts`)",
    ),
    (
        "500",
        "internal",
        Applies::Always,
        "Our own failure; the cause is logged, not sent",
    ),
    (
        "503",
        "shutting_down",
        Applies::Always,
        "The server is shutting down and cancelled the request; the connection closes",
    ),
    (
        "401",
        "unauthorized",
        Applies::Secured,
        "No valid API key: send `Authorization: Bearer <key>`",
    ),
    (
        "503",
        "overloaded",
        Applies::Secured,
        "The key has as many requests in flight as it may; `Retry-After` says when to try again",
    ),
    (
        "400",
        "invalid_request",
        Applies::WithBody,
        "The body is not JSON of the request's shape",
    ),
    (
        "408",
        "body_timeout",
        Applies::WithBody,
        "The body did not arrive within `[limits.server] body_timeout_secs`; the connection closes",
    ),
    (
        "413",
        "payload_too_large",
        Applies::WithBody,
        "The body is larger than `[limits] max_body_bytes`",
    ),
    (
        "415",
        "unsupported_media_type",
        Applies::WithBody,
        "The body is not declared as `application/json`",
    ),
];

/// The document for the default limits (what `pmcoach openapi` would print
/// and the tests read).
pub fn openapi() -> utoipa::openapi::OpenApi {
    document(&Limits::default())
}

/// The document of this server: its limits, its capabilities as the models
/// the OpenAI-compatible route takes, and, when it has no keys (open on
/// loopback), no authentication.
pub(super) fn served(limits: &Limits, models: &[String], keyed: bool) -> utoipa::openapi::OpenApi {
    let mut document = document(limits);
    if let Some(components) = document.components.as_mut() {
        name_models(&mut components.schemas, models);
    }
    if !keyed {
        document.security = None;
        for item in document.paths.paths.values_mut() {
            for operation in operations(item) {
                operation.security = None;
                operation.responses.responses.remove("401");
            }
        }
        if let Some(components) = document.components.as_mut() {
            components.security_schemes.clear();
        }
    }
    document
}

/// The completions request's `model`: one of `models`.
fn name_models(schemas: &mut std::collections::BTreeMap<String, RefOr<Schema>>, models: &[String]) {
    if let Some(RefOr::T(Schema::Object(request))) = schemas.get_mut("CompletionsRequest")
        && let Some(RefOr::T(Schema::Object(model))) = request.properties.get_mut("model")
    {
        model.enum_values = Some(models.iter().map(|m| m.as_str().into()).collect());
    }
}

/// The document of a server with `limits`.
pub(super) fn document(limits: &Limits) -> utoipa::openapi::OpenApi {
    let mut document = api_router().into_openapi();
    let components = document.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
    );
    constrain_requests(&mut components.schemas, limits);
    document.security = Some(vec![SecurityRequirement::new(
        "bearer",
        Vec::<String>::new(),
    )]);
    for (path, item) in &mut document.paths.paths {
        let public = PUBLIC_PATHS.contains(&path.as_str());
        for operation in operations(item) {
            if public {
                operation.security = Some(vec![SecurityRequirement::default()]);
            }
            add_common_responses(operation, !public);
        }
    }
    document
}

/// Every operation of a path.
fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.post,
        &mut item.put,
        &mut item.delete,
        &mut item.patch,
        &mut item.head,
        &mut item.options,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// Adds the layers' answers that apply to `operation`, merged into the
/// route's own answer of the same status, and the headers every answer has.
fn add_common_responses(operation: &mut Operation, secured: bool) {
    let with_body = operation.request_body.is_some();
    for &(status, code, applies, description) in COMMON {
        let applies = match applies {
            Applies::Always => true,
            Applies::Secured => secured,
            Applies::WithBody => with_body,
        };
        if !applies {
            continue;
        }
        let text = format!("{description} (`{code}`)");
        let responses = &mut operation.responses.responses;
        match responses.get_mut(status) {
            Some(RefOr::T(response)) if !response.description.contains(&format!("`{code}`")) => {
                response.description = format!("{}. Or: {text}", response.description);
            }
            Some(_) => {}
            None => {
                responses.insert(
                    status.to_string(),
                    RefOr::T(utoipa::openapi::Response::new(text)),
                );
            }
        }
    }
    for (status, response) in &mut operation.responses.responses {
        if let RefOr::T(response) = response {
            describe_answer(status, response);
        }
    }
}

/// An answer's headers, and for an error status the error body (beside the
/// route's own, if it documents another).
fn describe_answer(status: &str, response: &mut utoipa::openapi::Response) {
    let header = |description: &str| {
        HeaderBuilder::new()
            .schema(ObjectBuilder::new().schema_type(Type::String))
            .description(Some(description))
            .build()
    };
    response.headers.insert(
        REQUEST_ID.to_string(),
        header("The request's id: the client's own if it sent a short token, else a new UUID"),
    );
    match status {
        "401" => {
            response
                .headers
                .insert("www-authenticate".into(), header("`Bearer`"));
        }
        "429" | "503" => {
            response.headers.insert(
                "retry-after".into(),
                header("Seconds to wait before trying again, when known"),
            );
        }
        _ => {}
    }
    if !status.starts_with(['4', '5']) {
        return;
    }
    let error = RefOr::Ref(Ref::from_schema_name("ErrorBody"));
    let json = response
        .content
        .entry("application/json".to_string())
        .or_insert_with(|| Content::new(None::<RefOr<Schema>>));
    json.schema = Some(match json.schema.take() {
        None => error,
        Some(RefOr::Ref(own)) if own.ref_location.ends_with("/ErrorBody") => RefOr::Ref(own),
        Some(own) => OneOfBuilder::new().item(own).item(error).into(),
    });
}

/// Constraints that depend on the configuration, or that belong to request
/// types whose files this module leaves alone: the message limits, and the
/// ids `/v1/chat` takes.
fn constrain_requests(
    schemas: &mut std::collections::BTreeMap<String, RefOr<Schema>>,
    limits: &Limits,
) {
    let max = limits.max_message_chars;
    let mut set = |schema: &str, field: &str, pattern: Option<&str>, min: usize, max: usize| {
        if let Some(RefOr::T(Schema::Object(object))) = schemas.get_mut(schema)
            && let Some(RefOr::T(Schema::Object(field))) = object.properties.get_mut(field)
        {
            field.pattern = pattern.map(str::to_string).or(field.pattern.take());
            field.min_length = Some(min);
            field.max_length = Some(max);
        }
    };
    set("ChatRequest", "message", Some(NON_BLANK), 1, max);
    set("ChatRequest", "customer", Some(SLUG_PATTERN), 1, MAX_ID_LEN);
    set(
        "ChatRequest",
        "session_id",
        Some(SLUG_PATTERN),
        1,
        MAX_ID_LEN,
    );
    set("InvokeRequest", "task", Some(NON_BLANK), 1, max);
    set("InvokeRequest", "context", None, 0, max);
}

/// Text that is not only white space (the server trims what it is sent).
const NON_BLANK: &str = "\\S";

/// Serves the document of this server, built once with its limits.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "service",
    operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI document of this API", body = Object))
)]
pub(super) async fn openapi_json(
    Extension(document): Extension<Arc<utoipa::openapi::OpenApi>>,
) -> axum::response::Response {
    axum::Json(document.as_ref()).into_response()
}
