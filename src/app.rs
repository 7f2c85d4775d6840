//! Assembles the application from its configuration: capabilities, prompts,
//! model, agent and session store. `serve`, `chat` and the tests all start here.

use std::sync::Arc;

use crate::agent::Agent;
use crate::capability::{CapabilityError, CapabilitySet};
use crate::config::Config;
use crate::keyed_lock::KeyedLocks;
use crate::limits::Limits;
use crate::model::{ChatModel, ModelError, OpenAiModel};
use crate::pricing::Prices;
use crate::prompt::{PromptError, Prompts};
use crate::session::SessionStore;
use crate::templates::{TemplateError, Templates};
use crate::workspace::{FileSessions, Workspace};

/// What every request handler and command can reach. Cheap to clone: every
/// field is shared.
#[derive(Clone)]
pub struct AppState {
    /// The loaded capabilities.
    pub capabilities: Arc<CapabilitySet>,
    /// Their output templates.
    pub templates: Arc<Templates>,
    /// The agent, or `None` when no model is configured (chat answers 503).
    pub agent: Option<Agent>,
    /// Where conversations are kept (transcript files in the workspace).
    pub sessions: Arc<dyn SessionStore>,
    /// One turn at a time per session.
    pub session_locks: Arc<KeyedLocks>,
    /// The customer workspace.
    pub workspace: Arc<Workspace>,
    /// Request and turn limits.
    pub limits: Limits,
    /// Model prices, for each turn's estimated cost.
    pub prices: Arc<Prices>,
}

/// Why the application could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// One or more capability files are invalid; each error names its file.
    #[error("invalid capabilities:\n{}", .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Capabilities(Vec<CapabilityError>),
    /// One or more output templates are invalid; each error names its file.
    #[error("invalid output templates:\n{}", .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Templates(Vec<TemplateError>),
    /// A prompt template does not compile.
    #[error(transparent)]
    Prompt(#[from] PromptError),
    /// The model client could not be built.
    #[error("model: {0}")]
    Model(#[from] ModelError),
    /// The agent could not be built.
    #[error("agent: {0}")]
    Agent(String),
}

/// Builds the state from configuration, with the configured OpenAI-compatible
/// model (or none, when none is configured).
pub fn build(config: &Config) -> Result<AppState, StartupError> {
    let model = OpenAiModel::from_config(&config.model, &config.limits.upstream)?
        .map(|model| Arc::new(model) as Arc<dyn ChatModel>);
    build_with_model(config, model)
}

/// What is loaded from disk once and shared: capabilities, templates, prompts.
#[derive(Clone)]
pub struct Loaded {
    /// The capabilities.
    pub capabilities: Arc<CapabilitySet>,
    /// Their templates.
    pub templates: Arc<Templates>,
    /// The compiled prompts.
    pub prompts: Arc<Prompts>,
}

impl Loaded {
    /// Loads and validates everything `config` points at.
    pub fn load(config: &Config) -> Result<Self, StartupError> {
        let capabilities = Arc::new(
            CapabilitySet::load_dir(&config.capabilities_dir, &config.default_capability)
                .map_err(StartupError::Capabilities)?,
        );
        let templates = Arc::new(
            Templates::load(capabilities.iter().map(|c| &**c)).map_err(StartupError::Templates)?,
        );
        Ok(Self {
            capabilities,
            templates,
            prompts: Arc::new(Prompts::new()?),
        })
    }
}

/// Builds the state around a given model (a replay, or none).
pub fn build_with_model(
    config: &Config,
    model: Option<Arc<dyn ChatModel>>,
) -> Result<AppState, StartupError> {
    assemble(config, &Loaded::load(config)?, model)
}

/// Builds the state from already loaded parts (evals build one per case).
pub fn assemble(
    config: &Config,
    loaded: &Loaded,
    model: Option<Arc<dyn ChatModel>>,
) -> Result<AppState, StartupError> {
    let workspace = Arc::new(Workspace::new(&config.workspace_dir));
    let agent = model
        .map(|model| {
            Agent::new(
                Arc::clone(&loaded.capabilities),
                Arc::clone(&loaded.templates),
                Arc::clone(&loaded.prompts),
                model,
                Arc::clone(&workspace),
                config.limits.clone(),
            )
        })
        .transpose()
        .map_err(StartupError::Agent)?;
    Ok(AppState {
        capabilities: Arc::clone(&loaded.capabilities),
        templates: Arc::clone(&loaded.templates),
        agent,
        sessions: Arc::new(FileSessions::new(Arc::clone(&workspace))),
        session_locks: Arc::default(),
        workspace,
        limits: config.limits.clone(),
        prices: Arc::new(config.prices.clone()),
    })
}
