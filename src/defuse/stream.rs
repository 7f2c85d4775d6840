//! Defusing text as the model streams it. A client renders the deltas as they
//! come, so an image must not reach it before it is known to be safe. The
//! filter passes text through until something could open a link, image or
//! tag (`[`, `![`, `<`), holds it back until that construct is complete, then
//! sends its defused form ([`LinkPolicy::defuse`] of just the construct).
//!
//! Without the context of the whole text the filter errs on the safe side:
//! an opener it cannot settle (a link that is not complete within its
//! paragraph or 8 KiB, brackets with other brackets, code or a tag inside, a
//! link reference definition, a tag that is neither a safe one nor an
//! autolink) is sent escaped (`\[`, `&lt;`), so no client can pair it with
//! what comes later. So a definition arriving late cannot turn earlier text
//! into a link, and no tag can be completed by a later delta. In prose the
//! deltas add up to the defused reply; in code, and around such escapes, they
//! may differ from it (never by anything live). The reply in `done` and in the
//! transcript is the whole-text result, the one to keep.

use std::borrow::Cow;

use pulldown_cmark::{Event, LinkType, Parser, Tag};

use super::markdown::options;
use super::{LinkPolicy, html};

/// The most text held back waiting for a construct to close.
const MAX_HELD: usize = 8 * 1024;

/// Defuses one streamed answer, delta by delta.
#[derive(Debug)]
pub struct StreamDefuser<'p> {
    policy: &'p LinkPolicy,
    held: String,
}

impl<'p> StreamDefuser<'p> {
    pub(super) fn new(policy: &'p LinkPolicy) -> Self {
        Self {
            policy,
            held: String::new(),
        }
    }

    /// Takes the next delta; returns what can be sent now (possibly nothing).
    pub fn push(&mut self, delta: &str) -> String {
        self.held.push_str(delta);
        self.release(false)
    }

    /// The end of the answer: whatever is still held, made safe.
    pub fn finish(mut self) -> String {
        self.release(true)
    }

    fn release(&mut self, at_end: bool) -> String {
        let mut out = String::new();
        let mut at = 0;
        while at < self.held.len() {
            let rest = &self.held[at..];
            let plain = rest.find(['\\', '!', '[', '<']).unwrap_or(rest.len());
            out.push_str(&rest[..plain]);
            at += plain;
            if at == self.held.len() {
                break;
            }
            match decide(&self.held[at..], at_end, self.policy) {
                Some((len, text)) => {
                    out.push_str(&text);
                    at += len;
                }
                None => break,
            }
        }
        self.held.drain(..at);
        out
    }
}

/// For text starting with `\`, `!`, `[` or `<`: how many bytes to consume and
/// what to send for them, or `None` to wait for more text.
fn decide<'t>(rest: &'t str, at_end: bool, policy: &LinkPolicy) -> Option<(usize, Cow<'t, str>)> {
    let mut chars = rest.chars();
    let first = chars.next()?;
    let second = chars.next();
    match (first, second) {
        // A lone trailing `\`, `!` or `<` waits for the next character.
        ('\\' | '!' | '<', None) if !at_end => None,
        ('\\' | '!' | '<', None) => Some((1, Cow::Borrowed(rest))),
        // Inside an HTML block a backslash escapes nothing: the `<` is
        // looked at on its own.
        ('\\', Some('<')) => Some((1, Cow::Borrowed("\\"))),
        // An escape pair passes as it is: `\[` opens nothing.
        ('\\', Some(next)) => {
            let len = 1 + next.len_utf8();
            Some((len, Cow::Borrowed(&rest[..len])))
        }
        ('!', Some('[')) => bracket(rest, 1, at_end, policy),
        ('!', Some(_)) => Some((1, Cow::Borrowed("!"))),
        ('[', _) => bracket(rest, 0, at_end, policy),
        // `a < b`: a `<` before a space opens neither a tag nor an autolink.
        ('<', Some(next)) if next.is_whitespace() => Some((1, Cow::Borrowed("<"))),
        _ => angle(rest, at_end, policy),
    }
}

