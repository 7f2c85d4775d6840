//! Signing in on the pages: the API key is entered once and kept in an
//! HttpOnly, SameSite=Strict cookie, which the access layer reads when a
//! request has no `Authorization` header. With no keys configured there is
//! nothing to sign in to.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde::Deserialize;

use super::page::render;
use crate::http::AppState;
use crate::http::access::KEY_COOKIE;

/// The sign-in form's fields.
#[derive(Deserialize)]
pub(super) struct SignIn {
    key: String,
    #[serde(default)]
    next: String,
}

/// `GET /login`.
pub(super) async fn form(State(state): State<AppState>) -> Response {
    if state.access.keys.is_empty() {
        return see_other("/", None);
    }
    render(
        "login.html",
        context! { error => None::<String>, signed_in => false },
    )
}

/// `POST /login`: a known key is kept in the cookie; anything else is the
/// form again, with a 401 and the reason.
pub(super) async fn sign_in(State(state): State<AppState>, Form(form): Form<SignIn>) -> Response {
    let key = form.key.trim();
    let cookie_safe = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b',' | b';' | b'\\'));
    if !cookie_safe || state.access.keys.verify(key).is_none() {
        let mut page = render(
            "login.html",
            context! { error => Some("That is not a key this server knows."), signed_in => false },
        );
        *page.status_mut() = StatusCode::UNAUTHORIZED;
        return page;
    }
    let cookie = format!("{KEY_COOKIE}={key}; Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000");
    see_other(local_path(&form.next), Some(cookie))
}

/// `POST /logout`: the cookie is cleared.
pub(super) async fn sign_out() -> Response {
    let cookie = format!("{KEY_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    see_other("/login", Some(cookie))
}

/// Only a path on this server is a place to go back to after signing in.
fn local_path(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.bytes().all(|b| b.is_ascii_graphic());
    if local { next } else { "/" }
}

fn see_other(to: &str, cookie: Option<String>) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(LOCATION, to.to_string())]).into_response();
    if let Some(value) = cookie.and_then(|c| c.parse().ok()) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(local_path("/customers/acme"), "/customers/acme");
        assert_eq!(local_path("https://evil.example/"), "/");
        assert_eq!(local_path("//evil.example/"), "/");
        assert_eq!(local_path("/\\evil.example"), "/");
        assert_eq!(local_path(""), "/");
    }
}
