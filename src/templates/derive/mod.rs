//! Values that follow from other fields are computed here, not trusted from the
//! model: each derivation fills or corrects fields and says what it changed.

mod graduation;
mod implied_rate;
mod investment;
mod renewal_plan;
mod time_allocation;
mod value_ladder;
mod variance;
mod weighted_scores;

use jiff::civil::Date;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::fields::FieldError;
pub use graduation::GRADUATION_CRITERIA;
pub use implied_rate::implied_rate;
pub use time_allocation::{WORK_TYPES, prefill_current_allocation};
pub use value_ladder::VALUE_LADDER;
pub use weighted_scores::CRITERIA;

/// A derivation a template's schema asks for (`x-pmcoach.derive`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Derivation {
    /// `time_allocation.{tactical,operational,strategic,capability_building}`:
    /// current and target percentages total 100 per column; `shift` follows from them.
    TimeAllocation,
    /// `value_ladder.{current,target}_level`: the rate multiplier each level implies.
    ValueLadder,
    /// `value_ladder.implied_rate_{low,high}`: the hourly rate the target level
    /// implies, from `rate_basis.hourly_rate` at the current level.
    ImpliedRate,
    /// `investment.{current,proposed}`: totals from hours × rate, the change between
    /// them, and the return on the increment (proposed minus current).
    InvestmentRoi,
    /// `evaluation.<criterion>.{a,b,c}` scored 1-5: weighted totals per option with
    /// the family's fixed weights, and the leading option.
    WeightedScores,
    /// `performance[].variance`: actual against plan, in percent of plan (in
    /// points for percentages).
    Variance,
    /// `conversation_plan`: the renewal conversation's dates, counted back from
    /// `renewal_date`, and the proposed rate's change.
    RenewalPlan,
    /// `criteria_met`, `ready` and `check_ins`: graduation criteria counted and
    /// the monthly check-ins after `graduation_date`.
    GraduationCheckIn,
}

/// What a derivation did: corrections made, or errors that stop the render.
#[derive(Debug, Default)]
pub(super) struct Derived {
    pub(super) corrections: Vec<String>,
    /// What was computed, for the model to quote (not corrections).
    pub(super) notes: Vec<String>,
    pub(super) errors: Vec<FieldError>,
}

impl Derivation {
    /// Fills or corrects `fields`, recording what it did in `out`.
    pub(super) fn apply(self, fields: &mut Value, out: &mut Derived) {
        match self {
            Derivation::TimeAllocation => time_allocation::time_allocation(fields, out),
            Derivation::ValueLadder => value_ladder::value_ladder(fields, out),
            Derivation::InvestmentRoi => investment::investment(fields, out),
            Derivation::WeightedScores => weighted_scores::weighted_scores(fields, out),
            Derivation::ImpliedRate => implied_rate::derive(fields, out),
            Derivation::Variance => variance::variance(fields, out),
            Derivation::RenewalPlan => renewal_plan::renewal_plan(fields, out),
            Derivation::GraduationCheckIn => graduation::graduation(fields, out),
        }
    }
}

/// The date at `key` (`YYYY-MM-DD`); `None` when absent, an error noted in
/// `out` when it is not a real date.
fn date(map: &Map<String, Value>, key: &str, path: &str, out: &mut Derived) -> Option<Date> {
    let text = map.get(key).and_then(Value::as_str)?;
    match text.trim().parse::<Date>() {
        Ok(date) => Some(date),
        Err(_) => {
            out.errors.push(FieldError::invalid(
                path,
                format!("{text:?} is not a date; use YYYY-MM-DD"),
            ));
            None
        }
    }
}

/// The number at `key`, if it is one.
fn number(map: &Map<String, Value>, key: &str) -> Option<f64> {
    map.get(key).and_then(Value::as_f64)
}

