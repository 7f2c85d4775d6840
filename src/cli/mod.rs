//! The command line: the clap types, the dispatch to one module per command, shared helpers.

mod capabilities;
mod chat;
mod eval;
mod keys;
mod mcp;
mod portfolio;
mod reminders;
mod serve;
mod templates;

use std::fmt::Display;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::io::IsTerminal;

use clap::{Parser, Subcommand};

use crate::capability::{self, Capability};
use crate::config::Config;
use crate::templates::Templates;

pub use capabilities::CapabilitiesAction;
pub use eval::EvalArgs;

/// An LLM-backed Strategic PM Coach for fractional product managers.
#[derive(Debug, Parser)]
#[command(name = "pmcoach", version, about)]
pub struct Cli {
    /// Configuration file (default: ./pmcoach.toml when present; env PMCOACH_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A folder of capabilities added to the built-in ones (replacing those of the same id;
    /// overrides PMCOACH_CAPABILITIES_DIR and the file).
    #[arg(long, global = true, value_name = "DIR")]
    pub capabilities_dir: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API.
    Serve {
        /// Address to listen on (overrides PMCOACH_LISTEN; default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Serve on a non-loopback address without API keys (only behind
        /// something that authenticates).
        #[arg(long)]
        allow_unauthenticated: bool,
    },
    /// Serve MCP over stdin and stdout (for assistant hosts that launch a
    /// command); over HTTP, `serve` answers it at /mcp.
    Mcp,
    /// Manage API keys.
    Keys {
        /// What to do.
        #[command(subcommand)]
        action: keys::KeysAction,
    },
    /// Chat in the terminal: one message per line on stdin, replies on stdout.
    Chat {
        /// Capability to talk to (default: the default capability).
        #[arg(long)]
        capability: Option<String>,
        /// Customer the conversation is about.
        #[arg(long)]
        customer: Option<String>,
    },
    /// List the output templates with their fields, show one, or print an example fields file.
    Templates {
        /// `show <id>` or `example <id>`; without it, the list is printed.
        #[command(subcommand)]
        action: Option<templates::TemplatesAction>,
    },
    /// Every customer: strategic ratio, ladder level, renewal, open items, evidence.
    Portfolio,
    /// Render a template offline from a JSON file of fields.
    Render {
        /// Template id (see `pmcoach templates`).
        template: String,
        /// JSON file with the fields.
        #[arg(long, value_name = "FILE.json")]
        fields: PathBuf,
        /// Write the document here (atomically) instead of to stdout.
        #[arg(long, value_name = "FILE.md")]
        out: Option<PathBuf>,
    },
    /// Run the offline evals (replaying recorded model calls by default).
    Eval(EvalArgs),
    /// Show reminders (overdue and due-soon action items, renewals) for one
    /// customer or all of them.
    Reminders {
        /// Customer id (default: every customer).
        customer: Option<String>,
    },
    /// List the capabilities, or check a directory of them.
    Capabilities {
        /// `check [DIR]` validates a directory; without it, the list is printed.
        #[command(subcommand)]
        action: Option<CapabilitiesAction>,
    },
}

impl Cli {
    /// The log level when `RUST_LOG` is not set: the service and the terminal
    /// chat log their turns; batch commands only warnings.
    pub fn default_log_level(&self) -> &'static str {
        match self.command {
            Command::Serve { .. } | Command::Chat { .. } => "info",
            _ => "warn",
        }
    }
}

/// Crates whose debug and trace output can carry request headers (an API
/// key) or bodies: held at `info` whatever `RUST_LOG` says.
const CAPPED: &[&str] = &["hyper", "hyper_util", "h2", "reqwest", "rustls", "tower"];

