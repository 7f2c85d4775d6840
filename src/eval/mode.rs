//! Where a case's answers come from: the [`Mode`] and the model it gives each case.
//!
//! Once the case is over the mode settles it: a stale recording or an unused
//! script fails it, and a recording is written.

use std::path::PathBuf;
use std::sync::Arc;

use super::case::Case;
use super::cassette;
use super::grade::Check;
use super::models::{RecordingModel, ReplayModel, ScriptModel};
use crate::model::ChatModel;

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

/// The model one case talks to, and what to settle after the case.
pub(super) struct CaseModel {
    /// What the case's conversation (and the judge) calls.
    pub(super) model: Arc<dyn ChatModel>,
    afterwards: Afterwards,
}

/// What the mode leaves to do once the case has run.
enum Afterwards {
    /// Check that the recording still fits.
    CheckReplay(Arc<ReplayModel>),
    /// Check that the script was used up (when it was the model), then write
    /// the recording.
    WriteRecording {
        recorder: Arc<RecordingModel>,
        script: Option<Arc<ScriptModel>>,
        path: PathBuf,
    },
    /// Nothing.
    Nothing,
}

impl CaseModel {
    /// The model `mode` gives `case`: a replay of its recording at `recording`,
    /// a recorder around its script or the live model, or the live model.
    pub(super) fn choose(
        mode: Mode,
        case: &Case,
        recording: PathBuf,
        live: Option<&Arc<dyn ChatModel>>,
    ) -> Result<Self, String> {
        match mode {
            Mode::Replay => Self::replay(case, &recording),
            Mode::Record { from_script } => {
                let (inner, script) = if from_script {
                    let script = Arc::new(ScriptModel::new(case.script.clone()));
                    (Arc::clone(&script) as Arc<dyn ChatModel>, Some(script))
                } else {
                    let live = live.ok_or("no model is configured to record against")?;
                    (Arc::clone(live), None)
                };
                Ok(Self::record(inner, script, recording))
            }
            Mode::Live => Ok(Self {
                model: Arc::clone(live.ok_or("no model is configured")?),
                afterwards: Afterwards::Nothing,
            }),
        }
    }

    fn replay(case: &Case, recording: &std::path::Path) -> Result<Self, String> {
        let calls = cassette::read(recording).map_err(|err| {
            if err.kind() == std::io::ErrorKind::NotFound {
                never_recorded(case)
            } else {
                format!("cannot read the recording: {err}")
            }
        })?;
        let replay = Arc::new(ReplayModel::new(calls));
        Ok(Self {
            model: Arc::clone(&replay) as Arc<dyn ChatModel>,
            afterwards: Afterwards::CheckReplay(replay),
        })
    }

    fn record(inner: Arc<dyn ChatModel>, script: Option<Arc<ScriptModel>>, path: PathBuf) -> Self {
        let recorder = Arc::new(RecordingModel::new(inner));
        Self {
            model: Arc::clone(&recorder) as Arc<dyn ChatModel>,
            afterwards: Afterwards::WriteRecording {
                recorder,
                script,
                path,
            },
        }
    }

    /// Adds the checks the mode makes once `case` has run (the recording is
    /// current, the script was used up) and writes the recording when recording.
    pub(super) fn settle(self, case: &Case, checks: &mut Vec<Check>) -> Result<(), String> {
        match self.afterwards {
            Afterwards::CheckReplay(replay) => {
                checks.extend(replay.staleness().map(|why| stale(case, &why)));
                Ok(())
            }
            Afterwards::WriteRecording {
                recorder,
                script,
                path,
            } => {
                checks.extend(script.and_then(|script| unused_script(script.remaining())));
                cassette::write(
                    &path,
                    &case.name,
                    case.customer.as_deref(),
                    &recorder.calls(),
                )
                .map_err(|err| format!("{}: {err}", path.display()))
            }
            Afterwards::Nothing => Ok(()),
        }
    }
}

/// Why a case without a recording cannot be replayed, and how to record it.
fn never_recorded(case: &Case) -> String {
    format!(
        "never recorded: run `pmcoach eval --record {}` with a model configured{}",
        case.name,
        if case.script.is_empty() {
            ""
        } else {
            " (or add --from-script to record its authored answers)"
        }
    )
}

fn stale(case: &Case, why: &str) -> Check {
    Check {
        name: "recording is current".into(),
        passed: false,
        detail: format!(
            "recording is stale: {why}\n    re-record with `pmcoach eval --record {}`",
            case.name
        ),
    }
}

/// A failed check when `left` authored answers were never asked for.
fn unused_script(left: usize) -> Option<Check> {
    (left > 0).then(|| Check {
        name: "script used up".into(),
        passed: false,
        detail: format!("{left} authored answer(s) were never asked for"),
    })
}
