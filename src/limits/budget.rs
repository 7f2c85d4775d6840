//! What one request may spend, across every capability it reaches: model
//! calls, tool calls and tokens, counted together for the person's turn and
//! every consult under it, and how many consults run at once.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use tokio::sync::{Semaphore, SemaphorePermit};

use super::Limits;

/// A request's spending so far, shared by every turn it runs.
#[derive(Debug)]
pub struct Budget {
    model_calls: AtomicUsize,
    tool_calls: AtomicUsize,
    tokens: AtomicU64,
    max_model_calls: usize,
    max_tool_calls: usize,
    max_tokens: u64,
    consults: Semaphore,
}

/// A request has spent one of its budgets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this request has used its budget of {limit} {what}")]
pub struct Exhausted {
    /// `model calls`, `tool calls` or `tokens`.
    pub what: &'static str,
    /// The budget.
    pub limit: u64,
}

impl Budget {
    /// A fresh budget under `limits`.
    pub fn new(limits: &Limits) -> Self {
        Self {
            model_calls: AtomicUsize::new(0),
            tool_calls: AtomicUsize::new(0),
            tokens: AtomicU64::new(0),
            max_model_calls: limits.max_model_calls,
            max_tool_calls: limits.max_tool_calls,
            max_tokens: limits.max_tokens,
            consults: Semaphore::new(limits.max_parallel_consults.max(1)),
        }
    }

    /// Takes one model call, if the budget has one left (and tokens).
    pub fn model_call(&self) -> Result<(), Exhausted> {
        if self.tokens.load(Ordering::Relaxed) >= self.max_tokens {
            return Err(Exhausted {
                what: "tokens",
                limit: self.max_tokens,
            });
        }
        take(&self.model_calls, 1, self.max_model_calls, "model calls")
    }

    /// Takes `n` tool calls, all or none.
    pub fn tool_calls(&self, n: usize) -> Result<(), Exhausted> {
        take(&self.tool_calls, n, self.max_tool_calls, "tool calls")
    }

    /// Adds the tokens a model call spent.
    pub fn spend_tokens(&self, tokens: u64) {
        self.tokens.fetch_add(tokens, Ordering::Relaxed);
    }

    /// Waits for a slot to run a consult in.
    pub async fn consult_slot(&self) -> Option<SemaphorePermit<'_>> {
        self.consults.acquire().await.ok()
    }

    /// Model calls taken so far.
    pub fn model_calls(&self) -> usize {
        self.model_calls.load(Ordering::Relaxed)
    }
}

/// Adds `n` to `counter` unless that passes `limit`.
fn take(
    counter: &AtomicUsize,
    n: usize,
    limit: usize,
    what: &'static str,
) -> Result<(), Exhausted> {
    counter
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
            (used + n <= limit).then_some(used + n)
        })
        .map(|_| ())
        .map_err(|_| Exhausted {
            what,
            limit: limit as u64,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(calls: usize, tools: usize, tokens: u64) -> Budget {
        Budget::new(&Limits {
            max_model_calls: calls,
            max_tool_calls: tools,
            max_tokens: tokens,
            ..Limits::default()
        })
    }

    #[test]
    fn model_calls_stop_at_the_budget() {
        let budget = budget(2, 8, 1_000);
        assert!(budget.model_call().is_ok());
        assert!(budget.model_call().is_ok());
        let spent = budget.model_call().expect_err("third call");
        assert_eq!(
            spent.to_string(),
            "this request has used its budget of 2 model calls"
        );
        assert_eq!(budget.model_calls(), 2);
    }

    #[test]
    fn tool_calls_are_taken_all_or_none() {
        let budget = budget(8, 3, 1_000);
        assert!(budget.tool_calls(2).is_ok());
        assert!(budget.tool_calls(2).is_err(), "two more would pass three");
        assert!(budget.tool_calls(1).is_ok());
    }

    #[test]
    fn spent_tokens_refuse_the_next_call() {
        let budget = budget(8, 8, 100);
        assert!(budget.model_call().is_ok());
        budget.spend_tokens(120);
        assert_eq!(
            budget.model_call(),
            Err(Exhausted {
                what: "tokens",
                limit: 100
            })
        );
    }
}
