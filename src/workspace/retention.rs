//! Retention: session transcripts not written to for longer than the
//! configured period are deleted (`[limits] session_retention_days`); with
//! them go their turns' place in the usage figures.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::{CustomerId, SESSIONS_DIR, Workspace, WorkspaceError};

impl Workspace {
    /// Deletes session transcripts last written more than `max_age` ago, under
    /// each customer's lock; returns how many went.
    pub async fn expire_sessions(
        self: &Arc<Self>,
        max_age: Duration,
    ) -> Result<usize, WorkspaceError> {
        let cutoff = SystemTime::now()
            .checked_sub(max_age)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let mut removed = 0;
        for customer in self.customers()? {
            let id = customer.clone();
            removed += self
                .locked(Some(&customer), move |ws| ws.expire_in(Some(&id), cutoff))
                .await?;
        }
        removed += self
            .locked(None, move |ws| ws.expire_in(None, cutoff))
            .await?;
        Ok(removed)
    }

    fn expire_in(
        &self,
        customer: Option<&CustomerId>,
        cutoff: SystemTime,
    ) -> Result<usize, WorkspaceError> {
        let dir = match customer {
            Some(customer) => self.customer_dir(customer).join(SESSIONS_DIR),
            None => self.root.join(SESSIONS_DIR),
        };
        let dir = self.checked(&dir)?;
        let mut removed = 0;
        for entry in self.read_dir_optional(&dir)? {
            let path = entry.path();
            if expired(&path, cutoff) {
                std::fs::remove_file(&path).map_err(self.io(&path))?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// A plain `.jsonl` file (never a link) last modified before `cutoff`.
fn expired(path: &Path, cutoff: SystemTime) -> bool {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    meta.file_type().is_file()
        && path.extension().is_some_and(|e| e == "jsonl")
        && meta.modified().is_ok_and(|modified| modified < cutoff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn old_transcripts_go_and_recent_ones_stay() {
        let dir = tempfile::tempdir().expect("dir");
        let workspace = Arc::new(Workspace::new(dir.path()));
        let sessions = dir.path().join("customers/acme/sessions");
        std::fs::create_dir_all(&sessions).expect("dir");
        std::fs::write(sessions.join("old.jsonl"), "{}\n").expect("write");
        std::fs::write(sessions.join("new.jsonl"), "{}\n").expect("write");
        std::fs::write(sessions.join("notes.md"), "keep").expect("write");
        let old = std::fs::File::options()
            .write(true)
            .open(sessions.join("old.jsonl"))
            .expect("open");
        old.set_modified(SystemTime::now() - Duration::from_secs(3 * 86_400))
            .expect("mtime");
        let removed = workspace
            .expire_sessions(Duration::from_secs(86_400))
            .await
            .expect("swept");
        assert_eq!(removed, 1);
        assert!(!sessions.join("old.jsonl").exists());
        assert!(sessions.join("new.jsonl").exists() && sessions.join("notes.md").exists());
    }
}
