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
    /// Derives and compiles the schema of `T`.
    pub fn derive() -> Result<Self, String> {
        let mut json = schemars::schema_for!(T).to_value();
        if let Some(object) = json.as_object_mut() {
            // Noise for the model; the schema stands on its own without them.
            object.remove("$schema");
            object.remove("title");
        }
        Self::from_json(json)
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
        let value: Value = serde_json::from_str(raw).map_err(|err| {
            ToolError::BadArguments(format!("arguments are not valid JSON ({err})"))
        })?;
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
