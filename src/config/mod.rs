//! Configuration: defaults, then an optional `pmcoach.toml`, then the environment.
//!
//! The environment names follow the OpenAI SDKs (`OPENAI_API_KEY`, `OPENAI_BASE_URL`)
//! so an existing setup just works; everything of ours is `PMCOACH_*`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

use crate::access::{AuthConfig, HttpConfig, Keys};
use crate::limits::Limits;
use crate::pricing::{Price, Prices};

/// The base URL used when none is configured.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// The model used when an API key is set but no model name is.
pub const DEFAULT_OPENAI_MODEL: &str = "gpt-4o-mini";
/// The file read when no `--config`/`PMCOACH_CONFIG` names another one.
pub const DEFAULT_CONFIG_FILE: &str = "pmcoach.toml";

/// Everything the service needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address `pmcoach serve` listens on (`PMCOACH_LISTEN`).
    pub listen: SocketAddr,
    /// A folder of capabilities (one folder each) added to the built-in ones,
    /// replacing those of the same id (`--capabilities-dir`,
    /// `PMCOACH_CAPABILITIES_DIR`, `capabilities_dir`); absolute.
    pub capabilities_dir: Option<PathBuf>,
    /// Whether the built-in capabilities are loaded (`builtin_capabilities`,
    /// `PMCOACH_BUILTIN_CAPABILITIES`; default true): false leaves only the
    /// folder's.
    pub builtin_capabilities: bool,
    /// Capability used when a request names none (`PMCOACH_DEFAULT_CAPABILITY`).
    pub default_capability: String,
    /// Root of the customer workspace (`PMCOACH_WORKSPACE`, `workspace_dir`;
    /// default: the user's data directory, see [`default_workspace`]); absolute.
    pub workspace_dir: PathBuf,
    /// The chat model upstream.
    pub model: ModelConfig,
    /// Bounds on turns and requests.
    pub limits: Limits,
    /// USD per million tokens by model, for estimated costs: the built-in list
    /// prices with `[prices."<model>"]` over them.
    pub prices: Prices,
    /// `[auth]`: keys (their hashes) and per-key concurrency.
    pub auth: AuthConfig,
    /// The keys of `[auth]`, checked.
    pub keys: Keys,
    /// `[http]`: allowed hosts and CORS origins.
    pub http: HttpConfig,
    /// A fixed date for the server's clock (`today`, `PMCOACH_TODAY`): for
    /// tests and demonstrations; the system's date when unset.
    pub today: Option<jiff::civil::Date>,
    /// What model output may link to (`[output]`).
    pub output: OutputConfig,
}

/// How to reach an OpenAI-compatible chat model.
#[derive(Debug, Clone)]
pub struct ModelConfig {
    /// Base URL of the API, ending in `/v1` (`PMCOACH_BASE_URL`, else `OPENAI_BASE_URL`).
    pub base_url: String,
    /// API key (`PMCOACH_API_KEY`, else `OPENAI_API_KEY`); never printed.
    pub api_key: Option<SecretString>,
    /// Model name (`PMCOACH_MODEL`). Local servers need it; with only an API key set
    /// it defaults to [`DEFAULT_OPENAI_MODEL`].
    pub model: Option<String>,
    /// Sampling temperature (`PMCOACH_TEMPERATURE`); the upstream's default when unset.
    pub temperature: Option<f32>,
    /// Cap on output tokens per model call (`PMCOACH_MAX_OUTPUT_TOKENS`).
    pub max_output_tokens: Option<u32>,
    /// Timeout of one model request (`PMCOACH_TIMEOUT_SECS`, default 120).
    pub timeout: Duration,
    /// The model's context window in tokens (`PMCOACH_CONTEXT_WINDOW`); when
    /// unset, known for OpenAI's families and 8192 for anything else.
    pub context_window: Option<usize>,
    /// How to count tokens (`PMCOACH_ENCODING`): `o200k`, `cl100k` or
    /// `estimate`; when unset, the model family's.
    pub encoding: Option<String>,
    /// Whether the model takes images (`[model] multimodal`); without it an
    /// image in a request is refused.
    pub multimodal: bool,
}

