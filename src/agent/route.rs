//! Routing: one small model call that picks the capability whose When to Invoke
//! fits a request best, falling back to the default capability.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};

use super::runner::elapsed_ms;
use super::{Agent, AgentError};
use crate::capability::{Capability, CapabilitySet};
use crate::limits::Budget;
use crate::model::{
    CallOptions, Message, ModelRequest, ModelResponse, PreparedTool, ToolDefinition, Usage,
};
use crate::prompt::{RouteChoice, RouteContext};
use crate::session::ModelCallRecord;

/// The routing tool's name.
pub const CHOOSE_CAPABILITY: &str = "choose_capability";

/// What routing decided.
#[derive(Debug, Clone)]
pub struct Routed {
    /// The capability to answer.
    pub capability: Arc<Capability>,
    /// Whether the answer was unusable and the default was taken.
    pub fell_back: bool,
    /// Tokens of the routing call.
    pub usage: Usage,
    /// The routing call, for the transcript.
    pub model_call: ModelCallRecord,
}

impl Agent {
    /// Picks the capability for `message`, as one of the request's model calls.
    pub async fn route(&self, message: &str, budget: &Budget) -> Result<Routed, AgentError> {
        budget.model_call()?;
        let capabilities = self.capabilities();
        let default = capabilities.default_capability();
        let system = self.inner.prompts.route(&RouteContext {
            capabilities: capabilities
                .iter()
                .map(|c| RouteChoice::from(&**c))
                .collect(),
            default_id: &default.id,
        })?;
        let started = Instant::now();
        let response = self
            .inner
            .engine
            .model
            .complete(ModelRequest {
                messages: vec![Message::system(system), Message::user(message)],
                tools: vec![PreparedTool::new(choose_tool(capabilities))],
                temperature: Some(0.0),
                tool_choice: Some(CHOOSE_CAPABILITY.to_string()),
                options: CallOptions::default(),
            })
            .await?;
        budget.spend_tokens(response.usage.total_tokens);
        let chosen = chosen(&response).and_then(|id| capabilities.get(&id).cloned());
        tracing::info!(
            chosen = chosen.as_ref().map_or("(default)", |c| c.id.as_str()),
            "routed"
        );
        Ok(Routed {
            fell_back: chosen.is_none(),
            capability: chosen.unwrap_or_else(|| Arc::clone(default)),
            usage: response.usage,
            model_call: ModelCallRecord::answered("router", 0, 0, &response, elapsed_ms(started)),
        })
    }
}

/// The forced tool the router answers with: one of the capability ids.
fn choose_tool(capabilities: &CapabilitySet) -> ToolDefinition {
    let ids: Vec<&str> = capabilities.iter().map(|c| c.id.as_str()).collect();
    ToolDefinition {
        name: CHOOSE_CAPABILITY.to_string(),
        description: "Choose the capability that should answer the request.".to_string(),
        parameters: json!({
            "type": "object",
            "properties": {
                "capability": {"type": "string", "enum": ids},
                "reason": {"type": "string", "description": "One short sentence."}
            },
            "required": ["capability"],
            "additionalProperties": false
        }),
    }
}

/// The id the router chose: from its tool call, or from plain text for models
/// that answer without calling it.
fn chosen(response: &ModelResponse) -> Option<String> {
    response
        .tool_calls
        .iter()
        .find(|call| call.name == CHOOSE_CAPABILITY)
        .and_then(|call| serde_json::from_str::<Value>(&call.arguments).ok())
        .and_then(|args| args["capability"].as_str().map(str::to_string))
        .or_else(|| {
            response
                .content
                .as_deref()
                .map(|t| t.trim().trim_matches('`').to_string())
        })
}
