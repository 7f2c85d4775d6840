//! The readiness probe: one `GET {base}/models` with the configured key, no
//! retries, a short timeout; it spends no tokens.

use std::time::Duration;

use super::OpenAiModel;
use crate::model::ModelError;

/// How long the probe waits for an answer: readiness is checked often, and
/// an upstream this slow to list its models is not ready to chat.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

impl OpenAiModel {
    /// Whether the upstream is there and takes our key. Not ready: no
    /// connection, no answer in time, 401/403 (the key is refused: every turn
    /// would fail) or a 5xx (the upstream is failing). Any other answer is
    /// ready: 2xx; a 404 or 405 (some OpenAI-compatible servers list no
    /// models, yet chat); 429 (rate limited is busy, not broken: the
    /// transport waits it out, and failing readiness for it would take every
    /// replica out at once).
    pub(super) async fn probe_upstream(&self) -> Result<(), ModelError> {
        let response = self.transport.get_once("/models", PROBE_TIMEOUT).await?;
        verdict(response.status().as_u16())
    }
}

/// What an HTTP status from `/models` says about readiness (see
/// [`OpenAiModel::probe_upstream`]). The body is never read.
fn verdict(status: u16) -> Result<(), ModelError> {
    if matches!(status, 401 | 403) || status >= 500 {
        Err(ModelError::Status { status, code: None })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::verdict;

    #[test]
    fn a_refused_key_or_a_failing_upstream_is_not_ready_anything_else_is() {
        for ready in [200, 204, 404, 405, 429] {
            assert!(verdict(ready).is_ok(), "{ready}");
        }
        for not_ready in [401, 403, 500, 502, 503] {
            assert!(verdict(not_ready).is_err(), "{not_ready}");
        }
    }
}
