//! Errors in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`,
//! so OpenAI SDKs report ours as they would OpenAI's; and the JSON extractor
//! whose rejections use it.

use axum::extract::FromRequest;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use serde_json::json;

use crate::conversation::ConversationError;
use crate::http::error::ApiError;

/// An [`ApiError`] answered in OpenAI's shape.
#[derive(Debug)]
pub struct OpenAiError(ApiError);

impl From<ApiError> for OpenAiError {
    fn from(err: ApiError) -> Self {
        Self(err)
    }
}

impl From<ConversationError> for OpenAiError {
    fn from(err: ConversationError) -> Self {
        Self(err.into())
    }
}

impl From<JsonRejection> for OpenAiError {
    fn from(rejection: JsonRejection) -> Self {
        Self(rejection.into())
    }
}

/// OpenAI's body for `err` (no side effects).
pub(super) fn body(err: &ApiError) -> serde_json::Value {
    let kind = match err.status() {
        StatusCode::BAD_REQUEST
        | StatusCode::NOT_FOUND
        | StatusCode::PAYLOAD_TOO_LARGE
        | StatusCode::UNSUPPORTED_MEDIA_TYPE
        | StatusCode::UNPROCESSABLE_ENTITY
        | StatusCode::METHOD_NOT_ALLOWED => "invalid_request_error",
        StatusCode::SERVICE_UNAVAILABLE => "service_unavailable",
        // OpenAI's type for a spent quota (its SDKs raise RateLimitError on 429).
        StatusCode::TOO_MANY_REQUESTS => "insufficient_quota",
        _ => "server_error",
    };
    let code = match err {
        ApiError::UnknownCapability(_) => "model_not_found",
        other => other.code(),
    };
    json!({"error": {"message": err.to_string(), "type": kind, "param": err.param(), "code": code}})
}

impl IntoResponse for OpenAiError {
    fn into_response(self) -> Response {
        self.0.respond_with(body(&self.0))
    }
}

/// `Json` whose rejections answer in OpenAI's error shape.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(OpenAiError))]
pub struct OpenAiJson<T>(pub T);
