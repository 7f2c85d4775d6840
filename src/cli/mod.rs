//! The command line: `serve`, `chat` and `capabilities`.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::app;
use crate::atomic;
use crate::capability::{self, Capability};
use crate::config::{Config, NO_MODEL_ADVICE};
use crate::conversation::{self, TurnRequest};
use crate::templates::{FillError, Templates};
use crate::workspace::CustomerId;

/// An LLM-backed Strategic PM Coach for fractional product managers.
#[derive(Debug, Parser)]
#[command(name = "pmcoach", version, about)]
pub struct Cli {
    /// Configuration file (default: ./pmcoach.toml when present; env PMCOACH_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory of capabilities (overrides PMCOACH_CAPABILITIES_DIR and the file).
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
    /// List the output templates with their fields.
    Templates,
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
    /// List the capabilities, or check a directory of them.
    Capabilities {
        /// `check [DIR]` validates a directory; without it, the list is printed.
        #[command(subcommand)]
        action: Option<CapabilitiesAction>,
    },
}

/// `pmcoach eval` options.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Cases to run, by name (default: every case in evals/cases/).
    pub cases: Vec<String>,
    /// The evals folder.
    #[arg(long, default_value = "evals")]
    pub dir: PathBuf,
    /// Run against the configured model and write (or refresh) the recordings.
    #[arg(long, conflicts_with = "live")]
    pub record: bool,
    /// With --record: use each case's authored [[script]] answers as the model.
    #[arg(long, requires = "record")]
    pub from_script: bool,
    /// Run against the configured model without writing recordings.
    #[arg(long)]
    pub live: bool,
    /// Grade recorded session files under DIR instead of running cases.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["record", "live"])]
    pub transcripts: Option<PathBuf>,
    /// With --transcripts: the most tokens a turn may spend.
    #[arg(long, requires = "transcripts")]
    pub max_tokens: Option<u64>,
    /// Write a JSON report here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Cases run at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Run every case this many times (for benchmarks).
    #[arg(long, default_value_t = 1)]
    pub repeat: usize,
}

