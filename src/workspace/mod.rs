//! The customer workspace on disk, in the layout fractional PMs already keep:
//! `customers/<id>/{customer-info.md, event-log.md, artifacts/, sessions/}`.
//!
//! Every path is built here from validated ids ([`CustomerId`], [`SessionId`],
//! [`ArtifactName`]); nothing else in pmcoach joins paths under the root. Writes
//! to one customer's files are serialized by a per-customer lock; whole files are
//! replaced atomically and appends repair a torn tail first (see `atomic`).

mod artifacts;
mod context;
pub mod event_log;
mod ids;
pub mod info;
mod markdown;
pub mod metrics;
mod transcripts;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use artifacts::ArtifactSummary;
pub use ids::{ArtifactName, CustomerId, InvalidName, MAX_ID_LEN, SessionId, slugify};
pub use transcripts::{FileSessions, Line, TRANSCRIPT_VERSION, Transcript};

use crate::atomic;
use crate::keyed_lock::KeyedLocks;
use event_log::{EventLog, NewEvent};
use info::{ClientPm, Fact};
use metrics::Engagement;

/// File names inside a customer's folder.
pub const INFO_FILE: &str = "customer-info.md";
/// The event log.
pub const EVENT_LOG_FILE: &str = "event-log.md";
/// Saved documents.
pub const ARTIFACTS_DIR: &str = "artifacts";
/// Session transcripts.
pub const SESSIONS_DIR: &str = "sessions";

