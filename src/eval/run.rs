//! Running cases: each in its own temporary workspace, against a replay of its
//! cassette (or a recorder, or the live model), turn by turn through the same
//! conversation service the server uses; then grading.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use serde::Serialize;

use super::case::Case;
use super::cassette;
use super::grade::{self, Check};
use super::judge;
use super::models::{RecordingModel, ReplayModel, ScriptModel};
use crate::app::{self, Loaded};
use crate::config::Config;
use crate::conversation::{self, TurnRequest};
use crate::http::ApiError;
use crate::model::ChatModel;
use crate::workspace::event_log::Event;
use crate::workspace::{CustomerId, Transcript};

/// Where answers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Serve each case's cassette; fail a case whose requests changed.
    Replay,
    /// Run against a model and write each case's cassette.
    Record {
        /// Use the case's authored `[[script]]` answers as the model.
        from_script: bool,
    },
    /// Run against the live model, writing nothing.
    Live,
}

/// How a case went.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// The case's name.
    pub name: String,
    /// What it checks.
    pub description: String,
    /// Whether every check held.
    pub passed: bool,
    /// The checks, in order.
    pub checks: Vec<Check>,
    /// Wall time.
    pub duration_ms: u64,
    /// Tokens spent (recorded or live).
    pub tokens: u64,
}

/// What every case shares.
pub struct Suite {
    /// Base configuration (workspace and limits are set per case).
    pub config: Config,
    /// Capabilities, templates and prompts, loaded once.
    pub loaded: Loaded,
    /// `evals/`.
    pub dir: PathBuf,
    /// Replay, record or live.
    pub mode: Mode,
    /// The live model, for `Live` and `Record` without script.
    pub live: Option<Arc<dyn ChatModel>>,
}

impl Suite {
    fn recording(&self, case: &Case) -> PathBuf {
        self.dir
            .join("recordings")
            .join(format!("{}.jsonl", case.name))
    }

    /// Runs `cases` (each `repeat` times), at most `concurrency` at once,
    /// calling `progress` as each finishes; results in case order.
    pub async fn run(
        &self,
        cases: &[Case],
        repeat: usize,
        concurrency: usize,
        progress: &(dyn Fn(&CaseResult) + Sync),
    ) -> Vec<CaseResult> {
        let runs = (0..repeat.max(1)).flat_map(|_| cases.iter());
        let mut results: Vec<(usize, CaseResult)> = futures::stream::iter(runs.enumerate())
            .map(|(i, case)| async move {
                let result = self.run_case(case).await;
                progress(&result);
                (i, result)
            })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
        results.sort_by_key(|(i, _)| *i);
        results.into_iter().map(|(_, r)| r).collect()
    }

    /// Runs one case.
    pub async fn run_case(&self, case: &Case) -> CaseResult {
        let started = Instant::now();
        let mut checks = Vec::new();
        let mut tokens = 0;
        match self.run_turns(case, &mut checks, &mut tokens).await {
            Ok(()) => {}
            Err(problem) => checks.push(Check {
                name: "case runs".into(),
                passed: false,
                detail: problem,
            }),
        }
        CaseResult {
            name: case.name.clone(),
            description: case.description.clone(),
            passed: !checks.is_empty() && checks.iter().all(|c| c.passed),
            checks,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            tokens,
        }
    }

    async fn run_turns(
        &self,
        case: &Case,
        checks: &mut Vec<Check>,
        tokens: &mut u64,
    ) -> Result<(), String> {
        let workspace = tempfile::tempdir().map_err(|err| format!("temporary workspace: {err}"))?;
        let customer = case
            .customer
            .as_deref()
            .map(CustomerId::parse)
            .transpose()
            .map_err(|err| err.to_string())?;
        if let Some(fixture) = &case.fixture {
            let customer = customer
                .as_ref()
                .ok_or("a fixture needs a customer to copy it to")?;
            let from = self.dir.join("fixtures").join(fixture);
            copy_dir(
                &from,
                &workspace.path().join("customers").join(customer.as_str()),
            )
            .map_err(|err| format!("fixture {}: {err}", from.display()))?;
        }

        let recording = self.recording(case);
        let mut replay = None;
        let mut recorder = None;
        let mut script = None;
        let model: Arc<dyn ChatModel> = match self.mode {
            Mode::Replay => {
                let calls = cassette::read(&recording).map_err(|err| {
                    if err.kind() == std::io::ErrorKind::NotFound {
                        format!(
                            "never recorded: run `pmcoach eval --record {}` with a model configured{}",
                            case.name,
                            if case.script.is_empty() { "" } else { " (or add --from-script to record its authored answers)" }
                        )
                    } else {
                        format!("cannot read the recording: {err}")
                    }
                })?;
                let model = Arc::new(ReplayModel::new(calls));
                replay = Some(Arc::clone(&model));
                model
            }
            Mode::Record { from_script } => {
                let inner: Arc<dyn ChatModel> = if from_script {
                    let model = Arc::new(ScriptModel::new(case.script.clone()));
                    script = Some(Arc::clone(&model));
                    model
                } else {
                    self.live
                        .clone()
                        .ok_or("no model is configured to record against")?
                };
                let model = Arc::new(RecordingModel::new(inner));
                recorder = Some(Arc::clone(&model));
                model
            }
            Mode::Live => self.live.clone().ok_or("no model is configured")?,
        };

        let mut config = self.config.clone();
        config.workspace_dir = workspace.path().to_path_buf();
        if let Some(steps) = case.max_steps {
            config.limits.max_steps = steps;
        }
        let state = app::assemble(&config, &self.loaded, Some(Arc::clone(&model)))
            .map_err(|err| err.to_string())?;

        let mut session_id: Option<String> = None;
        for (i, turn) in case.turns.iter().enumerate() {
            let number = i + 1;
            let before = event_count(&state, customer.as_ref());
            let result = conversation::run_turn(
                &state,
                TurnRequest {
                    message: turn.user.clone(),
                    customer: case.customer.clone(),
                    session_id: session_id.clone(),
                    capability: (i == 0).then(|| case.capability.clone()),
                    history: None,
                    template: None,
                },
            )
            .await;
            match result {
                Ok(result) => {
                    *tokens += result.usage.total_tokens;
                    session_id = Some(result.session_id.clone());
                    let added = new_events(&state, customer.as_ref(), before);
                    checks.extend(grade::grade_turn(number, &turn.expect, &result, &added));
                    if let Some(min) = turn.expect.rubric_min_score {
                        if let Some(capability) = state.capabilities.get(&result.capability) {
                            checks.extend(
                                judge::rubric(
                                    model.as_ref(),
                                    &self.loaded.prompts,
                                    capability,
                                    number,
                                    &turn.user,
                                    &result.reply,
                                    min,
                                )
                                .await,
                            );
                        }
                    }
                }
                Err(err) => {
                    let err = ApiError::from(err);
                    checks.extend(grade::grade_error(
                        number,
                        &turn.expect,
                        err.code(),
                        &err.to_string(),
                    ));
                    if turn.expect.error.is_none() {
                        break;
                    }
                }
            }
        }

        if let Some(replay) = replay {
            if let Some(why) = replay.staleness() {
                checks.push(Check {
                    name: "recording is current".into(),
                    passed: false,
                    detail: format!(
                        "recording is stale: {why}\n    re-record with `pmcoach eval --record {}`",
                        case.name
                    ),
                });
            }
        }
        if let Some(script) = script {
            let left = script.remaining();
            if left > 0 {
                checks.push(Check {
                    name: "script used up".into(),
                    passed: false,
                    detail: format!("{left} authored answer(s) were never asked for"),
                });
            }
        }
        if let Some(recorder) = recorder {
            cassette::write(
                &recording,
                &case.name,
                case.customer.as_deref(),
                &recorder.calls(),
            )
            .map_err(|err| format!("{}: {err}", recording.display()))?;
        }
        Ok(())
    }
}

