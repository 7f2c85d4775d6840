//! The Renewal Strategy's conversation plan: the family's rule is to start 4-6
//! weeks before the renewal date, so the plan's dates are counted back from
//! `renewal_date` (review at 6 weeks, open the conversation 6 to 4 weeks
//! before, send the proposal 3 to 2 weeks before), where the document stands
//! in that timeline, and the proposed rate's change.

use jiff::ToSpan;
use jiff::civil::Date;
use serde_json::{Map, Value, json};

use super::{Derived, date, number};
use crate::templates::fields::{FieldError, object_mut};

/// The dates of the conversation plan for a renewal on `renewal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Plan {
    /// Review the value evidence and the health score (6 weeks before).
    pub(super) review_on: Date,
    /// The window to open the renewal conversation: 6 to 4 weeks before.
    pub(super) open_from: Date,
    pub(super) open_by: Date,
    /// The window to send the proposal: 3 to 2 weeks before.
    pub(super) proposal_from: Date,
    pub(super) proposal_by: Date,
}

impl Plan {
    /// The plan for a renewal on `renewal`; `None` near the calendar's start.
    pub(super) fn before(renewal: Date) -> Option<Self> {
        let back = |weeks: i64| renewal.checked_sub(weeks.weeks()).ok();
        Some(Self {
            review_on: back(6)?,
            open_from: back(6)?,
            open_by: back(4)?,
            proposal_from: back(3)?,
            proposal_by: back(2)?,
        })
    }

    /// Where a document dated `today` stands in the plan for `renewal`.
    pub(super) fn timing(&self, today: Date, renewal: Date) -> String {
        if today >= renewal {
            format!("The renewal date {renewal} has passed; agree terms now.")
        } else if today < self.open_from {
            format!(
                "Ahead of the window: review the evidence on {}, open the conversation between {} and {}.",
                self.review_on, self.open_from, self.open_by
            )
        } else if today <= self.open_by {
            format!(
                "In the window: open the renewal conversation by {}.",
                self.open_by
            )
        } else {
            format!(
                "Late: the 4-6 week window closed on {}; open the conversation this week.",
                self.open_by
            )
        }
    }
}

/// [`super::Derivation::RenewalPlan`].
pub(super) fn renewal_plan(fields: &mut Value, out: &mut Derived) {
    if let Some(rate) = object_mut(fields, "rate_justification") {
        rate_change(rate, out);
    }
    let Some(object) = fields.as_object_mut() else {
        return;
    };
    let Some(renewal) = date(object, "renewal_date", "/renewal_date", out) else {
        return;
    };
    let Some(plan) = Plan::before(renewal) else {
        out.errors.push(FieldError::invalid(
            "/renewal_date",
            "too early a date to plan back from",
        ));
        return;
    };
    let today = date(object, "date", "/date", out);
    let timing = today.map(|today| plan.timing(today, renewal));
    object.insert(
        "conversation_plan".into(),
        json!({
            "review_on": plan.review_on.to_string(),
            "open_from": plan.open_from.to_string(),
            "open_by": plan.open_by.to_string(),
            "proposal_from": plan.proposal_from.to_string(),
            "proposal_by": plan.proposal_by.to_string(),
            "timing": timing,
        }),
    );
    out.notes.push(format!(
        "Renewal plan: open the conversation between {} and {}, proposal between {} and {}{}",
        plan.open_from,
        plan.open_by,
        plan.proposal_from,
        plan.proposal_by,
        timing
            .as_deref()
            .map(|t| format!(". {}", t.trim_end_matches('.')))
            .unwrap_or_default()
    ));
}

/// Sets `change_pct`, the proposed hourly rate against the current one.
fn rate_change(rate: &mut Map<String, Value>, out: &mut Derived) {
    let (Some(current), Some(proposed)) =
        (number(rate, "current_rate"), number(rate, "proposed_rate"))
    else {
        return;
    };
    if current <= 0.0 {
        return;
    }
    let pct = ((proposed - current) / current * 1000.0).round() / 10.0;
    rate.insert("change_pct".into(), json!(pct));
    out.notes.push(format!(
        "Rate: ${current}/hour to ${proposed}/hour ({pct:+}%)"
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn derive(mut fields: Value) -> (Value, Derived) {
        let mut out = Derived::default();
        renewal_plan(&mut fields, &mut out);
        (fields, out)
    }

    #[test]
    fn the_plan_counts_back_from_the_renewal_date() {
        let (fields, out) = derive(json!({
            "renewal_date": "2026-12-31", "date": "2026-11-26",
            "rate_justification": {"current_rate": 150, "proposed_rate": 180, "argument": "a"}
        }));
        let plan = &fields["conversation_plan"];
        assert_eq!(plan["review_on"], "2026-11-19");
        assert_eq!(plan["open_from"], "2026-11-19");
        assert_eq!(plan["open_by"], "2026-12-03");
        assert_eq!(plan["proposal_from"], "2026-12-10");
        assert_eq!(plan["proposal_by"], "2026-12-17");
        assert_eq!(
            plan["timing"],
            "In the window: open the renewal conversation by 2026-12-03."
        );
        assert_eq!(fields["rate_justification"]["change_pct"], 20.0);
        assert!(out.errors.is_empty());
    }

    #[test]
    fn the_timing_says_early_late_or_past() {
        let renewal = jiff::civil::date(2027, 3, 1);
        let plan = Plan::before(renewal).expect("plan");
        let timing = |y, m, d| plan.timing(jiff::civil::date(y, m, d), renewal);
        assert!(timing(2026, 12, 1).starts_with("Ahead of the window"));
        assert!(timing(2027, 2, 10).starts_with("Late: the 4-6 week window closed on 2027-02-01"));
        assert!(timing(2027, 3, 1).contains("has passed"));
    }

    #[test]
    fn a_bad_date_is_an_error() {
        let (fields, out) = derive(json!({"renewal_date": "2026-02-30"}));
        assert_eq!(out.errors[0].path, "/renewal_date");
        assert!(fields.get("conversation_plan").is_none());
    }
}
