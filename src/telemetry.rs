//! The metrics pmcoach exports: their names, labels and meaning in one place,
//! and the recording of a finished turn. The HTTP layer installs the
//! Prometheus recorder, records requests and serves `GET /metrics`; where no
//! recorder is installed (the terminal chat, evals) every call here is a no-op.
//!
//! Labels stay bounded: routes are the matched path templates, capabilities
//! are the loaded ones, customers are the workspace's folders (and a key
//! reaches only the customers it is scoped to), codes and statuses are ours.

use metrics::{Label, Unit, counter, describe_counter, describe_histogram, histogram};

use crate::session::TurnRecord;

/// Requests answered: `method`, `route` (the matched path template, or
/// `unmatched`), `status`.
pub const HTTP_REQUESTS: &str = "pmcoach_http_requests_total";
/// Seconds from a request's arrival to the end of its response body (for a
/// stream, until it ends or the client leaves): `method`, `route`, `status`.
pub const HTTP_REQUEST_DURATION: &str = "pmcoach_http_request_duration_seconds";
/// Requests refused for load or budget: `code` (`budget_exhausted`,
/// `overloaded`, `context_overflow`) and `status` (429 for the daily budget,
/// 502 for a request's own budget; in a stream already answered 200, the
/// status it would have had).
pub const REFUSALS: &str = "pmcoach_refusals_total";
/// Turns recorded: `capability`, `customer` (empty for none), `outcome`
/// (`ok` or `error`).
pub const TURNS: &str = "pmcoach_turns_total";
/// Model calls made by turns, routing and consulted capabilities included:
/// `capability` (the turn's), `customer`.
pub const MODEL_CALLS: &str = "pmcoach_model_calls_total";
/// Seconds per model call: `capability` (the turn's).
pub const MODEL_CALL_DURATION: &str = "pmcoach_model_call_duration_seconds";
/// Tokens turns spent: `capability`, `customer`, `kind` (`prompt` or
/// `completion`).
pub const TOKENS: &str = "pmcoach_tokens_total";
/// Estimated cost of turns in millionths of a US dollar (a counter must count
/// whole units), at the model's price: `capability`, `customer`. Turns of a
/// model without a price add nothing.
pub const COST: &str = "pmcoach_cost_usd_micros_total";

/// The error codes [`REFUSALS`] counts.
const REFUSAL_CODES: &[&str] = &["budget_exhausted", "overloaded", "context_overflow"];

/// Registers each metric's help text with the installed recorder.
pub fn describe() {
    describe_counter!(HTTP_REQUESTS, "HTTP requests answered");
    describe_histogram!(
        HTTP_REQUEST_DURATION,
        Unit::Seconds,
        "Time from a request's arrival to the end of its response body"
    );
    describe_counter!(
        REFUSALS,
        "Requests refused for load or budget, by error code"
    );
    describe_counter!(TURNS, "Conversation turns recorded");
    describe_counter!(MODEL_CALLS, "Model calls made by turns");
    describe_histogram!(MODEL_CALL_DURATION, Unit::Seconds, "Time per model call");
    describe_counter!(TOKENS, "Tokens spent by turns");
    describe_counter!(
        COST,
        "Estimated cost of turns, in millionths of a US dollar"
    );
}

/// Counts a refusal, if `code` is one (see [`REFUSALS`]).
pub fn refused(code: &str, status: u16) {
    if let Some(code) = REFUSAL_CODES.iter().find(|known| **known == code) {
        counter!(REFUSALS, "code" => *code, "status" => status.to_string()).increment(1);
    }
}

/// Counts a recorded turn: the turn, its model calls, tokens and cost.
pub fn turn(record: &TurnRecord) {
    let capability = Label::new("capability", record.capability.clone());
    let customer = Label::new("customer", record.customer.clone().unwrap_or_default());
    let by = vec![capability.clone(), customer];
    let outcome = if record.error.is_none() {
        "ok"
    } else {
        "error"
    };
    let with = |name: &'static str, value: &'static str| {
        let mut labels = by.clone();
        labels.push(Label::new(name, value));
        labels
    };
    counter!(TURNS, with("outcome", outcome)).increment(1);
    counter!(MODEL_CALLS, by.clone()).increment(record.model_calls.len() as u64);
    for call in &record.model_calls {
        histogram!(MODEL_CALL_DURATION, vec![capability.clone()])
            .record(call.latency_ms as f64 / 1_000.0);
    }
    counter!(TOKENS, with("kind", "prompt")).increment(record.usage.prompt_tokens);
    counter!(TOKENS, with("kind", "completion")).increment(record.usage.completion_tokens);
    if let Some(cost) = record.cost_usd.filter(|c| c.is_finite() && *c > 0.0) {
        counter!(COST, by).increment((cost * 1e6).round() as u64);
    }
}
