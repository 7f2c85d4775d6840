//! A template's fields in words, one line each: for `pmcoach templates`, and
//! for the model when it has not yet sent the fields a template requires.

use serde_json::Value;

/// One line per field: name (`*` when required), type, allowed values (and,
/// when `described`, the field's description), then the fields of nested
/// objects and table rows, indented.
pub fn outline(schema: &Value, indent: &str, described: bool) -> Vec<String> {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema["properties"].as_object() else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    for (name, property) in properties {
        let star = if required.contains(&name.as_str()) {
            "*"
        } else {
            ""
        };
        let (kind, nested) = field_kind(property);
        let line = format!("{indent}{name}{star}: {kind}");
        lines.push(match property["description"].as_str() {
            Some(description) if described => format!("{line} ({description})"),
            _ => line,
        });
        if let Some(nested) = nested {
            lines.extend(outline(nested, &format!("{indent}  "), described));
        }
    }
    lines
}

/// What a field holds, in words, and the schema whose fields it has in turn
/// (an object's, or a table row's).
fn field_kind(property: &Value) -> (String, Option<&Value>) {
    let (kind, nested) = match property["type"].as_str() {
        Some("array") if property["items"]["type"] == "object" => {
            ("table of rows".to_string(), Some(&property["items"]))
        }
        Some("array") => (
            match property["items"]["enum"].as_array() {
                Some(values) => format!("list of: {}", enum_values(values)),
                None => "list".to_string(),
            },
            None,
        ),
        Some("object") => ("object".to_string(), Some(property)),
        Some(other) => (other.to_string(), None),
        None => match property["enum"].as_array() {
            Some(values) => (format!("one of: {}", enum_values(values)), None),
            None => ("value".to_string(), None),
        },
    };
    let kind = match property["enum"].as_array() {
        Some(values) if property["type"].is_string() => {
            format!("one of: {}", enum_values(values))
        }
        _ => kind,
    };
    (kind, nested)
}

fn enum_values(values: &[Value]) -> String {
    values
        .iter()
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
        .collect::<Vec<_>>()
        .join(" | ")
}
