//! Session transcripts: `customers/<id>/sessions/<session>.jsonl` (or
//! `sessions/<session>.jsonl` at the root for sessions without a customer), one
//! JSON object per line: a `session` header, then one `turn` per finished turn.
//! The file is the session: a restarted server resumes from it, and offline evals
//! replay it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::session_cache::{MAX_CACHED_BYTES, SessionCache};
use super::{CustomerId, SESSIONS_DIR, SessionId, Workspace, WorkspaceError};
use crate::access::Caller;
use crate::session::{Session, SessionStore, StoreError, TurnRecord};

/// Version of the transcript line format.
pub const TRANSCRIPT_VERSION: u32 = 2;

/// The first line of a transcript (and of an eval cassette).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionHeader {
    /// Format version.
    pub version: u32,
    /// The session id.
    pub session_id: String,
    /// The customer, if any.
    #[serde(default)]
    pub customer: Option<String>,
    /// When the session started.
    pub created_at: String,
}

/// One line of a transcript file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Line {
    /// The first line.
    Session(SessionHeader),
    /// A finished turn.
    Turn(Box<TurnRecord>),
    /// A line of a type this reader does not know (an eval cassette's
    /// `model_call`, or a later version's): skipped.
    #[serde(other)]
    Other,
}

/// A transcript as read back.
#[derive(Debug, Clone, Serialize)]
pub struct Transcript {
    /// The session id.
    pub session_id: String,
    /// The customer, if any.
    pub customer: Option<String>,
    /// When it started.
    pub created_at: Option<String>,
    /// Its turns, in order.
    pub turns: Vec<TurnRecord>,
    /// Lines that could not be read (hand edits, or a torn tail not yet repaired).
    pub unreadable_lines: usize,
}

impl Transcript {
    /// Reads a transcript's text.
    pub fn parse(text: &str) -> Self {
        let mut transcript = Transcript {
            session_id: String::new(),
            customer: None,
            created_at: None,
            turns: Vec::new(),
            unreadable_lines: 0,
        };
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            match serde_json::from_str::<Line>(line) {
                Ok(Line::Session(header)) => {
                    transcript.session_id = header.session_id;
                    transcript.customer = header.customer;
                    transcript.created_at = Some(header.created_at);
                }
                Ok(Line::Turn(turn)) => transcript.turns.push(*turn),
                Ok(Line::Other) => {}
                Err(_) => transcript.unreadable_lines += 1,
            }
        }
        transcript
    }

    /// Whether `caller` may read it: only the key that started the session,
    /// or an admin key (the customer's scope is checked before).
    pub fn readable_by(&self, caller: &Caller) -> bool {
        self.turns
            .first()
            .and_then(|turn| turn.key.as_deref())
            .is_none_or(|owner| owner == caller.name || caller.admin)
    }

    /// The conversation the turns add up to.
    pub fn to_session(&self, id: &str) -> Option<Session> {
        let first = self.turns.first()?;
        let mut session = Session::new(id, first);
        session.customer = self.customer.clone().or_else(|| first.customer.clone());
        for turn in &self.turns {
            session.apply(turn);
        }
        Some(session)
    }
}

impl Workspace {
    /// `<customer>/sessions/<id>.jsonl` (or `sessions/<id>.jsonl`), refusing a
    /// path through a symbolic link.
    pub(super) fn transcript_path(
        &self,
        customer: Option<&CustomerId>,
        session: &SessionId,
    ) -> Result<PathBuf, WorkspaceError> {
        let dir = match customer {
            Some(customer) => self.customer_dir(customer).join(SESSIONS_DIR),
            None => self.root.join(SESSIONS_DIR),
        };
        self.checked(&dir.join(format!("{}.jsonl", session.as_str())))
    }

    /// Whether a cached session's file is still where it was written: not
    /// removed, nor behind a link planted since (a few `lstat`s, no read).
    fn transcript_still_there(&self, customer: Option<&str>, session: &SessionId) -> bool {
        let Ok(customer) = customer.map(CustomerId::parse).transpose() else {
            return false;
        };
        self.transcript_path(customer.as_ref(), session)
            .is_ok_and(|path| path.is_file())
    }

    /// Finds a session's file: at the root, or in some customer's folder.
    fn find_transcript(&self, session: &SessionId) -> Result<Option<PathBuf>, WorkspaceError> {
        let global = self.transcript_path(None, session)?;
        if global.is_file() {
            return Ok(Some(global));
        }
        for customer in self.customers()? {
            // A folder with a planted link is skipped, not followed.
            let Ok(path) = self.transcript_path(Some(&customer), session) else {
                continue;
            };
            if path.is_file() {
                return Ok(Some(path));
            }
        }
        Ok(None)
    }

