//! Customer folders: made from the templates on first use (missing files filled
//! in, existing ones never replaced), and listed.

use std::fs::FileType;
use std::path::Path;
use std::sync::Arc;

use super::action_items::ACTION_ITEMS_FILE;
use super::events::event_log_title;
use super::family::{self, FINANCIALS_FILE, IDEAS_FILE};
use super::{
    ARTIFACTS_DIR, CustomerId, EVENT_LOG_FILE, INFO_FILE, SESSIONS_DIR, Workspace, WorkspaceError,
    event_log, info,
};
use crate::atomic;

/// The folders a customer's folder is given.
const FOLDERS: [&str; 2] = [ARTIFACTS_DIR, SESSIONS_DIR];
/// The files [`Workspace::ensure_customer_locked`] makes when missing.
const FILES: [&str; 5] = [
    INFO_FILE,
    EVENT_LOG_FILE,
    FINANCIALS_FILE,
    IDEAS_FILE,
    ACTION_ITEMS_FILE,
];

/// Whether `path` is there as itself (not through a link) and of the kind.
fn is(path: &Path, kind: fn(&FileType) -> bool) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|meta| kind(&meta.file_type()))
}

impl Workspace {
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

    /// [`Workspace::ensure_customer`] for every turn: the whole check (under
    /// the customer's lock, off the async threads) once per process, then only
    /// a look that each folder and file a new customer is given is still
    /// there, as itself and not a link. Anything removed or replaced by hand
    /// sends it back to the whole check, which makes it again (or refuses the
    /// link).
    pub async fn ensure_customer_once(
        self: &Arc<Self>,
        customer: &CustomerId,
    ) -> Result<(), WorkspaceError> {
        let dir = self.customer_dir(customer);
        let complete = || {
            is(&dir, FileType::is_dir)
                && FOLDERS
                    .iter()
                    .all(|sub| is(&dir.join(sub), FileType::is_dir))
                && FILES
                    .iter()
                    .all(|file| is(&dir.join(file), FileType::is_file))
        };
        self.ensure_once(customer, complete).await
    }

    /// The same for an append, which needs only the sessions folder: its turn
    /// looked at the rest when it started.
    pub(super) async fn ensure_sessions_folder(
        self: &Arc<Self>,
        customer: &CustomerId,
    ) -> Result<(), WorkspaceError> {
        let sessions = self.customer_dir(customer).join(SESSIONS_DIR);
        self.ensure_once(customer, || is(&sessions, FileType::is_dir))
            .await
    }

    /// The whole check unless it ran in this process and `still_there`.
    async fn ensure_once(
        self: &Arc<Self>,
        customer: &CustomerId,
        still_there: impl FnOnce() -> bool,
    ) -> Result<(), WorkspaceError> {
        let ensured = || self.ensured.lock().unwrap_or_else(|p| p.into_inner());
        if ensured().contains(customer) && still_there() {
            return Ok(());
        }
        self.ensure_customer(customer).await?;
        ensured().insert(customer.clone());
        Ok(())
    }

    /// [`Workspace::ensure_customer`], with the customer's lock held.
    pub(super) fn ensure_customer_locked(
        &self,
        customer: &CustomerId,
    ) -> Result<(), WorkspaceError> {
        let dir = self.customer_dir(customer);
        self.check_no_link(&dir)?;
        for sub in FOLDERS {
            let path = dir.join(sub);
            self.check_no_link(&path)?;
            std::fs::create_dir_all(&path).map_err(self.io(&path))?;
        }
        let info = info::template(customer.as_str());
        self.create_if_missing(&dir.join(INFO_FILE), &info)?;
        let log = event_log::empty_log(&event_log_title(customer));
        self.create_if_missing(&dir.join(EVENT_LOG_FILE), &log)?;
        self.create_family_files(&dir, customer)
    }

    /// The family's other files: financials.md and ideas.md from their
    /// templates, action-items.md holding the event log's rows.
    fn create_family_files(&self, dir: &Path, customer: &CustomerId) -> Result<(), WorkspaceError> {
        let id = customer.as_str();
        self.create_if_missing(&dir.join(FINANCIALS_FILE), &family::financials_template(id))?;
        self.create_if_missing(&dir.join(IDEAS_FILE), &family::ideas_template(id))?;
        self.ensure_action_items_locked(customer)
    }

    /// Writes `text` to `path` unless a file is there already.
    fn create_if_missing(&self, path: &Path, text: &str) -> Result<(), WorkspaceError> {
        self.check_no_link(path)?;
        if path.exists() {
            return Ok(());
        }
        match atomic::create_new_atomic(path, text.as_bytes()) {
            Err(err) if err.kind() != std::io::ErrorKind::AlreadyExists => Err(self.io(path)(err)),
            _ => Ok(()),
        }
    }

    /// Every customer with a folder, by id (folders whose names are not valid
    /// ids are left alone).
    pub fn customers(&self) -> Result<Vec<CustomerId>, WorkspaceError> {
        let dir = self.customers_dir();
        let mut ids: Vec<CustomerId> = self
            .read_dir_optional(&dir)?
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| CustomerId::parse(&e.file_name().to_string_lossy()).ok())
            .collect();
        ids.sort();
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quick_look_covers_everything_the_whole_check_makes() {
        let root = tempfile::tempdir().expect("temp dir");
        let workspace = Workspace::new(root.path());
        let customer = CustomerId::parse("acme").expect("id");
        workspace.ensure_customer_locked(&customer).expect("made");
        let mut made: Vec<String> = std::fs::read_dir(workspace.customer_dir(&customer))
            .expect("folder")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        made.sort();
        let mut looked_at: Vec<String> = FOLDERS
            .iter()
            .chain(&FILES)
            .map(|s| s.to_string())
            .collect();
        looked_at.sort();
        assert_eq!(made, looked_at);
    }
}
