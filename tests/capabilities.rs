//! The capability loader on real directories, and the `pmcoach capabilities` CLI.
#![allow(clippy::expect_used, clippy::too_many_lines)] // test code: a failed expectation is the test failing

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use pmcoach::capability::{self, CapabilitySet, Problem, REQUIRED_SECTIONS};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/capabilities")
}

/// A temporary capabilities directory with the given `(folder, AGENT.md text)` pairs.
fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (folder, text) in files {
        let path = dir.path().join(folder);
        std::fs::create_dir_all(&path).expect("mkdir");
        std::fs::write(path.join("AGENT.md"), text).expect("write");
    }
    dir
}

fn seed() -> String {
    std::fs::read_to_string(fixtures().join("strategic-pm-coach/AGENT.md")).expect("seed fixture")
}

fn pmcoach(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_pmcoach"))
        .args(args)
        .current_dir(cwd)
        .env_remove("PMCOACH_CONFIG")
        .env_remove("PMCOACH_CAPABILITIES_DIR")
        .output()
        .expect("run pmcoach");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_shipped_capabilities_are_a_valid_set() {
    let set = CapabilitySet::load_dir(&common::capabilities_dir(), "strategic-pm-coach")
        .expect("shipped capabilities load");
    let ids: Vec<&str> = set.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "exec-comms-specialist",
            "growth-advisor",
            "relationship-advisor",
            "strategic-pm-coach",
            "strategy-architect"
        ]
    );
    for capability in set.iter() {
        assert!(capability.description.len() > 20, "{}", capability.id);
        assert!(capability.when_to_invoke.len() >= 4, "{}", capability.id);
        assert!(
            !capability.description.starts_with("You are"),
            "{}",
            capability.id
        );
    }
    assert_eq!(set.default_capability().name, "Strategic PM Coach");
}

#[test]
fn the_seed_file_loads_unchanged() {
    let coach = capability::load_file(&fixtures().join("strategic-pm-coach/AGENT.md"))
        .expect("the seed is a valid capability");
    assert_eq!(coach.id, "strategic-pm-coach");
    assert_eq!(coach.name, "Strategic PM Coach");
    assert!(
        coach
            .description
            .starts_with("An expert Strategic PM Coach who helps")
    );
    assert_eq!(coach.when_to_invoke.len(), 6);
    assert_eq!(
        coach.when_to_invoke[3],
        "Avoiding being treated as \"staff augmentation\""
    );
    assert!(coach.section(capability::FRAMEWORK_SECTIONS).is_some());
    for required in REQUIRED_SECTIONS {
        assert!(coach.section(&[required]).is_some(), "{required}");
    }
}

#[test]
fn each_kind_of_invalid_file_names_the_file_and_the_problem() {
    let seed = seed();
    let no_workflow = seed.replace("## Workflow", "## How I Work");
    let bad_front = format!("---\nid: [unclosed\n---\n{seed}");
    let dir = dir_with(&[
        ("alpha", &seed.replace("# Strategic PM Coach", "# Alpha")),
        ("beta", &no_workflow),
        ("gamma", &bad_front),
        (
            "delta",
            &format!(
                "---\nid: alpha\n---\n{}",
                seed.replace("# Strategic", "# Other")
            ),
        ),
    ]);
    // An unreadable definition: a directory where the file should be.
    std::fs::create_dir_all(dir.path().join("epsilon/AGENT.md")).expect("mkdir");

    let errors = capability::load_dir(dir.path()).expect_err("invalid set");
    let described: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let find = |folder: &str| {
        errors
            .iter()
            .find(|e| e.path.starts_with(dir.path().join(folder)))
            .unwrap_or_else(|| panic!("no error for {folder}: {described:?}"))
    };
    assert!(matches!(
        find("beta").problem,
        Problem::MissingSection("Workflow")
    ));
    assert!(matches!(find("gamma").problem, Problem::FrontMatter(_)));
    let duplicate = find("delta");
    assert!(
        matches!(&duplicate.problem, Problem::Duplicate { id, first } if id == "alpha" && first.contains("alpha/AGENT.md")),
        "{duplicate}"
    );
    assert!(matches!(find("epsilon").problem, Problem::Unreadable(_)));
    for line in &described {
        assert!(line.contains("AGENT.md: "), "{line}");
    }
    assert!(
        !errors
            .iter()
            .any(|e| e.path.starts_with(dir.path().join("alpha"))),
        "{described:?}"
    );
}

#[test]
fn duplicate_ids_are_refused() {
    let seed = seed();
    let dir = dir_with(&[
        ("one", &seed),
        ("one-again", &format!("---\nid: one\n---\n{seed}")),
    ]);
    let errors = capability::load_dir(dir.path()).expect_err("duplicate");
    assert_eq!(errors.len(), 1);
    assert!(errors[0].path.ends_with("one-again/AGENT.md"));
    assert!(matches!(&errors[0].problem, Problem::Duplicate { id, .. } if id == "one"));
}

#[test]
fn an_empty_or_missing_directory_is_an_error() {
    let empty = tempfile::tempdir().expect("temp dir");
    let errors = capability::load_dir(empty.path()).expect_err("empty");
    assert!(matches!(errors[0].problem, Problem::Empty));
    let errors = capability::load_dir(&empty.path().join("missing")).expect_err("missing");
    assert!(matches!(errors[0].problem, Problem::Unreadable(_)));
    let errors = CapabilitySet::load_dir(&fixtures(), "growth-advisor").expect_err("no default");
    assert!(matches!(errors[0].problem, Problem::MissingDefault(_)));
}

#[test]
fn cli_lists_and_checks_capabilities() {
    let cwd = tempfile::tempdir().expect("temp dir");
    let shipped = common::capabilities_dir();
    let shipped = shipped.to_str().expect("utf-8 path");

    let (code, out, err) = pmcoach(&["--capabilities-dir", shipped, "capabilities"], cwd.path());
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("strategic-pm-coach") && out.contains("(default)"),
        "{out}"
    );
    assert_eq!(
        out.lines().filter(|l| !l.starts_with(' ')).count(),
        5,
        "{out}"
    );

    let (code, out, err) = pmcoach(
        &["--capabilities-dir", shipped, "capabilities", "check"],
        cwd.path(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("5 capabilities ok"), "{out}");

    // A folder with only a new capability checks without the default.
    let fixtures = fixtures();
    let (code, out, err) = pmcoach(
        &["capabilities", "check", fixtures.to_str().expect("utf-8")],
        cwd.path(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 capabilities ok"), "{out}");

    let bad = dir_with(&[("broken", &seed().replace("## Integration", "## Links"))]);
    let (code, _out, err) = pmcoach(
        &["capabilities", "check", bad.path().to_str().expect("utf-8")],
        cwd.path(),
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("broken/AGENT.md: missing required section `## Integration`"),
        "{err}"
    );
}

#[test]
fn serve_refuses_to_start_on_an_invalid_set() {
    let cwd = tempfile::tempdir().expect("temp dir");
    let bad = dir_with(&[("strategic-pm-coach", "# Just a title\n")]);
    let (code, _out, err) = pmcoach(
        &[
            "--capabilities-dir",
            bad.path().to_str().expect("utf-8"),
            "serve",
            "--listen",
            "127.0.0.1:0",
        ],
        cwd.path(),
    );
    assert_eq!(code, 1);
    assert!(err.contains("invalid capabilities"), "{err}");
    assert!(
        err.contains("missing required section `## Identity`"),
        "{err}"
    );
}
