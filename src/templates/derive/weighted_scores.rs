//! Strategic Options: weighted totals per option with the family's fixed
//! criteria weights, the leading option, and a recommendation that differs
//! from it flagged.

use serde_json::{Map, Value, json};

use super::{Derived, rounded};
use crate::templates::fields::object_mut;

/// Strategic Options criteria and their weights (percent).
pub const CRITERIA: [(&str, u32); 5] = [
    ("market_size", 25),
    ("competitive_position", 25),
    ("capability_fit", 20),
    ("execution_risk", 15),
    ("strategic_alignment", 15),
];

/// [`super::Derivation::WeightedScores`].
pub(super) fn weighted_scores(fields: &mut Value, out: &mut Derived) {
    let Some(evaluation) = object_mut(fields, "evaluation") else {
        return;
    };
    let totals = weighted_totals(evaluation);
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
    check_recommendation(fields, &totals, &leading, out);
}

/// Each option's (`a`, `b`, `c`) score summed with the criteria's weights.
fn weighted_totals(evaluation: &Map<String, Value>) -> Map<String, Value> {
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
    totals
}

/// Notes a recommended option that scores below the leading one, so the
/// rationale explains why.
fn check_recommendation(
    fields: &Value,
    totals: &Map<String, Value>,
    leading: &str,
    out: &mut Derived,
) {
    let recommended = fields
        .get("recommendation")
        .and_then(|r| r.get("option"))
        .and_then(Value::as_str)
        .map(str::to_uppercase);
    if let Some(recommended) = recommended
        && recommended != leading
    {
        let score = |o: &str| totals.get(&o.to_lowercase()).and_then(Value::as_f64);
        out.corrections.push(format!(
                "Note: the recommended Option {recommended} scores {} weighted, below Option {leading} at {}; explain why in the rationale",
                score(&recommended).unwrap_or_default(),
                score(leading).unwrap_or_default()
            ));
    }
}
