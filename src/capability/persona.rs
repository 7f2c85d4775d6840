//! The persona a capability's model is given: its AGENT.md body without what
//! the model does not need to be itself. The When to Invoke section tells
//! others when to call on it; the literal templates under Outputs Produced are
//! rendered by the server from `templates/`, where the same structure lives.
//! Every framework, workflow phase and standard stays.

use std::ops::Range;

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

/// Sections left out whole.
const LEFT_OUT: &[&str] = &["When to Invoke"];
/// Sections whose code blocks (the literal templates) are left out.
const TEMPLATES_IN: &[&str] = &["Outputs Produced", "Outputs"];

/// `body` as the model's persona.
pub(super) fn persona(body: &str) -> String {
    let mut cut: Vec<Range<usize>> = Vec::new();
    let mut section: Option<(String, usize)> = None;
    let mut heading: Option<(String, usize)> = None;
    let close = |section: &Option<(String, usize)>, end: usize, cut: &mut Vec<Range<usize>>| {
        if let Some((title, start)) = section
            && LEFT_OUT.iter().any(|t| title.eq_ignore_ascii_case(t))
        {
            cut.push(*start..end);
        }
    };
    for (event, range) in Parser::new(body).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H2,
                ..
            }) => heading = Some((String::new(), range.start)),
            Event::Text(text) | Event::Code(text) => {
                if let Some((title, _)) = heading.as_mut() {
                    title.push_str(&text);
                }
            }
            Event::End(TagEnd::Heading(HeadingLevel::H2)) => {
                close(&section, range.start, &mut cut);
                section = heading
                    .take()
                    .map(|(title, _)| (title.trim().to_string(), range.start));
            }
            Event::Start(Tag::CodeBlock(_)) if in_templates(&section) => cut.push(range),
            _ => {}
        }
    }
    close(&section, body.len(), &mut cut);
    remove(body, &cut)
}

fn in_templates(section: &Option<(String, usize)>) -> bool {
    section
        .as_ref()
        .is_some_and(|(title, _)| TEMPLATES_IN.iter().any(|t| title.eq_ignore_ascii_case(t)))
}

/// `text` without the ranges (in order, not overlapping), with the blank
/// lines they leave folded to one.
fn remove(text: &str, cut: &[Range<usize>]) -> String {
    let mut kept = String::with_capacity(text.len());
    let mut at = 0;
    for range in cut {
        if range.start >= at {
            kept.push_str(&text[at..range.start]);
            at = range.end;
        }
    }
    kept.push_str(&text[at..]);
    let mut out = String::with_capacity(kept.len());
    let mut blank = 0;
    for line in kept.lines() {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "# Coach\n\n## Identity\n\nYou coach.\n\n## When to Invoke\n\n- Always\n\n\
        ## Outputs Produced\n\n### Assessment\nUse it first.\n```markdown\n# Assessment\n\n## Position\n| a | b |\n```\n\n\
        ### Plan\nUse it next.\n\n```markdown\n# Plan\n```\n\n## Quality Standards\n\n- **Clear**: yes\n";

    #[test]
    fn templates_and_when_to_invoke_are_left_out_and_the_rest_kept() {
        let lean = persona(BODY);
        assert_eq!(
            lean,
            "# Coach\n\n## Identity\n\nYou coach.\n\n## Outputs Produced\n\n### Assessment\n\
             Use it first.\n\n### Plan\nUse it next.\n\n## Quality Standards\n\n- **Clear**: yes"
        );
    }

    #[test]
    fn code_outside_the_outputs_section_stays() {
        let body = "# C\n\n## Core Frameworks\n\n```text\nNOW -> NEXT\n```\n";
        assert_eq!(
            persona(body),
            "# C\n\n## Core Frameworks\n\n```text\nNOW -> NEXT\n```"
        );
    }
}
