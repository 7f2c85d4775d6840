//! `GET /v1/customers/{id}/action-items` and `/reminders`: what the PM has to
//! follow up on for a customer, scope-checked like the other customer routes.

use axum::Extension;
use axum::extract::State;
use serde::Serialize;

use super::AppState;
use super::customers::customer;
use super::error::{ApiError, AppJson, AppPath, ErrorBody};
use crate::access::Caller;
use crate::workspace::CustomerId;
use crate::workspace::action_items::TrackedItem;
use crate::workspace::reminders::Reminder;

/// `{action_items: [...]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct ActionItemList {
    /// Every item in action-items.md (or the event log's table before that
    /// file exists), in file order, closed ones included.
    pub(super) action_items: Vec<TrackedItem>,
}

/// Lists the action items.
#[utoipa::path(
    get,
    path = "/v1/customers/{id}/action-items",
    tag = "customers",
    params(("id" = CustomerId, Path, description = "Customer id (a lowercase slug)")),
    responses(
        (status = 200, description = "The action items (ids AI-XXX; statuses Open, In Progress, Blocked, Completed, Cancelled)", body = ActionItemList),
        (status = 400, description = "Invalid id", body = ErrorBody),
        (status = 403, description = "The key may not read this customer", body = ErrorBody),
        (status = 404, description = "Unknown customer", body = ErrorBody)
    )
)]
pub(super) async fn action_items(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AppPath(id): AppPath<String>,
) -> Result<AppJson<ActionItemList>, ApiError> {
    let id = customer(&id, &caller)?;
    Ok(AppJson(ActionItemList {
        action_items: state.workspace.action_items(&id)?,
    }))
}

/// `{today, reminders: [...]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct ReminderList {
    /// The server's date the reminders are computed for.
    pub(super) today: String,
    /// Soonest first.
    pub(super) reminders: Vec<Reminder>,
}

/// Lists the reminders.
#[utoipa::path(
    get,
    path = "/v1/customers/{id}/reminders",
    tag = "customers",
    params(("id" = CustomerId, Path, description = "Customer id (a lowercase slug)")),
    responses(
        (status = 200, description = "Action items overdue or due within 7 days, the renewal conversation (from 6 weeks before the renewal date), and client PM follow-ups, as of the server's date", body = ReminderList),
        (status = 400, description = "Invalid id", body = ErrorBody),
        (status = 403, description = "The key may not read this customer", body = ErrorBody),
        (status = 404, description = "Unknown customer", body = ErrorBody)
    )
)]
pub(super) async fn reminders(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AppPath(id): AppPath<String>,
) -> Result<AppJson<ReminderList>, ApiError> {
    let id = customer(&id, &caller)?;
    Ok(AppJson(ReminderList {
        today: state.workspace.clock().today_string(),
        reminders: state.workspace.reminders(&id)?,
    }))
}
