//! Reads one capability definition: optional YAML front matter, then markdown whose
//! H2 sections follow the family's anatomy.

use std::ops::Range;

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
use serde::Deserialize;

use super::{Capability, CapabilitySettings, Problem};

/// Sections every capability must have, in the family's words.
pub const REQUIRED_SECTIONS: &[&str] = &[
    "Identity",
    "Expertise",
    "When to Invoke",
    "Workflow",
    "Inputs Required",
    "Outputs Produced",
    "Quality Standards",
    "Integration",
];

/// Headings the family uses for its frameworks section (optional).
pub const FRAMEWORK_SECTIONS: &[&str] = &[
    "Core Frameworks",
    "Frameworks Used",
    "Methodologies & Frameworks",
];

/// Longest one-line description we derive, in characters.
const DESCRIPTION_MAX_CHARS: usize = 240;

/// The keys a capability's front matter may carry.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FrontMatter {
    id: Option<String>,
    name: Option<String>,
    description: Option<String>,
    mode: Option<String>,
    settings: CapabilitySettings,
}

/// One H2 section: its title and the markdown under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The heading text.
    pub title: String,
    /// Everything up to the next H2, trimmed.
    pub content: String,
}

/// Parses a capability from its text. `folder_id` is the name of the folder the
/// file lives in, which is the id unless front matter gives one (so a variant can
/// live in `coach-v2/` under the id it replaces).
pub(super) fn parse(folder_id: &str, text: &str) -> Result<Capability, Vec<Problem>> {
    let (front, body) = split_front_matter(text).map_err(|p| vec![p])?;
    let front: FrontMatter = match front {
        Some(yaml) => serde_yaml_ng::from_str(yaml)
            .map_err(|err| vec![Problem::FrontMatter(err.to_string())])?,
        None => FrontMatter::default(),
    };

    let mut problems = Vec::new();
    let id = front.id.clone().unwrap_or_else(|| folder_id.to_string());
    if !is_valid_id(&id) {
        problems.push(Problem::BadId(id.clone()));
    }

    let (title, sections) = outline(body);
    for required in REQUIRED_SECTIONS {
        if find(&sections, &[required]).is_none() {
            problems.push(Problem::MissingSection(required));
        }
    }
    let name = front.name.clone().or(title);
    if name.is_none() {
        problems.push(Problem::NoName);
    }
    let when_to_invoke = when_to_invoke(&sections, &mut problems);
    let description = front
        .description
        .clone()
        .or_else(|| find(&sections, &["Identity"]).and_then(|s| first_sentence(&s.content)));
    if description.is_none() && find(&sections, &["Identity"]).is_some() {
        problems.push(Problem::NoDescription);
    }
    if let Some(t) = front
        .settings
        .temperature
        .filter(|t| !(0.0..=2.0).contains(t))
    {
        problems.push(Problem::FrontMatter(format!(
            "settings.temperature must be between 0 and 2, got {t}"
        )));
    }

    match (problems.is_empty(), name, description) {
        (true, Some(name), Some(description)) => Ok(Capability {
            id,
            name,
            description,
            mode: front.mode,
            when_to_invoke,
            settings: front.settings,
            body: body.trim().to_string(),
            persona: super::persona::persona(body),
            sections,
            origin: super::Origin::BuiltIn,
        }),
        _ => Err(problems),
    }
}

/// The When to Invoke bullets; a section without any is a problem.
fn when_to_invoke(sections: &[Section], problems: &mut Vec<Problem>) -> Vec<String> {
    let section = find(sections, &["When to Invoke"]);
    let items = section
        .map(|s| bullet_items(&s.content))
        .unwrap_or_default();
    if section.is_some() && items.is_empty() {
        problems.push(Problem::EmptyWhenToInvoke);
    }
    items
}

/// A capability id: a lowercase slug of letters, digits and inner hyphens, short
/// enough that `consult_<id>` fits the 64-character limit on tool names.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 48
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
}

/// Splits `---` YAML front matter from the markdown body.
fn split_front_matter(text: &str) -> Result<(Option<&str>, &str), Problem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return Ok((None, text));
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return Ok((Some(&rest[..offset]), &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    Err(Problem::FrontMatter(
        "front matter opened with --- is never closed".to_string(),
    ))
}

/// The H1 title and the H2 sections of a markdown body. Headings inside code
/// fences (the output templates) are not headings, which is why this uses a
/// markdown parser rather than a line scan.
fn outline(body: &str) -> (Option<String>, Vec<Section>) {
    let mut title = None;
    let mut h2: Vec<(String, Range<usize>)> = Vec::new();
    let mut current: Option<(HeadingLevel, String, usize)> = None;
    for (event, range) in Parser::new(body).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                current = Some((level, String::new(), range.start));
            }
            Event::Text(text) | Event::Code(text) => {
                if let Some((_, heading, _)) = current.as_mut() {
                    heading.push_str(&text);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, heading, start)) = current.take() {
                    let heading = heading.trim().to_string();
                    match level {
                        HeadingLevel::H1 if title.is_none() => title = Some(heading),
                        HeadingLevel::H2 => h2.push((heading, start..range.end)),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    let sections = h2
        .iter()
        .enumerate()
        .map(|(i, (heading, range))| {
            let end = h2.get(i + 1).map_or(body.len(), |(_, next)| next.start);
            Section {
                title: heading.clone(),
                content: body[range.end..end].trim().to_string(),
            }
        })
        .collect();
    (title, sections)
}

/// The first section whose title matches one of `names`, ignoring case.
pub(super) fn find<'a>(sections: &'a [Section], names: &[&str]) -> Option<&'a Section> {
    sections.iter().find(|section| {
        names
            .iter()
            .any(|name| section.title.eq_ignore_ascii_case(name))
    })
}

