//! `GET /readyz`: whether this instance can take turns now. Two checks: a
//! model is configured and its upstream answers (the model's own probe), and
//! the workspace takes writes. The verdict is kept for a few seconds, so a
//! scraper polling it cannot hammer the upstream.

use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::AppState;

/// How long a verdict is reused.
const KEEP_FOR: Duration = Duration::from_secs(5);

/// The last verdict and when it was reached. An async mutex because it is
/// held across the checks: concurrent requests then wait for one probe
/// rather than each sending their own.
#[derive(Default)]
pub(super) struct Cache(Mutex<Option<(Instant, Readiness)>>);

/// The verdict: each check, and whether all passed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(super) struct Readiness {
    /// `ready`, or `not_ready` when a check failed (the answer is then 503).
    #[schema(example = "ready")]
    status: &'static str,
    /// The names of the checks that failed (`model`, `workspace`), none when ready.
    failing: Vec<&'static str>,
    /// Every check, by name.
    checks: ReadinessChecks,
}

/// The checks, by name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(super) struct ReadinessChecks {
    /// A model is configured and its upstream answers.
    model: ReadinessCheck,
    /// The workspace takes writes.
    workspace: ReadinessCheck,
}

/// One check.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(super) struct ReadinessCheck {
    /// Whether it passed.
    ok: bool,
    /// Why it failed (never the key or what the upstream said).
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl ReadinessCheck {
    fn of(result: Result<(), String>) -> Self {
        match result {
            Ok(()) => ReadinessCheck {
                ok: true,
                error: None,
            },
            Err(error) => ReadinessCheck {
                ok: false,
                error: Some(error),
            },
        }
    }
}

/// Readiness: 200 when a model is configured and reachable and the
/// workspace is writable; 503 naming each failing check otherwise.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "service",
    operation_id = "ready",
    responses(
        (status = 200, description = "Ready: a model is configured and its upstream answers (any answer but a connection failure, a timeout, 401/403 or a 5xx), and the workspace takes writes. Checked at most every 5 s; in between the last verdict is repeated", body = Readiness),
        (status = 503, description = "Not ready: `failing` names the checks that failed, each with its `error`", body = Readiness)
    )
)]
pub(super) async fn readyz(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<Cache>>,
) -> Response {
    let verdict = {
        let mut kept = cache.0.lock().await;
        match kept.as_ref() {
            Some((at, verdict)) if at.elapsed() < KEEP_FOR => verdict.clone(),
            _ => {
                let verdict = check(&state).await;
                *kept = Some((Instant::now(), verdict.clone()));
                verdict
            }
        }
    };
    let status = if verdict.failing.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(verdict)).into_response()
}

/// Runs both checks at once.
async fn check(state: &AppState) -> Readiness {
    let (model, workspace) = tokio::join!(model(state), workspace(state));
    let checks = ReadinessChecks {
        model: ReadinessCheck::of(model),
        workspace: ReadinessCheck::of(workspace),
    };
    let failing: Vec<&'static str> = [("model", &checks.model), ("workspace", &checks.workspace)]
        .into_iter()
        .filter(|(_, check)| !check.ok)
        .map(|(name, _)| name)
        .collect();
    Readiness {
        status: if failing.is_empty() {
            "ready"
        } else {
            "not_ready"
        },
        failing,
        checks,
    }
}

/// A model is configured and its probe passes. The probe's errors name a
/// status at most, never the key or the upstream's body.
async fn model(state: &AppState) -> Result<(), String> {
    let agent = state
        .agent
        .as_ref()
        .ok_or_else(|| "no model is configured".to_string())?;
    agent.model().probe().await.map_err(|err| err.to_string())
}

/// The workspace takes a temporary file at its root (on a blocking thread).
async fn workspace(state: &AppState) -> Result<(), String> {
    let workspace = Arc::clone(&state.workspace);
    match tokio::task::spawn_blocking(move || workspace.check_writable()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "the workspace is not writable");
            Err(format!("the workspace is not writable ({})", err.kind()))
        }
        Err(_) => Err("the workspace check did not finish".into()),
    }
}
