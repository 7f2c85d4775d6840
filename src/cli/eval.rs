//! `pmcoach eval`: run the cases (or grade transcripts), print the table, write the reports.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use tempfile::TempDir;

use super::one_per_line;
use crate::app;
use crate::config::{Config, NO_MODEL_ADVICE};
use crate::eval::{Case, CaseResult, Mode, Suite, builtin, grade_transcripts, report};
use crate::model::{ChatModel, OpenAiModel};

/// `pmcoach eval` options.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Cases to run, by name (default: every case of the suite).
    pub cases: Vec<String>,
    /// The evals folder (default: the built-in suite; with --record, ./evals).
    #[arg(long)]
    pub dir: Option<PathBuf>,
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

/// Exit code for bad input to `pmcoach eval` (missing file, invalid case).
const EXIT_BAD_INPUT: u8 = 2;

/// Runs the evals and reports them: success when every case passed, failure
/// when one did not, [`EXIT_BAD_INPUT`] when they could not be run or reported.
pub(super) async fn eval(config: &Config, args: EvalArgs) -> ExitCode {
    let started = Instant::now();
    let results = match results(config, &args).await {
        Ok(results) => results,
        Err(message) => return bad(&message),
    };
    let summary = report::Summary::of(&results, report::millis_since(started));
    print!("{}", report::table(&results, summary));
    if let Err(message) = write_reports(&args, &results, summary) {
        return bad(&message);
    }
    if summary.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn bad(message: &str) -> ExitCode {
    eprintln!("pmcoach eval: {message}");
    ExitCode::from(EXIT_BAD_INPUT)
}

/// The graded transcripts when `--transcripts` is given, else the cases run.
async fn results(config: &Config, args: &EvalArgs) -> Result<Vec<CaseResult>, String> {
    match &args.transcripts {
        Some(dir) => grade_transcripts(dir, args.max_tokens),
        None => run_cases(config, args).await,
    }
}

async fn run_cases(config: &Config, args: &EvalArgs) -> Result<Vec<CaseResult>, String> {
    let (dir, _extracted) = suite_dir(args)?;
    let cases = selected_cases(args, &dir)?;
    let suite = suite(config, args, dir)?;
    let bar = progress_bar(cases.len() * args.repeat.max(1));
    let results = suite
        .run(&cases, args.repeat, args.concurrency, &|result| {
            bar.set_message(result.name.clone());
            bar.inc(1);
        })
        .await;
    bar.finish_and_clear();
    Ok(results)
}

/// The suite's folder: `--dir`; else `./evals` when recording (the
/// recordings are written there); else the built-in suite, written to a
/// temporary folder that lives as long as the second value.
fn suite_dir(args: &EvalArgs) -> Result<(PathBuf, Option<TempDir>), String> {
    let given = match (&args.dir, args.record) {
        (Some(dir), _) => dir.clone(),
        (None, true) => PathBuf::from("evals"),
        (None, false) => {
            let extracted = builtin::extract()?;
            return Ok((extracted.path().to_path_buf(), Some(extracted)));
        }
    };
    let dir = crate::config::absolute(&given);
    if !dir.is_dir() {
        return Err(format!(
            "{}: no such evals folder (set by --dir; recording writes to ./evals by default)",
            dir.display()
        ));
    }
    Ok((dir, None))
}

/// The cases named on the command line (every case when none is), in file order.
fn selected_cases(args: &EvalArgs, dir: &Path) -> Result<Vec<Case>, String> {
    let cases_dir = dir.join("cases");
    let mut cases = Case::load_dir(&cases_dir).map_err(|errors| one_per_line(&errors))?;
    if !args.cases.is_empty() {
        let unknown: Vec<&String> = args
            .cases
            .iter()
            .filter(|name| !cases.iter().any(|c| &&c.name == name))
            .collect();
        if !unknown.is_empty() {
            return Err(format!(
                "no such case in {}: {unknown:?}",
                cases_dir.display()
            ));
        }
        cases.retain(|c| args.cases.contains(&c.name));
    }
    if cases.is_empty() {
        return Err(format!("{}: no cases", cases_dir.display()));
    }
    Ok(cases)
}

/// What every case shares: the configuration, what was loaded from it, the
/// mode, and the live model when the mode needs one.
fn suite(config: &Config, args: &EvalArgs, dir: PathBuf) -> Result<Suite, String> {
    let mode = mode(args);
    let live = match OpenAiModel::from_config(&config.model, &config.limits.upstream) {
        Ok(model) => model.map(|m| Arc::new(m) as Arc<dyn ChatModel>),
        Err(err) => return Err(format!("model: {err}")),
    };
    if live.is_none() && matches!(mode, Mode::Live | Mode::Record { from_script: false }) {
        return Err(NO_MODEL_ADVICE.to_string());
    }
    let loaded = app::Loaded::load(config).map_err(|err| err.to_string())?;
    Ok(Suite {
        config: config.clone(),
        loaded,
        dir,
        mode,
        live,
    })
}

fn mode(args: &EvalArgs) -> Mode {
    match (args.record, args.from_script, args.live) {
        (true, from_script, _) => Mode::Record { from_script },
        (false, _, true) => Mode::Live,
        _ => Mode::Replay,
    }
}

/// A bar of `total` cases, naming the last one finished.
fn progress_bar(total: usize) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} cases {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// Writes the JSON and JUnit reports asked for.
fn write_reports(
    args: &EvalArgs,
    results: &[CaseResult],
    summary: report::Summary,
) -> Result<(), String> {
    if let Some(path) = &args.json {
        report::write_json(path, results, summary)
            .map_err(|err| format!("{}: {err}", path.display()))?;
    }
    if let Some(path) = &args.junit {
        report::write_junit(path, results, summary)
            .map_err(|err| format!("{}: {err}", path.display()))?;
    }
    Ok(())
}
