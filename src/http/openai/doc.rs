//! What the OpenAPI document says `POST /v1/chat/completions` accepts and
//! streams. The request schema is written by hand (in
//! `completions_request.schema.json`) from what `request.rs` and
//! `messages.rs` take, since async-openai's own type describes everything
//! OpenAI accepts, much of which pmcoach refuses by name.

use std::borrow::Cow;

use utoipa::openapi::schema::{ObjectBuilder, Schema};
use utoipa::openapi::{RefOr, Type};
use utoipa::{PartialSchema, ToSchema};

/// The request schema's text.
const REQUEST: &str = include_str!("completions_request.schema.json");

/// Text content: a string, or text parts.
const TEXT: &str = r#"{
  "oneOf": [
    {"type": "string"},
    {"type": "array", "items": {"type": "object", "required": ["type", "text"],
      "properties": {"type": {"type": "string", "enum": ["text"]}, "text": {"type": "string"}}}}
  ]
}"#;

/// A schema from its JSON text; the unit tests prove each parses whole.
fn parsed(text: &str) -> RefOr<Schema> {
    serde_json::from_str(text).unwrap_or_else(|err| {
        tracing::error!(error = %err, "a built-in OpenAPI schema does not parse");
        ObjectBuilder::new().schema_type(Type::Object).into()
    })
}

/// `POST /v1/chat/completions`'s body, as pmcoach takes it.
pub(in crate::http) struct CompletionsRequest;

impl PartialSchema for CompletionsRequest {
    fn schema() -> RefOr<Schema> {
        parsed(REQUEST)
    }
}

impl ToSchema for CompletionsRequest {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("CompletionsRequest")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push(("CompletionsText".to_string(), parsed(TEXT)));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    /// Nothing of the hand-written schemas is lost on the way into utoipa's
    /// types (an unknown keyword would be dropped silently).
    #[test]
    fn the_schemas_survive_parsing_whole() {
        for text in [REQUEST, TEXT] {
            let written: Value = serde_json::from_str(text).expect("JSON");
            let schema: RefOr<Schema> = serde_json::from_str(text).expect("a schema");
            let again = serde_json::to_value(&schema).expect("serializes");
            assert_eq!(again, written);
        }
    }
}
