//! The capabilities shipped with pmcoach, built into the binary so that it
//! runs from any folder. A folder of capabilities (`--capabilities-dir`,
//! `PMCOACH_CAPABILITIES_DIR`, `capabilities_dir`) adds to them and replaces
//! those of the same id, unless `builtin_capabilities = false` leaves only
//! the folder's.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use super::{Capability, CapabilityError, DEFINITION_FILE, Origin, parse};

/// The repository's `capabilities/` folder, as it was at build time.
static SHIPPED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/capabilities");

/// How a built-in file is named in messages.
pub fn shown(relative: &Path) -> PathBuf {
    Path::new("<built in>").join(relative)
}

/// A built-in capability's folder (its templates live there).
pub fn folder(id: &str) -> Option<&'static Dir<'static>> {
    SHIPPED.get_dir(id)
}

/// Every shipped capability, parsed. They are checked by the tests, so an
/// error here means a broken build; it is reported like a folder's.
pub fn load() -> Result<Vec<Capability>, Vec<CapabilityError>> {
    let mut capabilities = Vec::new();
    let mut errors = Vec::new();
    for dir in SHIPPED.dirs() {
        let Some(file) = dir.get_file(dir.path().join(DEFINITION_FILE)) else {
            continue;
        };
        let id = dir.path().to_string_lossy().into_owned();
        let path = shown(file.path());
        let text = String::from_utf8_lossy(file.contents());
        match parse::parse(&id, &text) {
            Ok(mut capability) => {
                capability.origin = Origin::BuiltIn;
                capabilities.push(capability);
            }
            Err(problems) => errors.extend(problems.into_iter().map(|problem| CapabilityError {
                path: path.clone(),
                problem,
            })),
        }
    }
    if errors.is_empty() {
        Ok(capabilities)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_capabilities_are_built_in() {
        let capabilities = load().expect("the shipped capabilities parse");
        let ids: Vec<&str> = capabilities.iter().map(|c| c.id.as_str()).collect();
        assert!(ids.contains(&"strategic-pm-coach"), "{ids:?}");
        assert_eq!(ids.len(), 5, "{ids:?}");
        assert!(capabilities.iter().all(|c| c.origin == Origin::BuiltIn));
        assert!(folder("strategic-pm-coach").is_some());
    }
}
