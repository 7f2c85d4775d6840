//! Grading a filled template: made, saved when it must be, with the expected fields.

use serde_json::Value;

use super::Check;
use crate::conversation::TurnResult;
use crate::eval::case::TemplateExpect;
use crate::tools::{FillTemplateTool, Tool};

/// The value at a dot path (`value_ladder.current_level`, `pm_team.0.pm`).
fn at_path<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(value, |v, key| match key.parse::<usize>() {
            Ok(i) if v.is_array() => v.get(i),
            _ => v.get(key),
        })
}

/// Whether a TOML value from the case equals a JSON field (numbers by value).
fn same(wanted: &toml::Value, got: &Value) -> bool {
    let wanted = serde_json::to_value(wanted).unwrap_or_default();
    match (wanted.as_f64(), got.as_f64()) {
        (Some(a), Some(b)) => (a - b).abs() < 1e-9,
        _ => &wanted == got,
    }
}

/// That the turn filled the expected template, saved it when it must, and
/// filled the expected field values.
pub(super) fn grade_template(turn: usize, expect: &TemplateExpect, result: &TurnResult) -> Check {
    let name = format!("turn {turn}: filled {}", expect.id);
    let Some(artifact) = result
        .artifacts
        .iter()
        .rev()
        .find(|a| a.template == expect.id)
    else {
        let made: Vec<&str> = result
            .artifacts
            .iter()
            .map(|a| a.template.as_str())
            .collect();
        return Check::new(name, false, format!("documents made: {made:?}"));
    };
    if expect.saved && artifact.saved_as.is_none() {
        return Check::new(
            name,
            false,
            "the document was not saved to the customer's artifacts",
        );
    }
    let fields = result
        .tool_calls
        .iter()
        .rev()
        .find(|c| {
            c.ok && c.name == FillTemplateTool::NAME
                && c.arguments["template"] == expect.id.as_str()
        })
        .map(|c| c.arguments["fields"].clone())
        .unwrap_or_default();
    for (path, wanted) in &expect.fields {
        match at_path(&fields, path) {
            Some(got) if same(wanted, got) => {}
            got => {
                return Check::new(
                    name,
                    false,
                    format!(
                        "field {path}: wanted {wanted}, got {}",
                        got.map_or("nothing".into(), Value::to_string)
                    ),
                );
            }
        }
    }
    Check::new(name, true, "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dot_paths_reach_nested_fields() {
        let fields = json!({"a": {"b": [{"c": 3}]}});
        assert_eq!(at_path(&fields, "a.b.0.c"), Some(&json!(3)));
        assert!(same(&toml::Value::Integer(3), &json!(3.0)));
        assert!(same(&toml::Value::String("x".into()), &json!("x")));
        assert_eq!(at_path(&fields, "a.z"), None);
    }
}
