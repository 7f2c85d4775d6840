//! `customer-info.md`: the engagement facts (the coach's Inputs Required) as
//! `- **Field**: value` lines and a Client Team table. Updates replace one line or
//! row and leave everything else a person wrote as it was.

use std::sync::LazyLock;

use regex::Regex;

use super::markdown::{one_line, table_cells};
use serde::Serialize;

/// Heading of the client team table.
pub const CLIENT_TEAM_HEADING: &str = "## Client Team";

/// A fact to set: the section it belongs in, its field name, its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    /// `## Engagement` or `## Context`.
    pub section: &'static str,
    /// Field name as shown.
    pub name: &'static str,
    /// New value.
    pub value: String,
}

/// A client PM row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientPm {
    /// Name (the row's key).
    pub name: String,
    /// Role.
    pub role: String,
    /// Tactical or Strategic.
    pub level: String,
}

static FIELD_LINE: LazyLock<Regex> = LazyLock::new(|| {
    #[allow(clippy::expect_used)]
    Regex::new(r"^\s*[-*]?\s*\*\*\s*([^*:]+?)\s*:?\s*\*\*\s*:?\s*(.*)$").expect("field pattern")
});

/// The file a new customer starts with.
pub fn template(customer: &str) -> String {
    format!(
        "# Customer: {customer}\n\n\
         ## Engagement\n\
         - **Customer Name**: \n\
         - **Engagement Scope**: \n\
         - **Hours per Week**: \n\
         - **Rate**: \n\
         - **Client Expectations**: \n\n\
         {CLIENT_TEAM_HEADING}\n\
         | Name | Role | Level |\n\
         |------|------|-------|\n\n\
         ## Context\n\
         - **Product Maturity**: \n\
         - **Relationship Health**: \n\
         - **Strategic Opportunities**: \n\n\
         ## Notes\n"
    )
}

/// `(field, value)` for every `**Field**: value` line with a value.
pub fn facts(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| FIELD_LINE.captures(line))
        .map(|c| (c[1].trim().to_string(), c[2].trim().to_string()))
        .filter(|(_, value)| !value.is_empty())
        .collect()
}

/// The Client Team table's rows.
pub fn client_team(text: &str) -> Vec<ClientPm> {
    section_lines(text, CLIENT_TEAM_HEADING)
        .into_iter()
        .filter_map(|(_, line)| row(line))
        .map(|cells| client_pm(&cells))
        .collect()
}

/// A table row's cells; `None` for other lines and the header.
fn row(line: &str) -> Option<Vec<String>> {
    let cells = table_cells(line)?;
    let header = cells
        .first()
        .is_some_and(|c| c.eq_ignore_ascii_case("name"));
    (!header && !cells.is_empty()).then_some(cells)
}

/// The client PM in a row's (non-empty) cells.
fn client_pm(cells: &[String]) -> ClientPm {
    ClientPm {
        name: cells[0].clone(),
        role: cells.get(1).cloned().unwrap_or_default(),
        level: cells.get(2).cloned().unwrap_or_default(),
    }
}

/// Lines of a `## ` section (after its heading), with their indices.
fn section_lines<'a>(text: &'a str, heading: &str) -> Vec<(usize, &'a str)> {
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = lines
        .iter()
        .position(|l| l.trim().eq_ignore_ascii_case(heading))
    else {
        return Vec::new();
    };
    lines
        .iter()
        .enumerate()
        .skip(start + 1)
        .take_while(|(_, l)| !l.starts_with("## ") && !l.starts_with("# "))
        .map(|(i, l)| (i, *l))
        .collect()
}

/// Sets a fact: replaces the value of the first line with that field name, or
/// adds the line at the end of its section (adding the section if needed).
/// Returns the new text and the previous value, if there was one.
pub fn set_fact(text: &str, fact: &Fact) -> (String, Option<String>) {
    let value = one_line(&fact.value);
    let new_line = format!("- **{}**: {value}", fact.name);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if let Some((i, previous)) = find_fact(&lines, fact.name) {
        lines[i] = new_line;
        let previous = (!previous.is_empty()).then_some(previous);
        return (join(lines), previous);
    }
    let section = section_lines(text, fact.section);
    add_fact_line(&mut lines, &section, fact.section, new_line);
    (join(lines), None)
}

/// The index and value of the first `**name**: value` line (name ignoring case).
fn find_fact(lines: &[String], name: &str) -> Option<(usize, String)> {
    lines.iter().enumerate().find_map(|(i, line)| {
        let c = FIELD_LINE.captures(line)?;
        c[1].trim()
            .eq_ignore_ascii_case(name)
            .then(|| (i, c[2].trim().to_string()))
    })
}

