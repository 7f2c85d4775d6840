//! The per-customer daily token budget (`[limits] customer_daily_tokens`):
//! a turn for a customer who has spent it today (UTC) is refused before it
//! runs, until the next UTC midnight. A turn that starts under the budget
//! finishes, so concurrent turns can pass it by what they spend.

use jiff::Timestamp;

use super::ConversationError;
use crate::app::AppState;
use crate::workspace::{CustomerId, next_utc_midnight, utc_day};

/// A customer's daily token budget is spent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "customer {customer:?} has spent {spent} tokens today (UTC), its daily budget is {budget}; \
     it resets at {resets_at}"
)]
pub struct BudgetSpent {
    /// The customer.
    pub customer: String,
    /// `[limits] customer_daily_tokens`.
    pub budget: u64,
    /// Tokens spent today.
    pub spent: u64,
    /// The next UTC midnight.
    pub resets_at: Timestamp,
    /// Whole seconds from the refusal until then, at least 1.
    pub retry_after_secs: u64,
}

impl BudgetSpent {
    /// The refusal at `now`, or `None` while `spent` is under `budget`.
    pub fn check(customer: &CustomerId, budget: u64, spent: u64, now: Timestamp) -> Option<Self> {
        if spent < budget {
            return None;
        }
        let resets_at = next_utc_midnight(utc_day(now));
        let wait = resets_at.duration_since(now);
        let secs = u64::try_from(wait.as_secs()).unwrap_or(0);
        let retry_after_secs = if wait.subsec_nanos() > 0 {
            secs + 1
        } else {
            secs
        }
        .max(1);
        Some(Self {
            customer: customer.to_string(),
            budget,
            spent,
            resets_at,
            retry_after_secs,
        })
    }
}

/// Refuses the turn when the customer has spent its daily budget; a turn
/// without a customer, or without a budget configured, always passes.
pub(super) async fn check(
    state: &AppState,
    customer: Option<&CustomerId>,
) -> Result<(), ConversationError> {
    let (Some(budget), Some(customer)) = (state.limits.customer_daily_tokens, customer) else {
        return Ok(());
    };
    let now = Timestamp::now();
    let spent = state
        .workspace
        .tokens_spent_on(customer, utc_day(now))
        .await?;
    match BudgetSpent::check(customer, budget, spent, now) {
        Some(refusal) => Err(ConversationError::DailyBudget(refusal)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn under_the_budget_passes_and_at_it_is_refused_until_midnight() {
        let acme = CustomerId::parse("acme").expect("id");
        let now = at("2026-11-24T23:00:00.5Z");
        assert_eq!(BudgetSpent::check(&acme, 1000, 999, now), None);
        let refusal = BudgetSpent::check(&acme, 1000, 1000, now).expect("refused");
        assert_eq!(refusal.resets_at, at("2026-11-25T00:00:00Z"));
        // 3599.5 s, rounded up: a client that waits that long is past midnight.
        assert_eq!(refusal.retry_after_secs, 3600);
        let message = refusal.to_string();
        for part in [
            "acme",
            "1000 tokens",
            "budget is 1000",
            "2026-11-25T00:00:00Z",
        ] {
            assert!(message.contains(part), "{part}: {message}");
        }
        let last = BudgetSpent::check(&acme, 10, 11, at("2026-11-24T23:59:59.999Z"));
        assert_eq!(last.expect("refused").retry_after_secs, 1);
        let first = BudgetSpent::check(&acme, 10, 11, at("2026-11-25T00:00:00Z"));
        assert_eq!(first.expect("refused").retry_after_secs, 86_400);
    }
}
