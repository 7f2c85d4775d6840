//! Group commit for appended lines: appends to one file that arrive while
//! another batch is being written wait for it, then go together in one write
//! and one fsync. An append is acknowledged only after the sync that covers
//! its bytes, so what a caller was told is stored is on disk.
//!
//! Each file has a queue; whoever finds it idle becomes its writer (on a
//! blocking thread) and drains it batch by batch until it is empty. Lines are
//! written in the order they were queued. A torn last line left by a crash is
//! moved aside first, as [`crate::atomic::append_line`] does.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;

use crate::atomic;

/// One line to append, with the header a new file starts with.
struct Entry {
    /// Written first when the file is empty (a transcript's `session` line).
    header: Option<String>,
    line: String,
    /// Fault injection: fail after this many bytes (as a full disk would).
    fail_after: Option<usize>,
    /// Whether this entry started the file (wrote its header), once synced.
    done: oneshot::Sender<std::io::Result<bool>>,
}

/// The queues of files with appends in flight.
#[derive(Debug, Default)]
pub struct GroupCommit {
    // std Mutex: held only to queue or take entries, never across .await or I/O.
    queues: Mutex<HashMap<PathBuf, Vec<Entry>>>,
    syncs: AtomicUsize,
    /// Tests hold it to keep the writer from starting a batch.
    #[cfg(test)]
    gate: Mutex<()>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("bytes", &self.line.len())
            .finish()
    }
}

impl GroupCommit {
    /// Appends `line` (and a newline) to `path`, first `header` if the file is
    /// empty; returns once the bytes are synced, with the batch's result:
    /// whether this append started the file.
    pub async fn append(
        self: &Arc<Self>,
        path: &Path,
        header: Option<String>,
        line: String,
        fail_after: Option<usize>,
    ) -> std::io::Result<bool> {
        let (done, acknowledged) = oneshot::channel();
        let entry = Entry {
            header,
            line,
            fail_after,
            done,
        };
        let lead = {
            let mut queues = self.queues();
            match queues.get_mut(path) {
                // A writer is at work on this file: it takes this entry next.
                Some(queue) => {
                    queue.push(entry);
                    false
                }
                None => {
                    queues.insert(path.to_path_buf(), vec![entry]);
                    true
                }
            }
        };
        if lead {
            let writer = Writer {
                commits: Arc::clone(self),
                path: path.to_path_buf(),
                finished: false,
            };
            // Dropped unrun (a runtime shutting down), the writer's guard
            // still clears the queue, so no append waits forever.
            tokio::task::spawn_blocking(move || writer.drain());
        }
        acknowledged
            .await
            .unwrap_or_else(|_| Err(std::io::Error::other("the append was abandoned")))
    }

    /// How many file syncs were made (each covering a batch).
    pub fn syncs(&self) -> usize {
        self.syncs.load(Ordering::Relaxed)
    }

    fn queues(&self) -> MutexGuard<'_, HashMap<PathBuf, Vec<Entry>>> {
        // Every change is one push, insert or take: a poisoned map is consistent.
        self.queues.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes `batch` in queue order: runs of ordinary entries in one write
    /// and one sync, an entry with an injected fault on its own.
    fn commit(&self, path: &Path, batch: Vec<Entry>) {
        #[cfg(test)]
        let _gate = self.gate.lock().unwrap_or_else(|p| p.into_inner());
        let mut run = Vec::new();
        for entry in batch {
            if entry.fail_after.is_none() {
                run.push(entry);
                continue;
            }
            self.write_run(path, std::mem::take(&mut run));
            let result = write_faulty(path, &entry);
            let _ = entry.done.send(result);
        }
        self.write_run(path, run);
    }

    fn write_run(&self, path: &Path, run: Vec<Entry>) {
        if run.is_empty() {
            return;
        }
        let result = self.write_and_sync(path, &run);
        for (i, entry) in run.into_iter().enumerate() {
            let each = match &result {
                Ok(started) => Ok(*started == Some(i)),
                Err(err) => Err(std::io::Error::new(err.kind(), err.to_string())),
            };
            // A caller that stopped waiting (a cancelled request) is no error.
            let _ = entry.done.send(each);
        }
    }

    /// Writes and syncs `run`; returns which entry started the file, if one did.
    fn write_and_sync(&self, path: &Path, run: &[Entry]) -> std::io::Result<Option<usize>> {
        let atomic::Appending {
            mut file, existed, ..
        } = atomic::open_append(path)?;
        let len = file.metadata()?.len();
        let size = run.iter().map(|e| e.line.len() + 2).sum::<usize>();
        let mut data = Vec::with_capacity(size + 256);
        let mut started = None;
        for (i, entry) in run.iter().enumerate() {
            if let Some(header) = entry
                .header
                .as_deref()
                .filter(|_| len == 0 && data.is_empty())
            {
                data.extend_from_slice(header.as_bytes());
                data.push(b'\n');
                started = Some(i);
            }
            data.extend_from_slice(entry.line.as_bytes());
            data.push(b'\n');
        }
        file.write_all(&data)?;
        // Appends change the size, which fdatasync makes durable with the data.
        file.sync_data()?;
        self.syncs.fetch_add(1, Ordering::Relaxed);
        if !existed && let Some(dir) = path.parent() {
            atomic::sync_dir(dir)?;
        }
        Ok(started)
    }
}

