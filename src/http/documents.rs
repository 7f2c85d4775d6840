//! `PATCH /v1/customers/{id}/artifacts/{name}`: a saved document moves from
//! Draft to In Review to Final (or back), its header rewritten and every
//! other byte kept.

use axum::Extension;
use axum::extract::State;
use serde::Deserialize;

use super::AppState;
use super::customers::{ArtifactBody, customer};
use super::error::{ApiError, AppJson, AppPath, ErrorBody};
use crate::access::Caller;
use crate::templates::ArtifactStatus;
use crate::workspace::{ArtifactName, CustomerId};

/// What to change in a saved document.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ArtifactChange {
    /// The document's new status.
    status: ArtifactStatus,
}

/// Sets a saved document's status (and its Last Updated date).
#[utoipa::path(
    patch,
    path = "/v1/customers/{id}/artifacts/{name}",
    tag = "customers",
    operation_id = "set_customer_artifact_status",
    params(("id" = CustomerId, Path, description = "Customer id"), ("name" = ArtifactName, Path, description = "Artifact file name, as the list gives it")),
    request_body = ArtifactChange,
    responses(
        (status = 200, description = "The document as it now reads", body = ArtifactBody),
        (status = 400, description = "An invalid customer id, artifact name or status (`invalid_request`)", body = ErrorBody),
        (status = 403, description = "The key does not reach this customer (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such customer or artifact (`unknown_customer`, `unknown_artifact`)", body = ErrorBody),
        (status = 409, description = "The document has no `**Status**` line in its header to move (`conflict`)", body = ErrorBody),
        (status = 500, description = "The document could not be written; it is left as it was (`storage_error`)", body = ErrorBody)
    )
)]
pub(super) async fn set_artifact_status(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AppPath((id, name)): AppPath<(String, String)>,
    AppJson(change): AppJson<ArtifactChange>,
) -> Result<AppJson<ArtifactBody>, ApiError> {
    let id = customer(&id, &caller)?;
    let name = ArtifactName::parse(&name).map_err(|err| ApiError::BadRequest(err.to_string()))?;
    let markdown = state
        .workspace
        .set_artifact_status(&id, &name, change.status)
        .await?;
    Ok(AppJson(ArtifactBody { name, markdown }))
}
