//! `GET /v1/customers/{id}/{positioning,evidence,client-pms}` and
//! `GET /v1/portfolio`: the engagement memory, read-only. A customer outside
//! the key's scope is 403; the portfolio lists only customers within it.

use axum::Extension;
use axum::extract::State;
use serde::Serialize;

use super::AppState;
use super::customers::customer;
use super::error::{ApiError, AppJson, AppPath, ErrorBody};
use crate::access::Caller;
use crate::workspace::client_pm_progress::{PmProgress, PmReminder};
use crate::workspace::evidence::EvidenceEntry;
use crate::workspace::positioning::Positioning;
use crate::workspace::{CustomerId, PortfolioRow, WorkspaceError};

/// The customer's folder must exist: an unknown customer is 404, not empty lists.
fn existing(state: &AppState, id: &crate::workspace::CustomerId) -> Result<(), ApiError> {
    if state.workspace.customer_exists(id) {
        Ok(())
    } else {
        Err(WorkspaceError::UnknownCustomer(id.to_string()).into())
    }
}

/// The Value Ladder history and the rates the next levels imply.
#[utoipa::path(
    get,
    path = "/v1/customers/{id}/positioning",
    tag = "customers",
    params(("id" = CustomerId, Path, description = "Customer id (a lowercase slug)")),
    responses(
        (status = 200, description = "positioning.md: the Value Ladder level at each assessment (date, level, evidence, rate), the current level, the rate used and where it comes from, and the rate range each higher level implies", body = serde_json::Value),
        (status = 400, description = "Invalid id", body = ErrorBody),
        (status = 403, description = "Customer outside the key's scope", body = ErrorBody),
        (status = 404, description = "Unknown customer", body = ErrorBody)
    )
)]
pub(super) async fn positioning(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AppPath(id): AppPath<String>,
) -> Result<AppJson<Positioning>, ApiError> {
    let id = customer(&id, &caller)?;
    existing(&state, &id)?;
    Ok(AppJson(state.workspace.positioning(&id)?))
}

/// `{evidence: [...]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct Evidence {
    /// Contributions, oldest first.
    #[schema(value_type = Vec<Object>)]
    pub(super) evidence: Vec<EvidenceEntry>,
}

/// The evidence ledger.
#[utoipa::path(
    get,
    path = "/v1/customers/{id}/evidence",
    tag = "customers",
    params(("id" = CustomerId, Path, description = "Customer id (a lowercase slug)")),
    responses(
        (status = 200, description = "evidence.md: each strategic contribution with its business impact and evidence", body = Evidence),
        (status = 400, description = "Invalid id", body = ErrorBody),
        (status = 403, description = "Customer outside the key's scope", body = ErrorBody),
        (status = 404, description = "Unknown customer", body = ErrorBody)
    )
)]
pub(super) async fn evidence(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AppPath(id): AppPath<String>,
) -> Result<AppJson<Evidence>, ApiError> {
    let id = customer(&id, &caller)?;
    existing(&state, &id)?;
    Ok(AppJson(Evidence {
        evidence: state.workspace.evidence(&id)?,
    }))
}

/// `{client_pms: [...], reminders: [...]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct ClientPms {
    /// Per client PM: indicators baseline and now, sessions, criteria met, graduation.
    #[schema(value_type = Vec<Object>)]
    pub(super) client_pms: Vec<PmProgress>,
    /// The next coaching session or graduation check-in of each.
    #[schema(value_type = Vec<Object>)]
    pub(super) reminders: Vec<PmReminder>,
}

/// Client PM progress.
#[utoipa::path(
    get,
    path = "/v1/customers/{id}/client-pms",
    tag = "customers",
    params(("id" = CustomerId, Path, description = "Customer id (a lowercase slug)")),
    responses(
        (status = 200, description = "client-pms/: each client PM's progress and what is next", body = ClientPms),
        (status = 400, description = "Invalid id", body = ErrorBody),
        (status = 403, description = "Customer outside the key's scope", body = ErrorBody),
        (status = 404, description = "Unknown customer", body = ErrorBody)
    )
)]
pub(super) async fn client_pms(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AppPath(id): AppPath<String>,
) -> Result<AppJson<ClientPms>, ApiError> {
    let id = customer(&id, &caller)?;
    existing(&state, &id)?;
    Ok(AppJson(ClientPms {
        client_pms: state.workspace.client_pms(&id)?,
        reminders: state.workspace.client_pm_reminders(&id)?,
    }))
}

/// `{customers: [...]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct Portfolio {
    /// One row per customer within the key's scope.
    #[schema(value_type = Vec<Object>)]
    pub(super) customers: Vec<PortfolioRow>,
}

/// The practice across customers.
#[utoipa::path(
    get,
    path = "/v1/portfolio",
    tag = "customers",
    responses(
        (status = 200, description = "Per customer within the key's scope: name, strategic ratio, latest Value Ladder level, renewal date, open action items, evidence recorded", body = Portfolio)
    )
)]
pub(super) async fn portfolio(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<AppJson<Portfolio>, ApiError> {
    let workspace = std::sync::Arc::clone(&state.workspace);
    // Every customer's files: off the async workers.
    let customers =
        tokio::task::spawn_blocking(move || workspace.portfolio(|id| caller.may_use(id.as_str())))
            .await
            .map_err(|err| ApiError::Internal(err.to_string()))??;
    Ok(AppJson(Portfolio { customers }))
}
