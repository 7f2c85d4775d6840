//! Grading recorded session files instead of running cases (`eval --transcripts DIR`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::grade::{self, Check};
use super::report::millis_since;
use super::run::CaseResult;
use crate::model::Message;
use crate::session::TurnRecord;
use crate::workspace::Transcript;

/// Grades recorded session files (as the workspace writes them): the leak
/// check and tool-call health on every turn, and a token budget when given.
pub fn grade_transcripts(dir: &Path, max_tokens: Option<u64>) -> Result<Vec<CaseResult>, String> {
    let mut files = Vec::new();
    collect_jsonl(dir, &mut files).map_err(|err| format!("{}: {err}", dir.display()))?;
    files.sort();
    if files.is_empty() {
        return Err(format!("{}: no .jsonl transcripts found", dir.display()));
    }
    files
        .iter()
        .map(|path| grade_file(dir, path, max_tokens))
        .collect()
}

/// One result per transcript file, named by its path under `dir`.
fn grade_file(dir: &Path, path: &Path, max_tokens: Option<u64>) -> Result<CaseResult, String> {
    let started = Instant::now();
    let text = std::fs::read_to_string(path).map_err(|err| format!("{}: {err}", path.display()))?;
    let transcript = Transcript::parse(&text);
    let mut checks = Vec::new();
    if transcript.unreadable_lines > 0 {
        checks.push(Check {
            name: "every line readable".into(),
            passed: false,
            detail: format!("{} line(s) could not be read", transcript.unreadable_lines),
        });
    }
    for (i, turn) in transcript.turns.iter().enumerate() {
        checks.extend(grade_turn(i + 1, turn, max_tokens));
    }
    if transcript.turns.is_empty() {
        checks.push(Check {
            name: "has turns".into(),
            passed: false,
            detail: "no turn could be read".into(),
        });
    }
    Ok(CaseResult {
        name: path.strip_prefix(dir).unwrap_or(path).display().to_string(),
        description: format!("session {}", transcript.session_id),
        passed: checks.iter().all(|c| c.passed),
        checks,
        duration_ms: millis_since(started),
        tokens: transcript.turns.iter().map(|t| t.usage.total_tokens).sum(),
    })
}

/// A recorded turn's checks: no leak, every tool call succeeded, and the
/// token budget when there is one.
fn grade_turn(number: usize, turn: &TurnRecord, max_tokens: Option<u64>) -> Vec<Check> {
    let failed: Vec<&str> = turn
        .tool_calls
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.name.as_str())
        .collect();
    let mut checks = vec![
        grade::no_leak(number, last_reply(turn)),
        Check {
            name: format!("turn {number}: tool calls succeeded"),
            passed: failed.is_empty(),
            detail: if failed.is_empty() {
                String::new()
            } else {
                format!("failed: {failed:?}")
            },
        },
    ];
    if let Some(max) = max_tokens {
        checks.push(Check {
            name: format!("turn {number}: spent at most {max} tokens"),
            passed: turn.usage.total_tokens <= max,
            detail: format!("spent {}", turn.usage.total_tokens),
        });
    }
    checks
}

/// The text of the turn's last assistant message (empty when there is none).
fn last_reply(turn: &TurnRecord) -> &str {
    turn.messages
        .iter()
        .rev()
        .find_map(|m| match m {
            Message::Assistant {
                content: Some(c), ..
            } => Some(c.as_str()),
            _ => None,
        })
        .unwrap_or_default()
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
