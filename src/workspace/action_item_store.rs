//! A customer's action items through the workspace: read from
//! `action-items.md` (or, before that file exists, the event log's table),
//! added and changed under the customer's lock, each change made to the row in
//! `action-items.md` and to the same row of the event log's Open Action Items
//! table, so the two never disagree. Ids are the highest in either file plus one.

use std::sync::Arc;

use super::action_items::{self, ACTION_ITEMS_FILE, HEADER, Status, TrackedItem, format_id};
use super::event_log::{self, max_action_item_id};
use super::events::event_log_title;
use super::markdown::one_line;
use super::table_rows::{self, Row};
use super::{CustomerId, EVENT_LOG_FILE, Workspace, WorkspaceError};

/// A change to an action item; fields left `None` stay as they are.
#[derive(Debug, Clone, Default)]
pub struct ItemChange {
    /// New status.
    pub status: Option<Status>,
    /// New owner.
    pub owner: Option<String>,
    /// New due date.
    pub due: Option<String>,
    /// A note to add (how it was closed, why it is blocked).
    pub note: Option<String>,
}

impl Workspace {
    /// The customer's action items, in file order.
    pub fn action_items(&self, customer: &CustomerId) -> Result<Vec<TrackedItem>, WorkspaceError> {
        let path = self.file(customer, ACTION_ITEMS_FILE)?;
        if path.exists() {
            return Ok(action_items::parse(&self.read_optional(&path)?));
        }
        self.items_in_log(customer)
    }

    /// The event log table's rows as items.
    fn items_in_log(&self, customer: &CustomerId) -> Result<Vec<TrackedItem>, WorkspaceError> {
        let log = self.event_log(customer)?;
        Ok(log
            .action_items
            .iter()
            .filter_map(TrackedItem::from_log)
            .collect())
    }

    /// Creates action-items.md, holding the event log's rows, when it is
    /// missing. The customer's lock must be held.
    pub(super) fn ensure_action_items_locked(
        &self,
        customer: &CustomerId,
    ) -> Result<(), WorkspaceError> {
        let path = self.file(customer, ACTION_ITEMS_FILE)?;
        if path.exists() {
            return Ok(());
        }
        let seed = self.items_in_log(customer)?;
        self.write(&path, &action_items::template(customer.as_str(), &seed))
    }

    /// The next unused id number, across both files.
    pub(super) fn next_action_item_id(&self, customer: &CustomerId) -> Result<u32, WorkspaceError> {
        let items = self.read_optional(&self.file(customer, ACTION_ITEMS_FILE)?)?;
        let log = self.read_optional(&self.file(customer, EVENT_LOG_FILE)?)?;
        Ok(max_action_item_id(&items).max(max_action_item_id(&log)) + 1)
    }

    /// Appends items the event log just recorded to action-items.md. The
    /// customer's lock must be held.
    pub(super) fn track_logged_items_locked(
        &self,
        customer: &CustomerId,
        items: &[TrackedItem],
    ) -> Result<(), WorkspaceError> {
        self.ensure_action_items_locked(customer)?;
        let path = self.file(customer, ACTION_ITEMS_FILE)?;
        let mut text = self.read_optional(&path)?;
        for item in items {
            if !action_items::parse(&text).iter().any(|i| i.id == item.id) {
                text = table_rows::append_row(&text, &item.row(), HEADER);
            }
        }
        self.write(&path, &text)
    }

    /// Adds an open item to both files; returns it with its id.
    pub async fn add_action_item(
        self: &Arc<Self>,
        customer: &CustomerId,
        item: TrackedItem,
    ) -> Result<TrackedItem, WorkspaceError> {
        let id = customer.clone();
        self.locked(Some(customer), move |ws| {
            ws.add_action_item_locked(&id, item)
        })
        .await
    }

    fn add_action_item_locked(
        &self,
        customer: &CustomerId,
        mut item: TrackedItem,
    ) -> Result<TrackedItem, WorkspaceError> {
        self.ensure_customer_locked(customer)?;
        item.id = format_id(self.next_action_item_id(customer)?);
        for text in [&mut item.item, &mut item.owner, &mut item.due] {
            *text = one_line(text);
        }
        let log_path = self.file(customer, EVENT_LOG_FILE)?;
        let log = self.read_optional(&log_path)?;
        let row = event_log::ActionItem {
            date: item.created.clone(),
            item: format!("{}: {}", item.id, item.item),
            owner: item.owner.clone(),
            due: item.due.clone(),
            status: item.status.clone(),
        };
        let log = event_log::add_action_items(&log, &event_log_title(customer), &[row]);
        self.track_logged_items_locked(customer, std::slice::from_ref(&item))?;
        self.write(&log_path, &log)?;
        Ok(item)
    }

    /// Changes item `number` in both files; `None` when neither has it.
    pub async fn change_action_item(
        self: &Arc<Self>,
        customer: &CustomerId,
        number: u32,
        change: ItemChange,
    ) -> Result<Option<TrackedItem>, WorkspaceError> {
        let id = customer.clone();
        self.locked(Some(customer), move |ws| {
            ws.change_action_item_locked(&id, number, &change)
        })
        .await
    }

    fn change_action_item_locked(
        &self,
        customer: &CustomerId,
        number: u32,
        change: &ItemChange,
    ) -> Result<Option<TrackedItem>, WorkspaceError> {
        self.ensure_customer_locked(customer)?;
        let id = format_id(number);
        if !self.action_items(customer)?.iter().any(|i| i.id == id) {
            match self
                .items_in_log(customer)?
                .into_iter()
                .find(|i| i.id == id)
            {
                Some(from_log) => self.track_logged_items_locked(customer, &[from_log])?,
                None => return Ok(None),
            }
        }
        let path = self.file(customer, ACTION_ITEMS_FILE)?;
        let text = self.read_optional(&path)?;
        let Some(text) = table_rows::edit_row(&text, number, |row| apply(row, change, true)) else {
            return Ok(None);
        };
        let log_path = self.file(customer, EVENT_LOG_FILE)?;
        let log = self.read_optional(&log_path)?;
        if let Some(log) = table_rows::edit_row(&log, number, |row| apply(row, change, false)) {
            self.write(&log_path, &log)?;
        }
        self.write(&path, &text)?;
        Ok(action_items::parse(&text).into_iter().find(|i| i.id == id))
    }
}

/// Sets the changed cells of `row` (the note only where `notes` says the table
/// keeps them).
fn apply(row: &mut Row, change: &ItemChange, notes: bool) {
    if let Some(status) = change.status {
        row.set(&["Status"], status.name());
    }
    if let Some(owner) = &change.owner {
        row.set(&["Owner"], &one_line(owner));
    }
    if let Some(due) = &change.due {
        row.set(&["Due", "Due Date"], &one_line(due));
    }
    if let (Some(note), true) = (&change.note, notes) {
        let note = one_line(note);
        let old = row.get(&["Notes", "Note"]).unwrap_or_default().to_string();
        let joined = if old.is_empty() {
            note
        } else {
            format!("{old}; {note}")
        };
        row.set(&["Notes", "Note"], &joined);
    }
}
