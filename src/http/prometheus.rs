//! Prometheus metrics over HTTP: the process's recorder (installed once, its
//! upkeep run while a server runs), the layer that records every request,
//! and `GET /metrics`, which renders them. What is measured is named in
//! `telemetry`.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::Extension;
use axum::extract::{MatchedPath, Request};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{Label, counter, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::error::{ApiError, ErrorBody, ErrorCode};
use crate::access::Caller;
use crate::telemetry;

/// Histogram buckets, in seconds: from a fast GET to a long streamed turn.
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

/// How often histogram samples are folded into their buckets between
/// scrapes, so that memory stays bounded when nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The Prometheus text format's content type.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The process's recorder, installed on first use. `None` when another
/// recorder was installed first (pmcoach embedded in a program that has
/// its own): requests are then recorded there, and `/metrics` answers 500.
pub(super) fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE.get_or_init(install).as_ref()
}

fn install() -> Option<PrometheusHandle> {
    let installed = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
        .and_then(PrometheusBuilder::install_recorder);
    match installed {
        Ok(handle) => {
            telemetry::describe();
            Some(handle)
        }
        Err(err) => {
            tracing::warn!(error = %err, "could not install the Prometheus recorder; /metrics will fail");
            None
        }
    }
}

/// Folds histogram samples into buckets every few seconds, for as long as
/// the server runs (it is aborted when the server stops).
pub(super) async fn upkeep() {
    let Some(handle) = handle() else {
        return;
    };
    loop {
        tokio::time::sleep(UPKEEP_EVERY).await;
        handle.run_upkeep();
    }
}

/// Middleware: counts each request by method, route template and status
/// (and refusals by their code), and times it to the end of its body.
pub(super) async fn record(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |path| path.as_str().to_string());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let labels = vec![
        Label::new("method", method),
        Label::new("route", route),
        Label::new("status", status.to_string()),
    ];
    counter!(telemetry::HTTP_REQUESTS, labels.clone()).increment(1);
    if let Some(ErrorCode(code)) = response.extensions().get::<ErrorCode>() {
        telemetry::refused(code, status);
    }
    super::guarded::keep_until_sent(response, Timer { started, labels })
}

/// The method as a label: the standard ones by name, anything else `other`
/// (a client may send any token as a method).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// Records its request's duration when dropped, with its response body:
/// once sent whole, or when the client goes away mid-stream.
struct Timer {
    started: Instant,
    labels: Vec<Label>,
}

impl Drop for Timer {
    fn drop(&mut self) {
        histogram!(
            telemetry::HTTP_REQUEST_DURATION,
            std::mem::take(&mut self.labels)
        )
        .record(self.started.elapsed().as_secs_f64());
    }
}

/// The metrics in Prometheus's text format. Customer ids are label values,
/// so with keys configured only an admin key may read them.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "service",
    operation_id = "metrics",
    responses(
        (status = 200, description = "Every metric in Prometheus's text exposition format (see README, \"Operations\", for the names and labels)", content_type = "text/plain; version=0.0.4", body = String),
        (status = 403, description = "The key is not an admin key (`forbidden`)", body = ErrorBody),
        (status = 500, description = "The metrics recorder could not be installed (`internal`)", body = ErrorBody)
    )
)]
pub(super) async fn metrics(Extension(caller): Extension<Caller>) -> Result<Response, ApiError> {
    if !caller.admin {
        return Err(ApiError::Forbidden(
            "metrics name customers: they need an admin key".into(),
        ));
    }
    let handle =
        handle().ok_or_else(|| ApiError::Internal("no Prometheus recorder is installed".into()))?;
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], handle.render()).into_response())
}
