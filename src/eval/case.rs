//! An eval case: `evals/cases/<name>.toml`. Which capability, which customer
//! fixture, the user's turns, and what each turn is expected to do. See
//! evals/README.md for the format.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A case as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Its name: the file stem (set by the loader).
    #[serde(skip)]
    pub name: String,
    /// Where it was read from.
    #[serde(skip)]
    pub path: PathBuf,
    /// What it checks, in a sentence.
    pub description: String,
    /// Capability id, or `auto` to route.
    pub capability: String,
    /// The customer the conversation is about.
    #[serde(default)]
    pub customer: Option<String>,
    /// A folder under `evals/fixtures/` copied in as that customer's documents.
    #[serde(default)]
    pub fixture: Option<String>,
    /// Free labels (`reframing`, `template`, `bad-model`...).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Step limit for this case (the service default when absent).
    #[serde(default)]
    pub max_steps: Option<usize>,
    /// The server's date for this case (default [`EVAL_TODAY`]): recordings
    /// hold what is overdue and due, so every case runs on a fixed day.
    #[serde(default)]
    pub today: Option<jiff::civil::Date>,
    /// The conversation.
    pub turns: Vec<Turn>,
    /// Authored model answers, used only by `pmcoach eval --record --from-script`
    /// (cases recorded where no live model is reachable).
    #[serde(default)]
    pub script: Vec<ScriptStep>,
}

/// The day every case runs on unless it sets `today`.
pub const EVAL_TODAY: jiff::civil::Date = jiff::civil::date(2026, 11, 30);

/// One user turn and its expectations.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Turn {
    /// What the user says.
    pub user: String,
    /// What must hold afterwards.
    #[serde(default)]
    pub expect: Expect,
}

/// Expectations on one turn. Every one given must hold.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The turn fails with this error code (`model_error`, `upstream_error`...).
    #[serde(default)]
    pub error: Option<String>,
    /// The capability that must answer (after routing).
    #[serde(default)]
    pub capability: Option<String>,
    /// Substrings the reply must contain (case-insensitive).
    #[serde(default)]
    pub reply_contains: Vec<String>,
    /// Substrings the reply must not contain (case-insensitive).
    #[serde(default)]
    pub reply_not_contains: Vec<String>,
    /// A regular expression the reply must match.
    #[serde(default)]
    pub reply_matches: Option<String>,
    /// Tools that must have been called, successfully.
    #[serde(default)]
    pub tools_called: Vec<String>,
    /// Tools that must not have been called.
    #[serde(default)]
    pub tools_not_called: Vec<String>,
    /// Tools whose call must have failed (and been recovered from).
    #[serde(default)]
    pub tools_failed: Vec<String>,
    /// Templates that must have been filled, with field values (dot paths).
    #[serde(default)]
    pub templates: Vec<TemplateExpect>,
    /// Events that must have been logged in the customer's event log.
    #[serde(default)]
    pub events: Vec<EventExpect>,
    /// Most tokens the turn may spend.
    #[serde(default)]
    pub max_total_tokens: Option<u64>,
    /// Score the reply with the LLM judge against the capability's quality
    /// standards; every standard must reach this score (1-5).
    #[serde(default)]
    pub rubric_min_score: Option<u8>,
}

/// A template expected to be filled.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateExpect {
    /// Template id.
    pub id: String,
    /// `dot.path = value` pairs the filled fields must have.
    #[serde(default)]
    pub fields: BTreeMap<String, toml::Value>,
    /// Whether the document must have been saved to the customer's artifacts.
    #[serde(default)]
    pub saved: bool,
}

/// An event expected in the customer's event log after the turn.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventExpect {
    /// Work category (`Strategic`, ...).
    #[serde(default)]
    pub category: Option<String>,
    /// Event type (`Meeting`, ...).
    #[serde(default)]
    pub event_type: Option<String>,
    /// A substring of the title (case-insensitive).
    #[serde(default)]
    pub title_contains: Option<String>,
}

/// One authored model answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptStep {
    /// Text answer.
    #[serde(default)]
    pub text: Option<String>,
    /// Tool calls.
    #[serde(default)]
    pub tool_calls: Vec<ScriptCall>,
    /// An upstream failure with this HTTP status.
    #[serde(default)]
    pub error_status: Option<u16>,
}

/// An authored tool call.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptCall {
    /// Tool name.
    pub name: String,
    /// Arguments as JSON text (may be deliberately malformed).
    pub arguments: String,
}

