//! The context's sections about the engagement over time: reminders, the
//! tracked action items, financials.md's contract facts, the coverage of the
//! ratio and customer-info.md's Notes (each a section of its own; `context`
//! orders them and cuts the whole to its budget).

use std::fmt::Write as _;

use super::action_items::TrackedItem;
use super::coverage::Coverage;
use super::info;
use super::reminders::{self, Reminder};

/// Longest Notes excerpt (the whole context is cut to its budget as well).
const NOTES_CHARS: usize = 2_000;

/// The reminders, if any.
pub(super) fn reminders_section(reminders: &[Reminder]) -> Option<String> {
    reminders::render(reminders)
}

/// The items still open, if any.
pub(super) fn open_items_section(items: &[TrackedItem]) -> Option<String> {
    let open: Vec<_> = items.iter().filter(|i| i.is_open()).collect();
    if open.is_empty() {
        return None;
    }
    let mut out = String::from("### Open action items (action-items.md)\n");
    for item in open {
        let _ = writeln!(
            out,
            "- {}: {} (owner {}, due {}, {})",
            item.id,
            flat(&item.item, 160),
            item.owner,
            item.due,
            item.status
        );
    }
    Some(out)
}

/// financials.md's facts (rate, contract, renewal), if any are filled in.
pub(super) fn financials_section(financials: &str) -> Option<String> {
    let facts = info::facts(financials);
    if facts.is_empty() {
        return None;
    }
    let mut out = String::from("### Financials (financials.md)\n");
    for (name, value) in facts {
        let _ = writeln!(out, "- {name}: {}", flat(&value, 300));
    }
    Some(out)
}

/// ideas.md's ideas still in play, if any.
pub(super) fn ideas_section(ideas_text: &str) -> Option<String> {
    let live = super::ideas::live_ideas(ideas_text);
    if live.is_empty() {
        return None;
    }
    let mut out = String::from("### Ideas in play (ideas.md)\n");
    for idea in live {
        let _ = writeln!(
            out,
            "- {}: {} ({})",
            idea.id,
            flat(&idea.idea, 160),
            idea.status
        );
    }
    Some(out)
}

/// The coverage line under the ratio.
pub(super) fn coverage_line(coverage: Option<&Coverage>) -> String {
    match coverage {
        Some(coverage) => format!("- {}\n", coverage.note),
        None => "- Coverage unknown: no contracted Hours per Week recorded; ask for it before trusting the ratio.\n".into(),
    }
}

/// customer-info.md's `## Notes` section, if it has any text.
pub(super) fn notes_section(info_text: &str) -> Option<String> {
    let notes = notes(info_text);
    if notes.trim().is_empty() {
        return None;
    }
    let mut cut: String = notes.trim().chars().take(NOTES_CHARS).collect();
    if cut.len() < notes.trim().len() {
        cut.push('…');
    }
    Some(format!("### Notes (customer-info.md)\n{cut}\n"))
}

/// The lines under `## Notes`, up to the next `#` or `##` heading.
fn notes(info_text: &str) -> String {
    let mut lines = info_text.lines();
    let found = lines
        .by_ref()
        .any(|line| line.trim().eq_ignore_ascii_case("## Notes"));
    if !found {
        return String::new();
    }
    lines
        .take_while(|l| !(l.starts_with("## ") || l.starts_with("# ")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` on one line, cut to `max` characters.
fn flat(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        format!("{}…", flat.chars().take(max).collect::<String>().trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_reach_the_context_up_to_the_next_section() {
        let text = "# Customer: acme\n\n## Notes\nRenewal talk in January.\n### Sub\nkept\n## Later\nnot notes\n";
        let section = notes_section(text).expect("notes");
        assert!(
            section.contains("Renewal talk in January.\n### Sub\nkept"),
            "{section}"
        );
        assert!(!section.contains("not notes"));
        assert_eq!(notes_section("# Customer\n\n## Notes\n\n"), None);
        assert_eq!(financials_section("- **Rate**: \n"), None);
        assert!(
            financials_section("- **Rate**: $150/h\n").is_some_and(|s| s.contains("Rate: $150/h"))
        );
    }
}
