//! A customer's event log through the workspace: read and summarized, and new
//! events recorded under the customer's lock.

use std::sync::Arc;

use super::action_items::TrackedItem;
use super::coverage;
use super::event_log::{self, EventLog, NewEvent};
use super::metrics::{self, Engagement};
use super::{CustomerId, EVENT_LOG_FILE, Workspace, WorkspaceError};

/// The log's H1.
pub(super) fn event_log_title(customer: &CustomerId) -> String {
    format!("# Event Log: {customer}")
}

impl Workspace {
    /// The customer's event log, parsed.
    pub fn event_log(&self, customer: &CustomerId) -> Result<EventLog, WorkspaceError> {
        let path = self.file(customer, EVENT_LOG_FILE)?;
        Ok(event_log::parse(&self.read_optional(&path)?))
    }

    /// Hours and the strategic vs tactical ratio, from the event log, with
    /// their coverage of the contracted hours and the coaching sessions held
    /// (which never count as client work).
    pub fn engagement(&self, customer: &CustomerId) -> Result<Engagement, WorkspaceError> {
        let events = self.event_log(customer)?.events;
        let mut summary = metrics::summarize(&events);
        let facts = self.engagement_facts(customer)?;
        summary.coverage = coverage::coverage(&events, facts.hours_per_week());
        summary.coaching_sessions = Some(self.coaching_sessions(customer)?);
        Ok(summary)
    }

    /// Records an event (newest first); returns the action item ids assigned.
    pub async fn log_event(
        self: &Arc<Self>,
        customer: &CustomerId,
        event: &NewEvent,
    ) -> Result<Vec<String>, WorkspaceError> {
        let (id, event) = (customer.clone(), event.clone());
        self.locked(Some(customer), move |ws| {
            ws.ensure_customer_locked(&id)?;
            ws.log_event_locked(&id, &event)
        })
        .await
    }

    /// [`Workspace::log_event`], with the customer's lock held and the folder made.
    pub(super) fn log_event_locked(
        &self,
        customer: &CustomerId,
        event: &NewEvent,
    ) -> Result<Vec<String>, WorkspaceError> {
        let path = self.file(customer, EVENT_LOG_FILE)?;
        let text = self.read_optional(&path)?;
        let floor = self.next_action_item_id(customer)?;
        let (text, ids) = event_log::insert_from(&text, &event_log_title(customer), event, floor);
        self.write(&path, &text)?;
        let tracked: Vec<TrackedItem> = ids
            .iter()
            .zip(&event.action_items)
            .map(|(id, (task, owner, due))| TrackedItem {
                id: id.clone(),
                item: task.clone(),
                owner: owner.clone(),
                due: due.clone(),
                status: "Open".into(),
                created: event.date.clone(),
                notes: String::new(),
            })
            .collect();
        if !tracked.is_empty() {
            self.track_logged_items_locked(customer, &tracked)?;
        }
        Ok(ids)
    }
}
