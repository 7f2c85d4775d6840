//! The investment comparison: totals from hours × rate, the change between
//! the current and proposed investment, and the proposed one's return.

use serde_json::{Map, Value, json};

use super::{Derived, number, rounded};
use crate::templates::fields::{FieldError, object_mut};

/// [`super::Derivation::InvestmentRoi`].
pub(super) fn investment(fields: &mut Value, out: &mut Derived) {
    let Some(investment) = object_mut(fields, "investment") else {
        return;
    };
    let mut totals = Vec::new();
    for side in ["current", "proposed"] {
        totals.extend(set_total(investment, side, out));
    }
    let [current, proposed] = totals[..] else {
        return;
    };
    if proposed <= 0.0 {
        out.errors.push(FieldError::invalid(
            "/investment/proposed",
            "the proposed investment must be more than zero",
        ));
        return;
    }
    let mut note = set_change(investment, current, proposed);
    note.push_str(&set_return(investment, proposed));
    out.notes.push(note);
}

/// Sets `<side>.total` to hours per month × rate, noting a given total that
/// said otherwise; returns the total (`None` without hours and rate).
fn set_total(investment: &mut Map<String, Value>, side: &str, out: &mut Derived) -> Option<f64> {
    let part = investment.get_mut(side).and_then(Value::as_object_mut)?;
    let (Some(hours), Some(rate)) = (number(part, "hours_per_month"), number(part, "rate")) else {
        return None;
    };
    let total = hours * rate;
    if let Some(given) = number(part, "total") {
        if (given - total).abs() > 0.5 {
            out.corrections.push(format!(
                "Investment {side}: total {given} does not equal {hours} h × {rate}; set to {total}"
            ));
        }
    }
    part.insert("total".into(), rounded(total));
    Some(total)
}

/// Sets `change` (and `change_pct` when there is a current investment);
/// returns the note saying so.
fn set_change(investment: &mut Map<String, Value>, current: f64, proposed: f64) -> String {
    investment.insert("change".into(), rounded(proposed - current));
    if current > 0.0 {
        investment.insert(
            "change_pct".into(),
            json!(((proposed - current) / current * 100.0).round()),
        );
    }
    let mut note = format!(
        "Investment computed: current {current}/month, proposed {proposed}/month, change {:+}",
        proposed - current
    );
    if current > 0.0 {
        note.push_str(&format!(
            " ({:+.0}%)",
            (proposed - current) / current * 100.0
        ));
    }
    note
}

/// Sets `roi_multiple` and `net_monthly_value` when the expected monthly value
/// is given; returns the note's addition (empty otherwise).
fn set_return(investment: &mut Map<String, Value>, proposed: f64) -> String {
    let Some(value) = number(investment, "expected_monthly_value") else {
        return String::new();
    };
    let multiple = (value / proposed * 10.0).round() / 10.0;
    investment.insert("roi_multiple".into(), json!(multiple));
    investment.insert("net_monthly_value".into(), rounded(value - proposed));
    format!(", ROI {multiple}x, net {}/month", value - proposed)
}
