//! A customer's `customer-info.md` through the workspace: read, and updated
//! fact by fact and client PM by client PM, with an Update event saying what
//! changed.

use std::sync::Arc;

use super::event_log::NewEvent;
use super::info::{self, ClientPm, Fact};
use super::{CustomerId, INFO_FILE, Workspace, WorkspaceError};

impl Workspace {
    /// The customer's `customer-info.md`.
    pub fn info(&self, customer: &CustomerId) -> Result<String, WorkspaceError> {
        let path = self.file(customer, INFO_FILE)?;
        self.read_optional(&path)
    }

    /// Sets facts and client PM rows in `customer-info.md`, then logs an Update
    /// event listing what changed (old values included, so none is lost).
    /// Returns the changes, one line each.
    pub async fn update_info(
        self: &Arc<Self>,
        customer: &CustomerId,
        facts: &[Fact],
        pms: &[ClientPm],
    ) -> Result<Vec<String>, WorkspaceError> {
        let (id, facts, pms) = (customer.clone(), facts.to_vec(), pms.to_vec());
        self.locked(Some(customer), move |ws| {
            ws.update_info_locked(&id, &facts, &pms)
        })
        .await
    }

    /// [`Workspace::update_info`], with the customer's lock held.
    fn update_info_locked(
        &self,
        customer: &CustomerId,
        facts: &[Fact],
        pms: &[ClientPm],
    ) -> Result<Vec<String>, WorkspaceError> {
        self.ensure_customer_locked(customer)?;
        let path = self.file(customer, INFO_FILE)?;
        let text = self.read_optional(&path)?;
        let (text, mut changes) = set_facts(text, facts);
        let (text, pm_changes) = upsert_client_pms(text, pms);
        changes.extend(pm_changes);
        if changes.is_empty() {
            return Ok(changes);
        }
        self.write(&path, &text)?;
        let event = NewEvent::note(
            self.clock.today_string(),
            "Update",
            "Customer info updated".into(),
            format!("Updated customer-info.md: {}", changes.join("; ")),
        );
        self.log_event_locked(customer, &event)?;
        Ok(changes)
    }
}

/// `text` with each fact set, and a line per fact whose value changed.
fn set_facts(mut text: String, facts: &[Fact]) -> (String, Vec<String>) {
    let mut changes = Vec::new();
    for fact in facts {
        let (next, previous) = info::set_fact(&text, fact);
        let now = info::facts(&next)
            .into_iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(fact.name))
            .map(|(_, value)| value)
            .unwrap_or_default();
        if previous.as_deref() != Some(now.as_str()) {
            changes.push(match previous {
                Some(previous) => format!("{}: {previous} → {now}", fact.name),
                None => format!("{}: {now}", fact.name),
            });
        }
        text = next;
    }
    (text, changes)
}

/// `text` with each client PM row added or replaced, and a line per new or
/// changed row.
fn upsert_client_pms(mut text: String, pms: &[ClientPm]) -> (String, Vec<String>) {
    let mut changes = Vec::new();
    for pm in pms {
        let (next, previous) = info::upsert_client_pm(&text, pm);
        match previous {
            Some(p) if p.role == pm.role && p.level == pm.level => {}
            Some(p) => changes.push(format!(
                "Client PM {}: {} / {} → {} / {}",
                pm.name, p.role, p.level, pm.role, pm.level
            )),
            None => changes.push(format!("Client PM {}: {} / {}", pm.name, pm.role, pm.level)),
        }
        text = next;
    }
    (text, changes)
}
