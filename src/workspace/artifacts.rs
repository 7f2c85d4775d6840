//! `artifacts/`: rendered documents saved as `<type>-<topic>-<date>.md` with the
//! convention's header block. A second one on the same day gets a new name; an
//! existing file is never replaced.

use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use super::event_log::NewEvent;
use super::info;
use super::markdown::one_line;
use super::{ARTIFACTS_DIR, ArtifactName, CustomerId, Workspace, WorkspaceError, slugify};
use crate::atomic;
use crate::templates::Artifact;

/// An artifact as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArtifactSummary {
    /// File name (pass it to the artifact endpoint).
    pub name: ArtifactName,
    /// The document's title.
    pub title: String,
    /// `**Type**` from the header.
    pub kind: Option<String>,
    /// `**Status**` from the header.
    pub status: Option<String>,
    /// `**Created**` from the header.
    pub created: Option<String>,
    /// Size in bytes.
    pub bytes: u64,
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// Who the header names: the customer by its display name, the author as
/// the fractional PM when `customer-info.md` names one.
struct Names {
    customer: String,
    author: String,
}

impl Names {
    /// From `customer-info.md`'s `Customer Name` and `Fractional PM` facts,
    /// else the customer's id and `fallback_author` (the caller).
    fn from_info(info: &str, customer: &CustomerId, fallback_author: &str) -> Self {
        let facts = info::facts(info);
        let fact = |name: &str| {
            facts
                .iter()
                .find(|(field, _)| field.eq_ignore_ascii_case(name))
                .map(|(_, value)| one_line(value))
        };
        Self {
            customer: fact("Customer Name").unwrap_or_else(|| customer.to_string()),
            author: fact("Fractional PM").unwrap_or_else(|| fallback_author.to_string()),
        }
    }
}

/// The saved document: title, header block, then the rendered body.
fn document(artifact: &Artifact, kind: &str, names: &Names, date: &str) -> String {
    let body = artifact
        .markdown
        .strip_prefix(&format!("# {}", artifact.title))
        .unwrap_or(&artifact.markdown)
        .trim_start_matches('\n');
    format!(
        "# {title}\n\n**Customer**: {customer}\n**Created**: {date}\n**Last Updated**: {date}\n\
         **Type**: {kind}\n**Status**: {status}\n**Author**: {author}\n\n---\n\n{body}",
        title = artifact.title,
        customer = names.customer,
        kind = capitalized(kind),
        status = artifact.status.as_str(),
        author = names.author,
    )
}

fn header_field(text: &str, name: &str) -> Option<String> {
    let prefix = format!("**{name}**:");
    text.lines()
        .take(20)
        .find_map(|line| line.trim().strip_prefix(&prefix))
        .map(|value| value.trim().to_string())
}

/// What the listing shows of a saved document: its title (the first `# `
/// heading, else its name), header fields and size.
fn summary(name: ArtifactName, text: &str) -> ArtifactSummary {
    ArtifactSummary {
        title: text
            .lines()
            .find_map(|l| l.strip_prefix("# "))
            .unwrap_or(name.as_str())
            .trim()
            .to_string(),
        kind: header_field(text, "Type"),
        status: header_field(text, "Status"),
        created: header_field(text, "Created"),
        bytes: text.len() as u64,
        name,
    }
}

impl Workspace {
    /// Saves a rendered document under a fresh name and logs a Delivery event.
    pub async fn save_artifact(
        self: &Arc<Self>,
        customer: &CustomerId,
        artifact: &Artifact,
        kind: &str,
        author: &str,
    ) -> Result<ArtifactName, WorkspaceError> {
        let (id, artifact, kind, author) = (
            customer.clone(),
            artifact.clone(),
            kind.to_string(),
            author.to_string(),
        );
        self.locked(Some(customer), move |ws| {
            ws.save_artifact_locked(&id, &artifact, &kind, &author)
        })
        .await
    }

    /// [`Workspace::save_artifact`], with the customer's lock held.
    fn save_artifact_locked(
        &self,
        customer: &CustomerId,
        artifact: &Artifact,
        kind: &str,
        author: &str,
    ) -> Result<ArtifactName, WorkspaceError> {
        self.ensure_customer_locked(customer)?;
        let dir = self.existing(customer)?.join(ARTIFACTS_DIR);
        self.check_no_link(&dir)?;
        let date = self.clock.today_string();
        let base = format!(
            "{}-{}-{date}",
            slugify(kind, 20),
            slugify(&artifact.template, 60)
        );
        let names = Names::from_info(&self.info(customer)?, customer, author);
        let text = document(artifact, kind, &names, &date);
        let name = self.create_fresh(&dir, &base, &text)?;
        let event = NewEvent::note(
            date,
            "Delivery",
            artifact.title.clone(),
            format!(
                "{} produced {} and saved it as artifacts/{name}",
                names.author, artifact.title
            ),
        );
        self.log_event_locked(customer, &event)?;
        Ok(name)
    }

    /// Writes `text` as `<base>.md` in `dir`, or as `<base>-2.md`, `-3`...
    /// when that name is taken; never replaces a file.
    fn create_fresh(
        &self,
        dir: &Path,
        base: &str,
        text: &str,
    ) -> Result<ArtifactName, WorkspaceError> {
        let mut attempt = 1;
        loop {
            let candidate = if attempt == 1 {
                format!("{base}.md")
            } else {
                format!("{base}-{attempt}.md")
            };
            let name = ArtifactName::parse(&candidate)?;
            let path = dir.join(name.as_str());
            let result = match self.take_fault() {
                Some(n) => atomic::write_atomic_failing(&path, text.as_bytes(), Some(n)),
                None => atomic::create_new_atomic(&path, text.as_bytes()),
            };
            match result {
                Ok(()) => return Ok(name),
                Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists && attempt < 1000 => {
                    attempt += 1;
                }
                Err(err) => return Err(self.io(&path)(err)),
            }
        }
    }

    /// The customer's saved documents, by name.
    pub fn artifacts(&self, customer: &CustomerId) -> Result<Vec<ArtifactSummary>, WorkspaceError> {
        let dir = self.existing(customer)?.join(ARTIFACTS_DIR);
        self.check_no_link(&dir)?;
        let mut out = Vec::new();
        for entry in self.read_dir_optional(&dir)? {
            let Ok(name) = ArtifactName::parse(&entry.file_name().to_string_lossy()) else {
                continue; // files a person put there under other names are left alone
            };
            if !entry.file_type().is_ok_and(|t| t.is_file()) {
                continue;
            }
            let text = self.read_optional(&entry.path())?;
            out.push(summary(name, &text));
        }
        out.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
        Ok(out)
    }

    /// One saved document's text.
    pub fn artifact(
        &self,
        customer: &CustomerId,
        name: &ArtifactName,
    ) -> Result<String, WorkspaceError> {
        let path = self
            .existing(customer)?
            .join(ARTIFACTS_DIR)
            .join(name.as_str());
        self.check_no_link(&path)?;
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(text),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                Err(WorkspaceError::UnknownArtifact(name.to_string()))
            }
            Err(err) => Err(self.io(&path)(err)),
        }
    }
}
