//! The Graduation Plan's derived values: the five graduation criteria of the
//! Client PM Coaching Plan in their fixed order (one not given is not met),
//! how many are met and so whether the PM is ready, and the monthly strategic
//! check-ins that follow the graduation date.

use jiff::ToSpan;
use serde_json::{Value, json};

use super::{Derived, date};
use crate::templates::fields::FieldError;

/// The Client PM Coaching Plan's graduation criteria, in its order.
pub const GRADUATION_CRITERIA: [&str; 5] = [
    "Consistently frames work in business terms",
    "Proactively questions strategic alignment",
    "Communicates effectively to executives",
    "Plans across time horizons",
    "Coaches others on strategic thinking",
];

/// How many monthly check-ins the plan dates.
const CHECK_INS: i64 = 3;

/// [`super::Derivation::GraduationCheckIn`].
pub(super) fn graduation(fields: &mut Value, out: &mut Derived) {
    let Some(object) = fields.as_object_mut() else {
        return;
    };
    if let Some(given) = object.get("criteria").and_then(Value::as_array)
        && let Some(criteria) = all_criteria(given, out)
    {
        let met = criteria.iter().filter(|c| c["met"] == json!(true)).count();
        object.insert("criteria".into(), Value::Array(criteria));
        object.insert("criteria_met".into(), json!(met));
        object.insert("ready".into(), json!(met == GRADUATION_CRITERIA.len()));
        if met < GRADUATION_CRITERIA.len() {
            out.notes.push(format!(
                    "{met} of {} graduation criteria met: the graduation date assumes the rest are met by then",
                    GRADUATION_CRITERIA.len()
                ));
        }
    }
    let Some(graduation) = date(object, "graduation_date", "/graduation_date", out) else {
        return;
    };
    let check_ins: Vec<String> = (1..=CHECK_INS)
        .filter_map(|n| graduation.checked_add(n.months()).ok())
        .map(|d| d.to_string())
        .collect();
    if let Some(first) = check_ins.first() {
        out.notes
            .push(format!("First monthly check-in after graduation: {first}"));
    }
    object.insert("check_ins".into(), json!(check_ins));
}

/// The five criteria in order, each as given or not met; `None` (with an
/// error) when one is given twice.
fn all_criteria(given: &[Value], out: &mut Derived) -> Option<Vec<Value>> {
    let mut rows = Vec::new();
    for (i, criterion) in GRADUATION_CRITERIA.iter().enumerate() {
        let matching: Vec<&Value> = given
            .iter()
            .filter(|c| c.get("criterion").and_then(Value::as_str) == Some(criterion))
            .collect();
        match matching[..] {
            [] => rows.push(json!({"criterion": criterion, "met": false, "evidence": null})),
            [one] => rows.push(one.clone()),
            _ => {
                out.errors.push(FieldError::invalid(
                    format!("/criteria/{i}"),
                    format!("{criterion:?} is listed more than once"),
                ));
                return None;
            }
        }
    }
    Some(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn derive(mut fields: Value) -> (Value, Derived) {
        let mut out = Derived::default();
        graduation(&mut fields, &mut out);
        (fields, out)
    }

    #[test]
    fn check_ins_are_monthly_after_graduation() {
        let (fields, out) = derive(json!({"graduation_date": "2027-01-31", "criteria": []}));
        assert_eq!(
            fields["check_ins"],
            json!(["2027-02-28", "2027-03-31", "2027-04-30"])
        );
        assert!(out.notes.iter().any(|n| n.contains("2027-02-28")));
        let (_, out) = derive(json!({"graduation_date": "31/01/2027"}));
        assert_eq!(out.errors[0].path, "/graduation_date");
    }

    #[test]
    fn criteria_are_completed_in_order_and_counted() {
        let (fields, out) = derive(json!({"criteria": [
            {"criterion": "Plans across time horizons", "met": true, "evidence": "Q1 plan"},
            {"criterion": "Consistently frames work in business terms", "met": true, "evidence": "PRDs"}
        ]}));
        let criteria = fields["criteria"].as_array().expect("criteria");
        assert_eq!(criteria.len(), 5);
        assert_eq!(criteria[0]["evidence"], "PRDs");
        assert_eq!(criteria[1]["met"], false);
        assert_eq!(criteria[3]["evidence"], "Q1 plan");
        assert_eq!(fields["criteria_met"], 2);
        assert_eq!(fields["ready"], false);
        assert!(out.notes[0].starts_with("2 of 5"));

        let all: Vec<Value> = GRADUATION_CRITERIA
            .iter()
            .map(|c| json!({"criterion": c, "met": true, "evidence": "seen"}))
            .collect();
        let (fields, out) = derive(json!({ "criteria": all }));
        assert_eq!(fields["ready"], true);
        assert!(out.notes.is_empty());

        let twice = json!({"criteria": [
            {"criterion": "Plans across time horizons", "met": true, "evidence": "a"},
            {"criterion": "Plans across time horizons", "met": false, "evidence": "b"}
        ]});
        let (_, out) = derive(twice);
        assert_eq!(out.errors[0].path, "/criteria/3");
    }
}
