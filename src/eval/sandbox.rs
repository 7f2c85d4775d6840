//! A case's own temporary workspace: its fixture, and the events each turn adds.

use std::path::Path;

use tempfile::TempDir;

use super::case::Case;
use crate::app::AppState;
use crate::workspace::CustomerId;
use crate::workspace::event_log::Event;

/// The temporary workspace of one case run; removed when dropped.
pub(super) struct Sandbox {
    dir: TempDir,
    /// The case's customer, checked.
    pub(super) customer: Option<CustomerId>,
}

impl Sandbox {
    /// A fresh workspace with the case's fixture (a folder under
    /// `evals_dir/fixtures/`) as its customer's documents.
    pub(super) fn new(evals_dir: &Path, case: &Case) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|err| format!("temporary workspace: {err}"))?;
        let customer = case
            .customer
            .as_deref()
            .map(CustomerId::parse)
            .transpose()
            .map_err(|err| err.to_string())?;
        if let Some(fixture) = &case.fixture {
            let customer = customer
                .as_ref()
                .ok_or("a fixture needs a customer to copy it to")?;
            let from = evals_dir.join("fixtures").join(fixture);
            copy_dir(&from, &dir.path().join("customers").join(customer.as_str()))
                .map_err(|err| format!("fixture {}: {err}", from.display()))?;
        }
        Ok(Self { dir, customer })
    }

    /// The workspace root.
    pub(super) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// How many entries the customer's event log has (none without a customer).
    pub(super) fn event_count(&self, state: &AppState) -> usize {
        self.customer
            .as_ref()
            .filter(|c| state.workspace.customer_exists(c))
            .and_then(|c| state.workspace.event_log(c).ok())
            .map_or(0, |log| log.events.len())
    }

    /// Entries added since the log held `before` (new ones go first).
    pub(super) fn new_events(&self, state: &AppState, before: usize) -> Vec<Event> {
        let Some(customer) = &self.customer else {
            return Vec::new();
        };
        let Ok(log) = state.workspace.event_log(customer) else {
            return Vec::new();
        };
        let added = log.events.len().saturating_sub(before);
        log.events.into_iter().take(added).collect()
    }
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