fn event_count(state: &app::AppState, customer: Option<&CustomerId>) -> usize {
    customer
        .filter(|c| state.workspace.customer_exists(c))
        .and_then(|c| state.workspace.event_log(c).ok())
        .map_or(0, |log| log.events.len())
}

/// Entries the turn added (new ones go first).
fn new_events(state: &app::AppState, customer: Option<&CustomerId>, before: usize) -> Vec<Event> {
    let Some(customer) = customer else {
        return Vec::new();
    };
    let Ok(log) = state.workspace.event_log(customer) else {
        return Vec::new();
    };
    let added = log.events.len().saturating_sub(before);
    log.events.into_iter().take(added).collect()
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Grades recorded session files (as the workspace writes them): the leak
/// check and tool-call health on every turn, and a token budget when given.
pub fn grade_transcripts(dir: &Path, max_tokens: Option<u64>) -> Result<Vec<CaseResult>, String> {
    let mut files = Vec::new();
    collect_jsonl(dir, &mut files).map_err(|err| format!("{}: {err}", dir.display()))?;
    files.sort();
    if files.is_empty() {
        return Err(format!("{}: no .jsonl transcripts found", dir.display()));
    }
    let mut results = Vec::new();
    for path in files {
        let started = Instant::now();
        let text =
            std::fs::read_to_string(&path).map_err(|err| format!("{}: {err}", path.display()))?;
        let transcript = Transcript::parse(&text);
        let mut checks = Vec::new();
        let mut tokens = 0;
        if transcript.unreadable_lines > 0 {
            checks.push(Check {
                name: "every line readable".into(),
                passed: false,
                detail: format!("{} line(s) could not be read", transcript.unreadable_lines),
            });
        }
        for (i, turn) in transcript.turns.iter().enumerate() {
            let number = i + 1;
            tokens += turn.usage.total_tokens;
            let reply = turn
                .messages
                .iter()
                .rev()
                .find_map(|m| match m {
                    crate::model::Message::Assistant {
                        content: Some(c), ..
                    } => Some(c.as_str()),
                    _ => None,
                })
                .unwrap_or_default();
            checks.push(grade::no_leak(number, reply));
            let failed: Vec<&str> = turn
                .tool_calls
                .iter()
                .filter(|c| !c.ok)
                .map(|c| c.name.as_str())
                .collect();
            checks.push(Check {
                name: format!("turn {number}: tool calls succeeded"),
                passed: failed.is_empty(),
                detail: if failed.is_empty() {
                    String::new()
                } else {
                    format!("failed: {failed:?}")
                },
            });
            if let Some(max) = max_tokens {
                checks.push(Check {
                    name: format!("turn {number}: spent at most {max} tokens"),
                    passed: turn.usage.total_tokens <= max,
                    detail: format!("spent {}", turn.usage.total_tokens),
                });
            }
        }
        if transcript.turns.is_empty() {
            checks.push(Check {
                name: "has turns".into(),
                passed: false,
                detail: "no turn could be read".into(),
            });
        }
        results.push(CaseResult {
            name: path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .display()
                .to_string(),
            description: format!("session {}", transcript.session_id),
            passed: checks.iter().all(|c| c.passed),
            checks,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            tokens,
        });
    }
    Ok(results)
}

fn collect_jsonl(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect_jsonl(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "jsonl") {
            out.push(path);
        }
    }
    Ok(())
}
