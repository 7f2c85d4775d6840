//! Temporary files of atomic writes that a crash or a kill left behind,
//! removed at start-up.

use std::fs::DirEntry;
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::Workspace;
use crate::atomic::TEMP_PREFIX;

/// How old a temporary file must be to count as left behind: a write in
/// flight (another process on the same workspace) takes far less.
const LEFT_BEHIND_AFTER: Duration = Duration::from_secs(60);
/// Folders deep the search goes: pmcoach writes at most three below the root
/// (`customers/<id>/artifacts/`); the bound keeps a root set to a big tree
/// by mistake from being walked whole.
const MAX_DEPTH: usize = 8;

impl Workspace {
    /// Removes the temporary files of interrupted atomic writes
    /// (`.pmcoach-tmp-*`, older than a minute) anywhere under the
    /// root, without following symbolic links, and logs how many; returns how
    /// many. What cannot be read or removed is logged and skipped: start-up
    /// goes on.
    pub fn remove_interrupted_writes(&self) -> usize {
        let cutoff = SystemTime::now()
            .checked_sub(LEFT_BEHIND_AFTER)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let mut removed = 0;
        self.sweep(&self.root, MAX_DEPTH, cutoff, &mut removed);
        if removed > 0 {
            tracing::warn!(
                removed,
                "removed temporary files left by interrupted writes"
            );
        }
        removed
    }

    fn sweep(&self, dir: &Path, depth: usize, cutoff: SystemTime, removed: &mut usize) {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return,
            Err(err) => {
                tracing::warn!(path = %self.relative(dir), error = %err, "cannot look for left-behind temporary files");
                return;
            }
        };
        for entry in entries.flatten() {
            // The entry's own type: a symbolic link is neither a dir nor a file here.
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() && depth > 0 {
                self.sweep(&path, depth - 1, cutoff, removed);
            } else if kind.is_file() && left_behind(&entry, cutoff) {
                match std::fs::remove_file(&path) {
                    Ok(()) => *removed += 1,
                    Err(err) => {
                        tracing::warn!(path = %self.relative(&path), error = %err, "cannot remove a left-behind temporary file");
                    }
                }
            }
        }
    }
}

impl Workspace {
    /// Whether the workspace takes writes now: the root is created if missing
    /// (as the first write would), and a temporary file named as atomic
    /// writes name theirs is made there and removed. Blocking file I/O.
    pub fn check_writable(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.root)?;
        tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempfile_in(&self.root)?
            .close()
    }
}

/// Whether `entry` is one of our temporary files, last written before `cutoff`.
fn left_behind(entry: &DirEntry, cutoff: SystemTime) -> bool {
    let ours = entry
        .file_name()
        .to_str()
        .is_some_and(|name| name.starts_with(TEMP_PREFIX));
    ours && entry
        .metadata()
        .and_then(|meta| meta.modified())
        .is_ok_and(|modified| modified < cutoff)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aged(path: &Path, age: Duration) {
        let file = std::fs::File::options()
            .write(true)
            .open(path)
            .expect("open");
        file.set_modified(SystemTime::now() - age)
            .expect("set mtime");
    }

    #[test]
    fn old_temporary_files_go_and_everything_else_stays() {
        let root = tempfile::tempdir().expect("temp dir");
        let dir = root.path().join("customers/acme/artifacts");
        std::fs::create_dir_all(&dir).expect("mkdir");
        let old = [
            root.path().join(".pmcoach-tmp-a1"),
            dir.join(".pmcoach-tmp-b2"),
        ];
        let keep = [
            dir.join(".pmcoach-tmp-fresh"),
            dir.join("report.md"),
            dir.join(".tmpOther"),
        ];
        for path in old.iter().chain(&keep) {
            std::fs::write(path, "x").expect("write");
        }
        for path in old.iter().chain(&keep[1..]) {
            aged(path, Duration::from_secs(120));
        }
        let workspace = Workspace::new(root.path());
        assert_eq!(workspace.remove_interrupted_writes(), 2);
        assert!(old.iter().all(|p| !p.exists()));
        assert!(keep.iter().all(|p| p.exists()));
        assert_eq!(workspace.remove_interrupted_writes(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn symbolic_links_are_not_followed() {
        let root = tempfile::tempdir().expect("temp dir");
        let outside = tempfile::tempdir().expect("outside");
        let target = outside.path().join(".pmcoach-tmp-outside");
        std::fs::write(&target, "x").expect("write");
        aged(&target, Duration::from_secs(120));
        std::os::unix::fs::symlink(outside.path(), root.path().join("linked")).expect("link");
        std::os::unix::fs::symlink(&target, root.path().join(".pmcoach-tmp-link")).expect("link");
        assert_eq!(Workspace::new(root.path()).remove_interrupted_writes(), 0);
        assert!(target.exists());
        assert!(
            root.path()
                .join(".pmcoach-tmp-link")
                .symlink_metadata()
                .is_ok()
        );
    }

    #[test]
    fn the_writable_check_leaves_nothing_behind() {
        let root = tempfile::tempdir().expect("temp dir");
        let workspace = Workspace::new(root.path().join("new"));
        workspace.check_writable().expect("writable");
        let left: Vec<_> = std::fs::read_dir(root.path().join("new"))
            .expect("created")
            .collect();
        assert!(left.is_empty(), "{left:?}");
        let file = root.path().join("a-file");
        std::fs::write(&file, "x").expect("write");
        assert!(Workspace::new(file.join("root")).check_writable().is_err());
    }

    #[test]
    fn a_missing_root_has_nothing_to_remove() {
        let root = tempfile::tempdir().expect("temp dir");
        assert_eq!(
            Workspace::new(root.path().join("none")).remove_interrupted_writes(),
            0
        );
    }
}
