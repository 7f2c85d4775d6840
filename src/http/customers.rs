//! `GET /v1/customers/...`: the customer documentation, read-only.
//!
//! Every handler turns the path segments into validated ids first (400 if they
//! are not), and only the workspace turns ids into paths.

use axum::Extension;
use axum::extract::State;
use serde::Serialize;

use super::AppState;
use super::error::{ApiError, AppJson, AppPath, ErrorBody};
use crate::access::Caller;
use crate::workspace::event_log::{ActionItem, Event};
use crate::workspace::info::{self, ClientPm};
use crate::workspace::metrics::Engagement;
use crate::workspace::{
    ArtifactName, ArtifactSummary, CustomerId, CustomerUsage, SessionId, Transcript,
};

/// The customer a path names: a valid id (400) within the caller's scope (403).
pub(super) fn customer(id: &str, caller: &Caller) -> Result<CustomerId, ApiError> {
    let id = CustomerId::parse(id).map_err(|err| ApiError::BadRequest(err.to_string()))?;
    if !caller.may_use(id.as_str()) {
        return Err(ApiError::Forbidden(format!(
            "this key may not read customer {:?}",
            id.as_str()
        )));
    }
    Ok(id)
}

/// A customer in the list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct CustomerSummary {
    /// Customer id.
    pub(super) id: CustomerId,
    /// Display name from customer-info.md, when recorded.
    pub(super) name: Option<String>,
}

/// `{customers: [...]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct CustomerList {
    /// Every customer with a folder.
    pub(super) customers: Vec<CustomerSummary>,
}

fn display_name(state: &AppState, id: &CustomerId) -> Option<String> {
    let text = state.workspace.info(id).ok()?;
    info::facts(&text)
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("Customer Name"))
        .map(|(_, value)| value)
}

/// Lists the customers.
#[utoipa::path(
    get,
    path = "/v1/customers",
    tag = "customers",
    operation_id = "list_customers",
    responses(
        (status = 200, description = "Every customer with a folder", body = CustomerList),
        (status = 500, description = "The workspace could not be read (`storage_error`)", body = ErrorBody)
    )
)]
pub(super) async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<AppJson<CustomerList>, ApiError> {
    let customers = state
        .workspace
        .customers()?
        .into_iter()
        .filter(|id| caller.may_use(id.as_str()))
        .map(|id| CustomerSummary {
            name: display_name(&state, &id),
            id,
        })
        .collect();
    Ok(AppJson(CustomerList { customers }))
}

/// A customer's engagement facts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct CustomerInfo {
    /// Customer id.
    pub(super) id: CustomerId,
    /// `**Field**: value` facts, in file order.
    pub(super) facts: Vec<Fact>,
    /// The Client Team table.
    #[schema(value_type = Vec<Object>)]
    pub(super) client_team: Vec<ClientPm>,
    /// customer-info.md as written.
    pub(super) markdown: String,
}

/// One fact.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct Fact {
    /// Field name.
    pub(super) name: String,
    /// Value.
    pub(super) value: String,
}

/// Shows customer-info.md.
#[utoipa::path(
    get,
    path = "/v1/customers/{id}",
    tag = "customers",
    operation_id = "get_customer",
    params(("id" = CustomerId, Path, description = "Customer id")),
    responses(
        (status = 200, description = "customer-info.md, parsed", body = CustomerInfo),
        (status = 400, description = "An invalid customer id (`invalid_request`)", body = ErrorBody),
        (status = 403, description = "The key does not reach this customer (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such customer (`unknown_customer`)", body = ErrorBody),
        (status = 500, description = "The customer's documents could not be read (`storage_error`)", body = ErrorBody)
    )
)]
pub(super) async fn show(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AppPath(id): AppPath<String>,
) -> Result<AppJson<CustomerInfo>, ApiError> {
    let id = customer(&id, &caller)?;
    let markdown = state.workspace.info(&id)?;
    Ok(AppJson(CustomerInfo {
        facts: info::facts(&markdown)
            .into_iter()
            .map(|(name, value)| Fact { name, value })
            .collect(),
        client_team: info::client_team(&markdown),
        markdown,
        id,
    }))
}

/// The event log, parsed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct Events {
    /// Entries, newest first as in the file.
    #[schema(value_type = Vec<Object>)]
    pub(super) events: Vec<Event>,
    /// The Open Action Items table.
    #[schema(value_type = Vec<Object>)]
    pub(super) action_items: Vec<ActionItem>,
}

/// Lists the events.
#[utoipa::path(
    get,
    path = "/v1/customers/{id}/events",
    tag = "customers",
    operation_id = "list_customer_events",
    params(("id" = CustomerId, Path, description = "Customer id")),
    responses(
        (status = 200, description = "The event log, parsed", body = Events),
        (status = 400, description = "An invalid customer id (`invalid_request`)", body = ErrorBody),
        (status = 403, description = "The key does not reach this customer (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such customer (`unknown_customer`)", body = ErrorBody),
        (status = 500, description = "The customer's documents could not be read (`storage_error`)", body = ErrorBody)
    )
)]
pub(super) async fn events(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AppPath(id): AppPath<String>,
) -> Result<AppJson<Events>, ApiError> {
    let log = state.workspace.event_log(&customer(&id, &caller)?)?;
    Ok(AppJson(Events {
        events: log.events,
        action_items: log.action_items,
    }))
}

