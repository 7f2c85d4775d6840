//! Durable file writes. Whole files: a temporary file beside the target (named
//! [`TEMP_PREFIX`]…), fsynced, renamed over it, the directory fsynced, so a
//! crash leaves the old file or the new one, never a torn mix (and perhaps
//! the temporary file, which start-up removes). Appends: one line at a time, and a torn last line
//! (from a crash mid-append) is moved aside before the next append so the two are
//! never fused.
//!
//! `fail_after` is the fault-injection point tests and chaos runs use: the write
//! stops after that many bytes and returns an error, as a full disk would.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The name prefix of the temporary files whole-file writes go through, so
/// that one a crash left behind can be recognised and removed at start-up.
pub const TEMP_PREFIX: &str = ".pmcoach-tmp-";

/// A new temporary file in `dir`, named `TEMP_PREFIX…`.
fn temp_file_in(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)
}

fn injected() -> std::io::Error {
    std::io::Error::other("injected write failure")
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Writes `bytes` to `path` atomically, creating the parent directory if needed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_failing(path, bytes, None)
}

/// [`write_atomic`], failing after `fail_after` bytes when given.
pub fn write_atomic_failing(
    path: &Path,
    bytes: &[u8],
    fail_after: Option<usize>,
) -> std::io::Result<()> {
    let dir = parent(path);
    std::fs::create_dir_all(dir)?;
    let mut file = temp_file_in(dir)?;
    if let Some(n) = fail_after {
        file.write_all(&bytes[..n.min(bytes.len())])?;
        return Err(injected()); // the temporary file is removed on drop
    }
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|err| err.error)?;
    sync_dir(dir)
}

/// Writes a new file atomically; fails with `AlreadyExists` rather than replace one.
pub fn create_new_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = parent(path);
    std::fs::create_dir_all(dir)?;
    let mut file = temp_file_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist_noclobber(path).map_err(|err| err.error)?;
    sync_dir(dir)
}

/// Makes a rename or a new file in `dir` durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Where the torn tail of `path` is kept: `<path>.torn`.
pub fn torn_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".torn");
    PathBuf::from(name)
}

/// Appends `line` and a newline to `path`, fsynced. A last line left without its
/// newline by an earlier crash is first moved to `<path>.torn` and cut off.
/// Returns how many torn bytes were moved aside. Callers serialize appends to a
/// file (the workspace's group commit, or a lock per customer).
pub fn append_line(path: &Path, line: &str, fail_after: Option<usize>) -> std::io::Result<usize> {
    let Appending {
        mut file,
        existed,
        repaired,
    } = open_append(path)?;
    let mut data = Vec::with_capacity(line.len() + 1);
    data.extend_from_slice(line.as_bytes());
    data.push(b'\n');
    if let Some(n) = fail_after {
        file.write_all(&data[..n.min(data.len())])?;
        file.sync_all()?;
        return Err(injected());
    }
    file.write_all(&data)?;
    file.sync_all()?;
    if !existed {
        sync_dir(parent(path))?;
    }
    Ok(repaired)
}

/// A file opened to append to, its torn tail already moved aside.
pub(crate) struct Appending {
    /// The file, opened to append (and read).
    pub(crate) file: std::fs::File,
    /// Whether it was there before (if not, its folder needs a sync).
    pub(crate) existed: bool,
    /// Torn bytes moved aside.
    pub(crate) repaired: usize,
}

/// Opens `path` to append, creating it and its folder, and repairs a torn tail.
pub(crate) fn open_append(path: &Path) -> std::io::Result<Appending> {
    std::fs::create_dir_all(parent(path))?;
    let existed = path.exists();
    let mut file = OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(path)?;
    let repaired = repair_torn_tail(&mut file, path)?;
    Ok(Appending {
        file,
        existed,
        repaired,
    })
}

fn repair_torn_tail(file: &mut std::fs::File, path: &Path) -> std::io::Result<usize> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(0);
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    if last[0] == b'\n' {
        return Ok(0);
    }
    let mut content = Vec::new();
    file.seek(SeekFrom::Start(0))?;
    file.read_to_end(&mut content)?;
    let keep = content
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let torn = &content[keep..];
    let mut aside = OpenOptions::new()
        .create(true)
        .append(true)
        .open(torn_path(path))?;
    aside.write_all(torn)?;
    aside.write_all(b"\n")?;
    aside.sync_all()?;
    file.set_len(keep as u64)?;
    file.sync_all()?;
    tracing::warn!(path = %path.display(), bytes = torn.len(), "moved a torn last line aside");
    Ok(torn.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_whole_file_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("nested/doc.md");
        write_atomic(&path, b"first version, long").expect("write");
        write_atomic(&path, b"second").expect("overwrite");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "second");
        let entries = std::fs::read_dir(dir.path().join("nested"))
            .expect("dir")
            .count();
        assert_eq!(entries, 1);
    }

    #[test]
    fn temporary_files_carry_the_prefix() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = temp_file_in(dir.path()).expect("temp file");
        let name = file.path().file_name().expect("name").to_string_lossy();
        assert!(name.starts_with(TEMP_PREFIX), "{name}");
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_intact() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("doc.md");
        write_atomic(&path, b"old content").expect("write");
        let err = write_atomic_failing(&path, b"new content that fails", Some(5));
        assert!(err.is_err());
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "old content");
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
    }

    #[test]
    fn create_new_never_overwrites() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("a.md");
        create_new_atomic(&path, b"one").expect("create");
        let err = create_new_atomic(&path, b"two").expect_err("exists");
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "one");
    }

    #[test]
    fn a_torn_tail_is_moved_aside_not_fused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("s.jsonl");
        append_line(&path, r#"{"n":1}"#, None).expect("append");
        assert!(append_line(&path, r#"{"n":2,"long":"xxxx"}"#, Some(6)).is_err());
        let repaired = append_line(&path, r#"{"n":3}"#, None).expect("append");
        assert_eq!(repaired, 6);
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text, "{\"n\":1}\n{\"n\":3}\n");
        let torn = std::fs::read_to_string(torn_path(&path)).expect("torn kept");
        assert_eq!(torn, "{\"n\":2\n");
    }
}
