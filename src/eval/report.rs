//! Reporting: the per-case table and summary on the terminal, and the JSON and
//! JUnit files for CI.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde::Serialize;

use super::run::CaseResult;

/// Passed, failed, and how long it all took.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Summary {
    /// Cases run.
    pub cases: usize,
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
    /// Wall time of the whole run.
    pub duration_ms: u64,
}

impl Summary {
    /// Counts the results.
    pub fn of(results: &[CaseResult], duration_ms: u64) -> Self {
        let passed = results.iter().filter(|r| r.passed).count();
        Self {
            cases: results.len(),
            passed,
            failed: results.len() - passed,
            duration_ms,
        }
    }
}

/// Milliseconds since `started`, for the reports' durations.
pub fn millis_since(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The table, the failures in detail, and the closing line.
pub fn table(results: &[CaseResult], summary: Summary) -> String {
    let width = results
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut out = format!(
        "{:width$}  {:6}  {:>7}  {:>8}  {:>7}\n",
        "case", "result", "checks", "tokens", "ms"
    );
    for r in results {
        let passed = r.checks.iter().filter(|c| c.passed).count();
        let _ = writeln!(
            out,
            "{:width$}  {:6}  {:>7}  {:>8}  {:>7}",
            r.name,
            if r.passed { "pass" } else { "FAIL" },
            format!("{passed}/{}", r.checks.len()),
            r.tokens,
            r.duration_ms
        );
    }
    for r in results.iter().filter(|r| !r.passed) {
        let _ = writeln!(out, "\n{} — {}", r.name, r.description);
        for check in r.checks.iter().filter(|c| !c.passed) {
            let _ = writeln!(out, "  ✗ {}", check.name);
            if !check.detail.is_empty() {
                let _ = writeln!(out, "    {}", check.detail);
            }
        }
    }
    let _ = writeln!(
        out,
        "\n{} cases in {:.1} s\neval: {} passed, {} failed",
        summary.cases,
        summary.duration_ms as f64 / 1000.0,
        summary.passed,
        summary.failed
    );
    out
}

#[derive(Serialize)]
struct JsonReport<'a> {
    summary: Summary,
    cases: &'a [CaseResult],
}

/// Writes the JSON report.
pub fn write_json(path: &Path, results: &[CaseResult], summary: Summary) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(&JsonReport {
        summary,
        cases: results,
    })
    .map_err(std::io::Error::other)?;
    crate::atomic::write_atomic(path, text.as_bytes())
}

/// Writes the JUnit XML report: one test case per eval case.
pub fn write_junit(path: &Path, results: &[CaseResult], summary: Summary) -> std::io::Result<()> {
    let mut suite = TestSuite::new("pmcoach-evals");
    for result in results {
        let status = if result.passed {
            TestCaseStatus::success()
        } else {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let failed: Vec<String> = result
                .checks
                .iter()
                .filter(|c| !c.passed)
                .map(|c| format!("{}: {}", c.name, c.detail))
                .collect();
            status.set_description(failed.join("\n"));
            status
        };
        let mut case = TestCase::new(result.name.clone(), status);
        case.set_time(std::time::Duration::from_millis(result.duration_ms));
        suite.add_test_case(case);
    }
    let mut report = Report::new("pmcoach eval");
    report.set_time(std::time::Duration::from_millis(summary.duration_ms));
    report.add_test_suite(suite);
    let xml = report.to_string().map_err(std::io::Error::other)?;
    crate::atomic::write_atomic(path, xml.as_bytes())
}
