//! What a caller of the OpenAI-compatible endpoints may ask of a turn beyond
//! its messages: its own functions (a call to one hands the turn back), a tool
//! choice, sampling settings, and the format the answer must have.

use std::sync::Arc;

use serde_json::Value;

use crate::model::{CallOptions, ToolDefinition};

/// A caller's options for one turn.
#[derive(Debug, Clone, Default)]
pub struct TurnOptions {
    /// Functions the caller offers the model beside pmcoach's tools; pmcoach
    /// never runs them: a call to one ends the turn and goes back to the caller.
    pub caller_tools: Vec<ToolDefinition>,
    /// A caller's function the model must call (`tool_choice` naming one).
    pub forced_tool: Option<String>,
    /// Sampling temperature, over the capability's own.
    pub temperature: Option<f32>,
    /// Images with the new message (for a model declared multimodal).
    pub images: Vec<String>,
    /// Tool choice mode, sampling and the answer's format, passed to every
    /// model call of the turn.
    pub call: CallOptions,
    /// The format the final answer must have, checked before it is returned.
    pub output: Option<OutputFormat>,
}

/// The format an answer must have.
#[derive(Debug, Clone)]
pub enum OutputFormat {
    /// Any JSON object (`response_format: {type: json_object}`).
    JsonObject,
    /// JSON valid against a schema (`json_schema`).
    JsonSchema {
        /// The schema's name.
        name: String,
        /// The compiled schema.
        validator: Arc<jsonschema::Validator>,
    },
}

impl OutputFormat {
    /// Compiles a `json_schema` format; the error says what is wrong with it.
    pub fn schema(name: &str, schema: &Value) -> Result<Self, String> {
        let validator = jsonschema::validator_for(schema).map_err(|err| err.to_string())?;
        Ok(OutputFormat::JsonSchema {
            name: name.to_string(),
            validator: Arc::new(validator),
        })
    }

    /// `answer` as the JSON it must be (a fenced block is unwrapped), or
    /// what is wrong with it.
    pub fn check(&self, answer: &str) -> Result<String, String> {
        let text = unfenced(answer);
        let value: Value =
            serde_json::from_str(text).map_err(|err| format!("the answer is not JSON ({err})"))?;
        match self {
            OutputFormat::JsonObject if !value.is_object() => {
                Err("the answer is JSON but not an object".to_string())
            }
            OutputFormat::JsonObject => Ok(text.to_string()),
            OutputFormat::JsonSchema { name, validator } => {
                let problems: Vec<String> = validator
                    .iter_errors(&value)
                    .take(5)
                    .map(|err| match err.instance_path().to_string() {
                        path if path.is_empty() => err.to_string(),
                        path => format!("{path}: {err}"),
                    })
                    .collect();
                if problems.is_empty() {
                    Ok(text.to_string())
                } else {
                    Err(format!(
                        "the answer does not match the schema {name:?}: {}",
                        problems.join("; ")
                    ))
                }
            }
        }
    }
}

/// The text inside a single ```json fence, if the whole answer is one.
fn unfenced(answer: &str) -> &str {
    let trimmed = answer.trim();
    trimmed
        .strip_prefix("```json")
        .or_else(|| trimmed.strip_prefix("```"))
        .and_then(|rest| rest.strip_suffix("```"))
        .map_or(trimmed, str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_are_checked_against_their_format() {
        let schema = OutputFormat::schema(
            "plan",
            &json!({"type": "object", "properties": {"steps": {"type": "array"}}, "required": ["steps"]}),
        )
        .expect("compiles");
        assert_eq!(
            schema.check("```json\n{\"steps\": []}\n```").as_deref(),
            Ok("{\"steps\": []}")
        );
        let missing = schema.check("{\"step\": 1}").expect_err("missing");
        assert!(
            missing.contains("\"plan\"") && missing.contains("steps"),
            "{missing}"
        );
        assert!(schema.check("Here you go!").is_err());
        assert!(OutputFormat::JsonObject.check("[1]").is_err());
        assert!(OutputFormat::JsonObject.check(" {\"a\": 1} ").is_ok());
        assert!(OutputFormat::schema("bad", &json!({"type": 7})).is_err());
    }
}
