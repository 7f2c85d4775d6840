//! The HTTP exchange with the upstream, under our own policy: at most
//! `max_retries` retries of a 429, a 5xx or a connection error, with jittered
//! exponential backoff or the upstream's `Retry-After` (up to a cap; a longer
//! one fails at once), all within one deadline per call; and every body read
//! with a size cap, so an endless or enormous answer costs bounded memory.

use std::time::Duration;

use async_openai::config::{Config, OpenAIConfig};
use bytes::Bytes;
use futures::{Stream, StreamExt};
use reqwest::header::HeaderMap;
use serde::Deserialize;
use tokio::time::Instant;

use crate::limits::UpstreamLimits;
use crate::model::ModelError;

/// Largest error body read (for its code only).
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Sends chat completion requests.
#[derive(Debug, Clone)]
pub(super) struct Transport {
    http: reqwest::Client,
    config: OpenAIConfig,
    limits: UpstreamLimits,
}

/// A failed attempt: the error it ends in, and whether another may succeed.
#[derive(Debug)]
pub(super) struct Failure {
    error: ModelError,
    retryable: bool,
    retry_after: Option<Duration>,
}

/// What to do after a failed attempt.
#[derive(Debug, PartialEq)]
pub(super) enum Decision {
    /// Wait this long, then try again.
    Retry(Duration),
    /// Give up with this error.
    Fail,
}

impl Transport {
    /// A transport over `http` to the upstream `config` names.
    pub(super) fn new(http: reqwest::Client, config: OpenAIConfig, limits: UpstreamLimits) -> Self {
        Self {
            http,
            config,
            limits,
        }
    }

    /// The largest body read.
    pub(super) fn max_body(&self) -> usize {
        self.limits.max_response_bytes
    }

    /// POSTs `body` to `/chat/completions` until it succeeds, the policy gives
    /// up or the call's deadline passes; returns the successful response with
    /// its body unread.
    pub(super) async fn post(&self, body: Bytes) -> Result<reqwest::Response, ModelError> {
        let deadline = Instant::now() + Duration::from_secs(self.limits.call_deadline_secs);
        let mut attempt = 0;
        loop {
            let failure = match tokio::time::timeout_at(deadline, self.send(body.clone())).await {
                Err(_) => return Err(ModelError::Timeout),
                Ok(Ok(response)) if response.status().is_success() => return Ok(response),
                Ok(Ok(response)) => failed_status(response).await,
                Ok(Err(err)) => failed_request(&err),
            };
            match decide(&failure, attempt, &self.limits, fastrand::f64()) {
                Decision::Retry(wait) if Instant::now() + wait < deadline => {
                    tracing::info!(attempt, wait_ms = wait.as_millis() as u64, error = %failure.error, "retrying the model upstream");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Decision::Retry(_) | Decision::Fail => {
                    return Err(final_error(failure, &self.limits));
                }
            }
        }
    }

    /// GETs `path` (such as `/models`) once, without retries, within
    /// `timeout`; the response's body is left unread.
    pub(super) async fn get_once(
        &self,
        path: &str,
        timeout: Duration,
    ) -> Result<reqwest::Response, ModelError> {
        self.http
            .get(self.config.url(path))
            .query(&self.config.query())
            .headers(self.config.headers())
            .timeout(timeout)
            .send()
            .await
            .map_err(|err| failed_request(&err).error)
    }

    async fn send(&self, body: Bytes) -> Result<reqwest::Response, reqwest::Error> {
        self.http
            .post(self.config.url("/chat/completions"))
            .query(&self.config.query())
            .headers(self.config.headers())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
    }
}

/// Whether to retry after `failure` on attempt `attempt` (from 0); `jitter` is
/// uniform in [0, 1).
pub(super) fn decide(
    failure: &Failure,
    attempt: u32,
    limits: &UpstreamLimits,
    jitter: f64,
) -> Decision {
    if !failure.retryable || attempt >= limits.max_retries {
        return Decision::Fail;
    }
    match failure.retry_after {
        Some(wait) if wait > Duration::from_secs(limits.retry_after_cap_secs) => Decision::Fail,
        Some(wait) => Decision::Retry(wait),
        None => Decision::Retry(backoff(attempt, limits, jitter)),
    }
}

/// Exponential backoff with jitter: between the minimum and twice the
/// minimum per attempt so far, never over the maximum.
fn backoff(attempt: u32, limits: &UpstreamLimits, jitter: f64) -> Duration {
    let min = limits.backoff_min_ms as f64;
    let ceiling = (min * 2f64.powi(attempt.min(16) as i32 + 1)).min(limits.backoff_max_ms as f64);
    let ms = min + (ceiling - min).max(0.0) * jitter.clamp(0.0, 1.0);
    Duration::from_millis(ms as u64)
}

/// The error to report: a `Retry-After` longer than we wait becomes a rate
/// limit the client can act on.
fn final_error(failure: Failure, limits: &UpstreamLimits) -> ModelError {
    match failure.retry_after {
        Some(wait)
            if failure.retryable && wait > Duration::from_secs(limits.retry_after_cap_secs) =>
        {
            ModelError::RateLimited { retry_after: wait }
        }
        _ => failure.error,
    }
}

/// An error status: its code from the body (read up to a cap, never logged or
/// passed on), whether to retry, and how long the upstream asked us to wait.
async fn failed_status(response: reqwest::Response) -> Failure {
    let status = response.status().as_u16();
    let retry_after = retry_after(response.headers());
    let body = read_capped(response, MAX_ERROR_BODY)
        .await
        .unwrap_or_default();
    Failure {
        error: ModelError::Status {
            status,
            code: error_code(&body),
        },
        retryable: status == 429 || status >= 500,
        retry_after,
    }
}

fn failed_request(err: &reqwest::Error) -> Failure {
    let (error, retryable) = if err.is_timeout() {
        (ModelError::Timeout, false)
    } else if err.is_connect() || err.is_request() {
        (ModelError::Unreachable, true)
    } else {
        (ModelError::Unreachable, false)
    };
    Failure {
        error,
        retryable,
        retry_after: None,
    }
}

/// `retry-after-ms` (OpenAI's), else `retry-after` in seconds or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return (ms.is_finite() && ms >= 0.0).then(|| Duration::from_millis(ms as u64));
    }
    let value = text("retry-after")?;
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let wait = when.duration_since(jiff::Timestamp::now());
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

