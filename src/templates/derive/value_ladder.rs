//! The Value Ladder: the rate multiplier each level implies, and a target
//! level no lower than the current one.

use serde_json::{Map, Value, json};

use super::Derived;
use crate::templates::fields::{FieldError, object_mut};

/// The Value Ladder's levels, lowest first, with their rate multipliers.
pub const VALUE_LADDER: [(&str, &str); 4] = [
    ("Staff Aug", "1x"),
    ("Expert Executor", "1.5x"),
    ("Strategic Advisor", "2-3x"),
    ("Transformation Partner", "3-5x"),
];

/// [`super::Derivation::ValueLadder`].
pub(super) fn value_ladder(fields: &mut Value, out: &mut Derived) {
    let Some(ladder) = object_mut(fields, "value_ladder") else {
        return;
    };
    let ranks: Vec<usize> = ["current", "target"]
        .into_iter()
        .filter_map(|side| set_multiplier(ladder, side, out))
        .collect();
    if let [current, target] = ranks[..]
        && target < current
    {
        out.errors.push(FieldError::invalid(
            "/value_ladder/target_level",
            format!(
                "{} is below the current level {}; the target must be the same or higher",
                VALUE_LADDER[target].0, VALUE_LADDER[current].0
            ),
        ));
    }
}

/// Sets `<side>_multiplier` from `<side>_level`, noting a given multiplier that
/// said otherwise; returns the level's rank (`None` without a known level).
fn set_multiplier(ladder: &mut Map<String, Value>, side: &str, out: &mut Derived) -> Option<usize> {
    let level = ladder
        .get(&format!("{side}_level"))
        .and_then(Value::as_str)
        .map(str::to_string)?;
    // An unknown level: the schema's enum already reported it.
    let index = VALUE_LADDER.iter().position(|(name, _)| *name == level)?;
    let multiplier = VALUE_LADDER[index].1;
    let key = format!("{side}_multiplier");
    if let Some(given) = ladder.get(&key).and_then(Value::as_str)
        && given != multiplier
    {
        out.corrections.push(format!(
            "Value Ladder: {level} implies a {multiplier} rate multiplier, not {given}"
        ));
    }
    ladder.insert(key, json!(multiplier));
    Some(index)
}
