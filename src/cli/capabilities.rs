//! `pmcoach capabilities`: list the capabilities, or check a directory of them.

use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::{configured_capabilities, load_capabilities, load_templates};
use crate::capability::Capability;
use crate::config::Config;

/// What `pmcoach capabilities` can do besides listing.
#[derive(Debug, Subcommand)]
pub enum CapabilitiesAction {
    /// List the capabilities (the default).
    List,
    /// Validate a capabilities directory; exit 1 and name every problem if invalid.
    Check {
        /// The directory (default: the configured one).
        dir: Option<PathBuf>,
    },
}

/// Lists the capabilities, unless `action` asks for a check.
pub(super) fn run(config: &Config, action: Option<CapabilitiesAction>) -> Result<(), String> {
    match action {
        None | Some(CapabilitiesAction::List) => list(config),
        Some(CapabilitiesAction::Check { dir }) => check(config, dir.as_deref()),
    }
}

/// Each capability's id and name (marking the default), its description and
/// where it was loaded from below.
fn list(config: &Config) -> Result<(), String> {
    let capabilities = configured_capabilities(config)?;
    let width = capabilities.iter().map(|c| c.id.len()).max().unwrap_or(0);
    for capability in &capabilities {
        let marker = if capability.id == config.default_capability {
            " (default)"
        } else {
            ""
        };
        println!(
            "{:width$}  {}{marker}\n{:width$}  {}\n{:width$}  from: {}",
            capability.id, capability.name, "", capability.description, "", capability.origin
        );
    }
    Ok(())
}

/// Loads `dir` (the configured capabilities when `None`: built in and the
/// configured folder) and its templates, and says what was found; the
/// configured set must hold the default capability.
fn check(config: &Config, dir: Option<&Path>) -> Result<(), String> {
    let dir = dir.map(crate::config::absolute);
    let (checked, capabilities) = match &dir {
        Some(dir) => (dir.display().to_string(), load_capabilities(dir)?),
        None => ("configured".to_string(), configured_capabilities(config)?),
    };
    let templates = load_templates(&capabilities)?;
    if dir.is_none() && !has_default(config, &capabilities) {
        return Err(format!(
            "the default capability {:?} is not defined",
            config.default_capability
        ));
    }
    println!(
        "{checked}: {} capabilities ok ({}), {} templates ok",
        capabilities.len(),
        capabilities
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        templates.iter().count()
    );
    Ok(())
}

fn has_default(config: &Config, capabilities: &[Capability]) -> bool {
    capabilities
        .iter()
        .any(|c| c.id == config.default_capability)
}