/// A workspace operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// No folder for this customer.
    #[error("unknown customer {0:?}")]
    UnknownCustomer(String),
    /// No such artifact.
    #[error("no artifact {0:?} for this customer")]
    UnknownArtifact(String),
    /// A name failed validation.
    #[error(transparent)]
    Invalid(#[from] InvalidName),
    /// A file could not be read or written (the path is relative to the root).
    #[error("{path}: {source}")]
    Io {
        /// Path relative to the workspace root.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A path inside the workspace is a symbolic link; it is not followed.
    #[error("{0}: is a symbolic link; pmcoach does not follow links inside the workspace")]
    Symlink(String),
}

/// The workspace root and the locks that serialize writes per customer.
#[derive(Debug)]
pub struct Workspace {
    root: PathBuf,
    locks: KeyedLocks,
    fail_next_write: Mutex<Option<usize>>,
}

impl Workspace {
    /// A workspace at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            locks: KeyedLocks::default(),
            fail_next_write: Mutex::new(None),
        }
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Fault injection: the next file write stops after `bytes` bytes and fails,
    /// as a full disk would. Tests and chaos runs use it to prove nothing is lost.
    pub fn fail_next_write_after(&self, bytes: usize) {
        *self
            .fail_next_write
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(bytes);
    }

    fn take_fault(&self) -> Option<usize> {
        self.fail_next_write
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }

    /// The lock serializing writes to one customer's files (or, for `None`, to
    /// the transcripts of sessions without a customer).
    async fn lock(&self, customer: Option<&CustomerId>) -> tokio::sync::OwnedMutexGuard<()> {
        self.locks
            .lock(customer.map_or("", CustomerId::as_str))
            .await
    }

    /// `customers/`.
    fn customers_dir(&self) -> PathBuf {
        self.root.join("customers")
    }

    /// `customers/<id>/`: the only place a customer's files live.
    pub fn customer_dir(&self, customer: &CustomerId) -> PathBuf {
        self.customers_dir().join(customer.as_str())
    }

    fn relative(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    fn io(&self, path: &Path) -> impl Fn(std::io::Error) -> WorkspaceError + '_ {
        let path = self.relative(path);
        move |source| WorkspaceError::Io {
            path: path.clone(),
            source,
        }
    }

    /// Refuses symbolic links, so a link planted in a customer's folder cannot
    /// lead a read or write outside it.
    fn check_no_link(&self, path: &Path) -> Result<(), WorkspaceError> {
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                Err(WorkspaceError::Symlink(self.relative(path)))
            }
            _ => Ok(()),
        }
    }

    /// `path` (under the root) if no part of it below the root is a symbolic link.
    fn checked(&self, path: &Path) -> Result<PathBuf, WorkspaceError> {
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        let mut current = self.root.clone();
        for part in relative.components() {
            current.push(part);
            self.check_no_link(&current)?;
        }
        Ok(path.to_path_buf())
    }

    /// Whether the customer has a folder.
    pub fn customer_exists(&self, customer: &CustomerId) -> bool {
        let dir = self.customer_dir(customer);
        self.check_no_link(&dir).is_ok() && dir.is_dir()
    }

    fn existing(&self, customer: &CustomerId) -> Result<PathBuf, WorkspaceError> {
        if self.customer_exists(customer) {
            Ok(self.customer_dir(customer))
        } else {
            Err(WorkspaceError::UnknownCustomer(customer.to_string()))
        }
    }

    /// A file in an existing customer's folder, checked not to be a link.
    fn file(&self, customer: &CustomerId, name: &str) -> Result<PathBuf, WorkspaceError> {
        self.checked(&self.existing(customer)?.join(name))
    }

    fn read_optional(&self, path: &Path) -> Result<String, WorkspaceError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(text),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
            Err(err) => Err(self.io(path)(err)),
        }
    }

    fn write(&self, path: &Path, text: &str) -> Result<(), WorkspaceError> {
        atomic::write_atomic_failing(path, text.as_bytes(), self.take_fault())
            .map_err(self.io(path))
    }

    /// Creates the customer's folder from the templates on first use; fills in
    /// any missing file of an existing folder, never replacing one.
    pub async fn ensure_customer(
        self: &Arc<Self>,
        customer: &CustomerId,
    ) -> Result<(), WorkspaceError> {
        let id = customer.clone();
        self.locked(Some(customer), move |ws| ws.ensure_customer_locked(&id))
            .await
    }

    /// Runs `work` holding the customer's write lock, on a blocking thread: the
    /// writes fsync, and must not stall the async workers. Once started, the
    /// work finishes even if the request that asked for it goes away.
    async fn locked<T: Send + 'static>(
        self: &Arc<Self>,
        customer: Option<&CustomerId>,
        work: impl FnOnce(&Workspace) -> Result<T, WorkspaceError> + Send + 'static,
    ) -> Result<T, WorkspaceError> {
        let guard = self.lock(customer).await;
        let workspace = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _guard = guard;
            work(&workspace)
        })
        .await
        .map_err(|err| WorkspaceError::Io {
            path: String::new(),
            source: std::io::Error::other(err),
        })?
    }

    fn ensure_customer_locked(&self, customer: &CustomerId) -> Result<(), WorkspaceError> {
        let dir = self.customer_dir(customer);
        self.check_no_link(&dir)?;
        for sub in [ARTIFACTS_DIR, SESSIONS_DIR] {
            let path = dir.join(sub);
            self.check_no_link(&path)?;
            std::fs::create_dir_all(&path).map_err(self.io(&path))?;
        }
        let files = [
            (INFO_FILE, info::template(customer.as_str())),
            (EVENT_LOG_FILE, String::new()),
        ];
        for (name, text) in files {
            let path = dir.join(name);
            self.check_no_link(&path)?;
            if path.exists() {
                continue;
            }
            let text = if name == EVENT_LOG_FILE {
                event_log_template(customer)
            } else {
                text
            };
            match atomic::create_new_atomic(&path, text.as_bytes()) {
                Err(err) if err.kind() != std::io::ErrorKind::AlreadyExists => {
                    return Err(self.io(&path)(err));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Every customer with a folder, by id (folders whose names are not valid
    /// ids are left alone).
    pub fn customers(&self) -> Result<Vec<CustomerId>, WorkspaceError> {
        let dir = self.customers_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(self.io(&dir)(err)),
        };
        let mut ids: Vec<CustomerId> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| CustomerId::parse(&e.file_name().to_string_lossy()).ok())
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// The customer's `customer-info.md`.
    pub fn info(&self, customer: &CustomerId) -> Result<String, WorkspaceError> {
        let path = self.file(customer, INFO_FILE)?;
        self.read_optional(&path)
    }

    /// The customer's event log, parsed.
    pub fn event_log(&self, customer: &CustomerId) -> Result<EventLog, WorkspaceError> {
        let path = self.file(customer, EVENT_LOG_FILE)?;
        Ok(event_log::parse(&self.read_optional(&path)?))
    }

    /// Hours and the strategic vs tactical ratio, from the event log.
    pub fn engagement(&self, customer: &CustomerId) -> Result<Engagement, WorkspaceError> {
        Ok(metrics::summarize(&self.event_log(customer)?.events))
    }

    /// Records an event (newest first); returns the action item ids assigned.
    pub async fn log_event(
        self: &Arc<Self>,
        customer: &CustomerId,
        event: &NewEvent,
    ) -> Result<Vec<String>, WorkspaceError> {
        let (id, event) = (customer.clone(), event.clone());
        self.locked(Some(customer), move |ws| {
            ws.ensure_customer_locked(&id)?;
            ws.log_event_locked(&id, &event)
        })
        .await
    }

    fn log_event_locked(
        &self,
        customer: &CustomerId,
        event: &NewEvent,
    ) -> Result<Vec<String>, WorkspaceError> {
        let path = self.file(customer, EVENT_LOG_FILE)?;
        let text = self.read_optional(&path)?;
        let (text, ids) = event_log::insert(&text, &event_log_title(customer), event);
        self.write(&path, &text)?;
        Ok(ids)
    }

    /// Sets facts and client PM rows in `customer-info.md`, then logs an Update
    /// event listing what changed (old values included, so none is lost).
    /// Returns the changes, one line each.
    pub async fn update_info(
        self: &Arc<Self>,
        customer: &CustomerId,
        facts: &[Fact],
        pms: &[ClientPm],
    ) -> Result<Vec<String>, WorkspaceError> {
        let (id, facts, pms) = (customer.clone(), facts.to_vec(), pms.to_vec());
        self.locked(Some(customer), move |ws| {
            ws.update_info_locked(&id, &facts, &pms)
        })
        .await
    }

    fn update_info_locked(
        &self,
        customer: &CustomerId,
        facts: &[Fact],
        pms: &[ClientPm],
    ) -> Result<Vec<String>, WorkspaceError> {
        self.ensure_customer_locked(customer)?;
        let path = self.file(customer, INFO_FILE)?;
        let mut text = self.read_optional(&path)?;
        let mut changes = Vec::new();
        for fact in facts {
            let (next, previous) = info::set_fact(&text, fact);
            let now = info::facts(&next)
                .into_iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(fact.name))
                .map(|(_, value)| value)
                .unwrap_or_default();
            if previous.as_deref() != Some(now.as_str()) {
                changes.push(match previous {
                    Some(previous) => format!("{}: {previous} → {now}", fact.name),
                    None => format!("{}: {now}", fact.name),
                });
            }
            text = next;
        }
        for pm in pms {
            let (next, previous) = info::upsert_client_pm(&text, pm);
            match previous {
                Some(p) if p.role == pm.role && p.level == pm.level => {}
                Some(p) => changes.push(format!(
                    "Client PM {}: {} / {} → {} / {}",
                    pm.name, p.role, p.level, pm.role, pm.level
                )),
                None => changes.push(format!("Client PM {}: {} / {}", pm.name, pm.role, pm.level)),
            }
            text = next;
        }
        if changes.is_empty() {
            return Ok(changes);
        }
        self.write(&path, &text)?;
        let event = NewEvent::note(
            crate::templates::today(),
            "Update",
            "Customer info updated".into(),
            format!("Updated customer-info.md: {}", changes.join("; ")),
        );
        self.log_event_locked(customer, &event)?;
        Ok(changes)
    }
}

fn event_log_title(customer: &CustomerId) -> String {
    format!("# Event Log: {customer}")
}

fn event_log_template(customer: &CustomerId) -> String {
    event_log::empty_log(&event_log_title(customer))
}
