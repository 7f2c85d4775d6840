//! `pmcoach portfolio`: every customer in the workspace as one table row.

use crate::clock::Clock;
use crate::config::Config;
use crate::workspace::{PortfolioRow, Workspace};

/// Prints the portfolio of the configured workspace.
pub(super) fn portfolio(config: &Config) -> Result<(), String> {
    let clock = config.today.map_or_else(Clock::system, Clock::fixed);
    let workspace = Workspace::new(&config.workspace_dir).with_clock(clock);
    let rows = workspace
        .portfolio(|_| true)
        .map_err(|err| format!("reading the workspace: {err}"))?;
    print!("{}", table(&rows));
    Ok(())
}

/// `40% of 12 h (30% coverage: too thin)`, or `-` without hours.
fn strategic(row: &PortfolioRow) -> String {
    let Some(pct) = row.strategic_pct else {
        return "-".to_string();
    };
    let coverage = match (row.coverage_pct, row.ratio_trustworthy) {
        (Some(cover), Some(false)) => format!(" ({cover}% coverage: too thin)"),
        (Some(cover), _) => format!(" ({cover}% coverage)"),
        _ => String::new(),
    };
    format!("{pct}% of {} h{coverage}", row.logged_hours)
}

/// The rows as an aligned text table with a header.
fn table(rows: &[PortfolioRow]) -> String {
    let header = [
        "Customer",
        "Name",
        "Strategic",
        "Ladder level",
        "Renewal",
        "Open items",
        "Overdue",
        "Evidence",
    ];
    let dash = || "-".to_string();
    let mut lines: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    for row in rows {
        lines.push(vec![
            row.id.to_string(),
            row.name.clone().unwrap_or_else(dash),
            strategic(row),
            row.ladder_level.clone().unwrap_or_else(dash),
            row.renewal_date.clone().unwrap_or_else(dash),
            row.open_action_items.to_string(),
            row.overdue_action_items.to_string(),
            row.evidence.to_string(),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            lines
                .iter()
                .map(|l| l[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for line in &lines {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    if rows.is_empty() {
        out.push_str("(no customers yet)\n");
    }
    out
}