/// Top-level bullet items (`-`, `*`, `+` or `1.`) of a section, markup trimmed.
fn bullet_items(content: &str) -> Vec<String> {
    content
        .lines()
        .filter_map(|line| {
            let item = line
                .strip_prefix("- ")
                .or_else(|| line.strip_prefix("* "))
                .or_else(|| line.strip_prefix("+ "))
                .or_else(|| {
                    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
                    (digits > 0)
                        .then(|| line[digits..].strip_prefix(". "))
                        .flatten()
                })?;
            let item = item.replace("**", "").trim().to_string();
            (!item.is_empty()).then_some(item)
        })
        .collect()
}

/// The first sentence of a section's first paragraph, as a description: "You are
/// an expert X who ..." becomes "An expert X who ...".
fn first_sentence(content: &str) -> Option<String> {
    let paragraph = content
        .split("\n\n")
        .map(str::trim)
        .find(|p| !p.is_empty() && !p.starts_with('#'))?;
    let flat = paragraph
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("**", "");
    let sentence = match flat.find(". ") {
        Some(end) => &flat[..=end],
        None => flat.as_str(),
    };
    let sentence = match sentence.strip_prefix("You are ") {
        Some(rest) => {
            let mut chars = rest.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect::<String>()
            })
        }
        None => sentence.to_string(),
    };
    let sentence = sentence.trim();
    if sentence.is_empty() {
        return None;
    }
    if sentence.chars().count() > DESCRIPTION_MAX_CHARS {
        let cut: String = sentence.chars().take(DESCRIPTION_MAX_CHARS - 1).collect();
        Some(format!("{}…", cut.trim_end()))
    } else {
        Some(sentence.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "---\nid: demo\nname: Demo Advisor\n---\n# Ignored Title\n\n\
## Identity\n\nYou are a demo advisor who tests loaders. More text.\n\n\
## Expertise\n\n- **Testing**: yes\n\n## When to Invoke\n\nUse when:\n- one\n- **two**\n  - nested, not an item\n\n\
## Workflow\n\n### Phase 1: Go\n- step\n\n## Inputs Required\n\n- **X**: y\n\n\
## Outputs Produced\n\n### Report\n```markdown\n# Report\n## Identity\n## Not a section\n```\n\n\
## Quality Standards\n\n- **Good**: yes\n\n## Integration\n\n- none\n";

    #[test]
    fn derives_name_description_and_triggers() {
        let cap = parse("demo", MINIMAL).expect("valid");
        assert_eq!(cap.id, "demo");
        assert_eq!(cap.name, "Demo Advisor");
        assert_eq!(cap.description, "A demo advisor who tests loaders.");
        assert_eq!(cap.when_to_invoke, vec!["one", "two"]);
        assert!(cap.body.starts_with("# Ignored Title"));
        assert!(!cap.body.contains("id: demo"));
    }

    #[test]
    fn headings_inside_code_fences_are_not_sections() {
        let cap = parse("demo", MINIMAL).expect("valid");
        let titles: Vec<_> = cap.sections.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles.iter().filter(|t| **t == "Identity").count(), 1);
        assert!(!titles.contains(&"Not a section"));
        let outputs = find(&cap.sections, &["Outputs Produced"]).expect("outputs");
        assert!(outputs.content.contains("## Not a section"));
    }

    #[test]
    fn reports_every_missing_section() {
        let text = MINIMAL
            .replace("## Workflow", "## Flow")
            .replace("## Integration", "## Other");
        let problems = parse("demo", &text).expect_err("invalid");
        let missing: Vec<_> = problems
            .iter()
            .filter_map(|p| match p {
                Problem::MissingSection(s) => Some(*s),
                _ => None,
            })
            .collect();
        assert_eq!(missing, vec!["Workflow", "Integration"]);
    }

    #[test]
    fn bad_front_matter_is_reported() {
        let unknown = MINIMAL.replace("name: Demo Advisor", "nmae: Demo Advisor");
        let problems = parse("demo", &unknown).expect_err("unknown key");
        assert!(matches!(&problems[..], [Problem::FrontMatter(m)] if m.contains("nmae")));

        let unclosed = "---\nid: demo\n# Title\n";
        let problems = parse("demo", unclosed).expect_err("unclosed");
        assert!(matches!(&problems[..], [Problem::FrontMatter(m)] if m.contains("never closed")));
    }

    #[test]
    fn ids_must_be_slugs() {
        let problems = parse("Demo Dir", &MINIMAL.replace("id: demo\n", "")).expect_err("bad");
        assert!(matches!(&problems[..], [Problem::BadId(id)] if id == "Demo Dir"));
        let renamed = parse("demo-v2", MINIMAL).expect("front matter id wins");
        assert_eq!(renamed.id, "demo");
        for bad in ["", "-a", "a-", "a/b", "..", "A", "a b", &"a".repeat(49)] {
            assert!(!is_valid_id(bad), "{bad:?} accepted");
        }
        assert!(is_valid_id("strategic-pm-coach"));
    }

    #[test]
    fn a_when_to_invoke_without_bullets_is_an_error() {
        let text = MINIMAL.replace("- one\n- **two**\n", "whenever\n");
        let problems = parse("demo", &text).expect_err("no triggers");
        assert!(
            problems
                .iter()
                .any(|p| matches!(p, Problem::EmptyWhenToInvoke))
        );
    }
}
