//! Assembles the application from its configuration: capabilities, prompts,
//! model, agent and session store. `serve`, `chat` and the tests all start here.

use std::sync::Arc;

use crate::access::{HttpConfig, Keys};
use crate::agent::{Agent, Engine, Window};
use crate::capability::{CapabilityError, CapabilitySet};
use crate::clock::Clock;
use crate::config::Config;
use crate::defuse::LinkPolicy;
use crate::keyed_lock::KeyedLocks;
use crate::limits::Limits;
use crate::model::{ChatModel, ModelError, OpenAiModel};
use crate::pricing::Prices;
use crate::prompt::{PromptError, Prompts};
use crate::session::SessionStore;
use crate::templates::{TemplateError, Templates};
use crate::tokens::{Encoding, TokenCounter};
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
    /// Who may call, and from which hosts and origins.
    pub access: Arc<AccessConfig>,
}

/// The access settings the HTTP layer enforces.
#[derive(Debug, Clone, Default)]
pub struct AccessConfig {
    /// The keys; none means open on loopback.
    pub keys: Keys,
    /// Allowed hosts and CORS origins.
    pub http: HttpConfig,
    /// Requests one key may have in flight.
    pub max_concurrent_per_key: usize,
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
    /// A setting is invalid.
    #[error("configuration: {0}")]
    Config(String),
}

/// How often expired sessions are looked for while serving.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(3_600);

/// Housekeeping while the server runs: with a retention period, session
/// transcripts past it are deleted at start and then hourly.
pub async fn maintain(state: AppState) {
    let Some(days) = state.limits.session_retention_days else {
        return;
    };
    let max_age = std::time::Duration::from_secs(days.saturating_mul(86_400));
    loop {
        match state.workspace.expire_sessions(max_age).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, days, "expired session transcripts deleted"),
            Err(err) => tracing::warn!(error = %err, "could not expire session transcripts"),
        }
        tokio::time::sleep(SWEEP_EVERY).await;
    }
}

/// The context window assumed for a model whose window is neither configured
/// nor known: what a local server can be expected to give (Ollama's
/// `num_ctx` must be raised to it; see README).
pub const FALLBACK_CONTEXT_WINDOW: usize = 8_192;
/// The most output tokens kept free when `max_output_tokens` is not set.
const DEFAULT_RESERVED_OUTPUT: usize = 4_096;

/// The model with its token counter and window: counted with the configured
/// encoding or the model family's; the window configured, known for the
/// family, or [`FALLBACK_CONTEXT_WINDOW`].
pub fn engine(config: &Config, model: Arc<dyn ChatModel>) -> Result<Engine, StartupError> {
    let name = config
        .model
        .resolved_model()
        .unwrap_or_else(|| model.name().to_string());
    let encoding = match &config.model.encoding {
        Some(raw) => Encoding::parse(raw).ok_or_else(|| {
            StartupError::Config(format!(
                "[model] encoding / PMCOACH_ENCODING: {raw:?} is not o200k, cl100k or estimate"
            ))
        })?,
        None => Encoding::for_model(&name),
    };
    let context = match config.model.context_window {
        Some(window) => window,
        None => tiktoken_rs::model::get_context_size(&name).unwrap_or_else(|| {
            tracing::warn!(
                model = %name,
                assumed = FALLBACK_CONTEXT_WINDOW,
                "the model's context window is unknown; set [model] context_window (PMCOACH_CONTEXT_WINDOW) to what the server gives it"
            );
            FALLBACK_CONTEXT_WINDOW
        }),
    };
    let reserved_output = config
        .model
        .max_output_tokens
        .map_or((context / 4).min(DEFAULT_RESERVED_OUTPUT), |n| n as usize);
    Ok(Engine {
        multimodal: config.model.multimodal,
        model,
        tokens: TokenCounter::new(encoding),
        window: Window {
            context,
            reserved_output,
        },
    })
}

/// What replies and documents may link to.
fn link_policy(config: &Config) -> LinkPolicy {
    LinkPolicy::new(&config.output.allowed_link_hosts)
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
            CapabilitySet::load(
                config.capabilities_dir.as_deref(),
                config.builtin_capabilities,
                &config.default_capability,
            )
            .map_err(StartupError::Capabilities)?,
        );
        let templates = Arc::new(
            Templates::load(capabilities.iter().map(|c| &**c))
                .map_err(StartupError::Templates)?
                .with_links(link_policy(config)),
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
    let clock = config.today.map_or_else(Clock::system, Clock::fixed);
    let workspace = Arc::new(Workspace::new(&config.workspace_dir).with_clock(clock));
    workspace.remove_interrupted_writes();
    let agent = match model {
        Some(model) => Some(
            Agent::new(
                Arc::clone(&loaded.capabilities),
                Arc::clone(&loaded.templates),
                Arc::clone(&loaded.prompts),
                engine(config, model)?,
                Arc::clone(&workspace),
                config.limits.clone(),
                link_policy(config),
            )
            .map_err(StartupError::Agent)?,
        ),
        None => None,
    };
    Ok(AppState {
        capabilities: Arc::clone(&loaded.capabilities),
        templates: Arc::clone(&loaded.templates),
        agent,
        sessions: Arc::new(FileSessions::new(Arc::clone(&workspace))),
        session_locks: Arc::default(),
        workspace,
        limits: config.limits.clone(),
        prices: Arc::new(config.prices.clone()),
        access: Arc::new(AccessConfig {
            keys: config.keys.clone(),
            http: config.http.clone(),
            max_concurrent_per_key: config.auth.max_concurrent_per_key,
        }),
    })
}
