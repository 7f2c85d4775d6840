//! `POST /v1/capabilities/{id}/invoke`: the entry for orchestrators that want a
//! capability's work as JSON rather than chat.

use axum::Extension;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::AppState;
use super::error::{ApiError, AppJson, AppPath, ErrorBody};
use crate::access::Caller;
use crate::conversation::{self, TurnRequest};
use crate::model::Usage;
use crate::session::ToolCallRecord;
use crate::templates::Artifact;
use crate::tools::{LogEventTool, Tool};
use crate::workspace::CustomerId;

/// The request body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvokeRequest {
    /// What the capability should do (not blank; with `context`, at most
    /// `[limits] max_message_chars` characters).
    pub task: String,
    /// Background it needs (it sees nothing else).
    #[serde(default)]
    pub context: Option<String>,
    /// The customer; its documents are read and written.
    #[serde(default)]
    #[schema(value_type = Option<CustomerId>)]
    pub customer: Option<String>,
    /// A template id of this capability: the output is then that document, and
    /// the call fails with the fields still missing if it cannot be filled.
    #[serde(default)]
    pub template: Option<String>,
}

/// An event the invocation logged.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LoggedEvent {
    /// Event type.
    pub event_type: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Work category.
    pub work_category: Option<String>,
    /// Hours.
    pub hours: Option<f64>,
}

/// The response body.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InvokeResponse {
    /// The capability that did the work.
    pub capability: String,
    /// The answer; with `template`, the filled document's markdown.
    pub output: String,
    /// Documents rendered (saved, with a customer).
    #[schema(value_type = Vec<Object>)]
    pub artifacts: Vec<Artifact>,
    /// Events logged to the customer's event log.
    pub events_logged: Vec<LoggedEvent>,
    /// Tokens spent.
    #[schema(value_type = Object)]
    pub usage: Usage,
    /// Their estimated cost in USD; absent when the model has no price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// The session the invocation was recorded as.
    pub session_id: String,
}

/// Runs a capability on a task.
#[utoipa::path(
    post,
    path = "/v1/capabilities/{id}/invoke",
    tag = "orchestrators",
    operation_id = "invoke_capability",
    params(("id" = String, Path, description = "Capability id (see `GET /v1/capabilities`)")),
    request_body = InvokeRequest,
    responses(
        (status = 200, description = "The capability's output", body = InvokeResponse),
        (status = 400, description = "A blank or over-long task, an invalid customer id, or a template that is unknown or not this capability's (`invalid_request`)", body = ErrorBody),
        (status = 403, description = "The key does not reach this customer (`forbidden`)", body = ErrorBody),
        (status = 404, description = "Unknown capability (`unknown_capability`)", body = ErrorBody),
        (status = 413, description = "The task cannot fit the model's context window (`context_overflow`)", body = ErrorBody),
        (status = 422, description = "The template could not be filled; the message lists the fields still missing (`template_not_filled`)", body = ErrorBody),
        (status = 429, description = "The customer has spent its daily token budget (`budget_exhausted`); `Retry-After` gives the seconds until the next UTC midnight", body = ErrorBody),
        (status = 500, description = "The customer's documents or the session could not be written (`storage_error`)", body = ErrorBody),
        (status = 502, description = "The model upstream failed (`upstream_error`, `upstream_too_large`), the model did not finish (`model_error`), or the request spent its budget of model calls, tool calls or tokens (`budget_exhausted`)", body = ErrorBody),
        (status = 503, description = "No model configured (`no_model`), or the upstream is rate limited for longer than we wait (`upstream_rate_limited`, with `Retry-After`)", body = ErrorBody)
    )
)]
pub(super) async fn invoke(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AppPath(id): AppPath<String>,
    AppJson(request): AppJson<InvokeRequest>,
) -> Result<AppJson<InvokeResponse>, ApiError> {
    if state.capabilities.get(&id).is_none() {
        return Err(ApiError::UnknownCapability(id));
    }
    if request.task.trim().is_empty() {
        return Err(ApiError::BadRequest("task must not be empty".into()));
    }
    let mut message = request.task.trim().to_string();
    if let Some(context) = request.context.as_deref().filter(|c| !c.trim().is_empty()) {
        message.push_str("\n\nContext:\n");
        message.push_str(context.trim());
    }
    let result = conversation::run_turn(
        &state,
        TurnRequest {
            caller,
            store: true,
            message,
            customer: request.customer,
            session_id: None,
            capability: Some(id),
            history: None,
            keep_history: false,
            instructions: None,
            template: request.template,
            options: Default::default(),
        },
    )
    .await?;
    // With a template, the turn succeeds only once it is filled.
    let events_logged = events_logged(&result.tool_calls);
    Ok(AppJson(InvokeResponse {
        capability: result.capability,
        output: result
            .document
            .map_or(result.reply, |document| document.markdown),
        artifacts: result.artifacts,
        events_logged,
        usage: result.usage,
        cost_usd: result.cost_usd,
        session_id: result.session_id,
    }))
}

/// The `log_event` calls that succeeded, as the events they logged.
fn events_logged(calls: &[ToolCallRecord]) -> Vec<LoggedEvent> {
    calls
        .iter()
        .filter(|call| call.ok && call.name == LogEventTool::NAME)
        .map(|call| {
            let text = |key: &str| {
                call.arguments
                    .get(key)
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            LoggedEvent {
                event_type: text("event_type"),
                title: text("title"),
                work_category: text("work_category"),
                hours: call.arguments.get("hours").and_then(Value::as_f64),
            }
        })
        .collect()
}
