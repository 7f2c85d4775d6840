//! Reading and writing the workspace's files: a missing file reads as empty,
//! writes run under the customer's lock on a blocking thread and replace files
//! atomically, and a write can be made to fail on purpose.

use std::path::Path;
use std::sync::Arc;

use super::{CustomerId, Workspace, WorkspaceError};
use crate::atomic;

impl Workspace {
    /// Fault injection: the next file write stops after `bytes` bytes and fails,
    /// as a full disk would. Tests and chaos runs use it to prove nothing is lost.
    pub fn fail_next_write_after(&self, bytes: usize) {
        *self
            .fail_next_write
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(bytes);
    }

    /// The fault asked for by [`Workspace::fail_next_write_after`], once.
    pub(super) fn take_fault(&self) -> Option<usize> {
        self.fail_next_write
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }

    /// The file's text, or empty if there is no such file.
    pub(super) fn read_optional(&self, path: &Path) -> Result<String, WorkspaceError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(text),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
            Err(err) => Err(self.io(path)(err)),
        }
    }

    /// The folder's readable entries; none if there is no such folder.
    pub(super) fn read_dir_optional(
        &self,
        dir: &Path,
    ) -> Result<impl Iterator<Item = std::fs::DirEntry> + use<>, WorkspaceError> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => Some(entries),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
            Err(err) => return Err(self.io(dir)(err)),
        };
        Ok(entries.into_iter().flatten().filter_map(Result::ok))
    }

    /// Replaces the file with `text`, atomically.
    pub(super) fn write(&self, path: &Path, text: &str) -> Result<(), WorkspaceError> {
        atomic::write_atomic_failing(path, text.as_bytes(), self.take_fault())
            .map_err(self.io(path))
    }

    /// Runs `work` holding the customer's write lock (for `None`, the lock of
    /// the transcripts of sessions without a customer), on a blocking thread:
    /// the writes fsync, and must not stall the async workers. Once started, the
    /// work finishes even if the request that asked for it goes away.
    pub(super) async fn locked<T: Send + 'static>(
        self: &Arc<Self>,
        customer: Option<&CustomerId>,
        work: impl FnOnce(&Workspace) -> Result<T, WorkspaceError> + Send + 'static,
    ) -> Result<T, WorkspaceError> {
        let guard = self
            .locks
            .lock(customer.map_or("", CustomerId::as_str))
            .await;
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
}