/// Hours per work category and the strategic vs tactical ratio.
#[utoipa::path(
    get,
    path = "/v1/customers/{id}/engagement",
    tag = "customers",
    operation_id = "get_customer_engagement",
    params(("id" = CustomerId, Path, description = "Customer id")),
    responses(
        (status = 200, description = "Hours per work category and the strategic vs tactical ratio, per ISO week and overall", body = serde_json::Value),
        (status = 400, description = "An invalid customer id (`invalid_request`)", body = ErrorBody),
        (status = 403, description = "The key does not reach this customer (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such customer (`unknown_customer`)", body = ErrorBody),
        (status = 500, description = "The customer's documents could not be read (`storage_error`)", body = ErrorBody)
    )
)]
pub(super) async fn engagement(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AppPath(id): AppPath<String>,
) -> Result<AppJson<Engagement>, ApiError> {
    Ok(AppJson(
        state.workspace.engagement(&customer(&id, &caller)?)?,
    ))
}

/// Tokens and estimated cost, overall, per UTC day and per session.
#[utoipa::path(
    get,
    path = "/v1/customers/{id}/usage",
    tag = "customers",
    operation_id = "get_customer_usage",
    params(("id" = CustomerId, Path, description = "Customer id")),
    responses(
        (status = 200, description = "Tokens and estimated cost (USD) from the customer's transcripts: overall, per UTC day (a turn counts on the day it finished) and per session; `unpriced_tokens` are tokens of turns without a price, which `cost_usd` leaves out", body = CustomerUsage),
        (status = 400, description = "An invalid customer id (`invalid_request`)", body = ErrorBody),
        (status = 403, description = "The key does not reach this customer (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such customer (`unknown_customer`)", body = ErrorBody),
        (status = 500, description = "The customer's documents could not be read (`storage_error`)", body = ErrorBody)
    )
)]
pub(super) async fn usage(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AppPath(id): AppPath<String>,
) -> Result<AppJson<CustomerUsage>, ApiError> {
    let id = customer(&id, &caller)?;
    let workspace = std::sync::Arc::clone(&state.workspace);
    // Reading every transcript is file I/O: off the async workers.
    let usage = tokio::task::spawn_blocking(move || workspace.usage(&id))
        .await
        .map_err(|err| ApiError::Internal(err.to_string()))??;
    Ok(AppJson(usage))
}

/// `{artifacts: [...]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct ArtifactList {
    /// Saved documents, by name.
    #[schema(value_type = Vec<Object>)]
    pub(super) artifacts: Vec<ArtifactSummary>,
}

/// Lists the saved documents.
#[utoipa::path(
    get,
    path = "/v1/customers/{id}/artifacts",
    tag = "customers",
    operation_id = "list_customer_artifacts",
    params(("id" = CustomerId, Path, description = "Customer id")),
    responses(
        (status = 200, description = "Saved documents", body = ArtifactList),
        (status = 400, description = "An invalid customer id (`invalid_request`)", body = ErrorBody),
        (status = 403, description = "The key does not reach this customer (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such customer (`unknown_customer`)", body = ErrorBody),
        (status = 500, description = "The customer's documents could not be read (`storage_error`)", body = ErrorBody)
    )
)]
pub(super) async fn artifacts(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AppPath(id): AppPath<String>,
) -> Result<AppJson<ArtifactList>, ApiError> {
    Ok(AppJson(ArtifactList {
        artifacts: state.workspace.artifacts(&customer(&id, &caller)?)?,
    }))
}

/// One saved document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct ArtifactBody {
    /// File name.
    pub(super) name: ArtifactName,
    /// The document.
    pub(super) markdown: String,
}

/// Shows one saved document.
#[utoipa::path(
    get,
    path = "/v1/customers/{id}/artifacts/{name}",
    tag = "customers",
    operation_id = "get_customer_artifact",
    params(("id" = CustomerId, Path, description = "Customer id"), ("name" = ArtifactName, Path, description = "Artifact file name, as the list gives it")),
    responses(
        (status = 200, description = "One saved document", body = ArtifactBody),
        (status = 400, description = "An invalid customer id or artifact name (`invalid_request`)", body = ErrorBody),
        (status = 403, description = "The key does not reach this customer (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such customer or artifact (`unknown_customer`, `unknown_artifact`)", body = ErrorBody),
        (status = 500, description = "The customer's documents could not be read (`storage_error`)", body = ErrorBody)
    )
)]
pub(super) async fn artifact(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AppPath((id, name)): AppPath<(String, String)>,
) -> Result<AppJson<ArtifactBody>, ApiError> {
    let id = customer(&id, &caller)?;
    let name = ArtifactName::parse(&name).map_err(|err| ApiError::BadRequest(err.to_string()))?;
    let markdown = state.workspace.artifact(&id, &name)?;
    Ok(AppJson(ArtifactBody { name, markdown }))
}

/// Shows a session's transcript.
#[utoipa::path(
    get,
    path = "/v1/customers/{id}/sessions/{session}",
    tag = "customers",
    operation_id = "get_customer_session",
    params(("id" = CustomerId, Path, description = "Customer id"), ("session" = SessionId, Path, description = "Session id")),
    responses(
        (status = 200, description = "A session transcript", body = serde_json::Value),
        (status = 400, description = "An invalid customer or session id (`invalid_request`)", body = ErrorBody),
        (status = 403, description = "The key does not reach this customer (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such customer, or no such session that this key started (`unknown_customer`, `unknown_session`)", body = ErrorBody),
        (status = 500, description = "The customer's documents could not be read (`storage_error`)", body = ErrorBody)
    )
)]
pub(super) async fn session(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AppPath((id, session)): AppPath<(String, String)>,
) -> Result<AppJson<Transcript>, ApiError> {
    let id = customer(&id, &caller)?;
    let session_id =
        SessionId::parse(&session).map_err(|err| ApiError::BadRequest(err.to_string()))?;
    state
        .workspace
        .transcript(&id, &session_id)?
        .filter(|transcript| transcript.readable_by(&caller))
        .map(AppJson)
        .ok_or(ApiError::UnknownSession(session))
}