/// A `[` at `open` (after a `!` for an image). A complete inline link or
/// image without a `<` in it is sent defused. Brackets that close without `(`
/// after them are sent as they are when nothing inside them could change
/// which `]` closes them (another `[`, a code span, a tag) and they do not
/// open a link reference definition (`[r]: url`, which could turn other text
/// into a link). Anything else has its `[` escaped: then it cannot pair with
/// anything, whatever follows.
fn bracket<'t>(
    rest: &'t str,
    open: usize,
    at_end: bool,
    policy: &LinkPolicy,
) -> Option<(usize, Cow<'t, str>)> {
    let escaped = Some((open + 1, Cow::Owned(format!("{}\\[", &rest[..open]))));
    match inline_link_end(rest, open) {
        // A `<` inside could open a tag that later text closes, which would
        // take the link apart.
        Scan::Closed(end) if !rest[..end].contains('<') && is_inline_link(&rest[..end]) => {
            Some((end, Cow::Owned(policy.defuse(&rest[..end]))))
        }
        Scan::NotLink(close) => {
            let settled = !rest[open + 1..close].contains(['[', '`', '<']);
            let definition = rest.as_bytes().get(close + 1) == Some(&b':');
            if settled && !definition {
                Some((open + 1, Cow::Borrowed(&rest[..=open])))
            } else {
                escaped
            }
        }
        Scan::Open if !at_end && !blank_line(rest) && rest.len() <= MAX_HELD => None,
        Scan::Closed(_) | Scan::Open => escaped,
    }
}

/// A `<`: a safe tag passes, a complete autolink is sent defused, anything
/// else is sent with the `<` as `&lt;`.
fn angle<'t>(rest: &'t str, at_end: bool, policy: &LinkPolicy) -> Option<(usize, Cow<'t, str>)> {
    let as_text = Some((1, Cow::Borrowed("&lt;")));
    match rest.find('>') {
        Some(close) => {
            let tag = &rest[..=close];
            if html::is_safe_tag(tag) {
                Some((tag.len(), Cow::Borrowed(tag)))
            } else if is_autolink(tag) {
                // Kept, it must also be harmless should it sit in an HTML block.
                let defused = policy.defuse(tag);
                (defused != tag || html::is_valueless_autolink(tag))
                    .then_some((tag.len(), Cow::Owned(defused)))
                    .or(as_text)
            } else {
                as_text
            }
        }
        None if at_end || rest.len() > MAX_HELD || blank_line(rest) => as_text,
        None => None,
    }
}

/// Where a `[…](…)` starting at `open` ends, as far as brackets and
/// parentheses tell (backslash escapes skipped; code spans are not looked at:
/// see [`bracket`]).
enum Scan {
    /// It ends before this byte.
    Closed(usize),
    /// The brackets closed here without `(` after them: not an inline link.
    NotLink(usize),
    /// Not closed yet.
    Open,
}

fn inline_link_end(rest: &str, open: usize) -> Scan {
    let bytes = rest.as_bytes();
    let Some(close) = matching(bytes, open, b'[', b']') else {
        return Scan::Open;
    };
    match bytes.get(close + 1) {
        None => Scan::Open,
        Some(b'(') => {
            matching(bytes, close + 1, b'(', b')').map_or(Scan::Open, |end| Scan::Closed(end + 1))
        }
        Some(_) => Scan::NotLink(close),
    }
}

/// The index of the `close` that balances the `open` at `from`.
fn matching(bytes: &[u8], from: usize, open: u8, close: u8) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = from;
    while let Some(&b) = bytes.get(i) {
        if b == b'\\' {
            i += 2;
            continue;
        }
        if b == open {
            depth += 1;
        } else if b == close {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

/// Whether a blank line follows the first line of `rest`: the paragraph
/// the construct started in is over.
fn blank_line(rest: &str) -> bool {
    let mut lines = rest.split('\n').skip(1).peekable();
    while let Some(line) = lines.next() {
        if lines.peek().is_some() && line.trim().is_empty() {
            return true;
        }
    }
    false
}

/// Whether `candidate` is exactly one inline link or image.
fn is_inline_link(candidate: &str) -> bool {
    Parser::new_ext(candidate, options())
        .into_offset_iter()
        .any(|(event, range)| {
            let inline = matches!(
                event,
                Event::Start(
                    Tag::Link {
                        link_type: LinkType::Inline,
                        ..
                    } | Tag::Image {
                        link_type: LinkType::Inline,
                        ..
                    }
                )
            );
            inline && range == (0..candidate.len())
        })
}

/// Whether `tag` is exactly one autolink (`<https://…>`, `<name@host>`).
fn is_autolink(tag: &str) -> bool {
    Parser::new_ext(tag, options())
        .into_offset_iter()
        .any(|(event, range)| {
            matches!(
                event,
                Event::Start(Tag::Link {
                    link_type: LinkType::Autolink | LinkType::Email,
                    ..
                })
            ) && range == (0..tag.len())
        })
}