    /// A customer's session transcript.
    pub fn transcript(
        &self,
        customer: &CustomerId,
        session: &SessionId,
    ) -> Result<Option<Transcript>, WorkspaceError> {
        self.existing(customer)?;
        let path = self.transcript_path(Some(customer), session)?;
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(Transcript::parse(&text))),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(self.io(&path)(err)),
        }
    }

    /// Appends a turn to its session's file, writing the header first for a new
    /// session; returns once the turn is on disk. Appends to other sessions are
    /// not held up (turns of one session are already one at a time), and
    /// concurrent appends to one file share a sync. Says whether the turn
    /// started the session's file.
    pub async fn append_turn(
        self: &Arc<Self>,
        session: &SessionId,
        turn: &TurnRecord,
    ) -> Result<bool, WorkspaceError> {
        let customer = turn
            .customer
            .as_deref()
            .map(CustomerId::parse)
            .transpose()?;
        let path = self.transcript_path(customer.as_ref(), session)?;
        let header = Line::Session(SessionHeader {
            version: TRANSCRIPT_VERSION,
            session_id: session.to_string(),
            customer: customer.as_ref().map(ToString::to_string),
            created_at: turn.started_at.clone(),
        });
        let header = self.encode(&path, &header)?;
        let line = self.encode(&path, &Line::Turn(Box::new(turn.clone())))?;
        self.append_line(customer.as_ref(), &path, Some(header), line, turn)
            .await
    }

    /// A transcript line as JSON.
    pub(super) fn encode(&self, path: &Path, line: &Line) -> Result<String, WorkspaceError> {
        serde_json::to_string(line).map_err(|err| self.io(path)(std::io::Error::other(err)))
    }

    /// Appends `line` to `path` through the group commit and counts `turn` in
    /// the ledger, sharing the customer's key with its other appends; says
    /// whether it started the file.
    pub(super) async fn append_line(
        self: &Arc<Self>,
        customer: Option<&CustomerId>,
        path: &Path,
        header: Option<String>,
        line: String,
        turn: &TurnRecord,
    ) -> Result<bool, WorkspaceError> {
        let _shared = match customer {
            Some(customer) => {
                self.ensure_sessions_folder(customer).await?;
                Some(self.appending.read(customer.as_str()).await)
            }
            None => None,
        };
        let started = self
            .commits
            .append(path, header, line, self.take_fault())
            .await
            .map_err(self.io(path))?;
        if let Some(customer) = customer {
            self.ledger.record(customer, turn);
        }
        Ok(started)
    }
}

/// Sessions kept as transcript files in the workspace, and in memory while
/// they are used (see `session_cache`).
#[derive(Debug, Clone)]
pub struct FileSessions {
    workspace: Arc<Workspace>,
    cache: Arc<SessionCache>,
}

impl FileSessions {
    /// Sessions in `workspace`.
    pub fn new(workspace: Arc<Workspace>) -> Self {
        Self {
            workspace,
            cache: Arc::new(SessionCache::new(MAX_CACHED_BYTES)),
        }
    }
}

#[async_trait]
impl SessionStore for FileSessions {
    async fn get(&self, id: &str) -> Result<Option<Session>, StoreError> {
        let Ok(session) = SessionId::parse(id) else {
            return Ok(None);
        };
        if let Some(cached) = self.cache.get(id) {
            if self
                .workspace
                .transcript_still_there(cached.customer.as_deref(), &session)
            {
                return Ok(Some(cached));
            }
            self.cache.forget(id);
        }
        let mark = self.cache.mark();
        let Some(path) = self
            .workspace
            .find_transcript(&session)
            .map_err(|err| StoreError(err.to_string()))?
        else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|err| StoreError(self.workspace.io(&path)(err).to_string()))?;
        let read = Transcript::parse(&text).to_session(id);
        if let Some(read) = &read {
            self.cache.insert_read(read.clone(), mark);
        }
        Ok(read)
    }

    async fn append(&self, id: &str, turn: &TurnRecord) -> Result<(), StoreError> {
        let session = SessionId::parse(id).map_err(|err| StoreError(err.to_string()))?;
        match self.workspace.append_turn(&session, turn).await {
            Ok(started) => {
                self.cache.appended(id, turn, started);
                Ok(())
            }
            Err(err) => {
                self.cache.forget(id);
                Err(StoreError(err.to_string()))
            }
        }
    }
}
