//! The engagement dashboard of one customer, its documents, and the
//! portfolio across customers: each a page of what the API's handlers return.

use axum::Extension;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};

use super::page::{PageError, render};
use super::{api, signed_in};
use crate::access::Caller;
use crate::http::error::{AppJson, AppPath};
use crate::http::{AppState, customers, follow_ups, memory};
use crate::templates::VALUE_LADDER;

/// `GET /customers/{id}`: hours per week by category with the strategic
/// share, coverage, the Value Ladder over time, action items and reminders,
/// the evidence ledger, documents, and usage and cost.
pub(super) async fn dashboard(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AppPath(id): AppPath<String>,
) -> Result<Response, PageError> {
    let (s, c) = (&state, &caller);
    let info = api(customers::show, s, c, &id).await?;
    let context = context! {
        id,
        info,
        engagement => api(customers::engagement, s, c, &id).await?,
        positioning => api(memory::positioning, s, c, &id).await?,
        action_items => api(follow_ups::action_items, s, c, &id).await?,
        reminders => api(follow_ups::reminders, s, c, &id).await?,
        evidence => api(memory::evidence, s, c, &id).await?,
        artifacts => api(customers::artifacts, s, c, &id).await?,
        usage => api(customers::usage, s, c, &id).await?,
        ladder => VALUE_LADDER.iter().map(|(name, _)| *name).collect::<Vec<_>>(),
        signed_in => signed_in(s),
    };
    Ok(render("dashboard.html", context))
}

/// `GET /portfolio`.
pub(super) async fn portfolio(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, PageError> {
    let AppJson(portfolio) = memory::portfolio(State(state.clone()), Extension(caller)).await?;
    Ok(render(
        "portfolio.html",
        context! {
            portfolio => Value::from_serialize(&portfolio),
            signed_in => signed_in(&state),
        },
    ))
}

/// `GET /customers/{id}/documents/{name}`: a saved document, rendered.
pub(super) async fn document(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AppPath((id, name)): AppPath<(String, String)>,
) -> Result<Response, PageError> {
    let AppJson(found) = customers::artifact(
        State(state.clone()),
        Extension(caller),
        AppPath((id.clone(), name)),
    )
    .await?;
    Ok(render(
        "document.html",
        context! {
            id,
            document => Value::from_serialize(&found),
            signed_in => signed_in(&state),
        },
    ))
}

/// `GET /customers/{id}/documents/{name}/download`: the markdown file.
pub(super) async fn download(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AppPath((id, name)): AppPath<(String, String)>,
) -> Result<Response, PageError> {
    let AppJson(found) =
        customers::artifact(State(state), Extension(caller), AppPath((id, name))).await?;
    // The name is an `ArtifactName`: a checked file name, safe in the header.
    let disposition = format!("attachment; filename=\"{}\"", found.name.as_str());
    Ok((
        [
            (CONTENT_TYPE, "text/markdown; charset=utf-8".to_string()),
            (CONTENT_DISPOSITION, disposition),
        ],
        found.markdown,
    )
        .into_response())
}
