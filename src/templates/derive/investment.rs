//! The investment comparison: totals from hours × rate, the change between
//! the current and proposed investment, and the return on that change: the
//! client already pays the current fee, so the strategic value is bought by
//! the increment, not by the whole proposed fee.

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
    note.push_str(&set_return(investment, proposed - current));
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
    if let Some(given) = number(part, "total")
        && (given - total).abs() > 0.5
    {
        out.corrections.push(format!(
            "Investment {side}: total {given} does not equal {hours} h × {rate}; set to {total}"
        ));
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

/// Sets `net_monthly_value` (the expected monthly value less the increment)
/// and, when the proposal costs more than today, `roi_multiple` (the value
/// over the increment); returns the note's addition (empty without a value).
fn set_return(investment: &mut Map<String, Value>, increment: f64) -> String {
    let Some(value) = number(investment, "expected_monthly_value") else {
        return String::new();
    };
    investment.insert("net_monthly_value".into(), rounded(value - increment));
    if increment <= 0.0 {
        investment.insert("roi_multiple".into(), Value::Null);
        return format!(
            ", no increment to return on (the proposal costs no more than today), net {}/month",
            value - increment
        );
    }
    let multiple = (value / increment * 10.0).round() / 10.0;
    investment.insert("roi_multiple".into(), json!(multiple));
    format!(
        ", ROI {multiple}x on the {increment}/month increment, net {}/month",
        value - increment
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn derive(current: (f64, f64), proposed: (f64, f64), value: f64) -> (Value, Derived) {
        let mut fields = json!({"investment": {
            "current": {"hours_per_month": current.0, "rate": current.1},
            "proposed": {"hours_per_month": proposed.0, "rate": proposed.1},
            "expected_monthly_value": value
        }});
        let mut out = Derived::default();
        investment(&mut fields, &mut out);
        (fields, out)
    }

    #[test]
    fn roi_divides_the_value_by_the_increment() {
        // $12,000 today, $13,500 proposed: the $40,000 of value costs $1,500 more.
        let (fields, out) = derive((80.0, 150.0), (60.0, 225.0), 40000.0);
        let i = &fields["investment"];
        assert_eq!(i["change"], 1500.0);
        assert_eq!(i["roi_multiple"], 26.7);
        assert_eq!(i["net_monthly_value"], 38500.0);
        assert!(out.notes[0].contains("ROI 26.7x on the 1500/month increment"));
    }

    #[test]
    fn a_proposal_that_costs_less_has_no_multiple() {
        let (fields, out) = derive((80.0, 150.0), (40.0, 250.0), 20000.0);
        let i = &fields["investment"];
        assert_eq!(i["change"], -2000.0);
        assert_eq!(i["roi_multiple"], Value::Null);
        assert_eq!(i["net_monthly_value"], 22000.0);
        assert!(out.notes[0].contains("no increment to return on"));
    }
}