impl ModelConfig {
    /// The model name to call, or `None` when no model is configured at all.
    pub fn resolved_model(&self) -> Option<String> {
        match (&self.model, &self.api_key) {
            (Some(model), _) => Some(model.clone()),
            (None, Some(_)) => Some(DEFAULT_OPENAI_MODEL.to_string()),
            (None, None) => None,
        }
    }
}

/// Advice shown when no model is configured, in logs and in 503 responses.
pub const NO_MODEL_ADVICE: &str = "no model is configured: set OPENAI_API_KEY (and optionally \
PMCOACH_MODEL) for OpenAI, or OPENAI_BASE_URL and PMCOACH_MODEL for a compatible server such as \
Ollama (OPENAI_BASE_URL=http://localhost:11434/v1 PMCOACH_MODEL=llama3.1)";

/// A configuration problem, naming the file, variable or field at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("{path}: {source} (the config file: set by --config or PMCOACH_CONFIG)")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The config file is not valid TOML for our schema.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and field.
        message: String,
    },
    /// A configured key is invalid (the message names it).
    #[error("{0}")]
    Keys(String),
    /// An environment variable holds a value of the wrong kind.
    #[error("{name}: {message}")]
    Env {
        /// The variable.
        name: &'static str,
        /// What was wrong.
        message: String,
    },
}

/// The shape of `pmcoach.toml`; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    capabilities_dir: Option<PathBuf>,
    builtin_capabilities: Option<bool>,
    default_capability: Option<String>,
    workspace_dir: Option<PathBuf>,
    model: FileModel,
    limits: Limits,
    /// `[prices."<model>"] input_per_mtok = .., output_per_mtok = ..`.
    prices: BTreeMap<String, Price>,
    auth: AuthConfig,
    http: HttpConfig,
    today: Option<jiff::civil::Date>,
    output: OutputConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FileModel {
    base_url: Option<String>,
    api_key: Option<String>,
    model: Option<String>,
    temperature: Option<f32>,
    max_output_tokens: Option<u32>,
    timeout_secs: Option<u64>,
    context_window: Option<usize>,
    encoding: Option<String>,
    multimodal: bool,
}

impl Config {
    /// Loads the configuration from the process environment and the config file it
    /// names (or `pmcoach.toml` in the working directory, when present).
    pub fn from_env(explicit_file: Option<&Path>) -> Result<Config, ConfigError> {
        Config::load(explicit_file, &|name| std::env::var(name).ok())
    }

