//! A workspace with customers in it: northwind (tests/fixtures/web: eight
//! weeks of logged work, positioning, evidence, a saved document) and acme
//! (the eval fixture), for the pages' tests.

use std::path::{Path, PathBuf};

/// A temporary workspace holding northwind and acme.
pub fn seeded_workspace() -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("workspace");
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    copy_dir(
        &repo.join("tests/fixtures/web/northwind"),
        &root.path().join("customers/northwind"),
    );
    copy_dir(
        &repo.join("evals/fixtures/acme"),
        &root.path().join("customers/acme"),
    );
    root
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("folder");
    for entry in std::fs::read_dir(from).expect("fixture folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}
