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

/// What [`CustomerId::parse`] and [`SessionId::parse`] accept, as a JSON
/// Schema pattern (with `maxLength` [`MAX_ID_LEN`]).
pub const SLUG_PATTERN: &str = "^[a-z0-9]+(-[a-z0-9]+)*$";

/// What [`ArtifactName::parse`] accepts, as a JSON Schema pattern.
pub const ARTIFACT_NAME_PATTERN: &str = "^[a-z0-9]+(-[a-z0-9]+)*\\.md$";

/// The longest artifact name: a 120-byte slug and `.md`.
const MAX_ARTIFACT_NAME_LEN: usize = 123;

/// The OpenAPI schema of a validated name: a string with the pattern and the
/// length the parser enforces, so the API description cannot promise more.
fn name_schema(
    pattern: &str,
    max: usize,
    description: &str,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(pattern))
        .min_length(Some(1))
        .max_length(Some(max))
        .description(Some(description))
        .into()
}

macro_rules! schema {
    ($name:ident, $pattern:expr, $max:expr, $description:literal) => {
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                name_schema($pattern, $max, $description)
            }
        }
        impl utoipa::ToSchema for $name {}
    };
}
schema!(
    CustomerId,
    SLUG_PATTERN,
    MAX_ID_LEN,
    "A customer id: 1-64 lowercase ASCII letters, digits and single inner hyphens (e.g. acme-corp)"
);
schema!(
    SessionId,
    SLUG_PATTERN,
    MAX_ID_LEN,
    "A session id: 1-64 lowercase ASCII letters, digits and single inner hyphens (server-made ids are 32 hex digits)"
);
schema!(
    ArtifactName,
    ARTIFACT_NAME_PATTERN,
    MAX_ARTIFACT_NAME_LEN,
    "An artifact's file name: a lowercase slug and .md, as the artifacts list gives it"
);

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
    fn the_documented_patterns_accept_what_the_parsers_accept() {
        let slug = regex::Regex::new(SLUG_PATTERN).expect("pattern");
        let artifact = regex::Regex::new(ARTIFACT_NAME_PATTERN).expect("pattern");
        let samples = [
            "",
            "acme",
            "acme-corp",
            "a1",
            "-a",
            "a-",
            "a--b",
            "Acme",
            "acme corp",
            "acme\n",
            "ac\u{0435}me",
            "acme.",
            "x.md",
            "a-b.md",
            "x.md.md",
            "X.md",
            ".md",
            "a/b.md",
            "x.txt",
            "x.md\n",
        ];
        for sample in samples {
            let by_length = |max: usize| (1..=max).contains(&sample.len());
            assert_eq!(
                slug.is_match(sample) && by_length(MAX_ID_LEN),
                CustomerId::parse(sample).is_ok(),
                "{sample:?}"
            );
            assert_eq!(
                artifact.is_match(sample) && by_length(MAX_ARTIFACT_NAME_LEN),
                ArtifactName::parse(sample).is_ok(),
                "{sample:?}"
            );
        }
        let long = "a".repeat(MAX_ID_LEN + 1);
        assert!(slug.is_match(&long) && CustomerId::parse(&long).is_err());
        let longest = format!("{}.md", "a".repeat(120));
        assert_eq!(longest.len(), MAX_ARTIFACT_NAME_LEN);
        assert!(ArtifactName::parse(&longest).is_ok());
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
