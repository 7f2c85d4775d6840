//! A tool definition serialized once: every request that offers the tool
//! shares it (an `Arc`) and the wire sends its JSON as it is, rather than
//! copying and re-serializing the schema on every model call.

use std::ops::Deref;
use std::sync::Arc;

use super::ToolDefinition;

/// A [`ToolDefinition`] with its JSON (`{"name", "description", "parameters"}`,
/// the `function` object of an OpenAI tool) written at construction.
#[derive(Debug)]
pub struct PreparedTool {
    definition: ToolDefinition,
    json: Box<str>,
}

impl PreparedTool {
    /// Serializes `definition` once.
    pub fn new(definition: ToolDefinition) -> Arc<Self> {
        // Two strings and a JSON value always serialize; `null` stands in
        // for a failure that cannot happen rather than a panic.
        let json = serde_json::to_string(&definition).unwrap_or_else(|_| "null".into());
        Arc::new(Self {
            definition,
            json: json.into_boxed_str(),
        })
    }

    /// The definition.
    pub fn definition(&self) -> &ToolDefinition {
        &self.definition
    }

    /// Its JSON, as written once.
    pub fn json(&self) -> &str {
        &self.json
    }
}

impl Deref for PreparedTool {
    type Target = ToolDefinition;

    fn deref(&self) -> &ToolDefinition {
        &self.definition
    }
}

impl PartialEq for PreparedTool {
    fn eq(&self, other: &Self) -> bool {
        self.definition == other.definition
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_json_is_the_definition_serialized() {
        let definition = ToolDefinition {
            name: "fill_template".into(),
            description: "Fills a \"template\".".into(),
            parameters: json!({"type": "object", "properties": {"a": {"type": "string"}}}),
        };
        let prepared = PreparedTool::new(definition.clone());
        let read: serde_json::Value = serde_json::from_str(prepared.json()).expect("valid JSON");
        assert_eq!(read, serde_json::to_value(&definition).expect("value"));
        assert_eq!(prepared.name, "fill_template");
    }
}
