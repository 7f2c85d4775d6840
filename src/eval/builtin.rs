//! The shipped eval suite (cases, fixtures, recordings), built into the
//! binary so that `pmcoach eval` replays it from any folder. It is written
//! out to a temporary folder for the run, since cases read their fixtures
//! and recordings as files.

use include_dir::{Dir, include_dir};
use tempfile::TempDir;

/// The repository's `evals/` folder, as it was at build time.
static SUITE: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/evals");

/// The built-in suite written to a new temporary folder, removed when the
/// returned value is dropped.
pub fn extract() -> Result<TempDir, String> {
    let folder = tempfile::Builder::new()
        .prefix("pmcoach-evals-")
        .tempdir()
        .map_err(|err| format!("cannot make a temporary folder for the built-in evals: {err}"))?;
    SUITE.extract(folder.path()).map_err(|err| {
        format!(
            "cannot write the built-in evals to {}: {err}",
            folder.path().display()
        )
    })?;
    Ok(folder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_suite_has_its_cases_and_recordings() {
        let folder = extract().expect("extracted");
        assert!(folder.path().join("cases").is_dir());
        assert!(folder.path().join("recordings").is_dir());
        let cases = std::fs::read_dir(folder.path().join("cases"))
            .expect("cases")
            .count();
        assert!(cases > 10, "{cases} cases");
    }
}
