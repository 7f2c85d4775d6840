//! Capabilities as data: one folder per capability holding an `AGENT.md` that a
//! fractional PM can read and edit, loaded and validated at start-up.

pub mod builtin;
mod parse;
mod persona;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use parse::{FRAMEWORK_SECTIONS, REQUIRED_SECTIONS, Section, is_valid_id};

/// The file each capability folder holds.
pub const DEFINITION_FILE: &str = "AGENT.md";

/// One capability: a persona with its frameworks, workflow and templates.
#[derive(Debug, Clone)]
pub struct Capability {
    /// Stable id, the folder name (e.g. `strategic-pm-coach`).
    pub id: String,
    /// Display name, from front matter or the H1.
    pub name: String,
    /// One line, from front matter or the first sentence of Identity.
    pub description: String,
    /// The family's mode (STRATEGIST, CONSULTANT, ...), when given.
    pub mode: Option<String>,
    /// The When to Invoke bullets.
    pub when_to_invoke: Vec<String>,
    /// Per-capability model settings.
    pub settings: CapabilitySettings,
    /// The markdown after the front matter, as written.
    pub body: String,
    /// What the model is given as its persona: the body without When to
    /// Invoke and without the literal templates (see `persona.rs`).
    pub persona: String,
    /// The H2 sections of `body`.
    pub sections: Vec<Section>,
    /// Where the definition came from (its `templates/` live beside it).
    pub origin: Origin,
}

/// Where a capability was loaded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Shipped inside the binary.
    BuiltIn,
    /// A folder on disk: the capability's own folder.
    Folder(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::BuiltIn => f.write_str("built in"),
            Origin::Folder(dir) => write!(f, "{}", dir.display()),
        }
    }
}

impl Capability {
    /// The Quality Standards as `(name, description)`, from `- **Name**: text` bullets.
    pub fn quality_standards(&self) -> Vec<(String, String)> {
        let Some(section) = self.section(&["Quality Standards"]) else {
            return Vec::new();
        };
        section
            .content
            .lines()
            .filter_map(|line| {
                let rest = line.trim_start().strip_prefix("- **")?;
                let (name, description) = rest.split_once("**")?;
                let description = description.trim_start_matches(':').trim();
                Some((
                    name.trim_end_matches(':').trim().to_string(),
                    description.to_string(),
                ))
            })
            .collect()
    }

    /// The section with this title (or one of the family's variant titles).
    pub fn section(&self, names: &[&str]) -> Option<&Section> {
        parse::find(&self.sections, names)
    }
}

/// Settings a capability may give in its front matter (`settings:`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CapabilitySettings {
    /// Sampling temperature for this capability's model calls.
    pub temperature: Option<f32>,
    /// Whether the capability works with the customer's documents (reads them,
    /// logs to them, saves artifacts there). `false` for capabilities about the
    /// PM rather than the client, such as the Growth Advisor.
    pub customer_documents: bool,
}

impl Default for CapabilitySettings {
    fn default() -> Self {
        Self {
            temperature: None,
            customer_documents: true,
        }
    }
}

/// What is wrong with a capability file.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// The file could not be read.
    #[error("cannot read: {0}")]
    Unreadable(std::io::Error),
    /// The front matter is not valid YAML of the expected keys.
    #[error("bad front matter: {0}")]
    FrontMatter(String),
    /// A section every capability needs is absent.
    #[error("missing required section `## {0}`")]
    MissingSection(&'static str),
    /// Neither front matter `name` nor an H1 title.
    #[error("no name: add `name:` to the front matter or a `# Title` line")]
    NoName,
    /// Identity has no sentence to describe the capability with.
    #[error("no description: Identity has no text and front matter has no `description:`")]
    NoDescription,
    /// When to Invoke has no bullet items.
    #[error("`## When to Invoke` lists no triggers (expected `- ...` bullets)")]
    EmptyWhenToInvoke,
    /// The id is not a slug.
    #[error("id {0:?} is not a lowercase slug (letters, digits, inner hyphens)")]
    BadId(String),
    /// Two folders define the same id.
    #[error("duplicate id {id:?}, already defined in {first}")]
    Duplicate {
        /// The id.
        id: String,
        /// Where it was defined first.
        first: String,
    },
    /// The directory holds no capability at all.
    #[error("no capabilities found (expected <id>/{DEFINITION_FILE} folders)")]
    Empty,
    /// The configured default capability is not in the set.
    #[error("the default capability {0:?} is not defined here")]
    MissingDefault(String),
}

/// A problem together with the file (or directory) it is about.
#[derive(Debug, thiserror::Error)]
#[error("{}: {problem}", path.display())]
pub struct CapabilityError {
    /// The file or directory at fault.
    pub path: PathBuf,
    /// What is wrong.
    pub problem: Problem,
}

/// The loaded, validated capabilities, sorted by id.
#[derive(Debug, Clone)]
pub struct CapabilitySet {
    by_id: BTreeMap<String, Arc<Capability>>,
    default_id: String,
}

