//! `pmcoach capabilities`: list the capabilities, or check a directory of them.

use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::{load_capabilities, load_templates};
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

/// Each capability's id and name (marking the default), its description below.
fn list(config: &Config) -> Result<(), String> {
    let capabilities = load_capabilities(&config.capabilities_dir)?;
    let width = capabilities.iter().map(|c| c.id.len()).max().unwrap_or(0);
    for capability in &capabilities {
        let marker = if capability.id == config.default_capability {
            " (default)"
        } else {
            ""
        };
        println!(
            "{:width$}  {}{marker}\n{:width$}  {}",
            capability.id, capability.name, "", capability.description
        );
    }
    Ok(())
}

/// Loads `dir` (the configured directory when `None`) and its templates, and
/// says what was found; the configured directory must hold the default capability.
fn check(config: &Config, dir: Option<&Path>) -> Result<(), String> {
    let checked_dir = dir.unwrap_or(&config.capabilities_dir);
    let capabilities = load_capabilities(checked_dir)?;
    let templates = load_templates(&capabilities)?;
    if dir.is_none() && !has_default(config, &capabilities) {
        return Err(format!(
            "{}: the default capability {:?} is not defined here",
            checked_dir.display(),
            config.default_capability
        ));
    }
    println!(
        "{}: {} capabilities ok ({}), {} templates ok",
        checked_dir.display(),
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
