//! The bench's figures as a Markdown table, and where they are kept.

use std::fmt::Write as _;
use std::time::Duration;

use super::load::{Kind, Sample, quantile};

/// One kind of turn at 1 and at 64 connections.
pub struct Row {
    name: &'static str,
    streamed: bool,
    direct: bool,
    p50_one: Duration,
    p99_one: Duration,
    first_one: Option<Duration>,
    cpu_one: Duration,
    per_second: f64,
    p50_many: Duration,
    p99_many: Duration,
    first_many: Option<Duration>,
    cpu_many: Duration,
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

impl Row {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: &'static str,
        kind: Kind,
        one: &[Sample],
        cpu_one: Duration,
        turns_one: usize,
        many: &[Sample],
        elapsed: Duration,
        cpu_many: Duration,
        direct: bool,
    ) -> Row {
        let mut done_one: Vec<Duration> = one.iter().map(|s| s.done).collect();
        let mut done_many: Vec<Duration> = many.iter().map(|s| s.done).collect();
        let mut first_one: Vec<Duration> = one.iter().filter_map(|s| s.first).collect();
        let mut first_many: Vec<Duration> = many.iter().filter_map(|s| s.first).collect();
        Row {
            name,
            streamed: kind.streamed(),
            direct,
            p50_one: quantile(&mut done_one, 0.5),
            p99_one: quantile(&mut done_one, 0.99),
            first_one: (!first_one.is_empty()).then(|| quantile(&mut first_one, 0.5)),
            cpu_one: cpu_one / turns_one as u32,
            per_second: many.len() as f64 / elapsed.as_secs_f64(),
            p50_many: quantile(&mut done_many, 0.5),
            p99_many: quantile(&mut done_many, 0.99),
            first_many: (!first_many.is_empty()).then(|| quantile(&mut first_many, 0.5)),
            cpu_many: cpu_many / many.len().max(1) as u32,
        }
    }

    fn reference<'a>(&self, rows: &'a [Row]) -> Option<&'a Row> {
        rows.iter()
            .find(|r| r.direct && r.streamed == self.streamed)
    }

    /// The row as a table line.
    pub fn line(&self, rows: &[Row]) -> String {
        let direct = self.reference(rows);
        let ratio = direct.map_or(String::new(), |d| {
            format!("{:.3}x", self.per_second / d.per_second)
        });
        let added = match direct {
            Some(d) if !self.direct => format!("+{}", ms(self.p50_one.saturating_sub(d.p50_one))),
            _ => String::new(),
        };
        let first = match (self.first_one, self.first_many) {
            (Some(one), Some(many)) => format!("{} / {}", ms(one), ms(many)),
            _ => String::new(),
        };
        let cpu = if self.direct {
            "(in the bench process)".to_string()
        } else {
            format!("{} / {}", ms(self.cpu_one), ms(self.cpu_many))
        };
        format!(
            "| {} | {:.0} | {ratio} | {} / {} | {} / {} | {added} | {first} | {cpu} |",
            self.name,
            self.per_second,
            ms(self.p50_many),
            ms(self.p99_many),
            ms(self.p50_one),
            ms(self.p99_one),
        )
    }
}

/// Everything one run measured.
pub struct Report {
    pub rows: Vec<Row>,
    pub base_rss: f64,
    pub end_rss: f64,
    pub sessions: usize,
    /// Turn count, CPU per turn and p50 for each stretch of a long session.
    pub lengths: Vec<(usize, Duration, Duration)>,
    pub load: (String, String),
}

impl Report {
    pub fn new(base_rss: f64) -> Report {
        Report {
            rows: Vec::new(),
            base_rss,
            end_rss: 0.0,
            sessions: 0,
            lengths: Vec::new(),
            load: Default::default(),
        }
    }

    pub fn push(&mut self, row: Row) {
        self.rows.push(row);
    }

    /// The run as Markdown.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let label = std::env::var("PMCOACH_BENCH_LABEL").unwrap_or_else(|_| "run".into());
        let _ = writeln!(
            out,
            "### {label}: {}, {}\n",
            jiff::Timestamp::now(),
            machine()
        );
        let _ = writeln!(
            out,
            "Load average before / after: {} / {}\n",
            self.load.0, self.load.1
        );
        out.push_str("| turn | turns/s at 64 | x direct | p50 / p99 at 64 (ms) | p50 / p99 at 1 (ms) | added p50 at 1 (ms) | first text p50 at 1 / 64 (ms) | server CPU per turn at 1 / 64 (ms) |\n");
        out.push_str("|---|---|---|---|---|---|---|---|\n");
        for row in &self.rows {
            let _ = writeln!(out, "{}", row.line(&self.rows));
        }
        out.push_str(
            "\nContinuing sessions, 32 at once, by length (turns so far: CPU per turn, p50):",
        );
        for (turns, cpu, p50) in &self.lengths {
            let _ = write!(out, " {turns}: {} ms, {} ms;", ms(*cpu), ms(*p50));
        }
        let _ = writeln!(
            out,
            "\n\nServer RSS: {:.1} MB at start, {:.1} MB after {} sessions.\n",
            self.base_rss, self.end_rss, self.sessions
        );
        out
    }
}

/// `/proc/loadavg`'s first three figures.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cores} cores, {model}")
}

/// Adds `text` at the end of BENCHMARKS.md's "Cost per turn" section.
pub fn append(text: &str) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/BENCHMARKS.md");
    let mut doc = std::fs::read_to_string(path).expect("BENCHMARKS.md");
    // At the end of the "Cost per turn" section: before the next section, if any.
    let at = doc
        .find(SECTION)
        .and_then(|start| {
            doc[start + SECTION.len()..]
                .find("\n## ")
                .map(|n| start + SECTION.len() + n + 1)
        })
        .unwrap_or(doc.len());
    doc.insert_str(at, &format!("{text}\n"));
    let tmp = format!("{path}.tmp");
    std::fs::write(&tmp, doc).expect("write BENCHMARKS.md");
    std::fs::rename(&tmp, path).expect("replace BENCHMARKS.md");
}

/// The section the runs are kept in.
const SECTION: &str = "## Cost per turn (issue 16)";
