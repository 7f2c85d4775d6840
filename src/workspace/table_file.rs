//! Markdown files that keep one table per section, which pmcoach appends rows
//! to (positioning, evidence, client PM progress, growth commitments). Rows are
//! read leniently; a new row goes after the section's last table line, and
//! every other byte a person wrote stays as it was.

use super::markdown::{one_line, table_cells};

/// The lines of the section under `heading`: from the line after it to the
/// next `#`/`##` heading (indices into `lines`).
fn section(lines: &[&str], heading: &str) -> Option<(usize, usize)> {
    let start = lines
        .iter()
        .position(|l| l.trim().eq_ignore_ascii_case(heading))?;
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.starts_with("## ") || l.starts_with("# "))
        .map_or(lines.len(), |p| start + 1 + p);
    Some((start, end))
}

/// The table rows under `heading` (cells, header and separator left out);
/// the header is the first row whose first cell is `first_header`.
pub(super) fn rows(text: &str, heading: &str, first_header: &str) -> Vec<Vec<String>> {
    let lines: Vec<&str> = text.lines().collect();
    let Some((start, end)) = section(&lines, heading) else {
        return Vec::new();
    };
    lines[start + 1..end]
        .iter()
        .filter_map(|l| table_cells(l))
        .filter(|cells| {
            !cells
                .first()
                .is_some_and(|c| c.eq_ignore_ascii_case(first_header))
        })
        .collect()
}

/// `| a | b |` from cells made safe (one line, no pipes).
pub(super) fn row_line(cells: &[String]) -> String {
    let cells: Vec<String> = cells.iter().map(|c| one_line(c)).collect();
    format!("| {} |\n", cells.join(" | "))
}

/// The header and separator lines for `header`.
fn header_lines(header: &[&str]) -> String {
    let separator: Vec<String> = header.iter().map(|h| "-".repeat(h.len().max(3))).collect();
    format!("| {} |\n|{}|\n", header.join(" | "), separator.join("|"))
}

/// `text` with `row` appended to the table under `heading`: after its last
/// table line; under the heading with a header when it has none; in a new
/// section at the end when there is no such heading; and `title` first when
/// the text is empty.
pub(super) fn append_row(
    text: &str,
    title: &str,
    heading: &str,
    header: &[&str],
    row: &[String],
) -> String {
    let mut text = if text.trim().is_empty() {
        format!("{title}\n")
    } else {
        text.to_string()
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let line = row_line(row);
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let offset = |index: usize| lines[..index].iter().map(|l| l.len()).sum::<usize>();
    let bare: Vec<&str> = lines.iter().map(|l| l.trim_end_matches('\n')).collect();
    let (at, block) = match section(&bare, heading) {
        Some((start, end)) => match (start + 1..end)
            .rev()
            .find(|i| bare[*i].trim_start().starts_with('|'))
        {
            Some(last) => (offset(last + 1), line),
            None => (
                offset(start + 1),
                format!("\n{}{line}", header_lines(header)),
            ),
        },
        None => (
            text.len(),
            format!("\n{heading}\n\n{}{line}", header_lines(header)),
        ),
    };
    text.insert_str(at, &block);
    text
}

/// `text` with the first table row under `heading` for which `matches` holds
/// replaced by `row`; `None` when no row matches.
pub(super) fn replace_row(
    text: &str,
    heading: &str,
    matches: impl Fn(&[String]) -> bool,
    row: &[String],
) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let bare: Vec<&str> = lines.iter().map(|l| l.trim_end_matches('\n')).collect();
    let (start, end) = section(&bare, heading)?;
    let index = (start + 1..end).find(|i| table_cells(bare[*i]).is_some_and(|c| matches(&c)))?;
    let mut out: String = lines[..index].concat();
    out.push_str(&row_line(row));
    out.push_str(&lines[index + 1..].concat());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: [&str; 2] = ["Date", "What"];

    fn cells(a: &str, b: &str) -> Vec<String> {
        vec![a.to_string(), b.to_string()]
    }

    #[test]
    fn rows_are_appended_and_everything_else_is_kept() {
        let text = append_row("", "# T", "## Rows", &HEADER, &cells("d1", "a | b"));
        assert_eq!(
            text,
            "# T\n\n## Rows\n\n| Date | What |\n|----|----|\n| d1 | a / b |\n"
        );
        let edited = format!("{text}\nA note a person wrote.\n\n## Other\n| x | y |\n");
        let next = append_row(&edited, "# T", "## Rows", &HEADER, &cells("d2", "b"));
        assert!(next.contains("| d1 | a / b |\n| d2 | b |\n\nA note a person wrote."));
        assert!(next.ends_with("## Other\n| x | y |\n"));
        assert_eq!(
            rows(&next, "## Rows", "date"),
            [cells("d1", "a / b"), cells("d2", "b")]
        );
    }

    #[test]
    fn a_missing_section_or_table_is_made() {
        let text = append_row("# Mine\nprose", "# T", "## Rows", &HEADER, &cells("d", "x"));
        assert!(text.starts_with("# Mine\nprose\n\n## Rows\n\n| Date |"));
        let text = append_row(
            "# T\n\n## Rows\nprose\n",
            "# T",
            "## Rows",
            &HEADER,
            &cells("d", "x"),
        );
        assert_eq!(rows(&text, "## Rows", "Date"), [cells("d", "x")]);
        assert!(text.contains("prose\n"));
    }

    #[test]
    fn one_row_is_replaced() {
        let text = append_row("", "# T", "## Rows", &HEADER, &cells("d1", "a"));
        let text = append_row(&text, "# T", "## Rows", &HEADER, &cells("d2", "b"));
        let out = replace_row(&text, "## Rows", |c| c[0] == "d2", &cells("d2", "c")).expect("row");
        assert_eq!(
            rows(&out, "## Rows", "Date"),
            [cells("d1", "a"), cells("d2", "c")]
        );
        assert!(replace_row(&text, "## Rows", |c| c[0] == "d9", &cells("x", "y")).is_none());
    }
}