/// What `pmcoach capabilities` can do besides listing.
#[derive(Debug, Subcommand)]
pub enum CapabilitiesAction {
    /// List the capabilities (the default).
    List,
    /// Validate a capabilities directory; exit 1 and name every problem if invalid.
    Check {
        /// The directory (default: the configured one).
        dir: Option<PathBuf>,
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

/// Logs to stderr, `RUST_LOG` to filter. async-openai's own warnings are
/// silenced because they print upstream error bodies, which may echo secrets.
pub fn init_tracing(default_level: &str) {
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::fmt::format::FmtSpan;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("{default_level},async_openai=error")));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::CLOSE)
        .with_writer(std::io::stderr)
        .init();
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> ExitCode {
    let mut config = match Config::from_env(cli.config.as_deref()) {
        Ok(config) => config,
        Err(err) => return fail(&format!("configuration: {err}")),
    };
    if let Some(dir) = cli.capabilities_dir {
        config.capabilities_dir = dir;
    }
    if let Command::Eval(args) = cli.command {
        return eval(&config, args).await;
    }
    let result = match cli.command {
        Command::Serve { listen } => {
            if let Some(listen) = listen {
                config.listen = listen;
            }
            serve(&config).await
        }
        Command::Chat {
            capability,
            customer,
        } => chat(&config, capability.as_deref(), customer.as_deref()).await,
        Command::Templates => list_templates(&config),
        Command::Render {
            template,
            fields,
            out,
        } => render(&config, &template, &fields, out.as_deref()),
        Command::Eval(_) => Ok(()),
        Command::Capabilities { action } => match action {
            None | Some(CapabilitiesAction::List) => list_capabilities(&config),
            Some(CapabilitiesAction::Check { dir }) => check_capabilities(&config, dir.as_deref()),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("pmcoach: {message}");
    ExitCode::FAILURE
}

async fn serve(config: &Config) -> Result<(), String> {
    let state = app::build(config).map_err(|err| err.to_string())?;
    match &state.agent {
        Some(agent) => tracing::info!(
            model = agent.model_name(),
            base_url = %config.model.base_url,
            "model configured"
        ),
        None => tracing::warn!("{NO_MODEL_ADVICE}; chat requests will get 503 until then"),
    }
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|err| format!("cannot listen on {}: {err}", config.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|err| format!("listener: {err}"))?;
    tracing::info!(
        capabilities = state.capabilities.len(),
        "pmcoach listening on http://{addr}"
    );
    crate::http::run(listener, state, shutdown_signal())
        .await
        .map_err(|err| format!("server: {err}"))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

async fn chat(
    config: &Config,
    capability: Option<&str>,
    customer: Option<&str>,
) -> Result<(), String> {
    let state = app::build(config).map_err(|err| err.to_string())?;
    let name = match capability {
        Some(id) => {
            &state
                .capabilities
                .get(id)
                .ok_or_else(|| format!("unknown capability {id:?} (see `pmcoach capabilities`)"))?
                .name
        }
        None => &state.capabilities.default_capability().name,
    };
    if let Some(customer) = customer {
        CustomerId::parse(customer).map_err(|err| format!("--customer: {err}"))?;
    }
    let agent = state.agent.as_ref().ok_or(NO_MODEL_ADVICE)?;
    let interactive = std::io::stdin().is_terminal();
    if interactive {
        eprintln!(
            "Talking to {name} ({}). One message per line; Ctrl-D to finish.",
            agent.model_name()
        );
    }
    let mut session_id: Option<String> = None;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut stdout = tokio::io::stdout();
    let mut failures = 0usize;
    loop {
        if interactive {
            eprint!("> ");
        }
        let line = match lines.next_line().await {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(err) => return Err(format!("stdin: {err}")),
        };
        if line.trim().is_empty() {
            continue;
        }
        let result = conversation::run_turn(
            &state,
            TurnRequest {
                message: line,
                customer: customer.map(str::to_string),
                session_id: session_id.clone(),
                // The terminal talks to the capability it names (`auto` routes).
                capability: Some(
                    capability.map_or_else(|| config.default_capability.clone(), str::to_string),
                ),
                history: None,
                template: None,
            },
        )
        .await;
        match result {
            Ok(result) => {
                for call in &result.tool_calls {
                    eprintln!(
                        "  [{} {} in {} ms]",
                        call.name,
                        if call.ok { "ok" } else { "failed" },
                        call.duration_ms
                    );
                }
                session_id = Some(result.session_id);
                let mut text = format!("{}\n\n", result.reply);
                for artifact in &result.artifacts {
                    text.push_str(&artifact.markdown);
                    text.push('\n');
                    if let Some(saved) = &artifact.saved_as {
                        eprintln!("  [saved artifacts/{saved}]");
                    }
                }
                stdout
                    .write_all(text.as_bytes())
                    .await
                    .and(stdout.flush().await)
                    .map_err(|err| format!("stdout: {err}"))?;
            }
            Err(err) => {
                failures += 1;
                eprintln!("pmcoach: {err}");
            }
        }
    }
    if let Some(id) = session_id {
        eprintln!("session {id} saved in {}", config.workspace_dir.display());
    }
    if failures > 0 {
        Err(format!("{failures} message(s) got no answer"))
    } else {
        Ok(())
    }
}

fn list_capabilities(config: &Config) -> Result<(), String> {
    let capabilities = load(&config.capabilities_dir)?;
    let width = capabilities.iter().map(|c| c.id.len()).max().unwrap_or(0);
    for capability in &capabilities {
        let marker = if capability.id == config.default_capability {
            " (default)"
        } else {
            ""
        };
        println!(
            "{:width$}  {}{marker}\n{:width$}  {}",
            capability.id, capability.name, "", capability.description
        );
    }
    Ok(())
}

fn check_capabilities(config: &Config, dir: Option<&Path>) -> Result<(), String> {
    let checked_dir = dir.unwrap_or(&config.capabilities_dir);
    let capabilities = load(checked_dir)?;
    let templates = load_templates(&capabilities)?;
    if dir.is_none()
        && !capabilities
            .iter()
            .any(|c| c.id == config.default_capability)
    {
        return Err(format!(
            "{}: the default capability {:?} is not defined here",
            checked_dir.display(),
            config.default_capability
        ));
    }
    println!(
        "{}: {} capabilities ok ({}), {} templates ok",
        checked_dir.display(),
        capabilities.len(),
        capabilities
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        templates.iter().count()
    );
    Ok(())
}

fn load_templates(capabilities: &[Capability]) -> Result<Templates, String> {
    Templates::load(capabilities).map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })
}

fn list_templates(config: &Config) -> Result<(), String> {
    let templates = load_templates(&load(&config.capabilities_dir)?)?;
    for template in templates.iter() {
        println!(
            "{}  {} ({}; {})",
            template.id, template.title, template.capability, template.phase
        );
        println!("  {}", template.description);
        for line in field_outline(&template.schema, "  ") {
            println!("{line}");
        }
        println!();
    }
    Ok(())
}

/// One line per field: name (`*` when required), type, allowed values, and the
/// fields of nested objects and table rows, indented.
fn field_outline(schema: &serde_json::Value, indent: &str) -> Vec<String> {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(serde_json::Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema["properties"].as_object() else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    for (name, property) in properties {
        let star = if required.contains(&name.as_str()) {
            "*"
        } else {
            ""
        };
        let (kind, nested) = match property["type"].as_str() {
            Some("array") if property["items"]["type"] == "object" => {
                ("table of rows".to_string(), Some(&property["items"]))
            }
            Some("array") => (
                match property["items"]["enum"].as_array() {
                    Some(values) => format!("list of: {}", enum_values(values)),
                    None => "list".to_string(),
                },
                None,
            ),
            Some("object") => ("object".to_string(), Some(property)),
            Some(other) => (other.to_string(), None),
            None => match property["enum"].as_array() {
                Some(values) => (format!("one of: {}", enum_values(values)), None),
                None => ("value".to_string(), None),
            },
        };
        let kind = match property["enum"].as_array() {
            Some(values) if property["type"].is_string() => {
                format!("one of: {}", enum_values(values))
            }
            _ => kind,
        };
        lines.push(format!("{indent}{name}{star}: {kind}"));
        if let Some(nested) = nested {
            lines.extend(field_outline(nested, &format!("{indent}  ")));
        }
    }
    lines
}

fn enum_values(values: &[serde_json::Value]) -> String {
    values
        .iter()
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
        .collect::<Vec<_>>()
        .join(" | ")
}

fn render(
    config: &Config,
    template: &str,
    fields: &Path,
    out: Option<&Path>,
) -> Result<(), String> {
    let templates = load_templates(&load(&config.capabilities_dir)?)?;
    let text = std::fs::read_to_string(fields)
        .map_err(|err| format!("{}: cannot read: {err}", fields.display()))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|err| format!("{}: not valid JSON: {err}", fields.display()))?;
    let artifact = templates.fill(template, value).map_err(|err| match err {
        FillError::Fields(errors) => errors
            .iter()
            .map(|e| format!("{}: {e}", fields.display()))
            .collect::<Vec<_>>()
            .join("\n"),
        other => format!("{}: {other}", fields.display()),
    })?;
    for correction in &artifact.corrections {
        eprintln!("corrected: {correction}");
    }
    match out {
        Some(path) => atomic::write_atomic(path, artifact.markdown.as_bytes())
            .map_err(|err| format!("{}: cannot write: {err}", path.display())),
        None => {
            print!("{}", artifact.markdown);
            Ok(())
        }
    }
}

fn load(dir: &Path) -> Result<Vec<Capability>, String> {
    capability::load_dir(dir).map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// Exit code for bad input to `pmcoach eval` (missing file, invalid case).
const EXIT_BAD_INPUT: u8 = 2;

async fn eval(config: &Config, args: EvalArgs) -> ExitCode {
    use crate::eval::{Case, Mode, Suite, grade_transcripts, report};
    let bad = |message: String| {
        eprintln!("pmcoach eval: {message}");
        ExitCode::from(EXIT_BAD_INPUT)
    };
    let started = std::time::Instant::now();
    let results = if let Some(dir) = &args.transcripts {
        match grade_transcripts(dir, args.max_tokens) {
            Ok(results) => results,
            Err(message) => return bad(message),
        }
    } else {
        let cases_dir = args.dir.join("cases");
        let mut cases = match Case::load_dir(&cases_dir) {
            Ok(cases) => cases,
            Err(errors) => {
                return bad(errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n"));
            }
        };
        if !args.cases.is_empty() {
            let unknown: Vec<&String> = args
                .cases
                .iter()
                .filter(|name| !cases.iter().any(|c| &&c.name == name))
                .collect();
            if !unknown.is_empty() {
                return bad(format!(
                    "no such case in {}: {unknown:?}",
                    cases_dir.display()
                ));
            }
            cases.retain(|c| args.cases.contains(&c.name));
        }
        if cases.is_empty() {
            return bad(format!("{}: no cases", cases_dir.display()));
        }
        let mode = match (args.record, args.from_script, args.live) {
            (true, from_script, _) => Mode::Record { from_script },
            (false, _, true) => Mode::Live,
            _ => Mode::Replay,
        };
        let live = match crate::model::OpenAiModel::from_config(&config.model) {
            Ok(model) => model.map(|m| Arc::new(m) as Arc<dyn crate::model::ChatModel>),
            Err(err) => return bad(format!("model: {err}")),
        };
        if live.is_none() && matches!(mode, Mode::Live | Mode::Record { from_script: false }) {
            return bad(NO_MODEL_ADVICE.to_string());
        }
        let loaded = match app::Loaded::load(config) {
            Ok(loaded) => loaded,
            Err(err) => return bad(err.to_string()),
        };
        let suite = Suite {
            config: config.clone(),
            loaded,
            dir: args.dir.clone(),
            mode,
            live,
        };
        let total = cases.len() * args.repeat.max(1);
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} cases {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let results = suite
            .run(&cases, args.repeat, args.concurrency, &|result| {
                bar.set_message(result.name.clone());
                bar.inc(1);
            })
            .await;
        bar.finish_and_clear();
        results
    };
    let summary = report::Summary::of(
        &results,
        u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    );
    print!("{}", report::table(&results, summary));
    if let Some(path) = &args.json {
        if let Err(err) = report::write_json(path, &results, summary) {
            return bad(format!("{}: {err}", path.display()));
        }
    }
    if let Some(path) = &args.junit {
        if let Err(err) = report::write_junit(path, &results, summary) {
            return bad(format!("{}: {err}", path.display()));
        }
    }
    if summary.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