/// The upstream's error code (or type), if short and printable.
fn error_code(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Body {
        error: Detail,
    }
    #[derive(Deserialize)]
    struct Detail {
        #[serde(default)]
        code: Option<serde_json::Value>,
        #[serde(default, rename = "type")]
        kind: Option<String>,
    }
    let detail = serde_json::from_slice::<Body>(body).ok()?.error;
    let code = match detail.code {
        Some(serde_json::Value::String(code)) => Some(code),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    code.or(detail.kind)
        .filter(|c| c.len() <= 64 && c.chars().all(|ch| ch.is_ascii_graphic()))
}

/// The whole body, or `TooLarge` as soon as it passes `limit`.
pub(super) async fn read_capped(
    response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, ModelError> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(ModelError::TooLarge { limit });
    }
    let mut body = Vec::new();
    let mut chunks = response.bytes_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|err| {
            if err.is_timeout() {
                ModelError::Timeout
            } else {
                ModelError::Incomplete("the upstream's answer broke off".into())
            }
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ModelError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The body as a stream of chunks that ends in `TooLarge` once more than
/// `limit` bytes have come.
pub(super) fn capped_stream(
    response: reqwest::Response,
    limit: usize,
) -> impl Stream<Item = Result<Bytes, ModelError>> + Send + 'static {
    let mut seen = 0usize;
    response.bytes_stream().map(move |chunk| {
        let chunk = chunk.map_err(|err| {
            if err.is_timeout() {
                ModelError::Timeout
            } else {
                ModelError::Incomplete("the upstream stream broke off".into())
            }
        })?;
        seen += chunk.len();
        if seen > limit {
            return Err(ModelError::TooLarge { limit });
        }
        Ok(chunk)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(retryable: bool, retry_after: Option<u64>) -> Failure {
        Failure {
            error: ModelError::Status {
                status: 429,
                code: None,
            },
            retryable,
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    #[test]
    fn retries_are_bounded_and_backoff_grows_within_its_range() {
        let limits = UpstreamLimits::default();
        let waits: Vec<Decision> = (0..3)
            .map(|attempt| decide(&failure(true, None), attempt, &limits, 1.0))
            .collect();
        assert_eq!(
            waits,
            [
                Decision::Retry(Duration::from_millis(1000)),
                Decision::Retry(Duration::from_millis(2000)),
                Decision::Fail
            ]
        );
        for attempt in 0..2 {
            for jitter in [0.0, 0.3, 0.999] {
                let Decision::Retry(wait) = decide(&failure(true, None), attempt, &limits, jitter)
                else {
                    panic!("retries");
                };
                assert!(wait >= Duration::from_millis(500) && wait <= Duration::from_secs(8));
            }
        }
        let many = UpstreamLimits {
            max_retries: 20,
            ..UpstreamLimits::default()
        };
        assert_eq!(
            decide(&failure(true, None), 10, &many, 1.0),
            Decision::Retry(Duration::from_secs(8))
        );
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let limits = UpstreamLimits::default();
        assert_eq!(
            decide(&failure(true, Some(3)), 0, &limits, 0.5),
            Decision::Retry(Duration::from_secs(3))
        );
        assert_eq!(
            decide(&failure(true, Some(3600)), 0, &limits, 0.5),
            Decision::Fail
        );
        let error = final_error(failure(true, Some(3600)), &limits);
        assert!(
            matches!(error, ModelError::RateLimited { retry_after } if retry_after.as_secs() == 3600),
            "{error:?}"
        );
        assert_eq!(
            decide(&failure(false, None), 0, &limits, 0.5),
            Decision::Fail
        );
    }

    #[test]
    fn retry_after_headers_are_read_in_all_their_forms() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "7".parse().expect("header"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert("retry-after-ms", "1500".parse().expect("header"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(1500)));
        let mut dated = HeaderMap::new();
        let later = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(120);
        let http_date =
            jiff::fmt::rfc2822::to_string(&later.in_tz("UTC").expect("utc")).expect("date");
        dated.insert("retry-after", http_date.parse().expect("header"));
        let wait = retry_after(&dated).expect("a wait");
        assert!(
            wait > Duration::from_secs(100) && wait <= Duration::from_secs(120),
            "{wait:?}"
        );
    }

    #[test]
    fn only_a_short_printable_code_is_kept_from_an_error_body() {
        let body = br#"{"error":{"message":"key sk-123 is bad","type":"invalid_request_error","code":"invalid_api_key"}}"#;
        assert_eq!(error_code(body).as_deref(), Some("invalid_api_key"));
        let typed = br#"{"error":{"message":"x","type":"server_error","code":null}}"#;
        assert_eq!(error_code(typed).as_deref(), Some("server_error"));
        assert_eq!(error_code(b"<html>oops</html>"), None);
    }
}
