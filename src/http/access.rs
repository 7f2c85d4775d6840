//! The access layer every request passes: the `Host` header must name an
//! allowed host (421 otherwise: a page cannot reach a loopback server through
//! DNS rebinding); then, on every route but the public ones, the caller's key
//! (401 without a valid one), and a slot among that key's requests in flight
//! (503 with `Retry-After` when full: load is shed, not queued). The caller
//! rides along as a request extension; handlers check its scope (403).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, HOST};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::ApiError;
use crate::access::{Caller, HttpConfig, Keys};

/// Routes anyone who reaches the server may use: liveness, readiness, the
/// API description and the A2A agent card (no customer data). `/metrics` is not one: customer ids
/// are among its labels.
pub(super) const PUBLIC_PATHS: &[&str] = &[
    "/healthz",
    "/readyz",
    "/openapi.json",
    "/.well-known/agent-card.json",
];

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
        let presented = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(ApiError::Unauthorized)?;
        self.keys.verify(presented).ok_or(ApiError::Unauthorized)
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
    if PUBLIC_PATHS.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let (caller, slot) = match access
        .caller(&request)
        .and_then(|caller| access.slot(&caller).map(|slot| (caller, slot)))
    {
        Ok(found) => found,
        Err(err) => return err.into_response(),
    };
    request.extensions_mut().insert(caller);
    let response = next.run(request).await;
    match slot {
        // The body keeps the slot, so a stream counts until it ends.
        Some(slot) => super::guarded::keep_until_sent(response, slot),
        None => response,
    }
}
