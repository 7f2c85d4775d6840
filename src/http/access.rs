//! The access layer every request passes: the `Host` header must name an
//! allowed host (421 otherwise: a page cannot reach a loopback server through
//! DNS rebinding); then, on every route but the public ones, the caller's key
//! (401 without a valid one), and a slot among that key's requests in flight
//! (503 with `Retry-After` when full: load is shed, not queued). The caller
//! rides along as a request extension; handlers check its scope (403).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::header::{ACCEPT, AUTHORIZATION, COOKIE, HOST, ORIGIN};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::ApiError;
use crate::access::{Caller, HttpConfig, Keys};

/// Routes anyone who reaches the server may use: liveness, readiness, the
/// API description, the A2A agent card and signing in (no customer data).
/// `/metrics` is not one: customer ids are among its labels.
pub(super) const PUBLIC_PATHS: &[&str] = &[
    "/healthz",
    "/readyz",
    "/openapi.json",
    "/.well-known/agent-card.json",
    "/login",
    "/logout",
];

/// The pages' scripts and styles: public, like the sign-in page that uses them.
const PUBLIC_PREFIX: &str = "/assets/";

/// The cookie the pages keep the caller's key in (see `web/login.rs`).
pub(super) const KEY_COOKIE: &str = "pmcoach_key";

/// How a request presented its key.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    Bearer,
    Cookie,
}

/// What the access layer checks against.
#[derive(Clone)]
pub(super) struct Access {
    keys: Keys,
    http: HttpConfig,
    per_key: usize,
    // std Mutex: held only to find or insert a key's semaphore.
    slots: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

impl Access {
    pub(super) fn new(keys: Keys, http: HttpConfig, per_key: usize) -> Self {
        Self {
            keys,
            http,
            per_key: per_key.max(1),
            slots: Arc::default(),
        }
    }

    /// The caller a request's `Authorization: Bearer` key belongs to; with no
    /// keys configured, the local caller.
    fn caller(&self, request: &Request) -> Result<Caller, ApiError> {
        if self.keys.is_empty() {
            return Ok(Caller::local());
        }
        let (presented, via) = presented_key(request).ok_or(ApiError::Unauthorized)?;
        if via == Via::Cookie && !request.method().is_safe() && !same_origin(request) {
            return Err(ApiError::Forbidden(
                "a cookie signs in only requests from this server's own pages".into(),
            ));
        }
        self.keys.verify(&presented).ok_or(ApiError::Unauthorized)
    }

    /// A slot among the caller's requests in flight, if one is free. Without
    /// keys (one local user on loopback) nothing is counted.
    fn slot(&self, caller: &Caller) -> Result<Option<OwnedSemaphorePermit>, ApiError> {
        if self.keys.is_empty() {
            return Ok(None);
        }
        let semaphore = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(
                slots
                    .entry(caller.name.clone())
                    .or_insert_with(|| Arc::new(Semaphore::new(self.per_key))),
            )
        };
        semaphore
            .try_acquire_owned()
            .map(Some)
            .map_err(|_| ApiError::Overloaded)
    }
}

/// The key a request presents: its `Authorization: Bearer` header, or else
/// the pages' cookie.
fn presented_key(request: &Request) -> Option<(String, Via)> {
    let headers = request.headers();
    if let Some(value) = headers.get(AUTHORIZATION) {
        let key = value.to_str().ok()?.strip_prefix("Bearer ")?.trim();
        return Some((key.to_string(), Via::Bearer));
    }
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == KEY_COOKIE)
        .map(|(_, key)| (key.to_string(), Via::Cookie))
}

/// Whether a request that changes something came from this server's own
/// pages: the browser's `Origin` names the host the request was sent to.
/// (The cookie is SameSite=Strict too; this holds where that is not honoured.)
fn same_origin(request: &Request) -> bool {
    let headers = request.headers();
    let origin = headers.get(ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(HOST).and_then(|v| v.to_str().ok());
    match (origin, host) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host)),
        _ => false,
    }
}

/// A browser opening a page without a key is sent to sign in rather than
/// shown the API's JSON 401.
fn sign_in_first(request: &Request) -> Option<Response> {
    let wants_page = request.method() == axum::http::Method::GET
        && request
            .headers()
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
    let path = request.uri().path();
    (wants_page && !path.starts_with("/v1/")).then(|| {
        let next: String = path
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' => {
                    char::from(b).to_string()
                }
                other => format!("%{other:02X}"),
            })
            .collect();
        axum::response::Redirect::to(&format!("/login?next={next}")).into_response()
    })
}

/// The middleware: host, key, slot; the slot is held until the response body
/// (an SSE stream, say) is done.
pub(super) async fn guard(
    State(access): State<Access>,
    mut request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(HOST)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string)
        .or_else(|| request.uri().authority().map(|a| a.to_string()));
    match host {
        Some(host) if access.http.allows_host(&host.to_ascii_lowercase()) => {}
        _ => return ApiError::MisdirectedHost.into_response(),
    }
    let path = request.uri().path();
    if PUBLIC_PATHS.contains(&path) || path.starts_with(PUBLIC_PREFIX) {
        return next.run(request).await;
    }
    let (caller, slot) = match access
        .caller(&request)
        .and_then(|caller| access.slot(&caller).map(|slot| (caller, slot)))
    {
        Ok(found) => found,
        Err(err) => {
            let redirect = matches!(err, ApiError::Unauthorized)
                .then(|| sign_in_first(&request))
                .flatten();
            return redirect.unwrap_or_else(|| err.into_response());
        }
    };
    request.extensions_mut().insert(caller);
    let response = next.run(request).await;
    match slot {
        // The body keeps the slot, so a stream counts until it ends.
        Some(slot) => super::guarded::keep_until_sent(response, slot),
        None => response,
    }
}