/// Rounds to two decimals, as a JSON number.
fn rounded(value: f64) -> Value {
    json!((value * 100.0).round() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(derivation: Derivation, mut fields: Value) -> (Value, Derived) {
        let mut out = Derived::default();
        derivation.apply(&mut fields, &mut out);
        (fields, out)
    }

    fn allocation(current: [f64; 4], target: [f64; 4]) -> Value {
        let mut table = Map::new();
        for (i, row) in WORK_TYPES.iter().enumerate() {
            table.insert(
                row.to_string(),
                json!({"current_pct": current[i], "target_pct": target[i]}),
            );
        }
        json!({ "time_allocation": table })
    }

    #[test]
    fn time_allocation_totals_are_scaled_to_100_and_shifts_derived() {
        let (fields, out) = run(
            Derivation::TimeAllocation,
            allocation([50.0, 20.0, 10.0, 10.0], [20.0, 20.0, 35.0, 25.0]),
        );
        let t = &fields["time_allocation"];
        let current: Vec<u64> = WORK_TYPES
            .iter()
            .map(|r| t[*r]["current_pct"].as_u64().expect("integer"))
            .collect();
        assert_eq!(current.iter().sum::<u64>(), 100);
        assert_eq!(current, [56, 22, 11, 11]);
        assert_eq!(t["tactical"]["shift"], "Reduce");
        assert_eq!(
            t["operational"]["shift"], "Reduce",
            "22% after scaling, 20% target"
        );
        assert_eq!(t["strategic"]["shift"], "Increase");
        assert_eq!(out.corrections.len(), 1, "{:?}", out.corrections);
        assert!(out.corrections[0].contains("summed to 90"));
    }

    #[test]
    fn a_correct_table_is_left_alone_but_wrong_shifts_are_fixed() {
        let mut fields = allocation([60.0, 20.0, 15.0, 5.0], [30.0, 20.0, 30.0, 20.0]);
        fields["time_allocation"]["operational"]["shift"] = json!("Increase");
        let (fields, out) = run(Derivation::TimeAllocation, fields);
        assert_eq!(fields["time_allocation"]["tactical"]["current_pct"], 60.0);
        assert_eq!(
            fields["time_allocation"]["operational"]["shift"],
            "Maintain"
        );
        assert_eq!(out.corrections.len(), 1);
        assert!(out.errors.is_empty());
    }

    #[test]
    fn all_zero_allocations_are_an_error() {
        let (_, out) = run(Derivation::TimeAllocation, allocation([0.0; 4], [25.0; 4]));
        assert_eq!(out.errors.len(), 1);
        assert_eq!(out.errors[0].path, "/time_allocation/*/current_pct");
    }

    #[test]
    fn current_allocation_is_prefilled_from_logged_hours() {
        let mut fields =
            json!({"time_allocation": {"tactical": {"current_pct": 70, "target_pct": 30}}});
        let note = prefill_current_allocation(
            &mut fields,
            &[
                ("tactical", 6.0),
                ("operational", 2.0),
                ("strategic", 3.0),
                ("capability_building", 1.0),
            ],
        );
        assert!(note.is_some_and(|n| n.contains("12 categorized hours")));
        let t = &fields["time_allocation"];
        assert_eq!(t["tactical"]["current_pct"], 70, "a given value is kept");
        assert_eq!(t["operational"]["current_pct"], 17);
        assert_eq!(t["strategic"]["current_pct"], 25);
        assert_eq!(t["capability_building"]["current_pct"], 8);
        assert_eq!(
            prefill_current_allocation(&mut fields, &[("tactical", 0.0)]),
            None
        );
    }

    #[test]
    fn value_ladder_multipliers_come_from_the_level() {
        let (fields, out) = run(
            Derivation::ValueLadder,
            json!({"value_ladder": {"current_level": "Staff Aug", "target_level": "Strategic Advisor", "target_multiplier": "5x"}}),
        );
        assert_eq!(fields["value_ladder"]["current_multiplier"], "1x");
        assert_eq!(fields["value_ladder"]["target_multiplier"], "2-3x");
        assert_eq!(out.corrections.len(), 1);
        let (_, out) = run(
            Derivation::ValueLadder,
            json!({"value_ladder": {"current_level": "Strategic Advisor", "target_level": "Staff Aug"}}),
        );
        assert_eq!(out.errors[0].path, "/value_ladder/target_level");
    }

    #[test]
    fn investment_totals_and_roi_are_computed() {
        let (fields, out) = run(
            Derivation::InvestmentRoi,
            json!({"investment": {
                "current": {"hours_per_month": 80, "rate": 150, "total": 10000},
                "proposed": {"hours_per_month": 60, "rate": 250},
                "expected_monthly_value": 45000
            }}),
        );
        let i = &fields["investment"];
        assert_eq!(i["current"]["total"], 12000.0);
        assert_eq!(i["proposed"]["total"], 15000.0);
        assert_eq!(i["change"], 3000.0);
        assert_eq!(i["change_pct"], 25.0);
        // The return is on the $3,000 increment, not the whole $15,000 fee.
        assert_eq!(i["roi_multiple"], 15.0);
        assert_eq!(i["net_monthly_value"], 42000.0);
        assert_eq!(out.corrections.len(), 1);
        assert!(out.corrections[0].contains("total 10000"));
    }

    #[test]
    fn weighted_scores_use_the_fixed_weights() {
        let (fields, out) = run(
            Derivation::WeightedScores,
            json!({
                "evaluation": {
                    "market_size": {"a": 5, "b": 3, "c": 1},
                    "competitive_position": {"a": 4, "b": 3, "c": 2},
                    "capability_fit": {"a": 2, "b": 4, "c": 3},
                    "execution_risk": {"a": 2, "b": 4, "c": 5},
                    "strategic_alignment": {"a": 4, "b": 3, "c": 3}
                },
                "recommendation": {"option": "B"}
            }),
        );
        let e = &fields["evaluation"];
        // A: 5*.25 + 4*.25 + 2*.2 + 2*.15 + 4*.15 = 1.25 + 1 + .4 + .3 + .6 = 3.55
        assert_eq!(e["totals"]["a"], 3.55);
        assert_eq!(e["totals"]["b"], 3.35);
        assert_eq!(e["leading_option"], "A");
        assert_eq!(out.corrections.len(), 1, "B is recommended below A");
    }
}
