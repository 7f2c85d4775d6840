//! Moving a saved document along Draft → In Review → Final: its header's
//! `**Status**` and `**Last Updated**` lines are rewritten (atomically, under
//! the customer's lock) and every other byte is kept, hand edits included.

use std::sync::Arc;

use super::{ARTIFACTS_DIR, ArtifactName, CustomerId, Workspace, WorkspaceError};
use crate::atomic;
use crate::templates::ArtifactStatus;

/// How far into a document its header block may reach.
const HEADER_LINES: usize = 20;

impl Workspace {
    /// Sets a saved document's status; returns its new text.
    pub async fn set_artifact_status(
        self: &Arc<Self>,
        customer: &CustomerId,
        name: &ArtifactName,
        status: ArtifactStatus,
    ) -> Result<String, WorkspaceError> {
        let (id, name) = (customer.clone(), name.clone());
        self.locked(Some(customer), move |ws| {
            let text = ws.artifact(&id, &name)?;
            let today = ws.clock.today_string();
            let Some(updated) = with_status(&text, status, &today) else {
                return Err(WorkspaceError::NoStatusHeader(name.to_string()));
            };
            let path = ws.existing(&id)?.join(ARTIFACTS_DIR).join(name.as_str());
            atomic::write_atomic(&path, updated.as_bytes()).map_err(ws.io(&path))?;
            Ok(updated)
        })
        .await
    }
}

/// `text` with its header's status (and last-updated date, when it has
/// one) set; `None` when the header has no `**Status**` line.
fn with_status(text: &str, status: ArtifactStatus, today: &str) -> Option<String> {
    let mut found = false;
    let mut out = String::with_capacity(text.len() + 16);
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let ending = &line[line.trim_end_matches(['\r', '\n']).len()..];
        let set = |field: &str, value: &str| {
            let prefix = format!("**{field}**:");
            line.trim_start()
                .starts_with(&prefix)
                .then(|| format!("{prefix} {value}{ending}"))
        };
        let replaced = if i < HEADER_LINES && !found {
            set("Status", status.as_str())
        } else {
            None
        };
        if replaced.is_some() {
            found = true;
        }
        let dated = (i < HEADER_LINES)
            .then(|| set("Last Updated", today))
            .flatten();
        out.push_str(replaced.as_deref().or(dated.as_deref()).unwrap_or(line));
    }
    found.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_status_and_date_lines_change() {
        let text = "# EVA\n\n**Customer**: Acme\n**Created**: 2026-11-01\n**Last Updated**: 2026-11-01\n**Status**: Draft\n**Author**: Dana\r\n\n---\n\n**Status**: Draft in the body stays\n";
        let updated = with_status(text, ArtifactStatus::Final, "2026-11-30").expect("a header");
        assert_eq!(
            updated,
            "# EVA\n\n**Customer**: Acme\n**Created**: 2026-11-01\n**Last Updated**: 2026-11-30\n**Status**: Final\n**Author**: Dana\r\n\n---\n\n**Status**: Draft in the body stays\n"
        );
        assert_eq!(
            with_status("# Notes\n\nno header\n", ArtifactStatus::Final, "x"),
            None
        );
    }
}
