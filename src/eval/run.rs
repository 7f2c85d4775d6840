//! Running cases: each in its own workspace, turn by turn, graded as it goes.
//!
//! A case talks to the model its mode gives it, through the same conversation
//! service the server uses.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use serde::Serialize;

use super::case::{Case, Turn};
use super::grade::{self, Check};
use super::judge;
use super::mode::{CaseModel, Mode};
use super::report::millis_since;
use super::sandbox::Sandbox;
use crate::access::Caller;
use crate::app::{self, AppState, Loaded};
use crate::config::Config;
use crate::conversation::{self, TurnRequest, TurnResult};
use crate::http::ApiError;
use crate::model::ChatModel;
use crate::workspace::event_log::Event;

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

/// The context window a replayed case is fitted to when no model is
/// configured: a hosted model's.
pub const REPLAY_CONTEXT_WINDOW: usize = 128_000;

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

/// The checks and tokens of a case so far.
#[derive(Default)]
struct Tally {
    checks: Vec<Check>,
    tokens: u64,
}

/// One case being run: the service it talks to and the workspace under it.
struct CaseRun<'a> {
    case: &'a Case,
    state: AppState,
    sandbox: Sandbox,
    model: &'a dyn ChatModel,
    loaded: &'a Loaded,
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
        let mut tally = Tally::default();
        if let Err(problem) = self.run_turns(case, &mut tally).await {
            tally.checks.push(Check {
                name: "case runs".into(),
                passed: false,
                detail: problem,
            });
        }
        CaseResult {
            name: case.name.clone(),
            description: case.description.clone(),
            passed: !tally.checks.is_empty() && tally.checks.iter().all(|c| c.passed),
            checks: tally.checks,
            duration_ms: millis_since(started),
            tokens: tally.tokens,
        }
    }

    /// Sets the case up, plays its turns, and settles its model; an error is a
    /// problem that kept the case from running to the end.
    async fn run_turns(&self, case: &Case, tally: &mut Tally) -> Result<(), String> {
        let sandbox = Sandbox::new(&self.dir, case)?;
        let chosen = CaseModel::choose(self.mode, case, self.recording(case), self.live.as_ref())?;
        let state = self.assemble(case, &sandbox, &chosen.model)?;
        let run = CaseRun {
            case,
            state,
            sandbox,
            model: chosen.model.as_ref(),
            loaded: &self.loaded,
        };
        run.play(tally).await;
        chosen.settle(case, &mut tally.checks)
    }

    /// The service for one case: the suite's configuration with the case's
    /// workspace and step limit, talking to `model`.
    fn assemble(
        &self,
        case: &Case,
        sandbox: &Sandbox,
        model: &Arc<dyn ChatModel>,
    ) -> Result<AppState, String> {
        let mut config = self.config.clone();
        config.workspace_dir = sandbox.path().to_path_buf();
        config.today = Some(case.today.unwrap_or(super::case::EVAL_TODAY));
        if let Some(steps) = case.max_steps {
            config.limits.max_steps = steps;
        }
        if config.model.resolved_model().is_none() {
            // Replays and authored scripts stand for a hosted model: counted
            // and windowed as one, unless the configuration says otherwise.
            config
                .model
                .context_window
                .get_or_insert(REPLAY_CONTEXT_WINDOW);
            config
                .model
                .encoding
                .get_or_insert_with(|| "o200k".to_string());
        }
        app::assemble(&config, &self.loaded, Some(Arc::clone(model))).map_err(|err| err.to_string())
    }
}

impl CaseRun<'_> {
    /// Plays the turns in one session, grading each; stops after a turn that
    /// failed when it was not expected to.
    async fn play(&self, tally: &mut Tally) {
        let mut session_id: Option<String> = None;
        for (i, turn) in self.case.turns.iter().enumerate() {
            let number = i + 1;
            let before = self.sandbox.event_count(&self.state);
            let request = self.request(i, turn, session_id.clone());
            match conversation::run_turn(&self.state, request).await {
                Ok(result) => {
                    tally.tokens += result.usage.total_tokens;
                    session_id = Some(result.session_id.clone());
                    let added = self.sandbox.new_events(&self.state, before);
                    let checks = self.grade_answer(number, turn, &result, &added).await;
                    tally.checks.extend(checks);
                }
                Err(err) => {
                    let err = ApiError::from(err);
                    let checks =
                        grade::grade_error(number, &turn.expect, err.code(), &err.to_string());
                    tally.checks.extend(checks);
                    if turn.expect.error.is_none() {
                        break;
                    }
                }
            }
        }
    }

    /// The request for turn `i` (from 0): the first names the case's capability,
    /// later ones continue the session.
    fn request(&self, i: usize, turn: &Turn, session_id: Option<String>) -> TurnRequest {
        TurnRequest {
            caller: Caller::local(),
            store: true,
            message: turn.user.clone(),
            customer: self.case.customer.clone(),
            session_id,
            capability: (i == 0).then(|| self.case.capability.clone()),
            history: None,
            keep_history: false,
            instructions: None,
            template: None,
            options: Default::default(),
        }
    }

    /// An answered turn's checks: its expectations, then the judge's scores
    /// when the turn asks for them.
    async fn grade_answer(
        &self,
        number: usize,
        turn: &Turn,
        result: &TurnResult,
        added: &[Event],
    ) -> Vec<Check> {
        let mut checks = grade::grade_turn(number, &turn.expect, result, added);
        let Some(min) = turn.expect.rubric_min_score else {
            return checks;
        };
        if let Some(capability) = self.state.capabilities.get(&result.capability) {
            checks.extend(
                judge::rubric(
                    self.model,
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
        checks
    }
}
