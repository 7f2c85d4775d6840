//! Values that follow from other fields are computed here, not trusted from the
//! model: each derivation fills or corrects fields and says what it changed.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::fields::{FieldError, object_mut};

/// A derivation a template's schema asks for (`x-pmcoach.derive`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Derivation {
    /// `time_allocation.{tactical,operational,strategic,capability_building}`:
    /// current and target percentages total 100 per column; `shift` follows from them.
    TimeAllocation,
    /// `value_ladder.{current,target}_level`: the rate multiplier each level implies.
    ValueLadder,
    /// `investment.{current,proposed}`: totals from hours × rate, the change between
    /// them, and the return on the proposed investment.
    InvestmentRoi,
    /// `evaluation.<criterion>.{a,b,c}` scored 1-5: weighted totals per option with
    /// the family's fixed weights, and the leading option.
    WeightedScores,
}

/// What a derivation did: corrections made, or errors that stop the render.
#[derive(Debug, Default)]
pub(super) struct Derived {
    pub(super) corrections: Vec<String>,
    /// What was computed, for the model to quote (not corrections).
    pub(super) notes: Vec<String>,
    pub(super) errors: Vec<FieldError>,
}

/// The Value Ladder's levels, lowest first, with their rate multipliers.
pub const VALUE_LADDER: [(&str, &str); 4] = [
    ("Staff Aug", "1x"),
    ("Expert Executor", "1.5x"),
    ("Strategic Advisor", "2-3x"),
    ("Transformation Partner", "3-5x"),
];

/// Work types of the Time Allocation Review, in table order.
pub const WORK_TYPES: [&str; 4] = [
    "tactical",
    "operational",
    "strategic",
    "capability_building",
];

/// Strategic Options criteria and their weights (percent).
pub const CRITERIA: [(&str, u32); 5] = [
    ("market_size", 25),
    ("competitive_position", 25),
    ("capability_fit", 20),
    ("execution_risk", 15),
    ("strategic_alignment", 15),
];

impl Derivation {
    pub(super) fn apply(self, fields: &mut Value, out: &mut Derived) {
        match self {
            Derivation::TimeAllocation => time_allocation(fields, out),
            Derivation::ValueLadder => value_ladder(fields, out),
            Derivation::InvestmentRoi => investment(fields, out),
            Derivation::WeightedScores => weighted_scores(fields, out),
        }
    }
}

fn number(map: &Map<String, Value>, key: &str) -> Option<f64> {
    map.get(key).and_then(Value::as_f64)
}

/// Rounds to two decimals, as a JSON number.
fn rounded(value: f64) -> Value {
    json!((value * 100.0).round() / 100.0)
}

fn time_allocation(fields: &mut Value, out: &mut Derived) {
    let Some(table) = object_mut(fields, "time_allocation") else {
        return;
    };
    for column in ["current_pct", "target_pct"] {
        let values: Vec<f64> = WORK_TYPES
            .iter()
            .map(|row| {
                table
                    .get(*row)
                    .and_then(Value::as_object)
                    .and_then(|r| number(r, column))
                    .unwrap_or(0.0)
            })
            .collect();
        let sum: f64 = values.iter().sum();
        if sum <= 0.0 {
            out.errors.push(FieldError::invalid(
                format!("/time_allocation/*/{column}"),
                "the percentages are all zero; give the share of hours per work type",
            ));
            continue;
        }
        if (sum - 100.0).abs() < 0.05 {
            continue;
        }
        let scaled = largest_remainder(&values, sum);
        let changes: Vec<String> = WORK_TYPES
            .iter()
            .zip(values.iter().zip(&scaled))
            .map(|(row, (before, after))| format!("{row} {before}→{after}"))
            .collect();
        for (row, value) in WORK_TYPES.iter().zip(&scaled) {
            if let Some(r) = table.get_mut(*row).and_then(Value::as_object_mut) {
                r.insert(column.to_string(), json!(value));
            }
        }
        out.corrections.push(format!(
            "Time Allocation {} summed to {sum}; scaled to total 100 ({})",
            column.replace("_pct", " %"),
            changes.join(", ")
        ));
    }
    for row in WORK_TYPES {
        let Some(r) = table.get_mut(row).and_then(Value::as_object_mut) else {
            continue;
        };
        let (Some(current), Some(target)) = (number(r, "current_pct"), number(r, "target_pct"))
        else {
            continue;
        };
        let shift = if target > current {
            "Increase"
        } else if target < current {
            "Reduce"
        } else {
            "Maintain"
        };
        if let Some(given) = r.get("shift").and_then(Value::as_str) {
            if given != shift {
                out.corrections.push(format!(
                    "Time Allocation {row}: shift {given} contradicts {current}% → {target}%; set to {shift}"
                ));
            }
        }
        r.insert("shift".into(), json!(shift));
    }
}

