//! The pages' templates (`web/templates/`, built into the binary) and the one
//! way a page fails: the API's error, shown in words on a page with the
//! API's status.

use std::sync::LazyLock;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use include_dir::{Dir, include_dir};
use minijinja::{Environment, Value};

use crate::http::ApiError;

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/web/templates");

/// The environment, built once: every template under `web/templates/`, HTML
/// auto-escaped (the names end in `.html`); an undefined value is an error
/// except in a test (`{% if doc.saved_as %}`: the API leaves out empty fields).
static PAGES: LazyLock<Result<Environment<'static>, String>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::SemiStrict);
    env.add_filter("markdown", super::markdown::filter);
    for file in TEMPLATES.files() {
        let name = file.path().to_string_lossy().into_owned();
        let text = file
            .contents_utf8()
            .ok_or_else(|| format!("web template {name} is not UTF-8"))?;
        env.add_template_owned(name.clone(), text.to_string())
            .map_err(|err| format!("web template {name}: {err}"))?;
    }
    Ok(env)
});

/// A rendered page, or the error page when rendering fails.
pub(super) fn render(name: &str, context: Value) -> Response {
    let rendered = PAGES.as_ref().map_err(Clone::clone).and_then(|env| {
        env.get_template(name)
            .and_then(|template| template.render(context))
            .map_err(|err| format!("web template {name}: {err:#}"))
    });
    match rendered {
        Ok(html) => Html(html).into_response(),
        Err(cause) => PageError(ApiError::Internal(cause)).into_response(),
    }
}

/// An API error on a page: the same status, its message in words.
pub(super) struct PageError(pub(super) ApiError);

impl From<ApiError> for PageError {
    fn from(err: ApiError) -> Self {
        Self(err)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        // The API's response carries the status and the logged cause; the
        // page keeps both and shows the message.
        let message = self.message();
        let api = self.0.into_response();
        let status = api.status();
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            "Something went wrong on the server; its log says what.".to_string()
        } else {
            message
        };
        let page = PAGES
            .as_ref()
            .ok()
            .and_then(|env| env.get_template("error.html").ok())
            .and_then(|template| {
                template
                    .render(minijinja::context! { status => status.as_u16(), message, signed_in => false })
                    .ok()
            })
            .unwrap_or_else(|| format!("{status}"));
        let (mut parts, _) = api.into_parts();
        parts.headers.remove(axum::http::header::CONTENT_TYPE);
        (parts, Html(page)).into_response()
    }
}

impl PageError {
    fn message(&self) -> String {
        match &self.0 {
            ApiError::Forbidden(why) => format!("Your key does not reach this page: {why}."),
            other => other.to_string(),
        }
    }
}

/// Whether every shipped page template compiles (checked by a test).
#[cfg(test)]
pub(super) fn compiled() -> Result<usize, String> {
    PAGES
        .as_ref()
        .map(|env| env.templates().count())
        .map_err(Clone::clone)
}
