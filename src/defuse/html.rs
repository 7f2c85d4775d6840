//! Raw HTML in model output: only attribute-free tags from a short list of
//! formatting elements pass, since those can neither load nor link anything;
//! any other HTML is shown as text.

/// Elements that, without attributes, only format text.
const SAFE_TAGS: &[&str] = &[
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
];

/// Whether `tag` is one attribute-free tag from the safe list: `<b>`, `</p>`, `<br/>`.
pub(super) fn is_safe_tag(tag: &str) -> bool {
    let Some(inner) = tag.strip_prefix('<').and_then(|t| t.strip_suffix('>')) else {
        return false;
    };
    let inner = inner.strip_prefix('/').unwrap_or(inner).trim_end();
    let name = inner.strip_suffix('/').unwrap_or(inner).trim_end();
    !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric())
        && SAFE_TAGS.contains(&name.to_ascii_lowercase().as_str())
}

/// Whether `tag` is shaped like an autolink (`<https://…>`, `<name@host>`)
/// and has nothing that could be an attribute value: in markdown it is an
/// autolink (judged as a link), inside an HTML block an unknown element whose
/// name holds a `:` or `@` and that has no attribute values.
pub(super) fn is_valueless_autolink(tag: &str) -> bool {
    let Some(inner) = tag.strip_prefix('<').and_then(|t| t.strip_suffix('>')) else {
        return false;
    };
    let name = inner.split('/').next().unwrap_or(inner);
    inner.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.contains([':', '@'])
        && !inner.contains(|c: char| c.is_whitespace() || matches!(c, '=' | '"' | '\'' | '<'))
}

/// Whether every tag in `html` (an inline tag or a whole HTML block) is safe;
/// a `<` that may open a tag but does not close it makes it unsafe too. As in
/// a browser, only `<` before a letter, `/`, `!` or `?` may open one.
pub(super) fn is_safe(html: &str) -> bool {
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let opens = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'));
        if !opens {
            rest = after;
            continue;
        }
        let Some(len) = rest[start..].find('>') else {
            return false;
        };
        let tag = &rest[start..=start + len];
        if !is_safe_tag(tag) && !is_valueless_autolink(tag) {
            return false;
        }
        rest = &rest[start + len + 1..];
    }
    true
}

/// `html` as text: every `<` written `&lt;`, which reads as `<` both in
/// markdown and inside an HTML block (where a backslash escape would not count).
pub(super) fn as_text(html: &str) -> String {
    html.replace('<', "&lt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_attribute_free_formatting_tags_are_safe() {
        for safe in [
            "<b>",
            "</b>",
            "<br/>",
            "<br />",
            "<DIV>",
            "<p>a</p>",
            "<sup>2</sup>",
        ] {
            assert!(is_safe(safe), "{safe}");
        }
        let unsafe_html = [
            "<img src=\"https://evil.example/?d=1\">",
            "<a href=\"https://evil.example\">x</a>",
            "<div style=\"background:url(https://evil.example)\">",
            "<style>body{background:url(https://evil.example)}</style>",
            "<svg>",
            "<!-- note -->",
            "<b",
            "<p>a <img src=x> b</p>",
        ];
        for html in unsafe_html {
            assert!(!is_safe(html), "{html}");
        }
        assert_eq!(as_text("<img src=x>"), "&lt;img src=x>");
        assert!(is_safe("<div><https://docs.example.com/x></div>"));
        assert!(!is_safe("<div><https://docs.example.com/x?a=b></div>"));
    }
}
