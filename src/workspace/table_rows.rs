//! Editing one row of a markdown table in place: rows are found by the
//! `AI-NNN` id in one of their cells and their cells addressed by the header's
//! column names, so a hand-made table with other columns or order still works.
//! Every other byte of the file (other rows, prose, spacing) is kept.

use std::sync::LazyLock;

use regex::Regex;

use super::markdown::table_cells;

static ID_CELL: LazyLock<Regex> = LazyLock::new(|| {
    // A fixed pattern, checked by the tests: compiling it cannot fail.
    #[allow(clippy::expect_used)]
    Regex::new(r"(?i)^AI-(\d+)\b").expect("id cell pattern compiles")
});

/// The number of the `AI-NNN` id a cell starts with.
pub(super) fn id_number(cell: &str) -> Option<u32> {
    ID_CELL.captures(cell.trim())?[1].parse().ok()
}

/// A table row as found: its header's column names and its cells.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Row {
    /// The column names of the table's header row.
    pub(super) header: Vec<String>,
    /// The row's cells.
    pub(super) cells: Vec<String>,
}

impl Row {
    /// The index of the column named one of `names` (ignoring case).
    pub(super) fn column(&self, names: &[&str]) -> Option<usize> {
        self.header
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    }

    /// The cell of the column named one of `names`, if there is one.
    pub(super) fn get(&self, names: &[&str]) -> Option<&str> {
        self.cells.get(self.column(names)?).map(String::as_str)
    }

    /// Sets the cell of the column named one of `names`; false when the table
    /// has no such column.
    pub(super) fn set(&mut self, names: &[&str], value: &str) -> bool {
        let Some(at) = self.column(names) else {
            return false;
        };
        if self.cells.len() <= at {
            self.cells.resize(at + 1, String::new());
        }
        self.cells[at] = value.to_string();
        true
    }

    /// The id number in the row, if any cell starts with one.
    pub(super) fn id(&self) -> Option<u32> {
        self.cells.iter().find_map(|c| id_number(c))
    }

    fn render(&self) -> String {
        format!("| {} |", self.cells.join(" | "))
    }
}

/// Every data row of every table in `text`, with the line index it is on.
pub(super) fn rows(text: &str) -> Vec<(usize, Row)> {
    let mut out = Vec::new();
    let mut header: Option<Vec<String>> = None;
    let mut in_table = false;
    for (i, line) in text.lines().enumerate() {
        let is_table = line.trim_start().starts_with('|');
        if !is_table {
            (in_table, header) = (false, None);
            continue;
        }
        let cells = table_cells(line);
        match (in_table, cells) {
            (false, cells) => header = cells,
            (true, Some(cells)) => out.push((
                i,
                Row {
                    header: header.clone().unwrap_or_default(),
                    cells,
                },
            )),
            (true, None) => {}
        }
        in_table = true;
    }
    out
}

/// `text` with the row whose id is `id` changed by `change`; `None` when no
/// row has that id. Only that line changes.
pub(super) fn edit_row(text: &str, id: u32, change: impl FnOnce(&mut Row)) -> Option<String> {
    let (index, mut row) = rows(text)
        .into_iter()
        .find(|(_, row)| row.id() == Some(id))?;
    change(&mut row);
    let mut out = String::with_capacity(text.len() + 32);
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i == index {
            out.push_str(&row.render());
            out.push_str(&line[line.trim_end_matches(['\r', '\n']).len()..]);
        } else {
            out.push_str(line);
        }
    }
    Some(out)
}

/// `text` with `row` added after the last row of the first table, or (with
/// `header`) as a new table at the end when there is none.
pub(super) fn append_row(text: &str, row: &str, header: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let first_table = lines.iter().position(|l| l.trim_start().starts_with('|'));
    let Some(start) = first_table else {
        let mut out = text.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        out.push_str(&format!("{header}\n{row}\n"));
        return out;
    };
    let end = lines[start..]
        .iter()
        .position(|l| !l.trim_start().starts_with('|'))
        .map_or(lines.len(), |p| start + p);
    let at: usize = lines[..end].iter().map(|l| l.len()).sum();
    let mut out = text.to_string();
    let newline = if at > 0 && !out[..at].ends_with('\n') {
        "\n"
    } else {
        ""
    };
    out.insert_str(at, &format!("{newline}{row}\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# Items\r\nNotes a person keeps.\n\n| Due | ID | Task | Status |\n|---|---|---|---|\n| 2026-12-01 | AI-002 | Call | Open |\n| 2026-12-03 | AI-010 | Write | Blocked |\n\nMore prose.\n";

    #[test]
    fn a_row_is_found_by_id_and_only_its_line_changes() {
        let edited = edit_row(TEXT, 10, |row| {
            assert_eq!(row.get(&["task"]), Some("Write"));
            assert!(row.set(&["Status"], "Completed"));
            assert!(!row.set(&["Owner"], "Me"));
        })
        .expect("found");
        assert_eq!(
            edited,
            TEXT.replace(
                "| 2026-12-03 | AI-010 | Write | Blocked |",
                "| 2026-12-03 | AI-010 | Write | Completed |"
            )
        );
        assert_eq!(edit_row(TEXT, 3, |_| {}), None);
        assert_eq!(id_number("ai-007: x"), Some(7));
    }

    #[test]
    fn rows_are_appended_to_the_first_table_or_start_one() {
        let added = append_row(TEXT, "| d | AI-011 | t | Open |", "| H |");
        assert!(added.contains("| Blocked |\n| d | AI-011 | t | Open |\n\nMore prose.\n"));
        assert_eq!(rows(&added).len(), 3);
        let fresh = append_row("# Items\n", "| a |", "| H |\n|---|");
        assert_eq!(fresh, "# Items\n\n| H |\n|---|\n| a |\n");
    }
}
