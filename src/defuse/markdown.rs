//! The whole-text rule: pulldown-cmark finds the images, links and raw HTML
//! (so code blocks and code spans are left alone), each one to defuse is
//! replaced by its inert form, and the result is parsed again until nothing
//! changes, since a replacement can expose what it contained (an image inside a
//! link) or let brackets around it pair up anew.

use std::ops::Range;

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag};

use super::LinkPolicy;
use super::html;
use super::url::{Target, classify};

/// Passes before giving up on pathological nesting (see [`escape_all`]).
const MAX_PASSES: usize = 8;
/// Longest URL shown in an inert form.
const MAX_SHOWN_URL: usize = 160;

/// The markdown dialect parsed: CommonMark with the GitHub extensions chat
/// clients commonly render.
pub(super) fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
}

/// `text` with every image, link and piece of raw HTML that the policy does
/// not let through made inert.
pub(super) fn defuse(text: &str, policy: &LinkPolicy) -> String {
    let mut current = text.to_string();
    for _ in 0..MAX_PASSES {
        let edits = edits(&current, policy);
        if edits.is_empty() {
            return current;
        }
        current = apply(&current, &edits);
    }
    escape_all(&current)
}

/// One replacement: a source range and its inert form.
struct Edit {
    range: Range<usize>,
    text: String,
}

/// What kind of construct is being replaced.
#[derive(Clone, Copy)]
enum Kind {
    Image,
    Link,
    /// `<https://…>` or `<name@host>`: the text is the URL.
    Autolink,
}

/// A blocked image or link whose events are being read up to its end.
struct Open {
    kind: Kind,
    range: Range<usize>,
    url: String,
    /// The source of its text (alt text or link text), from its inner events.
    inner: Option<Range<usize>>,
    depth: usize,
}

impl Open {
    /// Takes one inner event; true at the construct's own end.
    fn take(&mut self, event: &Event<'_>, range: &Range<usize>) -> bool {
        match event {
            Event::Start(_) => self.depth += 1,
            Event::End(_) if self.depth == 0 => return true,
            Event::End(_) => self.depth -= 1,
            _ => {}
        }
        self.inner = Some(match &self.inner {
            Some(inner) => inner.start.min(range.start)..inner.end.max(range.end),
            None => range.clone(),
        });
        false
    }

    fn edit(self, text: &str) -> Edit {
        let inner = self.inner.map_or("", |r| &text[r]);
        let url = shown(&self.url);
        let text = match (self.kind, inner.is_empty()) {
            (Kind::Autolink, _) => format!("{url} (blocked link)"),
            (Kind::Image, true) => format!("(blocked image: {url})"),
            (Kind::Image, false) => format!("{inner} (blocked image: {url})"),
            (Kind::Link, true) => format!("(blocked link: {url})"),
            (Kind::Link, false) => format!("{inner} (blocked link: {url})"),
        };
        Edit {
            range: self.range,
            text,
        }
    }
}

/// The replacements one parse of `text` calls for, in order, not overlapping.
fn edits(text: &str, policy: &LinkPolicy) -> Vec<Edit> {
    let mut edits = Vec::new();
    let mut open: Option<Open> = None;
    let mut skip_to = 0;
    for (event, range) in Parser::new_ext(text, options()).into_offset_iter() {
        if let Some(reading) = &mut open {
            if reading.take(&event, &range)
                && let Some(done) = open.take()
            {
                edits.push(done.edit(text));
            }
            continue;
        }
        if range.start < skip_to {
            continue;
        }
        match event {
            Event::Start(Tag::Image { dest_url, .. }) => {
                open = blocked(Kind::Image, &dest_url, policy)
                    .then(|| opened(Kind::Image, range, dest_url));
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            }) => {
                let (kind, url) = link_kind(link_type, dest_url);
                open = blocked(kind, &url, policy).then(|| opened(kind, range, url));
            }
            Event::Start(Tag::HtmlBlock) => {
                skip_to = range.end;
                raw_html(text, range, &mut edits);
            }
            Event::InlineHtml(_) => raw_html(text, range, &mut edits),
            _ => {}
        }
    }
    edits
}

fn opened(kind: Kind, range: Range<usize>, url: CowStr<'_>) -> Open {
    Open {
        kind,
        range,
        url: url.to_string(),
        inner: None,
        depth: 0,
    }
}

/// An email autolink's address as the `mailto:` URL it opens.
fn link_kind(link_type: LinkType, url: CowStr<'_>) -> (Kind, CowStr<'_>) {
    match link_type {
        LinkType::Email => (Kind::Autolink, format!("mailto:{url}").into()),
        LinkType::Autolink => (Kind::Autolink, url),
        _ => (Kind::Link, url),
    }
}

/// Images are blocked on any foreign host (they load without a click); links
/// only when their URL can carry data.
fn blocked(kind: Kind, url: &str, policy: &LinkPolicy) -> bool {
    match (kind, classify(url, |host| policy.allows(host))) {
        (_, Target::Local | Target::Allowed) => false,
        (Kind::Image, Target::Foreign { .. }) => true,
        (Kind::Link | Kind::Autolink, Target::Foreign { data }) => data,
    }
}

fn raw_html(text: &str, range: Range<usize>, edits: &mut Vec<Edit>) {
    let html = &text[range.clone()];
    if !html::is_safe(html) {
        edits.push(Edit {
            text: html::as_text(html),
            range,
        });
    }
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for edit in edits {
        out.push_str(&text[at..edit.range.start]);
        out.push_str(&edit.text);
        at = edit.range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// The URL in a code span, so no client turns it into a link (should a stray
/// backtick nearby pair with the span's, the URL shows as plain text: still
/// no image, and the next pass re-checks what that pairing changed). Cut to
/// [`MAX_SHOWN_URL`]; backticks and `|` (a table's cell separator) are
/// percent-encoded so the span cannot end early.
fn shown(url: &str) -> String {
    let mut url: String = url
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '`' => "%60".to_string(),
            '|' => "%7C".to_string(),
            c => c.to_string(),
        })
        .collect();
    if url.chars().count() > MAX_SHOWN_URL {
        url = url.chars().take(MAX_SHOWN_URL).collect::<String>() + "…";
    }
    format!("`{url}`")
}

/// Every `[` escaped and every `<` written `&lt;`, escapes already there kept:
/// no link, image or tag can start anywhere. Only for text still changing
/// after [`MAX_PASSES`].
pub(super) fn escape_all(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push('\\');
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            }
            '[' => out.push_str("\\["),
            '<' => out.push_str("&lt;"),
            c => out.push(c),
        }
    }
    out
}
