//! Where a URL in model output points: at the page that shows it, at an
//! allowlisted host, or at a foreign host, and then whether it can carry data.
//!
//! Parsed the way a browser would read it where that matters: tabs and line
//! breaks inside are dropped, `\` counts as `/`, and `http:evil.example` (no
//! slashes) names the host `evil.example`.

/// Longest path on a foreign host that still reads as a page address, not data.
const MAX_PLAIN_PATH: usize = 100;
/// Longest run of letters and digits in a path that still reads as a word.
const MAX_WORD: usize = 24;

/// What a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    /// A relative URL: resolved against the page that shows the text.
    Local,
    /// An http(s) URL on an allowlisted host.
    Allowed,
    /// Anything else. `data` when it can carry more than a plain page path:
    /// a query, a fragment, user info, a scheme other than http(s), or a path
    /// that looks like data (see [`data_looking`]).
    Foreign {
        /// Whether the URL can carry data.
        data: bool,
    },
}

/// Classifies `url`; `allows` says whether a (lower-case) host is allowlisted.
pub(super) fn classify(url: &str, allows: impl Fn(&str) -> bool) -> Target {
    let url: String = url
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .map(|c| if c == '\\' { '/' } else { c })
        .collect();
    let url = url.trim_matches(|c: char| c <= ' ');
    match split_scheme(url) {
        None if url.starts_with("//") => remote(url.trim_start_matches('/'), allows),
        None => Target::Local,
        Some((scheme, rest)) if is_web(scheme) => remote(rest.trim_start_matches('/'), allows),
        Some(_) => Target::Foreign { data: true },
    }
}

fn is_web(scheme: &str) -> bool {
    scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")
}

/// `scheme` and what follows `scheme:`, when the URL starts with a scheme.
fn split_scheme(url: &str) -> Option<(&str, &str)> {
    let colon = url.find(':')?;
    let scheme = &url[..colon];
    let mut chars = scheme.chars();
    let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_valid = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (starts_with_letter && rest_valid).then(|| (scheme, &url[colon + 1..]))
}

/// An absolute URL from its authority on: `user@host:port/path?query#fragment`.
fn remote(rest: &str, allows: impl Fn(&str) -> bool) -> Target {
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (user_info, host_port) = match authority.rfind('@') {
        Some(at) => (true, &authority[at + 1..]),
        None => (false, authority),
    };
    let host = host_of(host_port)
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if !host.is_empty() && allows(&host) {
        return Target::Allowed;
    }
    let (path, query) = match tail.find(['?', '#']) {
        Some(at) => (&tail[..at], true),
        None => (tail, false),
    };
    Target::Foreign {
        data: user_info || query || data_looking(path),
    }
}

/// The host without its port (an IPv6 literal keeps its brackets).
fn host_of(host_port: &str) -> &str {
    if host_port.starts_with('[') {
        return host_port
            .find(']')
            .map_or(host_port, |end| &host_port[..=end]);
    }
    host_port.split(':').next().unwrap_or(host_port)
}

/// A path that can carry data rather than name a page: longer than
/// [`MAX_PLAIN_PATH`], with anything but letters, digits and `-._~/` (so no
/// percent-escapes, `+`, `=`), or with a run of more than [`MAX_WORD`]
/// letters and digits (an encoded blob rather than a slug).
fn data_looking(path: &str) -> bool {
    path.len() > MAX_PLAIN_PATH
        || path
            .chars()
            .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '/')))
        || path
            .split(['/', '-', '.', '_', '~'])
            .any(|word| word.len() > MAX_WORD)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(url: &str) -> Target {
        classify(url, |host| host == "docs.example.com")
    }

    const DATA: Target = Target::Foreign { data: true };
    const PLAIN: Target = Target::Foreign { data: false };

    #[test]
    fn urls_are_classified_as_a_browser_reads_them() {
        let table = [
            ("#pricing", Target::Local),
            ("/guide/roadmaps", Target::Local),
            ("notes/acme.md", Target::Local),
            ("?q=1", Target::Local),
            ("https://docs.example.com/a?b=c", Target::Allowed),
            ("HTTPS://Docs.Example.COM./x", Target::Allowed),
            ("https://docs.example.com:8443/x", Target::Allowed),
            ("https://www.svpg.com/the-product-model/", PLAIN),
            ("http://evil.example", PLAIN),
            ("https://evil.example/?d=acme", DATA),
            ("https://evil.example/#acme", DATA),
            ("https://user@evil.example/", DATA),
            ("https://docs.example.com@evil.example/", DATA),
            ("https://evil.example/acme%20corp", DATA),
            ("https://evil.example/a=b", DATA),
            ("https://evil.example/QWNtZSBDb3JwIHJldmVudWUgMk0", DATA),
            (&format!("https://evil.example/{}", "ab-".repeat(40)), DATA),
            ("//evil.example/x.png", PLAIN),
            ("\\\\evil.example/x.png", PLAIN),
            ("https:evil.example/x", PLAIN),
            ("ht\ntps://evil.example/?d", DATA),
            (" https://evil.example/?d", DATA),
            ("javascript:alert(1)", DATA),
            ("mailto:x@evil.example", DATA),
            ("data:image/png;base64,AAAA", DATA),
            ("https://[::1]:8080/x", PLAIN),
        ];
        for (url, expected) in table {
            assert_eq!(of(url), expected, "{url}");
        }
    }
}
