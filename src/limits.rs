//! Every limit the service enforces, in one place.
//!
//! Later work (token budgets, hardening) adds fields here rather than scattering
//! constants through the modules that enforce them.

use serde::Deserialize;

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
    /// Largest customer context (facts, action items, recent events, metrics)
    /// put in the system prompt, in characters.
    pub customer_context_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_steps: 8,
            max_consult_depth: 1,
            max_body_bytes: 256 * 1024,
            max_message_chars: 32_000,
            max_parallel_tool_calls: 8,
            customer_context_chars: 6_000,
        }
    }
}
