//! The customer's context, rendered once and kept until a file it is made
//! from changes on disk: a turn first lists the customer's folder (and its
//! `client-pms/`) and compares each file's size, modification time and inode
//! with those the cached text was rendered from, so a hand edit is seen on the
//! next turn without re-reading and re-parsing every document on every turn.
//! Transcripts and usage lines (`*.jsonl`) are no part of the context.
//!
//! Timestamps are coarse (a few milliseconds), so an edit of the same length
//! in place within the same tick would keep the stamp: as git does with
//! racily clean files, a context whose files changed in the last
//! [`SETTLE`] is not kept.

use std::ffi::OsString;
use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use jiff::civil::Date;
use lru::LruCache;

use super::CustomerId;

/// Customers whose context is kept.
const CUSTOMERS: NonZeroUsize = match NonZeroUsize::new(256) {
    Some(n) => n,
    None => NonZeroUsize::MIN,
};

/// Files changed more recently than this are not trusted to show a change
/// by their time.
const SETTLE: Duration = Duration::from_secs(2);

/// What a rendered context depended on: the day, the budget and its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Stamp {
    today: Date,
    budget: usize,
    files: Vec<(OsString, u64, Option<SystemTime>, u64)>,
}

impl Stamp {
    /// Whether every file is older than [`SETTLE`], so that any later
    /// change shows in its time.
    fn settled(&self) -> bool {
        let Some(line) = SystemTime::now().checked_sub(SETTLE) else {
            return false;
        };
        self.files
            .iter()
            .all(|(_, _, modified, _)| modified.is_some_and(|m| m < line))
    }
}

impl Stamp {
    /// The stamp of `dir`'s files and `subdirs`' files, for `today` and `budget`.
    pub(super) fn of(
        dir: &Path,
        subdirs: &[&str],
        today: Date,
        budget: usize,
    ) -> std::io::Result<Stamp> {
        let mut files = Vec::new();
        list(dir, &mut files)?;
        for sub in subdirs {
            match list(&dir.join(sub), &mut files) {
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                other => other?,
            }
        }
        files.sort();
        Ok(Stamp {
            today,
            budget,
            files,
        })
    }
}

/// Adds the regular files of `dir` (not `*.jsonl`) with their size, time and inode.
fn list(
    dir: &Path,
    files: &mut Vec<(OsString, u64, Option<SystemTime>, u64)>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        let name = entry.path().into_os_string();
        if !meta.is_file() || name.to_string_lossy().ends_with(".jsonl") {
            continue;
        }
        files.push((name, meta.len(), meta.modified().ok(), inode(&meta)));
    }
    Ok(())
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
fn inode(_: &std::fs::Metadata) -> u64 {
    0
}

/// Rendered contexts by customer, each with the stamp it was rendered at.
#[derive(Debug)]
pub(super) struct ContextCache {
    // std Mutex: held to look up or insert, never across .await or I/O.
    entries: Mutex<LruCache<CustomerId, (Stamp, String)>>,
}

impl Default for ContextCache {
    fn default() -> Self {
        Self {
            entries: Mutex::new(LruCache::new(CUSTOMERS)),
        }
    }
}

impl ContextCache {
    fn entries(&self) -> std::sync::MutexGuard<'_, LruCache<CustomerId, (Stamp, String)>> {
        // Each change is one put: a poisoned map is consistent.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The context rendered at `stamp`, if that is the one kept.
    pub(super) fn get(&self, customer: &CustomerId, stamp: &Stamp) -> Option<String> {
        let mut entries = self.entries();
        let (kept, text) = entries.get(customer)?;
        (kept == stamp).then(|| text.clone())
    }

    /// Keeps `text`, rendered from files as they were at `stamp` (taken
    /// before reading them: a change during the render makes the next
    /// stamp differ), unless a file changed too recently to tell.
    pub(super) fn put(&self, customer: &CustomerId, stamp: Stamp, text: String) {
        if stamp.settled() {
            self.entries().put(customer.clone(), (stamp, text));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn stamp(dir: &Path) -> Stamp {
        Stamp::of(dir, &["client-pms"], date(2026, 11, 30), 8000).expect("stamp")
    }

    #[test]
    fn the_stamp_changes_with_a_documents_content_or_a_new_one_but_not_with_transcripts() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("customer-info.md"), "one").expect("write");
        let first = stamp(dir.path());
        assert_eq!(first, stamp(dir.path()), "nothing changed");
        std::fs::write(dir.path().join("usage.jsonl"), "{}\n").expect("write");
        assert_eq!(first, stamp(dir.path()), "usage lines are no part of it");

        std::fs::write(dir.path().join("customer-info.md"), "two!").expect("write");
        let second = stamp(dir.path());
        assert_ne!(first, second, "an edit");
        std::fs::create_dir(dir.path().join("client-pms")).expect("dir");
        std::fs::write(dir.path().join("client-pms/ana.md"), "x").expect("write");
        assert_ne!(second, stamp(dir.path()), "a new client PM");
        let other_day = Stamp::of(dir.path(), &["client-pms"], date(2026, 12, 1), 8000);
        assert_ne!(stamp(dir.path()), other_day.expect("stamp"), "another day");
    }

    fn write_aged(path: &Path, text: &str) {
        std::fs::write(path, text).expect("write");
        let file = std::fs::File::options()
            .write(true)
            .open(path)
            .expect("open");
        let past = SystemTime::now() - Duration::from_secs(60);
        file.set_modified(past).expect("set time");
    }

    #[test]
    fn a_context_is_given_back_only_for_the_stamp_it_was_rendered_at() {
        let dir = tempfile::tempdir().expect("temp dir");
        let info = dir.path().join("customer-info.md");
        write_aged(&info, "one");
        let cache = ContextCache::default();
        let acme = CustomerId::parse("acme").expect("id");
        cache.put(&acme, stamp(dir.path()), "context".into());
        assert_eq!(
            cache.get(&acme, &stamp(dir.path())).as_deref(),
            Some("context")
        );
        // The same length, in place: its time tells.
        std::fs::write(&info, "two").expect("write");
        assert_eq!(cache.get(&acme, &stamp(dir.path())), None);
    }

    #[test]
    fn a_context_from_files_changed_just_now_is_not_kept() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("customer-info.md"), "one").expect("write");
        let cache = ContextCache::default();
        let acme = CustomerId::parse("acme").expect("id");
        cache.put(&acme, stamp(dir.path()), "context".into());
        assert_eq!(cache.get(&acme, &stamp(dir.path())), None);
    }
}
