//! Typed tool arguments: the JSON Schema the model sees is derived from the
//! argument struct, and the same schema validates what the model sends back.

use std::marker::PhantomData;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::ToolError;

/// Most validation errors listed back to the model at once.
const MAX_REPORTED_ERRORS: usize = 8;

/// A derived schema and its compiled validator for argument type `T`.
pub struct ArgsSchema<T> {
    json: Value,
    validator: jsonschema::Validator,
    _args: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for ArgsSchema<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArgsSchema")
            .field("json", &self.json)
            .finish()
    }
}

impl<T: JsonSchema + DeserializeOwned> ArgsSchema<T> {
    /// Derives and compiles the schema of `T`, compacted for the model (see
    /// [`compact`]).
    pub fn derive() -> Result<Self, String> {
        let generator = schemars::generate::SchemaSettings::draft2020_12()
            .with(|settings| settings.inline_subschemas = true)
            .into_generator();
        let mut json = generator.into_root_schema_for::<T>().to_value();
        if let Some(object) = json.as_object_mut() {
            // Noise for the model; the tool's description says what it is.
            object.remove("$schema");
            object.remove("title");
            object.remove("description");
        }
        compact(&mut json);
        Self::from_json(json)
    }
}

/// Makes a derived schema shorter without changing what it accepts once nulls
/// are dropped from the arguments (see [`ArgsSchema::parse`]): an optional
/// field is its plain type, not "this or null"; `format` and null defaults go.
/// Every tool definition is sent on every model call, so each token counts.
fn compact(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        if let Some(items) = schema.as_array_mut() {
            items.iter_mut().for_each(compact);
        }
        return;
    };
    object.remove("format");
    if let Some(Value::Array(values)) = object.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
    if object.get("default").is_some_and(Value::is_null) {
        object.remove("default");
    }
    if let Some(Value::Array(types)) = object.get("type") {
        let kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        if kept.len() == 1 {
            object.insert("type".into(), kept[0].clone());
        }
    }
    if let Some(Value::Array(any)) = object.get("anyOf") {
        let kept: Vec<&Value> = any
            .iter()
            .filter(|s| s.get("type") != Some(&Value::from("null")))
            .collect();
        if let [only] = kept.as_slice() {
            let only = (*only).clone();
            object.remove("anyOf");
            if let Value::Object(fields) = only {
                for (key, value) in fields {
                    object.entry(key).or_insert(value);
                }
            }
        }
    }
    object.values_mut().for_each(compact);
}

/// Removes null-valued fields, at any depth: a model that sends `"x": null`
/// for an optional field means it has no value.
fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            fields.retain(|_, v| !v.is_null());
            fields.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

impl<T: DeserializeOwned> ArgsSchema<T> {
    /// Compiles a schema given as JSON (for tools whose schema is data).
    pub fn from_json(json: Value) -> Result<Self, String> {
        let validator = jsonschema::validator_for(&json).map_err(|err| err.to_string())?;
        Ok(Self {
            json,
            validator,
            _args: PhantomData,
        })
    }

    /// The schema, as sent to the model.
    pub fn json(&self) -> &Value {
        &self.json
    }

    /// Parses the model's argument text: JSON first, then the schema (every
    /// violation with its path, so the model can fix them all at once), then the type.
    pub fn parse(&self, raw: &str) -> Result<T, ToolError> {
        let raw = if raw.trim().is_empty() { "{}" } else { raw };
        let mut value: Value = serde_json::from_str(raw).map_err(|err| {
            ToolError::BadArguments(format!("arguments are not valid JSON ({err})"))
        })?;
        drop_nulls(&mut value);
        let problems: Vec<String> = self
            .validator
            .iter_errors(&value)
            .take(MAX_REPORTED_ERRORS)
            .map(|err| {
                let path = err.instance_path().to_string();
                if path.is_empty() {
                    err.to_string()
                } else {
                    format!("{path}: {err}")
                }
            })
            .collect();
        if !problems.is_empty() {
            return Err(ToolError::BadArguments(format!(
                "arguments do not match the schema: {}",
                problems.join("; ")
            )));
        }
        serde_json::from_value(value).map_err(|err| ToolError::BadArguments(err.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, JsonSchema, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Args {
        /// A question.
        question: String,
        /// How many.
        count: Option<u32>,
    }

    #[test]
    fn optional_fields_are_plain_types_and_nulls_mean_absent() {
        let schema = ArgsSchema::<Args>::derive().expect("schema");
        assert_eq!(
            schema.json()["properties"]["count"],
            serde_json::json!({"type": "integer", "minimum": 0, "description": "How many."})
        );
        let args = schema
            .parse(r#"{"question":"why?","count":null}"#)
            .expect("null is absent");
        assert_eq!(args.count, None);
    }

    #[test]
    fn derived_schema_describes_the_fields() {
        let schema = ArgsSchema::<Args>::derive().expect("schema");
        let json = schema.json();
        assert_eq!(json["type"], "object");
        assert_eq!(json["required"], serde_json::json!(["question"]));
        assert_eq!(json["properties"]["question"]["description"], "A question.");
        assert_eq!(json["additionalProperties"], false);
        assert!(json.get("$schema").is_none());
    }

    #[test]
    fn valid_arguments_parse() {
        let schema = ArgsSchema::<Args>::derive().expect("schema");
        let args = schema
            .parse(r#"{"question":"why?","count":2}"#)
            .expect("valid");
        assert_eq!(
            args,
            Args {
                question: "why?".into(),
                count: Some(2)
            }
        );
    }

    #[test]
    fn invalid_arguments_name_the_problem() {
        let schema = ArgsSchema::<Args>::derive().expect("schema");
        let not_json = schema.parse("{\"question\": ").expect_err("truncated");
        assert!(
            not_json.to_string().contains("not valid JSON"),
            "{not_json}"
        );

        let missing = schema.parse(r#"{"count": 1}"#).expect_err("missing");
        assert!(
            missing
                .to_string()
                .contains("\"question\" is a required property"),
            "{missing}"
        );

        let wrong = schema
            .parse(r#"{"question": 3, "extra": true}"#)
            .expect_err("types");
        let text = wrong.to_string();
        assert!(text.contains("/question"), "{text}");
        assert!(text.contains("extra"), "{text}");
    }
}
