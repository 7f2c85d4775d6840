//! The one error type at the HTTP edge and the JSON extractor that uses it.
//!
//! Every error leaves as `{"error": {"code", "message"}}` with the right status;
//! internal causes are logged once, by the layer that answers, never sent.

use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::config::NO_MODEL_ADVICE;
use crate::conversation::BudgetSpent;
use crate::model::ModelError;

/// An error answered to an HTTP client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed or fails validation.
    #[error("{0}")]
    BadRequest(String),
    /// 400: a parameter's value is out of range or invalid (`param` names it).
    #[error("{message}")]
    InvalidParameter {
        /// The parameter.
        param: String,
        /// What is wrong.
        message: String,
    },
    /// 400: a parameter pmcoach does not support was set (`param` names it).
    #[error("{message}")]
    UnsupportedParameter {
        /// The parameter.
        param: String,
        /// Why not.
        message: String,
    },
    /// 404: no such capability.
    #[error("unknown capability {0:?}")]
    UnknownCapability(String),
    /// 404: no such customer.
    #[error("unknown customer {0:?}")]
    UnknownCustomer(String),
    /// 404: no such artifact.
    #[error("unknown artifact {0:?}")]
    UnknownArtifact(String),
    /// 409: the resource cannot take this change as it stands (a document
    /// without a status line to move).
    #[error("{0}")]
    Conflict(String),
    /// 404: no such session.
    #[error("unknown session {0:?}")]
    UnknownSession(String),
    /// 404: no stored response with this id that the key and customer reach.
    #[error("no stored response {0:?} (previous_response_id)")]
    UnknownResponse(String),
    /// 401: no valid API key (`Authorization: Bearer <key>`).
    #[error("a valid API key is required: send Authorization: Bearer <key>")]
    Unauthorized,
    /// 403: the key does not reach this customer (or operation).
    #[error("{0}")]
    Forbidden(String),
    /// 421: the Host header names a host this server does not serve.
    #[error("this server does not serve that host name (see [http] allowed_hosts)")]
    MisdirectedHost,
    /// 503: the key has as many requests in flight as it may; try again shortly.
    #[error("too many requests in flight for this key; retry shortly")]
    Overloaded,
    /// 404: no such route.
    #[error("no route for {0}")]
    NoRoute(String),
    /// 405: the route exists but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 413: the body is larger than the limit.
    #[error("request body is too large")]
    PayloadTooLarge,
    /// 413: the request cannot fit the model's context window, even with no
    /// history; the message names the numbers.
    #[error("{0}")]
    ContextOverflow(String),
    /// 502: the answer is not in the format the caller asked for, even after
    /// one correction.
    #[error("{0}")]
    InvalidOutput(String),
    /// 502: the request spent its budget of model calls, tool calls or tokens.
    #[error("{0}")]
    BudgetExhausted(String),
    /// 415: the body is not declared as JSON.
    #[error("expected a JSON body with content-type application/json")]
    UnsupportedMediaType,
    /// 502: the model upstream failed (`upstream_too_large` when its answer
    /// passed the size limit); 503 with `Retry-After` when it is rate limited
    /// for longer than we wait.
    #[error(transparent)]
    Model(ModelError),
    /// 502: the model kept calling tools past the step limit, or said nothing.
    #[error("{0}")]
    ModelBehaviour(String),
    /// 500: the customer's documents or the session could not be written; what
    /// was already on disk is intact.
    #[error("{0}")]
    Storage(String),
    /// 422: a structured invoke could not produce its template; the message
    /// lists the fields still missing.
    #[error("{0}")]
    TemplateNotFilled(String),
    /// 429: the customer has spent its daily token budget; `Retry-After`
    /// says when it resets (the next UTC midnight).
    #[error(transparent)]
    DailyBudget(BudgetSpent),
    /// 503: no model is configured.
    #[error("{NO_MODEL_ADVICE}")]
    NoModel,
    /// 500: our own failure; the cause is logged, not sent.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_)
            | ApiError::InvalidParameter { .. }
            | ApiError::UnsupportedParameter { .. } => StatusCode::BAD_REQUEST,
            ApiError::UnknownCapability(_)
            | ApiError::UnknownSession(_)
            | ApiError::UnknownResponse(_)
            | ApiError::UnknownCustomer(_)
            | ApiError::UnknownArtifact(_)
            | ApiError::NoRoute(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::MisdirectedHost => StatusCode::MISDIRECTED_REQUEST,
            ApiError::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::PayloadTooLarge | ApiError::ContextOverflow(_) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::BudgetExhausted(_) | ApiError::InvalidOutput(_) => StatusCode::BAD_GATEWAY,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Model(ModelError::RateLimited { .. }) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Model(_) | ApiError::ModelBehaviour(_) => StatusCode::BAD_GATEWAY,
            ApiError::NoModel => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::TemplateNotFilled(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::DailyBudget(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Storage(_) | ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable code of the error body.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "invalid_request",
            ApiError::InvalidParameter { .. } => "invalid_value",
            ApiError::UnsupportedParameter { .. } => "unsupported_parameter",
            ApiError::UnknownCapability(_) => "unknown_capability",
            ApiError::UnknownSession(_) => "unknown_session",
            ApiError::UnknownResponse(_) => "previous_response_not_found",
            ApiError::UnknownCustomer(_) => "unknown_customer",
            ApiError::UnknownArtifact(_) => "unknown_artifact",
            ApiError::Conflict(_) => "conflict",
            ApiError::NoRoute(_) => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::MisdirectedHost => "misdirected_request",
            ApiError::Overloaded => "overloaded",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::ContextOverflow(_) => "context_overflow",
            ApiError::BudgetExhausted(_) => "budget_exhausted",
            ApiError::InvalidOutput(_) => "invalid_structured_output",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::Model(ModelError::TooLarge { .. }) => "upstream_too_large",
            ApiError::Model(ModelError::RateLimited { .. }) => "upstream_rate_limited",
            ApiError::Model(_) => "upstream_error",
            ApiError::ModelBehaviour(_) => "model_error",
            ApiError::NoModel => "no_model",
            ApiError::TemplateNotFilled(_) => "template_not_filled",
            ApiError::DailyBudget(_) => "budget_exhausted",
            ApiError::Storage(_) => "storage_error",
            ApiError::Internal(_) => "internal",
        }
    }
}

