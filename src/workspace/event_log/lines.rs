//! Where entries and sections start, line by line, and where a line starts in
//! the text.

/// Whether `line` is an entry heading: `###`, but not `####`.
pub(super) fn is_entry_heading(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.starts_with("###") && !trimmed.starts_with("####")
}

/// Whether `line` ends the section above it: an entry, `## ` or `# ` heading.
pub(super) fn is_section_heading(line: &str) -> bool {
    let trimmed = line.trim_start();
    is_entry_heading(line)
        || (trimmed.starts_with("## ") || trimmed == "##")
        || (trimmed.starts_with("# ") && !trimmed.starts_with("##"))
}

/// The index of the first section heading after `start`, or `lines.len()`.
pub(super) fn section_end(lines: &[&str], start: usize) -> usize {
    (start + 1..lines.len())
        .find(|&j| is_section_heading(lines[j]))
        .unwrap_or(lines.len())
}

/// The byte offset at which line `index` starts, for lines that keep their
/// newlines (`split_inclusive`); `index == lines.len()` is the end of the text.
pub(super) fn offset_of(lines: &[&str], index: usize) -> usize {
    lines[..index].iter().map(|line| line.len()).sum()
}
