//! Every limit the service enforces, in one place, and the budget one request
//! spends against them.
//!
//! Later work (token budgets, hardening) adds fields here rather than scattering
//! constants through the modules that enforce them.

mod budget;

use std::time::Duration;

use serde::Deserialize;

pub use budget::{Budget, Exhausted};

/// Bounds on a turn, a request and the agent's recursion.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Model calls one turn may make before it ends with a step-limit error.
    pub max_steps: usize,
    /// How deep capabilities may consult each other: 1 lets the coach consult a
    /// sibling, and the sibling consult no one.
    pub max_consult_depth: usize,
    /// Largest accepted HTTP request body, in bytes.
    pub max_body_bytes: usize,
    /// Largest accepted user message, in characters.
    pub max_message_chars: usize,
    /// Most tool calls run from a single model response; the rest are answered
    /// with an error so the model can retry them in a later step.
    pub max_parallel_tool_calls: usize,
    /// Model calls one request may make in all: routing, the turn and every
    /// consult under it.
    pub max_model_calls: usize,
    /// Tool calls one request may make in all.
    pub max_tool_calls: usize,
    /// Tokens (prompt and completion) one request may spend in all.
    pub max_tokens: u64,
    /// Consults that run at once within one request.
    pub max_parallel_consults: usize,
    /// Largest tool result the model reads, in tokens; a longer one is cut.
    pub max_tool_result_tokens: usize,
    /// Largest customer context (facts, action items, recent events, metrics)
    /// put in the system prompt, in characters.
    pub customer_context_chars: usize,
    /// How the model upstream is treated: retries, waits, sizes
    /// (`[limits.upstream]`).
    pub upstream: UpstreamLimits,
    /// Tokens one customer may spend per UTC day; a turn for a customer who
    /// has reached it is refused (429) until the next UTC midnight. `None`:
    /// unlimited.
    pub customer_daily_tokens: Option<u64>,
    /// Days a session transcript is kept after its last turn; none keeps
    /// them (the engagement's memory) until deleted by hand.
    pub session_retention_days: Option<u64>,
    /// How the server treats connections and how it shuts down
    /// (`[limits.server]`).
    pub server: ServerLimits,
}

/// Our own policy towards the model upstream.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UpstreamLimits {
    /// Retries after a 429, a 5xx or a connection error.
    pub max_retries: u32,
    /// Shortest wait before a retry, in milliseconds.
    pub backoff_min_ms: u64,
    /// Longest wait before a retry, in milliseconds.
    pub backoff_max_ms: u64,
    /// Longest `Retry-After` waited for, in seconds; an upstream asking for
    /// longer fails the request at once (503, with its `Retry-After`).
    pub retry_after_cap_secs: u64,
    /// Total time one model call may take, retries and waits included, in seconds.
    pub call_deadline_secs: u64,
    /// Largest upstream answer, streamed or not, in bytes.
    pub max_response_bytes: usize,
}

impl Default for UpstreamLimits {
    fn default() -> Self {
        Self {
            max_retries: 2,
            backoff_min_ms: 500,
            backoff_max_ms: 8_000,
            retry_after_cap_secs: 20,
            call_deadline_secs: 300,
            max_response_bytes: 8 * 1024 * 1024,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_steps: 8,
            max_consult_depth: 1,
            max_body_bytes: 256 * 1024,
            max_message_chars: 32_000,
            max_parallel_tool_calls: 8,
            max_model_calls: 16,
            max_tool_calls: 32,
            max_tokens: 200_000,
            max_parallel_consults: 2,
            max_tool_result_tokens: 4_000,
            customer_context_chars: 6_000,
            upstream: UpstreamLimits::default(),
            customer_daily_tokens: None,
            session_retention_days: None,
            server: ServerLimits::default(),
        }
    }
}

/// Connections and shutdown: how long a client may take, how many may be
/// connected, how long requests in flight get when the server stops.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerLimits {
    /// Seconds a client has to send a request's headers, counted from its
    /// connection or, on a kept-alive one, from the request's first byte;
    /// then the connection is closed. At least 1.
    pub header_read_timeout_secs: u64,
    /// Seconds a client has to send a whole request body, counted from its
    /// headers however slowly it trickles; then 408 and the connection is
    /// closed. At least 1.
    pub body_timeout_secs: u64,
    /// Seconds a kept-alive connection may wait for its next request, and a
    /// response may wait for the client to read it; then the connection is
    /// closed. At least 1.
    pub idle_timeout_secs: u64,
    /// Connections open at once; more wait in the listen backlog until one
    /// closes. Keep it under the process's file limit. At least 1.
    pub max_connections: usize,
    /// Seconds requests in flight get to finish after SIGTERM or Ctrl-C; then
    /// they are cancelled, and open streams end with `shutting_down`.
    pub shutdown_grace_secs: u64,
}

impl ServerLimits {
    /// [`Self::header_read_timeout_secs`].
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_secs.max(1))
    }

    /// [`Self::body_timeout_secs`].
    pub fn body_timeout(&self) -> Duration {
        Duration::from_secs(self.body_timeout_secs.max(1))
    }

    /// [`Self::idle_timeout_secs`].
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs.max(1))
    }

    /// [`Self::shutdown_grace_secs`].
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_read_timeout_secs: 10,
            body_timeout_secs: 30,
            idle_timeout_secs: 60,
            max_connections: 1024,
            shutdown_grace_secs: 20,
        }
    }
}
