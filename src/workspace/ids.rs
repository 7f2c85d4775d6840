//! Validated names that become path components: customer ids, session ids and
//! artifact file names. Only these types reach the path resolver, so no string
//! from a request or from the model ever chooses a path by itself.

use std::fmt;

use serde::{Serialize, Serializer};

/// Longest customer or session id.
pub const MAX_ID_LEN: usize = 64;

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {value:?} is not valid: {rule}")]
pub struct InvalidName {
    what: &'static str,
    value: String,
    rule: &'static str,
}

fn slug(value: &str, max: usize) -> bool {
    !value.is_empty()
        && value.len() <= max
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-')
        && !value.contains("--")
}

impl InvalidName {
    /// A client PM name with nothing to make a file name from.
    pub fn client_pm(name: &str) -> Self {
        Self {
            what: "client PM name",
            value: name.chars().take(80).collect(),
            rule: "give the PM's name in letters and digits",
        }
    }
}

const SLUG_RULE: &str =
    "use 1-64 lowercase ASCII letters, digits and single inner hyphens (e.g. acme-corp)";

/// A customer id: a lowercase ASCII slug, the name of the customer's folder.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CustomerId(String);

impl CustomerId {
    /// Validates `value` as a customer id.
    pub fn parse(value: &str) -> Result<Self, InvalidName> {
        if slug(value, MAX_ID_LEN) {
            Ok(Self(value.to_string()))
        } else {
            Err(InvalidName {
                what: "customer id",
                value: value.chars().take(80).collect(),
                rule: SLUG_RULE,
            })
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A session id: a lowercase ASCII slug (server-generated ids are 32 hex digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    /// Validates `value` as a session id.
    pub fn parse(value: &str) -> Result<Self, InvalidName> {
        if slug(value, MAX_ID_LEN) {
            Ok(Self(value.to_string()))
        } else {
            Err(InvalidName {
                what: "session id",
                value: value.chars().take(80).collect(),
                rule: SLUG_RULE,
            })
        }
    }

    /// A new, unguessable id.
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An artifact's file name: `<slug>.md`, nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactName(String);

impl ArtifactName {
    /// Validates `value` as an artifact file name.
    pub fn parse(value: &str) -> Result<Self, InvalidName> {
        match value.strip_suffix(".md") {
            Some(stem) if slug(stem, 120) => Ok(Self(value.to_string())),
            _ => Err(InvalidName {
                what: "artifact name",
                value: value.chars().take(80).collect(),
                rule: "expected <lowercase-slug>.md as listed by the artifacts endpoint",
            }),
        }
    }

    /// The file name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A client PM's file stem under `client-pms/`: made by our code from the PM's
/// name with [`slugify`], never taken from the model as a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientPmSlug(String);

impl ClientPmSlug {
    /// The slug of a client PM's name; `None` when the name has no letters or digits.
    pub fn from_name(name: &str) -> Option<Self> {
        let made = slugify(name, MAX_ID_LEN);
        slug(&made, MAX_ID_LEN).then_some(Self(made))
    }

    /// The file name, `<slug>.md`.
    pub fn file_name(&self) -> String {
        format!("{}.md", self.0)
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! display_and_serialize {
    ($($name:ident),*) => {$(
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }
    )*};
}
display_and_serialize!(CustomerId, SessionId, ArtifactName, ClientPmSlug);

/// Turns free text into a slug for file names (`Engagement Value Assessment` →
/// `engagement-value-assessment`), at most `max` bytes.
pub fn slugify(text: &str, max: usize) -> String {
    let mut out = String::new();
    for ch in text.chars() {
        if ch.is_ascii_alphanumeric() {
            if out.len() >= max {
                break;
            }
            out.push(ch.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_ids_are_plain_slugs() {
        for good in ["acme", "acme-corp", "a1", "x"] {
            assert!(CustomerId::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "..",
            ".",
            "a/b",
            "a\\b",
            "-a",
            "a-",
            "a--b",
            "Acme",
            "acme corp",
            "acme\0",
            "acme\n",
            "ac\u{0435}me",
            "аcme",
            "ａｃｍｅ",
            "acme.",
            "~root",
        ] {
            assert!(CustomerId::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(CustomerId::parse(&"a".repeat(64)).is_ok());
        assert!(CustomerId::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn artifact_names_are_slug_dot_md() {
        assert!(ArtifactName::parse("analysis-eva-2026-11-24.md").is_ok());
        for bad in ["../x.md", "x.md.md", "x", ".md", "a/b.md", "X.md", "x.txt"] {
            assert!(ArtifactName::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn slugify_makes_file_name_parts() {
        assert_eq!(
            slugify("Engagement Value Assessment: Acme!", 80),
            "engagement-value-assessment-acme"
        );
        assert_eq!(slugify("  ", 80), "");
        assert_eq!(slugify("Ünïcode — only", 80), "n-code-only");
        assert!(slugify(&"word ".repeat(40), 30).len() <= 31);
    }

    #[test]
    fn client_pm_slugs_come_from_names() {
        let slug = ClientPmSlug::from_name("Dana Ortiz").expect("slug");
        assert_eq!(slug.file_name(), "dana-ortiz.md");
        assert_eq!(
            ClientPmSlug::from_name("../../etc/passwd")
                .expect("slug")
                .as_str(),
            "etc-passwd"
        );
        assert!(ClientPmSlug::from_name("../ ..").is_none());
    }
}