/// Logs to stderr, `RUST_LOG` to filter. Nothing logged carries a key, an
/// upstream's body or a customer's document at any level: our own lines name
/// ids, codes and sizes; the HTTP and TLS crates are capped (`CAPPED`).
pub fn init_tracing(default_level: &str) {
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::fmt::format::FmtSpan;
    let mut filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    for target in CAPPED {
        if let Ok(directive) = format!("{target}=info").parse() {
            filter = filter.add_directive(directive);
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::CLOSE)
        // Colours only on a terminal: a log file or collector gets plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> ExitCode {
    let config = match configure(cli.config.as_deref(), cli.capabilities_dir) {
        Ok(config) => config,
        Err(message) => return fail(&message),
    };
    match cli.command {
        // `eval` has exit codes of its own (see `eval::EXIT_BAD_INPUT`).
        Command::Eval(args) => eval::eval(&config, args).await,
        command => match dispatch(config, command).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => fail(&message),
        },
    }
}

/// The configuration from the environment and file, with `--capabilities-dir` applied.
fn configure(file: Option<&Path>, capabilities_dir: Option<PathBuf>) -> Result<Config, String> {
    let mut config = Config::from_env(file).map_err(|err| format!("configuration: {err}"))?;
    if let Some(dir) = capabilities_dir {
        config.capabilities_dir = Some(crate::config::absolute(&dir));
    }
    Ok(config)
}

/// Runs every command but `eval`; an error is the message to print.
async fn dispatch(mut config: Config, command: Command) -> Result<(), String> {
    match command {
        Command::Serve {
            listen,
            allow_unauthenticated,
        } => {
            if let Some(listen) = listen {
                config.listen = listen;
            }
            crate::access::check_exposure(config.listen, &config.keys, allow_unauthenticated)?;
            announce_workspace(&config);
            serve::serve(&config).await
        }
        Command::Mcp => {
            announce_workspace(&config);
            mcp::serve(&config).await
        }
        Command::Keys { action } => keys::run(action),
        Command::Chat {
            capability,
            customer,
        } => {
            announce_workspace(&config);
            chat::chat(&config, capability.as_deref(), customer.as_deref()).await
        }
        Command::Templates { action } => templates::run(&config, action),
        Command::Portfolio => {
            announce_workspace(&config);
            portfolio::portfolio(&config)
        }
        Command::Render {
            template,
            fields,
            out,
        } => templates::render(&config, &template, &fields, out.as_deref()),
        Command::Eval(_) => Ok(()),
        Command::Capabilities { action } => capabilities::run(&config, action),
        Command::Reminders { customer } => {
            announce_workspace(&config);
            reminders::run(&config, customer.as_deref())
        }
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("pmcoach: {message}");
    ExitCode::FAILURE
}

/// The capabilities in `dir`, or every problem with them, one per line.
fn load_capabilities(dir: &Path) -> Result<Vec<Capability>, String> {
    capability::load_dir(dir).map_err(|errors| one_per_line(&errors))
}

/// The configured capabilities: the built-in ones and the configured
/// folder's, or every problem with them (naming the setting that points at
/// the folder), one per line.
fn configured_capabilities(config: &Config) -> Result<Vec<Capability>, String> {
    let set = capability::CapabilitySet::load(
        config.capabilities_dir.as_deref(),
        config.builtin_capabilities,
        &config.default_capability,
    )
    .map_err(|errors| {
        let mut message = one_per_line(&errors);
        if let Some(dir) = &config.capabilities_dir {
            message.push_str(&format!(
                "\n(capabilities folder {}: {})",
                dir.display(),
                crate::config::CAPABILITIES_DIR_SETTING
            ));
        }
        message
    })?;
    Ok(set.iter().map(|c| (**c).clone()).collect())
}

/// Says on stderr which workspace a command reads and writes.
fn announce_workspace(config: &Config) {
    eprintln!(
        "pmcoach: workspace {} ({})",
        config.workspace_dir.display(),
        crate::config::WORKSPACE_SETTING
    );
}

/// The templates of `capabilities`, or every problem with them, one per line.
fn load_templates(capabilities: &[Capability]) -> Result<Templates, String> {
    Templates::load(capabilities).map_err(|errors| one_per_line(&errors))
}

/// `problems` joined by newlines.
fn one_per_line(problems: &[impl Display]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}
