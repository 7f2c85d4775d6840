//! The Growth Advisor's store for the PM themself, not a customer:
//! `<workspace>/growth/commitments.md` and `growth/events.md`. Only a caller
//! whose key covers every customer gets a handle (the agent decides, see
//! `Turn::practice`); writes are serialized under a lock of their own.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use super::growth_commitments::{
    self as commitments, Commitment, CommitmentUpdate, HEADER, HEADING,
};
use super::markdown::one_line;
use super::{Workspace, WorkspaceError, table_file};

/// The folder under the workspace root.
pub const GROWTH_DIR: &str = "growth";
const COMMITMENTS_FILE: &str = "commitments.md";
const EVENTS_FILE: &str = "events.md";
/// The lock key: no customer id can contain a `/`.
const LOCK_KEY: &str = "growth/";
const COMMITMENTS_TITLE: &str = "# Growth Commitments\n\nThe PM's own commitments from Growth Advisor sessions. \
     pmcoach appends and updates rows; edit freely.";

/// A session for the growth log.
#[derive(Debug, Clone)]
pub struct GrowthSession {
    /// YYYY-MM-DD.
    pub date: String,
    /// The session type (Quarterly Review, Feedback, ...).
    pub session_type: String,
    /// A brief title.
    pub title: String,
    /// What was found and agreed.
    pub summary: String,
}

/// The growth store of a caller allowed to see the whole practice.
#[derive(Debug, Clone, Copy)]
pub struct GrowthDocs<'a> {
    workspace: &'a Arc<Workspace>,
}

impl<'a> GrowthDocs<'a> {
    /// The store in `workspace`.
    pub fn new(workspace: &'a Arc<Workspace>) -> Self {
        Self { workspace }
    }

    /// The commitments, oldest first.
    pub fn commitments(&self) -> Result<Vec<Commitment>, WorkspaceError> {
        let ws = self.workspace;
        Ok(commitments::parse(
            &ws.read_optional(&ws.growth_file(COMMITMENTS_FILE)?)?,
        ))
    }

    /// Records a new Open commitment; returns it.
    pub async fn add_commitment(
        &self,
        commitment: String,
        due: String,
        today: String,
    ) -> Result<Commitment, WorkspaceError> {
        self.workspace
            .growth_locked(move |ws| {
                let path = ws.growth_file(COMMITMENTS_FILE)?;
                let text = ws.read_optional(&path)?;
                let new = Commitment {
                    id: commitments::next_id(&commitments::parse(&text)),
                    commitment,
                    due,
                    status: "Open".into(),
                    notes: format!("{today}: Open"),
                };
                let text = table_file::append_row(
                    &text,
                    COMMITMENTS_TITLE,
                    HEADING,
                    &HEADER,
                    &new.cells(),
                );
                ws.write(&path, &text)?;
                Ok(new)
            })
            .await
    }

    /// Changes a commitment's status; the outer error is I/O, the inner one
    /// why the change is refused (an unknown id, a miss rewritten).
    pub async fn update_commitment(
        &self,
        update: CommitmentUpdate,
    ) -> Result<Result<Commitment, String>, WorkspaceError> {
        let today = self.workspace.clock().today();
        self.workspace
            .growth_locked(move |ws| {
                let path = ws.growth_file(COMMITMENTS_FILE)?;
                let text = ws.read_optional(&path)?;
                let Some(found) = commitments::parse(&text)
                    .into_iter()
                    .find(|c| c.id.eq_ignore_ascii_case(&update.id))
                else {
                    return Ok(Err(format!(
                        "no commitment {:?} in growth/commitments.md",
                        update.id
                    )));
                };
                let id = found.id.clone();
                let changed = match commitments::apply(found, &update, today) {
                    Ok(changed) => changed,
                    Err(refused) => return Ok(Err(refused)),
                };
                let same = |cells: &[String]| cells.first().is_some_and(|c| *c == id);
                if let Some(text) = table_file::replace_row(&text, HEADING, same, &changed.cells())
                {
                    ws.write(&path, &text)?;
                }
                Ok(Ok(changed))
            })
            .await
    }

