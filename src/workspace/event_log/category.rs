//! The work categories an event's hours count under, for the strategic vs tactical ratio.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How the hours of an event count in the strategic vs tactical ratio.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum WorkCategory {
    /// Specs, tickets, docs.
    Tactical,
    /// Meetings, process.
    Operational,
    /// Decisions, direction.
    Strategic,
    /// Coaching, knowledge transfer.
    #[serde(rename = "Capability Building")]
    CapabilityBuilding,
}

impl WorkCategory {
    /// All categories, in the Time Allocation Review's order.
    pub const ALL: [WorkCategory; 4] = [
        WorkCategory::Tactical,
        WorkCategory::Operational,
        WorkCategory::Strategic,
        WorkCategory::CapabilityBuilding,
    ];

    /// The display name.
    pub fn name(self) -> &'static str {
        match self {
            WorkCategory::Tactical => "Tactical",
            WorkCategory::Operational => "Operational",
            WorkCategory::Strategic => "Strategic",
            WorkCategory::CapabilityBuilding => "Capability Building",
        }
    }

    /// The key used in the Engagement Value Assessment's fields.
    pub fn key(self) -> &'static str {
        match self {
            WorkCategory::Tactical => "tactical",
            WorkCategory::Operational => "operational",
            WorkCategory::Strategic => "strategic",
            WorkCategory::CapabilityBuilding => "capability_building",
        }
    }

    /// Reads a category written by hand: `Strategic`, `strategic work`, `Capability-building`...
    pub fn parse_lenient(text: &str) -> Option<Self> {
        let text = text.trim().to_ascii_lowercase();
        [
            ("tactical", WorkCategory::Tactical),
            ("operational", WorkCategory::Operational),
            ("strategic", WorkCategory::Strategic),
            ("capability", WorkCategory::CapabilityBuilding),
        ]
        .into_iter()
        .find(|(prefix, _)| text.starts_with(prefix))
        .map(|(_, category)| category)
    }
}
