//! Field checking for output templates: schema violations as a list of errors with
//! JSON paths, and filling absent optional fields with null so templates can test them.

use jsonschema::ValidationError;
use jsonschema::error::ValidationErrorKind;
use serde_json::{Map, Value};

/// Most errors reported for one set of fields.
const MAX_ERRORS: usize = 24;

/// One problem with the fields, at a JSON Pointer path (`/value_ladder/current_level`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Where: a JSON Pointer into the fields (empty for the whole object).
    pub path: String,
    /// What is wrong.
    pub kind: FieldErrorKind,
}

/// The kinds of field problem, so callers can group the missing ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldErrorKind {
    /// A required field is absent (the path names it).
    Missing,
    /// Any other violation, with its message.
    Invalid(String),
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        match &self.kind {
            FieldErrorKind::Missing => write!(f, "{path}: required field is missing"),
            FieldErrorKind::Invalid(message) => write!(f, "{path}: {message}"),
        }
    }
}

impl FieldError {
    /// An invalid value at `path`.
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            kind: FieldErrorKind::Invalid(message.into()),
        }
    }
}

/// Every schema violation in `fields`, required fields first.
pub(super) fn check(validator: &jsonschema::Validator, fields: &Value) -> Vec<FieldError> {
    let mut errors: Vec<FieldError> = validator
        .iter_errors(fields)
        .take(MAX_ERRORS)
        .map(|err| field_error(&err))
        .collect();
    errors.sort_by_key(|e| !matches!(e.kind, FieldErrorKind::Missing));
    errors
}

/// One violation in words the model can act on.
fn field_error(err: &ValidationError<'_>) -> FieldError {
    let at = err.instance_path().to_string();
    match err.kind() {
        ValidationErrorKind::Required { property } => FieldError {
            path: format!("{at}/{}", property.as_str().unwrap_or_default()),
            kind: FieldErrorKind::Missing,
        },
        ValidationErrorKind::AdditionalProperties { unexpected } => FieldError::invalid(
            at,
            format!(
                "unexpected field(s) {}; remove them or use the fields the template declares",
                unexpected.join(", ")
            ),
        ),
        ValidationErrorKind::Enum { options } => FieldError::invalid(
            at,
            format!(
                "{} is not allowed; use one of: {}",
                err.instance(),
                list(options)
            ),
        ),
        _ => FieldError::invalid(at, err.to_string()),
    }
}

/// An enum's allowed values, comma separated (strings without quotes).
fn list(options: &Value) -> String {
    options
        .as_array()
        .map(|values| {
            values
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// Removes null members of objects, recursively: models often send `null` for an
/// optional field they have no value for, which means the same as leaving it out
/// (and a required field sent as null is then reported as missing).
pub(super) fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(object) => {
            object.retain(|_, member| !member.is_null());
            object.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// Fills every property the schema declares but `value` lacks with null, through
/// nested objects and arrays of objects, so a strict template can write
/// `{% if field %}` for optional fields while a misspelt name stays an error.
pub(super) fn fill_absent(schema: &Value, value: &mut Value) {
    match value {
        Value::Object(object) => {
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (name, property) in properties {
                    let entry = object.entry(name.clone()).or_insert(Value::Null);
                    fill_absent(property, entry);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for item in items {
                    fill_absent(item_schema, item);
                }
            }
        }
        _ => {}
    }
}

/// The object at `path` (top-level key) if present, for derivations.
pub(super) fn object_mut<'a>(
    fields: &'a mut Value,
    key: &str,
) -> Option<&'a mut Map<String, Value>> {
    fields.get_mut(key).and_then(Value::as_object_mut)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["name", "level"],
            "properties": {
                "name": {"type": "string"},
                "level": {"enum": ["Low", "High"]},
                "note": {"type": "string"},
                "rows": {"type": "array", "items": {
                    "type": "object", "required": ["a"], "additionalProperties": false,
                    "properties": {"a": {"type": "string"}, "b": {"type": "number"}}
                }}
            }
        })
    }

    #[test]
    fn reports_missing_enum_extra_and_type_errors_with_paths() {
        let validator = jsonschema::validator_for(&schema()).expect("schema");
        let errors = check(
            &validator,
            &json!({"level": "Medium", "extra": 1, "rows": [{"b": "x"}]}),
        );
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(text[0], "/name: required field is missing");
        assert_eq!(text[1], "/rows/0/a: required field is missing");
        assert!(
            text.contains(&"/level: \"Medium\" is not allowed; use one of: Low, High".to_string()),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("/: unexpected field(s) extra")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|t| t.starts_with("/rows/0/b: ")),
            "{text:?}"
        );
    }

    #[test]
    fn nulls_are_absent_fields() {
        let validator = jsonschema::validator_for(&schema()).expect("schema");
        let mut value =
            json!({"name": null, "level": "Low", "note": null, "rows": [{"a": "x", "b": null}]});
        drop_nulls(&mut value);
        assert_eq!(value, json!({"level": "Low", "rows": [{"a": "x"}]}));
        let errors = check(&validator, &value);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].kind, FieldErrorKind::Missing);
    }

    #[test]
    fn absent_optional_fields_become_null_recursively() {
        let mut value = json!({"name": "n", "level": "Low", "rows": [{"a": "x"}]});
        fill_absent(&schema(), &mut value);
        assert_eq!(value["note"], Value::Null);
        assert_eq!(value["rows"][0]["b"], Value::Null);
        assert_eq!(value["name"], "n");
    }
}
