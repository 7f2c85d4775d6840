//! `GET /.well-known/agent-card.json`: the A2A agent card (A2A 1.0), for
//! orchestrators that discover agents that way: each capability a skill, the
//! interfaces pmcoach serves (MCP at `/mcp`, the REST API its OpenAPI document
//! describes), and the bearer scheme when keys are configured. pmcoach speaks
//! none of A2A's own bindings (JSONRPC, GRPC, HTTP+JSON), so the card names
//! the ones it does by their own names rather than claim one of those.
//! Public, like `/openapi.json`: a card is read before a key is chosen.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::HOST;
use serde_json::{Value, json};

use super::AppState;
use crate::capability::Capability;
use crate::mcp::ask_tool_name;

/// The MCP revision `/mcp` serves statelessly (older clients get sessions).
const MCP_VERSION: &str = "2026-07-28";

/// The card.
#[utoipa::path(
    get,
    path = "/.well-known/agent-card.json",
    tag = "service",
    operation_id = "agent_card",
    responses((status = 200, description = "The A2A agent card (A2A 1.0): `name`, `description`, `version`, `supportedInterfaces` (`url`, `protocolBinding`, `protocolVersion`: MCP at `/mcp`, this REST API), `capabilities`, `defaultInputModes`, `defaultOutputModes`, `skills` (one per capability: `id`, `name`, `description`, `tags`), and with API keys configured `securitySchemes` and `securityRequirements` (bearer)", content_type = "application/json", body = Object))
)]
pub(super) async fn card(State(state): State<AppState>, headers: HeaderMap) -> Json<Value> {
    let base = base_url(&headers);
    let skills: Vec<Value> = state.capabilities.iter().map(|c| skill(c)).collect();
    let mut card = json!({
        "name": "pmcoach",
        "description": env!("CARGO_PKG_DESCRIPTION"),
        "version": env!("CARGO_PKG_VERSION"),
        "supportedInterfaces": [
            {"url": format!("{base}/mcp"), "protocolBinding": "MCP", "protocolVersion": MCP_VERSION},
            {"url": format!("{base}/v1"), "protocolBinding": "OPENAPI", "protocolVersion": "3.1"},
        ],
        "documentationUrl": format!("{base}/openapi.json"),
        "capabilities": {"streaming": false, "pushNotifications": false},
        "defaultInputModes": ["text/plain"],
        "defaultOutputModes": ["text/markdown", "application/json"],
        "skills": skills,
    });
    if !state.access.keys.is_empty() {
        card["securitySchemes"] = json!({
            "bearer": {"httpAuthSecurityScheme": {
                "scheme": "Bearer",
                "description": "An API key (pmk_...) in Authorization: Bearer; each key reaches some customers or all",
            }}
        });
        card["securityRequirements"] = json!([{"schemes": {"bearer": {"list": []}}}]);
    }
    Json(card)
}

/// A capability as a skill; its id is the capability's, and its MCP tool is named.
fn skill(capability: &Capability) -> Value {
    let mut tags = vec!["product-management".to_string(), capability.id.clone()];
    tags.extend(capability.mode.as_ref().map(|mode| mode.to_lowercase()));
    json!({
        "id": capability.id,
        "name": capability.name,
        "description": format!(
            "{} (MCP tool `{}`; REST `POST /v1/capabilities/{}/invoke`)",
            capability.description,
            ask_tool_name(&capability.id),
            capability.id
        ),
        "tags": tags,
        "examples": capability.when_to_invoke,
        "inputModes": ["text/plain"],
        "outputModes": ["text/markdown", "application/json"],
    })
}

/// The URL this request reached the server at: its `Host` (which the access
/// layer has already checked), over https when a proxy says so.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("127.0.0.1");
    let https = headers
        .get("x-forwarded-proto")
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}