/// Every error's body: `{"error": {"code", "message"}}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody<'a> {
    /// The error.
    pub error: ErrorDetail<'a>,
}

/// What went wrong.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail<'a> {
    /// Machine-readable code (`invalid_request`, `unknown_capability`, ...).
    pub code: &'a str,
    /// What happened, for people.
    pub message: String,
}

impl ApiError {
    /// `{"error": {"code", "message"}}`. Building it has no side effects: the
    /// cause is logged by the layer that answers (see [`ErrorCause`]).
    pub fn body(&self) -> serde_json::Value {
        serde_json::to_value(ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
            },
        })
        .unwrap_or_default()
    }

    /// What the log should say about this error, if anything: internal causes
    /// and upstream failures, never a client's own mistakes.
    pub fn cause(&self) -> Option<ErrorCause> {
        let (level, what, cause) = match self {
            ApiError::Internal(cause) => (Level::Error, "internal error", cause.clone()),
            ApiError::Storage(cause) => (Level::Error, "storage error", cause.clone()),
            ApiError::Model(err) => (Level::Warn, "model upstream failed", err.to_string()),
            ApiError::ModelBehaviour(err) => (Level::Warn, "model misbehaved", err.clone()),
            ApiError::BudgetExhausted(err) => (Level::Warn, "budget exhausted", err.clone()),
            _ => return None,
        };
        Some(ErrorCause { level, what, cause })
    }
}

#[derive(Debug, Clone, Copy)]
enum Level {
    Warn,
    Error,
}

/// An error's cause as the log records it. An error response carries it as an
/// extension for the logging layer (`http::log_errors`); a streamed turn that
/// fails logs it where the stream ends. Either way once, and never sent.
#[derive(Debug, Clone)]
pub struct ErrorCause {
    level: Level,
    what: &'static str,
    cause: String,
}

/// An error response's code, as an extension for the metrics layer (which
/// counts refusals by code without reading bodies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ErrorCode(pub(super) &'static str);

impl ErrorCause {
    /// Writes the cause to the log.
    pub fn log(&self) {
        match self.level {
            Level::Error => tracing::error!(cause = %self.cause, "{}", self.what),
            Level::Warn => tracing::warn!(error = %self.cause, "{}", self.what),
        }
    }
}

impl ApiError {
    /// The request parameter at fault, when one is.
    pub fn param(&self) -> Option<&str> {
        match self {
            ApiError::InvalidParameter { param, .. }
            | ApiError::UnsupportedParameter { param, .. } => Some(param),
            ApiError::UnknownResponse(_) => Some("previous_response_id"),
            _ => None,
        }
    }

    /// Seconds a client should wait before trying again, when we know.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::Model(ModelError::RateLimited { retry_after }) => {
                Some(retry_after.as_secs().max(1))
            }
            ApiError::DailyBudget(refusal) => Some(refusal.retry_after_secs),
            ApiError::Overloaded => Some(1),
            _ => None,
        }
    }

    /// A response with `body`, this error's status, its `Retry-After` if any,
    /// and its cause for the logging layer.
    pub fn respond_with(&self, body: serde_json::Value) -> Response {
        let mut response = (self.status(), axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after() {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        if matches!(self, ApiError::Unauthorized) {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        if let Some(cause) = self.cause() {
            response.extensions_mut().insert(cause);
        }
        response.extensions_mut().insert(ErrorCode(self.code()));
        response
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.respond_with(self.body())
    }
}

mod convert;

/// `axum::extract::Path`, but a rejected path answers with our error shape.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct AppPath<T>(pub T);

/// `axum::Json`, but a rejected body answers with our error shape.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct AppJson<T>(pub T);

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_carries_the_cause_for_the_log_but_the_body_does_not() {
        let err = ApiError::Storage("customers/acme/event-log.md: disk full".into());
        let body = err.body();
        assert_eq!(body["error"]["code"], "storage_error");
        let response = err.into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let cause = response.extensions().get::<ErrorCause>().expect("a cause");
        assert!(cause.cause.contains("disk full"));

        let internal = ApiError::Internal("secret detail".into());
        assert!(!internal.body().to_string().contains("secret detail"));
    }

    #[test]
    fn a_client_mistake_is_not_logged() {
        let response = ApiError::BadRequest("message must not be empty".into()).into_response();
        assert!(response.extensions().get::<ErrorCause>().is_none());
    }
}
