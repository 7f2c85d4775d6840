//! Performance vs. Plan: each row's variance, actual against plan, computed
//! rather than trusted. In percent of plan; in percentage points for a metric
//! that is itself a percentage; as the difference when the plan is zero.

use serde_json::{Map, Value, json};

use super::{Derived, number};

/// [`super::Derivation::Variance`].
pub(super) fn variance(fields: &mut Value, out: &mut Derived) {
    let Some(rows) = fields.get_mut("performance").and_then(Value::as_array_mut) else {
        return;
    };
    let mut computed = 0;
    for row in rows.iter_mut().filter_map(Value::as_object_mut) {
        if let Some(text) = row_variance(row) {
            if let Some(given) = row.get("variance").and_then(Value::as_str)
                && given.trim() != text
            {
                out.corrections.push(format!(
                    "Variance of {}: {given} corrected to {text}",
                    row.get("metric")
                        .and_then(Value::as_str)
                        .unwrap_or("a metric")
                ));
            }
            row.insert("variance".into(), json!(text));
            computed += 1;
        }
    }
    if computed > 0 {
        out.notes
            .push(format!("Variance computed for {computed} metric(s)"));
    }
}

/// The variance of one row, signed: `+12.5%`, `-3 pts`, `+4`.
fn row_variance(row: &Map<String, Value>) -> Option<String> {
    let (plan, actual) = (number(row, "plan")?, number(row, "actual")?);
    let percent_metric = row
        .get("unit")
        .and_then(Value::as_str)
        .is_some_and(|u| u.trim() == "%");
    Some(if percent_metric {
        format!("{} pts", signed(actual - plan))
    } else if plan == 0.0 {
        signed(actual - plan)
    } else {
        format!("{}%", signed((actual - plan) / plan.abs() * 100.0))
    })
}

/// `+12.5`, `-3`, `0`: one decimal at most, a sign unless zero.
fn signed(value: f64) -> String {
    let value = (value * 10.0).round() / 10.0;
    if value == 0.0 {
        "0".to_string()
    } else if value.fract() == 0.0 {
        format!("{value:+.0}")
    } else {
        format!("{value:+.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn derive(rows: Value) -> (Value, Derived) {
        let mut fields = json!({ "performance": rows });
        let mut out = Derived::default();
        variance(&mut fields, &mut out);
        (fields, out)
    }

    #[test]
    fn variance_is_actual_against_plan() {
        let (fields, out) = derive(json!([
            {"metric": "MRR", "plan": 400000, "actual": 450000, "unit": "USD per month"},
            {"metric": "Churn", "plan": 4, "actual": 5.5, "unit": "%"},
            {"metric": "Enterprise logos", "plan": 8, "actual": 6, "variance": "+25%"},
            {"metric": "Incidents", "plan": 0, "actual": 2},
            {"metric": "NPS", "plan": 40, "actual": 40}
        ]));
        let p = &fields["performance"];
        assert_eq!(p[0]["variance"], "+12.5%");
        assert_eq!(p[1]["variance"], "+1.5 pts");
        assert_eq!(p[2]["variance"], "-25%");
        assert_eq!(p[3]["variance"], "+2");
        assert_eq!(p[4]["variance"], "0%");
        assert_eq!(out.corrections.len(), 1, "{:?}", out.corrections);
        assert!(out.corrections[0].contains("+25% corrected to -25%"));
    }
}