/// A case file that cannot be used: its path, and the line when known.
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct CaseError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl Case {
    /// Reads and checks one case file.
    pub fn load(path: &Path) -> Result<Case, CaseError> {
        let error = |line, message: String| CaseError {
            path: path.to_path_buf(),
            line,
            message,
        };
        let text = std::fs::read_to_string(path)
            .map_err(|err| error(None, format!("cannot read: {err}")))?;
        let mut case: Case = toml::from_str(&text).map_err(|err| {
            let line = err
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            error(line, err.message().to_string())
        })?;
        case.name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        case.path = path.to_path_buf();
        case.check().map_err(|message| error(None, message))?;
        Ok(case)
    }

    /// What the format cannot say: at least one turn, none empty, valid
    /// patterns and scores, and one kind of answer per script step.
    fn check(&self) -> Result<(), String> {
        if self.turns.is_empty() {
            return Err("a case needs at least one [[turns]]".into());
        }
        for (i, turn) in self.turns.iter().enumerate() {
            turn.check(i)?;
        }
        for (i, step) in self.script.iter().enumerate() {
            step.check(i)?;
        }
        Ok(())
    }

    /// Every `*.toml` under `dir`, sorted by name; all problems at once.
    pub fn load_dir(dir: &Path) -> Result<Vec<Case>, Vec<CaseError>> {
        let entries = std::fs::read_dir(dir).map_err(|err| {
            vec![CaseError {
                path: dir.to_path_buf(),
                line: None,
                message: format!("cannot read: {err}"),
            }]
        })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        paths.sort();
        let mut cases = Vec::new();
        let mut errors = Vec::new();
        for path in paths {
            match Case::load(&path) {
                Ok(case) => cases.push(case),
                Err(err) => errors.push(err),
            }
        }
        if errors.is_empty() {
            Ok(cases)
        } else {
            Err(errors)
        }
    }
}

impl Turn {
    /// The user says something, and the expectations can be checked.
    fn check(&self, i: usize) -> Result<(), String> {
        if self.user.trim().is_empty() {
            return Err(format!("turns[{i}].user is empty"));
        }
        if let Some(pattern) = &self.expect.reply_matches {
            regex::Regex::new(pattern)
                .map_err(|err| format!("turns[{i}].expect.reply_matches: {err}"))?;
        }
        if self
            .expect
            .rubric_min_score
            .is_some_and(|s| !(1..=5).contains(&s))
        {
            return Err(format!("turns[{i}].expect.rubric_min_score must be 1-5"));
        }
        Ok(())
    }
}

impl ScriptStep {
    /// Exactly one kind of answer.
    fn check(&self, i: usize) -> Result<(), String> {
        let kinds = usize::from(self.text.is_some())
            + usize::from(!self.tool_calls.is_empty())
            + usize::from(self.error_status.is_some());
        if kinds == 1 {
            Ok(())
        } else {
            Err(format!(
                "script[{i}] needs exactly one of text, tool_calls, error_status"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::Builder::new()
            .suffix(".toml")
            .tempfile()
            .expect("temp");
        std::fs::write(file.path(), text).expect("write");
        file
    }

    #[test]
    fn a_valid_case_loads() {
        let file = write(
            "description = \"d\"\ncapability = \"strategic-pm-coach\"\n[[turns]]\nuser = \"hi\"\n[turns.expect]\nreply_contains = [\"x\"]\n[[script]]\ntext = \"x\"\n",
        );
        let case = Case::load(file.path()).expect("valid");
        assert_eq!(case.turns[0].expect.reply_contains, ["x"]);
        assert!(!case.name.is_empty());
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let file = write(
            "description = \"d\"\ncapability = \"c\"\n\n[[turns]]\nuser = \"hi\"\nexpct = 3\n",
        );
        let err = Case::load(file.path()).expect_err("unknown key");
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("{}:6:", file.path().display())),
            "{text}"
        );
        assert!(text.contains("expct"), "{text}");

        let file = write("description = \"d\"\ncapability = \"c\"\nturns = []\n");
        assert!(
            Case::load(file.path())
                .expect_err("no turns")
                .to_string()
                .contains("[[turns]]")
        );

        let file = write(
            "description = \"d\"\ncapability = \"c\"\n[[turns]]\nuser = \"u\"\n[turns.expect]\nreply_matches = \"(\"\n",
        );
        assert!(
            Case::load(file.path())
                .expect_err("bad regex")
                .to_string()
                .contains("reply_matches")
        );
    }
}