/// An entry with an injected fault, alone and as before: its header whole,
/// then its line cut short.
fn write_faulty(path: &Path, entry: &Entry) -> std::io::Result<bool> {
    let empty = std::fs::metadata(path).map_or(true, |m| m.len() == 0);
    if let Some(header) = entry.header.as_deref().filter(|_| empty) {
        atomic::append_line(path, header, None)?;
    }
    atomic::append_line(path, &entry.line, entry.fail_after).map(|_| false)
}

/// The one writer of a file's queue while it has entries.
struct Writer {
    commits: Arc<GroupCommit>,
    path: PathBuf,
    /// Set when the queue was emptied and removed by this writer.
    finished: bool,
}

impl Writer {
    /// Takes and writes batches until the queue is empty, then removes it so
    /// the next append starts a new writer.
    fn drain(mut self) {
        loop {
            let batch = {
                let mut queues = self.commits.queues();
                match queues.get_mut(&self.path) {
                    Some(queue) if !queue.is_empty() => std::mem::take(queue),
                    _ => {
                        queues.remove(&self.path);
                        self.finished = true;
                        return;
                    }
                }
            };
            self.commits.commit(&self.path, batch);
        }
    }
}

impl Drop for Writer {
    /// A writer that panicked or never ran leaves no queue behind: its
    /// waiting entries are dropped, which fails their appends.
    fn drop(&mut self) {
        // Until it finishes, no other writer can own this file's queue.
        if !self.finished {
            self.commits.queues().remove(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn wait_for_queued(commits: &GroupCommit, path: &Path, n: usize) {
        while commits.queues().get(path).map_or(0, Vec::len) < n {
            tokio::task::yield_now().await;
        }
    }

    // The gate is held across awaits on purpose: it stands for a slow disk.
    #[allow(clippy::await_holding_lock)]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn appends_queued_during_a_write_share_one_sync() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("s.jsonl");
        let commits = Arc::new(GroupCommit::default());
        // The first append's batch is held at the gate; the next twenty queue behind it.
        let gate = commits.gate.lock().expect("gate");
        let first = {
            let commits = Arc::clone(&commits);
            let path = path.clone();
            tokio::spawn(async move { commits.append(&path, None, "0".into(), None).await })
        };
        while !commits.queues().get(&path).is_some_and(Vec::is_empty) {
            tokio::task::yield_now().await; // the writer has taken the first batch
        }
        let rest: Vec<_> = (1..=20)
            .map(|n| {
                let commits = Arc::clone(&commits);
                let path = path.clone();
                tokio::spawn(async move {
                    let header = Some("header".to_string());
                    commits.append(&path, header, n.to_string(), None).await
                })
            })
            .collect();
        wait_for_queued(&commits, &path, 20).await;
        drop(gate);
        first.await.expect("joins").expect("first append");
        for append in rest {
            append.await.expect("joins").expect("append");
        }
        assert_eq!(
            commits.syncs(),
            2,
            "one sync for the first, one for the twenty"
        );
        let text = std::fs::read_to_string(&path).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 21, "no header: the file was not empty");
        assert_eq!(lines[0], "0");
        let mut rest: Vec<u32> = lines[1..].iter().map(|l| l.parse().expect("n")).collect();
        rest.sort_unstable();
        assert_eq!(rest, (1..=20).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_new_file_starts_with_its_header_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sessions/new.jsonl");
        let commits = Arc::new(GroupCommit::default());
        for n in 0..3 {
            let header = Some("header".to_string());
            let started = commits
                .append(&path, header, n.to_string(), None)
                .await
                .expect("append");
            assert_eq!(started, n == 0, "only the first append starts the file");
        }
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text, "header\n0\n1\n2\n");
        assert_eq!(commits.syncs(), 3);
    }

    #[tokio::test]
    async fn a_failed_append_is_not_acknowledged_and_its_torn_tail_is_moved_aside() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("s.jsonl");
        let commits = Arc::new(GroupCommit::default());
        commits
            .append(&path, None, "one".into(), None)
            .await
            .expect("append");
        let failed = commits
            .append(&path, None, "two, cut".into(), Some(3))
            .await;
        assert!(
            failed.is_err(),
            "an append that did not reach the disk whole fails"
        );
        commits
            .append(&path, None, "three".into(), None)
            .await
            .expect("append");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "one\nthree\n"
        );
        let torn = std::fs::read_to_string(atomic::torn_path(&path)).expect("torn");
        assert_eq!(torn, "two\n");
    }
}