/// Fills the Time Allocation Review's missing `current_pct` values from hours
/// logged per work type (`tactical`, `operational`, `strategic`,
/// `capability_building`), as whole percentages totalling 100. Returns a note
/// when it filled anything.
pub fn prefill_current_allocation(fields: &mut Value, hours: &[(&str, f64)]) -> Option<String> {
    let total: f64 = hours.iter().map(|(_, h)| h).sum();
    if total <= 0.0 {
        return None;
    }
    let object = fields.as_object_mut()?;
    let table = object
        .entry("time_allocation")
        .or_insert_with(|| json!({}))
        .as_object_mut()?;
    let values: Vec<f64> = WORK_TYPES
        .iter()
        .map(|key| {
            hours
                .iter()
                .find(|(k, _)| k == key)
                .map_or(0.0, |(_, h)| *h)
        })
        .collect();
    let percent = largest_remainder(&values, total);
    let mut filled = false;
    for (key, pct) in WORK_TYPES.iter().zip(percent) {
        let row = table.entry(*key).or_insert_with(|| json!({}));
        if let Some(row) = row.as_object_mut() {
            if row.get("current_pct").is_none_or(Value::is_null) {
                row.insert("current_pct".into(), json!(pct));
                filled = true;
            }
        }
    }
    filled.then(|| {
        let shares: Vec<String> = WORK_TYPES
            .iter()
            .map(|key| format!("{} {}%", key.replace('_', " "), table[*key]["current_pct"]))
            .collect();
        format!(
            "Time Allocation current % filled from the event log ({} categorized hours): {}",
            (total * 10.0).round() / 10.0,
            shares.join(", ")
        )
    })
}

/// Integer percentages proportional to `values`, totalling exactly 100.
fn largest_remainder(values: &[f64], sum: f64) -> Vec<u32> {
    let exact: Vec<f64> = values.iter().map(|v| v * 100.0 / sum).collect();
    let mut floors: Vec<u32> = exact.iter().map(|v| v.floor() as u32).collect();
    let short = 100u32.saturating_sub(floors.iter().sum());
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = exact[a] - exact[a].floor();
        let rb = exact[b] - exact[b].floor();
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &i in order.iter().take(short as usize) {
        floors[i] += 1;
    }
    floors
}

fn value_ladder(fields: &mut Value, out: &mut Derived) {
    let Some(ladder) = object_mut(fields, "value_ladder") else {
        return;
    };
    let rank = |level: &str| VALUE_LADDER.iter().position(|(name, _)| *name == level);
    let mut ranks = Vec::new();
    for side in ["current", "target"] {
        let Some(level) = ladder
            .get(&format!("{side}_level"))
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            continue;
        };
        let Some(index) = rank(&level) else {
            continue; // the schema's enum already reported it
        };
        ranks.push(index);
        let multiplier = VALUE_LADDER[index].1;
        let key = format!("{side}_multiplier");
        if let Some(given) = ladder.get(&key).and_then(Value::as_str) {
            if given != multiplier {
                out.corrections.push(format!(
                    "Value Ladder: {level} implies a {multiplier} rate multiplier, not {given}"
                ));
            }
        }
        ladder.insert(key, json!(multiplier));
    }
    if let [current, target] = ranks[..] {
        if target < current {
            out.errors.push(FieldError::invalid(
                "/value_ladder/target_level",
                format!(
                    "{} is below the current level {}; the target must be the same or higher",
                    VALUE_LADDER[target].0, VALUE_LADDER[current].0
                ),
            ));
        }
    }
}

fn investment(fields: &mut Value, out: &mut Derived) {
    let Some(investment) = object_mut(fields, "investment") else {
        return;
    };
    let mut totals = Vec::new();
    for side in ["current", "proposed"] {
        let Some(part) = investment.get_mut(side).and_then(Value::as_object_mut) else {
            continue;
        };
        let (Some(hours), Some(rate)) = (number(part, "hours_per_month"), number(part, "rate"))
        else {
            continue;
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
        totals.push(total);
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
    if let Some(value) = number(investment, "expected_monthly_value") {
        let multiple = (value / proposed * 10.0).round() / 10.0;
        investment.insert("roi_multiple".into(), json!(multiple));
        investment.insert("net_monthly_value".into(), rounded(value - proposed));
        note.push_str(&format!(
            ", ROI {multiple}x, net {}/month",
            value - proposed
        ));
    }
    out.notes.push(note);
}

fn weighted_scores(fields: &mut Value, out: &mut Derived) {
    let Some(evaluation) = object_mut(fields, "evaluation") else {
        return;
    };
    let mut totals = Map::new();
    for option in ["a", "b", "c"] {
        let total: f64 = CRITERIA
            .iter()
            .filter_map(|(criterion, weight)| {
                let score = evaluation.get(*criterion)?.get(option)?.as_f64()?;
                Some(score * f64::from(*weight) / 100.0)
            })
            .sum();
        totals.insert(option.to_string(), rounded(total));
    }
    let leading = totals
        .iter()
        .filter_map(|(option, total)| Some((option.clone(), total.as_f64()?)))
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(option, _)| option.to_uppercase());
    evaluation.insert("totals".into(), Value::Object(totals.clone()));
    let Some(leading) = leading else {
        return;
    };
    evaluation.insert("leading_option".into(), json!(leading));
    out.notes.push(format!(
        "Weighted totals: {}; leading option {leading}",
        totals
            .iter()
            .map(|(o, t)| format!("{} {t}", o.to_uppercase()))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let recommended = fields
        .get("recommendation")
        .and_then(|r| r.get("option"))
        .and_then(Value::as_str)
        .map(str::to_uppercase);
    if let Some(recommended) = recommended {
        if recommended != leading {
            let score = |o: &str| totals.get(&o.to_lowercase()).and_then(Value::as_f64);
            out.corrections.push(format!(
                "Note: the recommended Option {recommended} scores {} weighted, below Option {leading} at {}; explain why in the rationale",
                score(&recommended).unwrap_or_default(),
                score(&leading).unwrap_or_default()
            ));
        }
    }
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
        assert_eq!(i["roi_multiple"], 3.0);
        assert_eq!(i["net_monthly_value"], 30000.0);
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
