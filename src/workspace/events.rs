//! A customer's event log through the workspace: read and summarized, and new
//! events recorded under the customer's lock.

use std::sync::Arc;

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

    /// Hours and the strategic vs tactical ratio, from the event log.
    pub fn engagement(&self, customer: &CustomerId) -> Result<Engagement, WorkspaceError> {
        Ok(metrics::summarize(&self.event_log(customer)?.events))
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
        let (text, ids) = event_log::insert(&text, &event_log_title(customer), event);
        self.write(&path, &text)?;
        Ok(ids)
    }
}