    /// Adds a session entry to growth/events.md, newest first.
    pub async fn log_session(&self, session: GrowthSession) -> Result<(), WorkspaceError> {
        self.workspace
            .growth_locked(move |ws| {
                let path = ws.growth_file(EVENTS_FILE)?;
                let text = ws.read_optional(&path)?;
                ws.write(&path, &insert_entry(&text, &session))
            })
            .await
    }

    /// What the Growth Advisor reads first: open commitments, the others'
    /// statuses, and the latest session headings; `None` when nothing is stored.
    pub fn context(&self) -> Result<Option<String>, WorkspaceError> {
        let ws = self.workspace;
        let all = self.commitments()?;
        let events = ws.read_optional(&ws.growth_file(EVENTS_FILE)?)?;
        let headings: Vec<&str> = events
            .lines()
            .filter(|l| l.starts_with("### "))
            .take(5)
            .collect();
        if all.is_empty() && headings.is_empty() {
            return Ok(None);
        }
        let mut out = String::from("### Commitments (growth/commitments.md)\n");
        if all.is_empty() {
            out.push_str("- None recorded yet.\n");
        }
        let (open, closed): (Vec<_>, Vec<_>) = all.iter().partition(|c| c.is_open());
        for c in open.iter().chain(closed.iter().rev().take(10)) {
            let _ = writeln!(
                out,
                "- {} {} (due {}): {}",
                c.id, c.commitment, c.due, c.status
            );
        }
        if !headings.is_empty() {
            out.push_str("\n### Latest sessions (growth/events.md)\n");
            for heading in headings {
                let _ = writeln!(out, "- {}", heading.trim_start_matches("### "));
            }
        }
        Ok(Some(out))
    }
}

/// `text` with the session's entry before the first entry heading.
fn insert_entry(text: &str, session: &GrowthSession) -> String {
    let entry = format!(
        "### [{}] {}: {}\n**Summary**: {}\n\n",
        session.date,
        one_line(&session.session_type),
        one_line(&session.title),
        one_line(&session.summary)
    );
    let mut text = if text.trim().is_empty() {
        "# Growth Events Log\n\n".to_string()
    } else {
        text.to_string()
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let at = text
        .match_indices("### ")
        .map(|(i, _)| i)
        .find(|i| *i == 0 || text.as_bytes()[i - 1] == b'\n')
        .unwrap_or(text.len());
    if at == text.len() && !text.ends_with("\n\n") {
        text.push('\n');
    }
    let at = at.min(text.len());
    text.insert_str(at, &entry);
    text
}

impl Workspace {
    /// A file in `growth/` (the folder made on first use), checked not to be a link.
    fn growth_file(&self, name: &str) -> Result<PathBuf, WorkspaceError> {
        let dir = self.checked(&self.root.join(GROWTH_DIR))?;
        std::fs::create_dir_all(&dir).map_err(self.io(&dir))?;
        self.checked(&dir.join(name))
    }

    /// Runs `work` under the growth store's lock, on a blocking thread.
    async fn growth_locked<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&Workspace) -> Result<T, WorkspaceError> + Send + 'static,
    ) -> Result<T, WorkspaceError> {
        let guard = self.locks.lock(LOCK_KEY).await;
        let workspace = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _guard = guard;
            work(&workspace)
        })
        .await
        .map_err(|err| WorkspaceError::Io {
            path: GROWTH_DIR.to_string(),
            source: std::io::Error::other(err),
        })?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_go_first_and_hand_written_text_stays() {
        let session = |title: &str| GrowthSession {
            date: "2026-11-30".into(),
            session_type: "Quarterly Review".into(),
            title: title.into(),
            summary: "Checked commitments".into(),
        };
        let text = insert_entry("", &session("First"));
        assert!(
            text.starts_with("# Growth Events Log\n\n### [2026-11-30] Quarterly Review: First\n")
        );
        let edited = format!("{text}My own note.\n");
        let next = insert_entry(&edited, &session("Second"));
        assert!(next.find("Second").expect("second") < next.find("First").expect("first"));
        assert!(next.ends_with("My own note.\n"));
    }
}
