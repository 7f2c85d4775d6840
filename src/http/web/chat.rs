//! The chat page and its fragments: the customer's earlier sessions, one
//! session's turns to resume it, and markdown rendered for the page.

use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};

use super::page::{PageError, render};
use super::{api, signed_in};
use crate::access::Caller;
use crate::http::error::{AppJson, AppPath};
use crate::http::{AppState, customers};

/// `?customer=`: the customer the page starts with.
#[derive(Deserialize)]
pub(super) struct Chosen {
    #[serde(default)]
    customer: Option<String>,
}

#[derive(Serialize)]
struct CapabilityOption {
    id: String,
    name: String,
}

/// `GET /`: the chat.
pub(super) async fn page(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(chosen): Query<Chosen>,
) -> Result<Response, PageError> {
    let customer = chosen.customer.filter(|id| !id.is_empty());
    if let Some(id) = &customer {
        customers::customer(id, &caller)?;
    }
    let AppJson(list) = customers::list(State(state.clone()), Extension(caller)).await?;
    let capabilities: Vec<CapabilityOption> = state
        .capabilities
        .iter()
        .map(|c| CapabilityOption {
            id: c.id.clone(),
            name: c.name.clone(),
        })
        .collect();
    Ok(render(
        "chat.html",
        context! {
            customers => Value::from_serialize(&list.customers),
            customer,
            capabilities,
            signed_in => signed_in(&state),
        },
    ))
}

/// `GET /ui/sessions?customer=`: the customer's sessions, newest first, from
/// the usage API (sessions without a customer are not listed by the API).
pub(super) async fn sessions(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(chosen): Query<Chosen>,
) -> Result<Response, PageError> {
    let Some(id) = chosen.customer.filter(|id| !id.is_empty()) else {
        return Ok(render(
            "sessions.html",
            context! { customer => None::<String> },
        ));
    };
    let usage = api(customers::usage, &state, &caller, &id).await?;
    Ok(render("sessions.html", context! { customer => id, usage }))
}

/// `GET /ui/customers/{id}/sessions/{session}`: a session's turns, to carry
/// on with it.
pub(super) async fn transcript(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    AppPath((id, session)): AppPath<(String, String)>,
) -> Result<Response, PageError> {
    let AppJson(transcript) = customers::session(
        State(state),
        Extension(caller),
        AppPath((id.clone(), session)),
    )
    .await?;
    Ok(render(
        "transcript.html",
        context! { customer => id, transcript => Value::from_serialize(&transcript) },
    ))
}

/// `{markdown}`.
#[derive(Deserialize)]
pub(super) struct MarkdownBody {
    markdown: String,
}

/// `POST /ui/markdown`: a reply or document as safe HTML (see `markdown.rs`).
pub(super) async fn markdown(AppJson(body): AppJson<MarkdownBody>) -> Response {
    Html(super::markdown::to_html(&body.markdown)).into_response()
}
