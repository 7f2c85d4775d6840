//! One customer's documents as a handle: what a tool is given instead of the
//! whole workspace, so the customer it acts on is the one our code fixed from
//! the request, never one the model names. A read-only handle (what a
//! consulted capability gets) refuses every write.

use std::sync::Arc;

use super::action_items::TrackedItem;
use super::event_log::{EventLog, NewEvent};
use super::info::{ClientPm, Fact};
use super::metrics::Engagement;
use super::reminders::Reminder;
use super::{ArtifactName, CustomerId, ItemChange, Workspace, WorkspaceError};
use crate::templates::Artifact;

/// The documents of the turn's customer.
#[derive(Debug, Clone, Copy)]
pub struct CustomerDocs<'a> {
    pub(super) workspace: &'a Arc<Workspace>,
    pub(super) customer: &'a CustomerId,
    writable: bool,
}

impl<'a> CustomerDocs<'a> {
    /// The documents of `customer` in `workspace`.
    pub fn new(workspace: &'a Arc<Workspace>, customer: &'a CustomerId) -> Self {
        Self {
            workspace,
            customer,
            writable: true,
        }
    }

    /// The same documents, read-only.
    pub fn read_only(self) -> Self {
        Self {
            writable: false,
            ..self
        }
    }

    /// Whether writes are allowed through this handle.
    pub fn writable(&self) -> bool {
        self.writable
    }

    pub(super) fn check_writable(&self) -> Result<(), WorkspaceError> {
        if self.writable {
            Ok(())
        } else {
            Err(WorkspaceError::ReadOnly)
        }
    }

    /// The customer.
    pub fn customer(&self) -> &'a CustomerId {
        self.customer
    }

    /// Whether the customer has a folder yet.
    pub fn exist(&self) -> bool {
        self.workspace.customer_exists(self.customer)
    }

    /// The event log, parsed.
    pub fn event_log(&self) -> Result<EventLog, WorkspaceError> {
        self.workspace.event_log(self.customer)
    }

    /// Hours and the strategic vs tactical ratio.
    pub fn engagement(&self) -> Result<Engagement, WorkspaceError> {
        self.workspace.engagement(self.customer)
    }

    /// Records an event; returns the action item ids assigned.
    pub async fn log_event(&self, event: &NewEvent) -> Result<Vec<String>, WorkspaceError> {
        self.check_writable()?;
        self.workspace.log_event(self.customer, event).await
    }

    /// Sets facts and client PM rows; returns the changes.
    pub async fn update_info(
        &self,
        facts: &[Fact],
        pms: &[ClientPm],
    ) -> Result<Vec<String>, WorkspaceError> {
        self.check_writable()?;
        self.workspace.update_info(self.customer, facts, pms).await
    }

    /// Saves a rendered document and logs a Delivery event.
    pub async fn save_artifact(
        &self,
        artifact: &Artifact,
        kind: &str,
        author: &str,
    ) -> Result<ArtifactName, WorkspaceError> {
        self.check_writable()?;
        self.workspace
            .save_artifact(self.customer, artifact, kind, author)
            .await
    }

    /// The action items.
    pub fn action_items(&self) -> Result<Vec<TrackedItem>, WorkspaceError> {
        self.workspace.action_items(self.customer)
    }

    /// The reminders as of today.
    pub fn reminders(&self) -> Result<Vec<Reminder>, WorkspaceError> {
        self.workspace.reminders(self.customer)
    }

    /// Adds an idea to ideas.md; returns its id.
    pub async fn add_idea(
        &self,
        idea: String,
        status: &'static str,
        notes: String,
    ) -> Result<String, WorkspaceError> {
        self.check_writable()?;
        self.workspace
            .add_idea(self.customer, idea, status, notes)
            .await
    }

    /// Adds an action item; returns it with its id.
    pub async fn add_action_item(&self, item: TrackedItem) -> Result<TrackedItem, WorkspaceError> {
        self.check_writable()?;
        self.workspace.add_action_item(self.customer, item).await
    }

    /// Changes action item `number`; `None` when there is no such item.
    pub async fn change_action_item(
        &self,
        number: u32,
        change: ItemChange,
    ) -> Result<Option<TrackedItem>, WorkspaceError> {
        self.check_writable()?;
        self.workspace
            .change_action_item(self.customer, number, change)
            .await
    }
}
