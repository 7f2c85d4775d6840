//! `GET /v1/capabilities`: what each capability is and when to invoke it.

use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::AppJson;
use crate::capability::Capability;

/// One capability as orchestrators see it.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CapabilitySummary {
    /// Id to pass as `capability`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// One line.
    pub description: String,
    /// Situations it is for.
    pub when_to_invoke: Vec<String>,
    /// Whether requests without a capability go to it.
    pub default: bool,
}

/// The list, wrapped in `{"capabilities": [...]}` so fields can be added.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CapabilityList {
    /// Every capability, by id.
    pub capabilities: Vec<CapabilitySummary>,
}

fn summary(capability: &Capability, default_id: &str) -> CapabilitySummary {
    CapabilitySummary {
        id: capability.id.clone(),
        name: capability.name.clone(),
        description: capability.description.clone(),
        when_to_invoke: capability.when_to_invoke.clone(),
        default: capability.id == default_id,
    }
}

/// Lists the capabilities.
#[utoipa::path(
    get,
    path = "/v1/capabilities",
    tag = "capabilities",
    operation_id = "list_capabilities",
    responses((status = 200, description = "Every capability", body = CapabilityList))
)]
pub(super) async fn list(State(state): State<AppState>) -> AppJson<CapabilityList> {
    let default_id = &state.capabilities.default_capability().id;
    AppJson(CapabilityList {
        capabilities: state
            .capabilities
            .iter()
            .map(|capability| summary(capability, default_id))
            .collect(),
    })
}