impl CapabilitySet {
    /// Builds a set from capabilities already loaded; the default must be among them.
    pub fn new(
        capabilities: impl IntoIterator<Item = Capability>,
        default_id: &str,
    ) -> Result<Self, Problem> {
        let mut by_id = BTreeMap::new();
        for capability in capabilities {
            let id = capability.id.clone();
            if by_id.insert(id.clone(), Arc::new(capability)).is_some() {
                return Err(Problem::Duplicate {
                    id,
                    first: "another capability".to_string(),
                });
            }
        }
        if !by_id.contains_key(default_id) {
            return Err(Problem::MissingDefault(default_id.to_string()));
        }
        Ok(Self {
            by_id,
            default_id: default_id.to_string(),
        })
    }

    /// Loads every `<id>/AGENT.md` under `dir`, collecting every problem rather
    /// than stopping at the first, so `capabilities check` can list them all.
    pub fn load_dir(dir: &Path, default_id: &str) -> Result<Self, Vec<CapabilityError>> {
        Self::new(load_dir(dir)?, default_id).map_err(|problem| {
            vec![CapabilityError {
                path: dir.to_path_buf(),
                problem,
            }]
        })
    }

    /// The built-in capabilities, with those of `folder` added (a folder's
    /// capability replaces the built-in one of its id); only the folder's
    /// when `builtin` is false.
    pub fn load(
        folder: Option<&Path>,
        builtin: bool,
        default_id: &str,
    ) -> Result<Self, Vec<CapabilityError>> {
        let mut by_id = BTreeMap::new();
        if builtin {
            by_id.extend(builtin::load()?.into_iter().map(|c| (c.id.clone(), c)));
        }
        if let Some(folder) = folder {
            by_id.extend(load_dir(folder)?.into_iter().map(|c| (c.id.clone(), c)));
        }
        let at = folder.map_or_else(|| builtin::shown(Path::new("")), Path::to_path_buf);
        if by_id.is_empty() {
            return Err(vec![CapabilityError {
                path: at,
                problem: Problem::Empty,
            }]);
        }
        Self::new(by_id.into_values(), default_id)
            .map_err(|problem| vec![CapabilityError { path: at, problem }])
    }

    /// The capability with this id.
    pub fn get(&self, id: &str) -> Option<&Arc<Capability>> {
        self.by_id.get(id)
    }

    /// The capability used when a request names none.
    pub fn default_capability(&self) -> &Arc<Capability> {
        // `new` checked that the default is present.
        &self.by_id[&self.default_id]
    }

    /// All capabilities, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Capability>> {
        self.by_id.values()
    }

    /// How many capabilities there are.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether the set is empty (never, once built).
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// Loads and validates every capability under `dir`, without requiring any one
/// of them (so a folder holding a single new capability can be checked).
pub fn load_dir(dir: &Path) -> Result<Vec<Capability>, Vec<CapabilityError>> {
    let (capabilities, mut errors) = load_all(dir);
    if errors.is_empty() && capabilities.is_empty() {
        errors.push(CapabilityError {
            path: dir.to_path_buf(),
            problem: Problem::Empty,
        });
    }
    if errors.is_empty() {
        Ok(capabilities)
    } else {
        Err(errors)
    }
}

/// Loads one capability file; its folder's name is its id.
pub fn load_file(path: &Path) -> Result<Capability, Vec<CapabilityError>> {
    let at = |problem| CapabilityError {
        path: path.to_path_buf(),
        problem,
    };
    let folder_id = path
        .parent()
        .and_then(Path::file_name)
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let text = std::fs::read_to_string(path).map_err(|err| vec![at(Problem::Unreadable(err))])?;
    let mut capability = parse::parse(&folder_id, &text)
        .map_err(|problems| problems.into_iter().map(at).collect::<Vec<_>>())?;
    capability.origin = Origin::Folder(path.parent().map(Path::to_path_buf).unwrap_or_default());
    Ok(capability)
}

/// Every capability under `dir` that parses, and every error met on the way.
fn load_all(dir: &Path) -> (Vec<Capability>, Vec<CapabilityError>) {
    let mut errors = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            errors.push(CapabilityError {
                path: dir.to_path_buf(),
                problem: Problem::Unreadable(err),
            });
            return (Vec::new(), errors);
        }
    };
    let mut folders: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .filter(|path| {
            !path
                .file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with('.'))
        })
        .collect();
    folders.sort();

    let mut capabilities: Vec<Capability> = Vec::new();
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    for folder in folders {
        let file = folder.join(DEFINITION_FILE);
        match load_file(&file) {
            Ok(capability) => {
                if let Some(first) = seen.get(&capability.id) {
                    errors.push(CapabilityError {
                        path: file,
                        problem: Problem::Duplicate {
                            id: capability.id.clone(),
                            first: first.display().to_string(),
                        },
                    });
                } else {
                    seen.insert(capability.id.clone(), file);
                    capabilities.push(capability);
                }
            }
            Err(mut found) => errors.append(&mut found),
        }
    }
    (capabilities, errors)
}