/// Puts `line` after the section's last non-blank line, at its start when it
/// is all blank, or under a new `heading` at the end when there is no section.
fn add_fact_line(lines: &mut Vec<String>, section: &[(usize, &str)], heading: &str, line: String) {
    match section.iter().rev().find(|(_, l)| !l.trim().is_empty()) {
        Some((i, _)) => lines.insert(i + 1, line),
        None => match section.first() {
            Some((i, _)) => lines.insert(*i, line),
            None => {
                lines.push(String::new());
                lines.push(heading.to_string());
                lines.push(line);
            }
        },
    }
}

/// Adds or replaces (by name, ignoring case) a Client Team row. Returns the new
/// text and the previous row, if there was one.
pub fn upsert_client_pm(text: &str, pm: &ClientPm) -> (String, Option<ClientPm>) {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let section = section_lines(text, CLIENT_TEAM_HEADING);
    let existing = section.iter().find_map(|(i, line)| {
        let cells = row(line)?;
        cells[0]
            .eq_ignore_ascii_case(pm.name.trim())
            .then_some((*i, cells))
    });
    let new_row = pm_row(pm, existing.as_ref().map(|(_, cells)| cells.as_slice()));
    if let Some((i, cells)) = existing {
        lines[i] = new_row;
        return (join(lines), Some(client_pm(&cells)));
    }
    add_pm_row(&mut lines, &section, new_row);
    (join(lines), None)
}

/// The row for `pm`; a role or level left empty keeps what the `existing`
/// row had.
fn pm_row(pm: &ClientPm, existing: Option<&[String]>) -> String {
    let keep = |given: &str, column: usize| match (existing, given.trim().is_empty()) {
        (Some(cells), true) => cells.get(column).cloned().unwrap_or_default(),
        _ => given.to_string(),
    };
    format!(
        "| {} | {} | {} |",
        one_line(&pm.name),
        one_line(&keep(&pm.role, 1)),
        one_line(&keep(&pm.level, 2))
    )
}

/// Puts `row` after the table's last row, or starts the table (and the
/// section, if there is none).
fn add_pm_row(lines: &mut Vec<String>, section: &[(usize, &str)], row: String) {
    if let Some((i, _)) = section
        .iter()
        .rev()
        .find(|(_, l)| l.trim_start().starts_with('|'))
    {
        lines.insert(i + 1, row);
        return;
    }
    let at = section.first().map_or(lines.len(), |(i, _)| *i);
    let block = ["| Name | Role | Level |", "|------|------|-------|", &row];
    if section.is_empty() {
        lines.push(String::new());
        lines.push(CLIENT_TEAM_HEADING.to_string());
    }
    for (n, line) in block.iter().enumerate() {
        lines.insert(at.min(lines.len()) + n, (*line).to_string());
    }
}

fn join(lines: Vec<String>) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_has_every_input_and_an_empty_team() {
        let text = template("acme");
        assert!(facts(&text).is_empty(), "no values yet");
        assert!(client_team(&text).is_empty());
        assert!(text.contains("- **Relationship Health**: "));
    }

    #[test]
    fn setting_a_fact_replaces_only_its_line() {
        let text = "# Customer: acme\n\nIntro a person wrote.\n\n## Engagement\n**Rate:** $150/h\n- **Hours per Week**: 20\n\n## Notes\nKeep this.\n";
        let (text, previous) = set_fact(
            text,
            &Fact {
                section: "## Engagement",
                name: "Rate",
                value: "$200/h\nvalue-based".into(),
            },
        );
        assert_eq!(previous.as_deref(), Some("$150/h"));
        assert!(text.contains("- **Rate**: $200/h value-based\n"));
        assert!(text.contains("Intro a person wrote.") && text.contains("Keep this."));
        let (text, previous) = set_fact(
            &text,
            &Fact {
                section: "## Context",
                name: "Product Maturity",
                value: "Early".into(),
            },
        );
        assert_eq!(previous, None);
        assert!(
            text.ends_with("## Context\n- **Product Maturity**: Early\n"),
            "{text}"
        );
        let facts = facts(&text);
        assert!(facts.contains(&("Hours per Week".into(), "20".into())));
    }

    #[test]
    fn client_pms_are_upserted_by_name() {
        let text = template("acme");
        let dana = ClientPm {
            name: "Dana".into(),
            role: "PM".into(),
            level: "Tactical".into(),
        };
        let (text, previous) = upsert_client_pm(&text, &dana);
        assert_eq!(previous, None);
        let (text, previous) = upsert_client_pm(
            &text,
            &ClientPm {
                level: "Strategic".into(),
                ..dana.clone()
            },
        );
        assert_eq!(previous, Some(dana));
        let team = client_team(&text);
        assert_eq!(team.len(), 1);
        assert_eq!(team[0].level, "Strategic");
        let (text, _) = upsert_client_pm(
            &text,
            &ClientPm {
                name: "dana".into(),
                role: "Senior PM".into(),
                level: String::new(),
            },
        );
        let team = client_team(&text);
        assert_eq!(
            (team[0].role.as_str(), team[0].level.as_str()),
            ("Senior PM", "Strategic")
        );
        assert!(text.contains("## Context"), "later sections kept");
    }
}
