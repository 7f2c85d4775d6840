//! The rate a Value Ladder level implies: the current hourly rate over the
//! current level's multiplier is the Staff Aug base rate, and the target
//! level's multiplier range times that base is the range the target implies
//! ($150 per hour as Expert Executor, 1.5x, implies $200-300 per hour as
//! Strategic Advisor, 2-3x). A current level with a range (2-3x) is taken at
//! its midpoint: the rate says where in the range the PM stands no better.

use serde_json::{Map, Value};

use super::{Derived, number, rounded};
use crate::templates::fields::object_mut;

/// Each Value Ladder level's multiplier range, lowest level first (as
/// [`super::VALUE_LADDER`]).
const MULTIPLIERS: [(&str, f64, f64); 4] = [
    ("Staff Aug", 1.0, 1.0),
    ("Expert Executor", 1.5, 1.5),
    ("Strategic Advisor", 2.0, 3.0),
    ("Transformation Partner", 3.0, 5.0),
];

/// The hourly range `target` implies for a PM paid `rate` per hour at
/// `current`; `None` for an unknown level or a rate that is not positive.
pub fn implied_rate(rate: f64, current: &str, target: &str) -> Option<(f64, f64)> {
    let range = |level: &str| {
        MULTIPLIERS
            .iter()
            .find(|(name, _, _)| *name == level)
            .map(|(_, low, high)| (*low, *high))
    };
    let (current_low, current_high) = range(current)?;
    let (target_low, target_high) = range(target)?;
    if rate.is_nan() || rate <= 0.0 {
        return None;
    }
    let base = rate / ((current_low + current_high) / 2.0);
    Some((base * target_low, base * target_high))
}

/// [`super::Derivation::ImpliedRate`]: sets `value_ladder.implied_rate_low`
/// and `_high` from `rate_basis.hourly_rate`, when both levels and the rate
/// are given.
pub(super) fn derive(fields: &mut Value, out: &mut Derived) {
    let Some(rate) = fields
        .get("rate_basis")
        .and_then(Value::as_object)
        .and_then(|basis| number(basis, "hourly_rate"))
    else {
        return;
    };
    let Some(ladder) = object_mut(fields, "value_ladder") else {
        return;
    };
    let (Some(current), Some(target)) = (
        level(ladder, "current_level"),
        level(ladder, "target_level"),
    ) else {
        return;
    };
    let Some((low, high)) = implied_rate(rate, &current, &target) else {
        return;
    };
    ladder.insert("implied_rate_low".into(), rounded(low.round()));
    ladder.insert("implied_rate_high".into(), rounded(high.round()));
    out.notes.push(format!(
        "Implied rate: ${rate}/hour as {current} implies ${}-{}/hour as {target}",
        low.round(),
        high.round()
    ));
}

fn level(ladder: &Map<String, Value>, key: &str) -> Option<String> {
    ladder.get(key).and_then(Value::as_str).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_target_range_scales_from_the_current_multiplier() {
        assert_eq!(
            implied_rate(150.0, "Expert Executor", "Strategic Advisor"),
            Some((200.0, 300.0))
        );
        assert_eq!(
            implied_rate(100.0, "Staff Aug", "Transformation Partner"),
            Some((300.0, 500.0))
        );
        // A ranged current level is read at its midpoint: 250 / 2.5 = 100.
        assert_eq!(
            implied_rate(250.0, "Strategic Advisor", "Transformation Partner"),
            Some((300.0, 500.0))
        );
        assert_eq!(implied_rate(150.0, "Senior PM", "Staff Aug"), None);
        assert_eq!(implied_rate(0.0, "Staff Aug", "Staff Aug"), None);
    }

    #[test]
    fn the_assessment_gets_the_range_only_with_an_hourly_rate() {
        let mut fields = json!({
            "value_ladder": {"current_level": "Expert Executor", "target_level": "Strategic Advisor"},
            "rate_basis": {"rate": "$150/hour", "hourly_rate": 150}
        });
        let mut out = Derived::default();
        derive(&mut fields, &mut out);
        assert_eq!(fields["value_ladder"]["implied_rate_low"], 200.0);
        assert_eq!(fields["value_ladder"]["implied_rate_high"], 300.0);
        assert!(
            out.notes[0].contains("implies $200-300/hour"),
            "{:?}",
            out.notes
        );

        let mut fields = json!({"value_ladder": {"current_level": "Expert Executor", "target_level": "Strategic Advisor"}});
        derive(&mut fields, &mut out);
        assert!(fields["value_ladder"].get("implied_rate_low").is_none());
    }
}
