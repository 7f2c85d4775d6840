//! `client-pms/<slug>.md`: one file per client PM being coached, its name
//! slugified by our code. Rows are appended under the customer's lock.

use std::sync::Arc;

use super::client_pm_progress::{
    INDICATORS, PmProgress, PmRecord, PmReminder, next_reminder, progress,
};
use super::{ClientPmSlug, CustomerId, Workspace, WorkspaceError, table_file};

/// The folder, in the customer's folder.
pub const CLIENT_PMS_DIR: &str = "client-pms";
const HEADING: &str = "## Progress";
const TITLE_PREFIX: &str = "# Client PM Progress: ";

/// The file's columns.
fn header() -> Vec<&'static str> {
    let mut header = vec!["Date", "Kind"];
    header.extend(INDICATORS.iter().map(|(_, heading)| *heading));
    header.extend(["Criteria Met", "Notes"]);
    header
}

/// The progress in one file's text (the name from its title, else `fallback`).
fn parse(text: &str, fallback: &str) -> PmProgress {
    let name = text
        .lines()
        .find_map(|l| l.strip_prefix(TITLE_PREFIX))
        .map_or(fallback, str::trim);
    let records = table_file::rows(text, HEADING, "Date")
        .iter()
        .filter_map(|cells| PmRecord::from_cells(cells))
        .collect();
    progress(name, records)
}

impl Workspace {
    /// Every client PM's progress, by file name.
    pub fn client_pms(&self, customer: &CustomerId) -> Result<Vec<PmProgress>, WorkspaceError> {
        let dir = self.file(customer, CLIENT_PMS_DIR)?;
        let mut names: Vec<String> = self
            .read_dir_optional(&dir)?
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|name| name.ends_with(".md"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|name| {
                let path = self.checked(&dir.join(name))?;
                let stem = name.trim_end_matches(".md");
                Ok(parse(&self.read_optional(&path)?, stem))
            })
            .collect()
    }

    /// The next coaching session or check-in of each client PM.
    pub fn client_pm_reminders(
        &self,
        customer: &CustomerId,
    ) -> Result<Vec<PmReminder>, WorkspaceError> {
        Ok(self
            .client_pms(customer)?
            .iter()
            .filter_map(next_reminder)
            .collect())
    }

    /// Appends a row to the client PM's file (made on first use); returns
    /// the PM's progress after it.
    pub async fn record_client_pm(
        self: &Arc<Self>,
        customer: &CustomerId,
        name: &str,
        record: PmRecord,
    ) -> Result<PmProgress, WorkspaceError> {
        let slug = ClientPmSlug::from_name(name)
            .ok_or_else(|| WorkspaceError::Invalid(super::InvalidName::client_pm(name)))?;
        let (id, name) = (customer.clone(), name.trim().to_string());
        self.locked(Some(customer), move |ws| {
            ws.ensure_customer_locked(&id)?;
            let dir = ws.file(&id, CLIENT_PMS_DIR)?;
            std::fs::create_dir_all(&dir).map_err(ws.io(&dir))?;
            let path = ws.checked(&dir.join(slug.file_name()))?;
            let text = ws.read_optional(&path)?;
            let title = format!("{TITLE_PREFIX}{name}");
            let text = table_file::append_row(&text, &title, HEADING, &header(), &record.cells());
            ws.write(&path, &text)?;
            Ok(parse(&text, slug.as_str()))
        })
        .await
    }
}