    /// Loads the configuration with `env` standing in for the environment.
    ///
    /// A file named explicitly (argument or `PMCOACH_CONFIG`) must exist; the
    /// default `pmcoach.toml` is read only if it does.
    pub fn load(
        explicit_file: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        // A variable set to blanks counts as unset.
        let env = |name: &str| env(name).filter(|value| !value.trim().is_empty());
        let file = config_file(explicit_file, &env)?;
        let limits = limits(file.limits, &env)?;
        let model = model_config(file.model, &env)?;
        let keys = Keys::from_entries(&file.auth.keys).map_err(ConfigError::Keys)?;
        Ok(Config {
            listen: parse_env(&env, "PMCOACH_LISTEN")?
                .or(file.listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            capabilities_dir: env("PMCOACH_CAPABILITIES_DIR")
                .map(PathBuf::from)
                .or(file.capabilities_dir)
                .map(|dir| absolute(&dir)),
            builtin_capabilities: parse_env(&env, "PMCOACH_BUILTIN_CAPABILITIES")?
                .or(file.builtin_capabilities)
                .unwrap_or(true),
            default_capability: env("PMCOACH_DEFAULT_CAPABILITY")
                .or(file.default_capability)
                .unwrap_or_else(|| "strategic-pm-coach".to_string()),
            workspace_dir: absolute(
                &env("PMCOACH_WORKSPACE")
                    .map(PathBuf::from)
                    .or(file.workspace_dir)
                    .unwrap_or_else(default_workspace),
            ),
            model,
            limits,
            prices: Prices::default().with(file.prices),
            auth: file.auth,
            keys,
            http: file.http,
            today: parse_env(&env, "PMCOACH_TODAY")?.or(file.today),
            output: file.output,
        })
    }
}

/// `path` made absolute against the working directory, so that every
/// message about it says exactly where it is.
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The workspace when none is configured: `workspace` in the user's data
/// directory (`~/.local/share/pmcoach/workspace` on Linux,
/// `~/Library/Application Support/pmcoach/workspace` on macOS), or
/// `./workspace` where the platform has none.
pub fn default_workspace() -> PathBuf {
    directories::ProjectDirs::from("", "", "pmcoach").map_or_else(
        || PathBuf::from("workspace"),
        |dirs| dirs.data_dir().join("workspace"),
    )
}

/// Where a setting comes from, for messages about the path it names.
pub const CAPABILITIES_DIR_SETTING: &str =
    "set by --capabilities-dir, PMCOACH_CAPABILITIES_DIR or capabilities_dir in the config file";
/// Where the workspace setting comes from.
pub const WORKSPACE_SETTING: &str = "set by PMCOACH_WORKSPACE or workspace_dir in the config file";

/// The file named by the argument or `PMCOACH_CONFIG`, else `pmcoach.toml`
/// when it exists, else an empty one.
fn config_file(
    explicit_file: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<FileConfig, ConfigError> {
    let named = explicit_file
        .map(Path::to_path_buf)
        .or_else(|| env("PMCOACH_CONFIG").map(PathBuf::from));
    match named {
        Some(path) => read_file(&path),
        None => {
            let path = PathBuf::from(DEFAULT_CONFIG_FILE);
            if path.exists() {
                read_file(&path)
            } else {
                Ok(FileConfig::default())
            }
        }
    }
}

/// The file's limits, with `PMCOACH_MAX_STEPS` over them.
fn limits(mut limits: Limits, env: &dyn Fn(&str) -> Option<String>) -> Result<Limits, ConfigError> {
    if let Some(steps) = parse_env(env, "PMCOACH_MAX_STEPS")? {
        limits.max_steps = steps;
    }
    Ok(limits)
}

/// The model upstream: each setting from our variable, then the OpenAI SDKs'
/// one where there is one, then the file, then the default.
fn model_config(
    file: FileModel,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ModelConfig, ConfigError> {
    Ok(ModelConfig {
        base_url: env("PMCOACH_BASE_URL")
            .or_else(|| env("OPENAI_BASE_URL"))
            .or(file.base_url)
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
        api_key: env("PMCOACH_API_KEY")
            .or_else(|| env("OPENAI_API_KEY"))
            .or(file.api_key)
            .map(SecretString::from),
        model: env("PMCOACH_MODEL").or(file.model),
        temperature: parse_env(env, "PMCOACH_TEMPERATURE")?.or(file.temperature),
        max_output_tokens: parse_env(env, "PMCOACH_MAX_OUTPUT_TOKENS")?.or(file.max_output_tokens),
        timeout: Duration::from_secs(
            parse_env(env, "PMCOACH_TIMEOUT_SECS")?
                .or(file.timeout_secs)
                .unwrap_or(120),
        ),
        context_window: parse_env(env, "PMCOACH_CONTEXT_WINDOW")?.or(file.context_window),
        encoding: env("PMCOACH_ENCODING").or(file.encoding),
        multimodal: file.multimodal,
    })
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let path = &absolute(path);
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    toml::from_str(&text).map_err(|err| ConfigError::Parse {
        path: path.to_path_buf(),
        message: err.to_string(),
    })
}

fn parse_env<T>(
    env: &dyn Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<T>, ConfigError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    env(name)
        .map(|raw| {
            raw.trim().parse::<T>().map_err(|err| ConfigError::Env {
                name,
                message: format!("cannot use {raw:?}: {err}"),
            })
        })
        .transpose()
}

/// `[output]`: what replies and documents may link to (see `defuse`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutputConfig {
    /// Hosts images and data-carrying links may point at: `docs.example.com`
    /// exactly, `*.example.com` any subdomain. Default none.
    pub allowed_link_hosts: Vec<String>,
}

#[cfg(test)]
mod tests;
