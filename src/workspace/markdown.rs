//! Small markdown helpers the workspace files share.

/// One line: whitespace folded, a leading `#` dropped and pipes turned into
/// slashes, so text from the model cannot forge a heading, field or table row.
pub(super) fn one_line(text: &str) -> String {
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    folded.trim_start_matches('#').trim().replace('|', "/")
}

/// The trimmed cells of a `| a | b |` table line; `None` for other lines and for
/// separator rows (`|---|---|`).
pub(super) fn table_cells(line: &str) -> Option<Vec<String>> {
    let line = line.trim();
    if !line.starts_with('|') {
        return None;
    }
    let cells: Vec<String> = line
        .trim_matches('|')
        .split('|')
        .map(|c| c.trim().to_string())
        .collect();
    let separator = cells.iter().all(|c| c.chars().all(|ch| "-: ".contains(ch)));
    (!separator).then_some(cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_lines() {
        assert_eq!(table_cells("| a | b |"), Some(vec!["a".into(), "b".into()]));
        assert_eq!(table_cells("|---|:-:|"), None);
        assert_eq!(table_cells("text"), None);
        assert_eq!(one_line("## x |\n y"), "x / y");
    }
}
