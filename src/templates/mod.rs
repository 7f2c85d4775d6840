//! Output templates: documents a capability produces, each a minijinja template
//! beside its capability (`templates/<id>.md.j2`) with a JSON Schema of its fields
//! (`templates/<id>.schema.json`). Fields are validated, derived values computed,
//! and the document rendered by our code, never improvised by the model.

mod derive;
mod error;
mod fields;
mod fill;
mod filters;
mod load;
mod outline;

use std::collections::BTreeMap;
use std::sync::Arc;

use minijinja::Environment;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::defuse::LinkPolicy;

pub use derive::{
    CRITERIA, Derivation, GRADUATION_CRITERIA, VALUE_LADDER, WORK_TYPES, implied_rate,
    prefill_current_allocation,
};
pub use error::{FillError, TemplateError};
pub use fields::{FieldError, FieldErrorKind};
pub use outline::outline;

/// The folder beside `AGENT.md` that holds a capability's templates.
pub const TEMPLATES_DIR: &str = "templates";

/// One output template.
pub struct OutputTemplate {
    /// Id, unique across capabilities (the file stem).
    pub id: String,
    /// The capability it belongs to.
    pub capability: String,
    /// Document name (the schema's `title`).
    pub title: String,
    /// What it is for (the schema's `description`).
    pub description: String,
    /// The workflow phase it fits.
    pub phase: String,
    /// Artifact type prefix for saved documents.
    pub artifact_type: String,
    /// Derivations applied before rendering.
    pub derive: Vec<Derivation>,
    /// The field schema as the model sees it (without our `x-pmcoach` keys).
    pub schema: Value,
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for OutputTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputTemplate")
            .field("id", &self.id)
            .field("capability", &self.capability)
            .finish_non_exhaustive()
    }
}

/// A rendered document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Artifact {
    /// The template id.
    pub template: String,
    /// The document's title (its first `# ` heading).
    pub title: String,
    /// The document.
    pub markdown: String,
    /// What the server corrected in the fields, and the values it computed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<String>,
    /// The file name under the customer's `artifacts/`, when it was saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saved_as: Option<String>,
    /// Where the document stands: its saved header's `**Status**`.
    #[serde(default)]
    pub status: ArtifactStatus,
}

/// A document's status, as the family's artifact header has it.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
    utoipa::ToSchema,
)]
pub enum ArtifactStatus {
    /// Written, not yet reviewed (every new document unless the user says otherwise).
    #[default]
    Draft,
    /// With the client or a reviewer.
    #[serde(rename = "In Review")]
    InReview,
    /// Agreed.
    Final,
}

impl ArtifactStatus {
    /// As the header writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "Draft",
            Self::InReview => "In Review",
            Self::Final => "Final",
        }
    }
}

/// All templates of all capabilities, compiled once.
pub struct Templates {
    by_id: BTreeMap<String, Arc<OutputTemplate>>,
    env: Environment<'static>,
    /// What rendered documents may link to: the fields come from the model.
    links: LinkPolicy,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("ids", &self.by_id.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Templates {
    /// The same templates, their documents defused with `links`.
    pub fn with_links(self, links: LinkPolicy) -> Self {
        Self { links, ..self }
    }

    /// The template with this id.
    pub fn get(&self, id: &str) -> Option<&Arc<OutputTemplate>> {
        self.by_id.get(id)
    }

    /// Every template, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<OutputTemplate>> {
        self.by_id.values()
    }

    /// The templates of one capability.
    pub fn for_capability(&self, capability: &str) -> Vec<Arc<OutputTemplate>> {
        self.by_id
            .values()
            .filter(|t| t.capability == capability)
            .cloned()
            .collect()
    }
}

/// Today's date, `YYYY-MM-DD`, in the machine's time zone.
pub fn today() -> String {
    jiff::ZonedDateTime::now().date().to_string()
}
