//! What needs the PM's attention for a customer, as of the server's clock:
//! action items overdue or due within a week, the renewal conversation (the
//! family starts it 4-6 weeks before the renewal date), and, from the client PM
//! progress records, coaching sessions due and post-graduation check-ins.
//! The context reads the items and facts once and passes them in
//! (`reminders_from`).

use std::fmt::Write as _;

use jiff::civil::Date;
use serde::Serialize;

use super::action_items::TrackedItem;
use super::family::EngagementFacts;
use super::{CustomerId, Workspace, WorkspaceError};

/// An item due within this many days is "due soon".
pub const DUE_SOON_DAYS: i32 = 7;
/// The renewal conversation starts this many days before the renewal (6 weeks)...
pub const RENEWAL_WINDOW_OPENS_DAYS: i32 = 42;
/// ...and is overdue once fewer than this many are left (4 weeks).
pub const RENEWAL_WINDOW_CLOSES_DAYS: i32 = 28;

/// What a reminder is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
pub enum ReminderKind {
    /// An open action item past its due date.
    ActionItemOverdue,
    /// An open action item due within [`DUE_SOON_DAYS`].
    ActionItemDueSoon,
    /// The renewal is within the window (or past it).
    RenewalApproaching,
    /// A client PM's next coaching session is due (client PM progress).
    CoachingSessionDue,
    /// A graduated client PM's monthly check-in is due (client PM progress).
    GraduationCheckIn,
}

/// One reminder.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Reminder {
    /// What it is about.
    pub kind: ReminderKind,
    /// The date it concerns (`YYYY-MM-DD`), if any.
    #[schema(value_type = Option<String>)]
    pub due: Option<Date>,
    /// What to do, in a sentence.
    pub text: String,
}

impl Workspace {
    /// The customer's reminders as of the workspace's clock, soonest first.
    pub fn reminders(&self, customer: &CustomerId) -> Result<Vec<Reminder>, WorkspaceError> {
        self.existing(customer)?;
        let items = self.action_items(customer)?;
        let facts = self.engagement_facts(customer)?;
        self.reminders_from(customer, &items, &facts)
    }

    /// The reminders, from the action items and engagement facts the caller
    /// has already read (the context reads them anyway): overdue and
    /// due-soon items, the renewal window, client PMs' sessions and
    /// check-ins.
    pub(super) fn reminders_from(
        &self,
        customer: &CustomerId,
        items: &[TrackedItem],
        facts: &EngagementFacts,
    ) -> Result<Vec<Reminder>, WorkspaceError> {
        let today = self.clock().today();
        let mut all = action_item_reminders(items, today);
        all.extend(renewal_reminder(facts.renewal_date(), today));
        all.extend(from_client_pms(self, customer, today)?);
        all.sort_by_key(|r| (r.due.is_none(), r.due, r.kind));
        Ok(all)
    }
}

/// Each client PM's next coaching session or graduation check-in, once it
/// is due within [`DUE_SOON_DAYS`] or past.
fn from_client_pms(
    ws: &Workspace,
    customer: &CustomerId,
    today: Date,
) -> Result<Vec<Reminder>, WorkspaceError> {
    Ok(ws
        .client_pm_reminders(customer)?
        .into_iter()
        .filter_map(|pm| {
            let due: Date = pm.date.parse().ok()?;
            let kind = match pm.kind {
                "GraduationCheckIn" => ReminderKind::GraduationCheckIn,
                _ => ReminderKind::CoachingSessionDue,
            };
            let days = days_until(today, due);
            (days <= DUE_SOON_DAYS).then(|| Reminder {
                kind,
                due: Some(due),
                text: format!("{} ({})", pm.text, in_days(days)),
            })
        })
        .collect())
}

/// Days from `today` to `date` (negative when past).
fn days_until(today: Date, date: Date) -> i32 {
    today.until(date).map_or(0, |span| span.get_days())
}

/// Open items overdue or due within [`DUE_SOON_DAYS`].
pub fn action_item_reminders(items: &[TrackedItem], today: Date) -> Vec<Reminder> {
    items
        .iter()
        .filter(|item| item.is_open())
        .filter_map(|item| {
            let due = item.due_date()?;
            let days = days_until(today, due);
            let what = format!(
                "{} {} (owner {}, {})",
                item.id, item.item, item.owner, item.status
            );
            let (kind, text) = match days {
                ..0 => (
                    ReminderKind::ActionItemOverdue,
                    format!("{what} was due {due}: {} days overdue", -days),
                ),
                0..=DUE_SOON_DAYS => (
                    ReminderKind::ActionItemDueSoon,
                    format!("{what} is due {due} ({})", in_days(days)),
                ),
                _ => return None,
            };
            Some(Reminder {
                kind,
                due: Some(due),
                text,
            })
        })
        .collect()
}

fn in_days(days: i32) -> String {
    match days {
        0 => "today".into(),
        1 => "tomorrow".into(),
        -1 => "a day overdue".into(),
        n if n < 0 => format!("{} days overdue", -n),
        n => format!("in {n} days"),
    }
}

/// The renewal reminder: none more than 6 weeks out; "start the renewal
/// conversation" from 6 weeks; overdue once fewer than 4 weeks are left.
pub fn renewal_reminder(renewal: Option<Date>, today: Date) -> Option<Reminder> {
    let renewal = renewal?;
    let days = days_until(today, renewal);
    let text = match days {
        d if d > RENEWAL_WINDOW_OPENS_DAYS => return None,
        d if d > RENEWAL_WINDOW_CLOSES_DAYS => format!(
            "Renewal on {renewal} ({d} days, {} weeks): start the renewal conversation now, with the value delivered and its evidence",
            d / 7
        ),
        d if d >= 0 => format!(
            "Renewal on {renewal} ({}): the renewal conversation is overdue; it should start 4-6 weeks before",
            in_days(d)
        ),
        d => format!(
            "Renewal date {renewal} passed {} days ago: record the outcome and the next renewal date",
            -d
        ),
    };
    Some(Reminder {
        kind: ReminderKind::RenewalApproaching,
        due: Some(renewal),
        text,
    })
}

/// The reminders as a markdown list, or `None` when there are none.
pub fn render(reminders: &[Reminder]) -> Option<String> {
    if reminders.is_empty() {
        return None;
    }
    let mut out = String::from("### Reminders (as of today)\n");
    for reminder in reminders {
        let _ = writeln!(out, "- {:?}: {}", reminder.kind, reminder.text);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn item(id: &str, due: &str, status: &str) -> TrackedItem {
        TrackedItem {
            id: id.into(),
            item: "Do it".into(),
            owner: "Me".into(),
            due: due.into(),
            status: status.into(),
            created: "2026-11-01".into(),
            notes: String::new(),
        }
    }

    #[test]
    fn overdue_and_due_soon_items_only_while_open() {
        let today = date(2026, 12, 1);
        let items = [
            item("AI-001", "2026-11-28", "Open"),
            item("AI-002", "2026-12-08", "In Progress"),
            item("AI-003", "2026-12-09", "Open"),
            item("AI-004", "2026-11-01", "Completed"),
            item("AI-005", "next week", "Open"),
        ];
        let found = action_item_reminders(&items, today);
        let kinds: Vec<_> = found.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            [
                ReminderKind::ActionItemOverdue,
                ReminderKind::ActionItemDueSoon
            ]
        );
        assert!(
            found[0].text.contains("3 days overdue"),
            "{}",
            found[0].text
        );
        assert!(found[1].text.contains("in 7 days"), "{}", found[1].text);
    }

    #[test]
    fn the_renewal_window_opens_at_six_weeks_and_is_overdue_after_four() {
        let today = date(2026, 12, 1);
        let at = |days: i64| {
            renewal_reminder(today.checked_add(jiff::Span::new().days(days)).ok(), today)
        };
        assert_eq!(at(43), None);
        assert!(
            at(42)
                .expect("opens")
                .text
                .contains("start the renewal conversation")
        );
        assert!(
            at(35)
                .expect("5 weeks")
                .text
                .contains("start the renewal conversation")
        );
        assert!(at(27).expect("late").text.contains("overdue"));
        assert!(at(-3).expect("past").text.contains("passed 3 days ago"));
        assert_eq!(renewal_reminder(None, today), None);
        let shown = render(&[at(35).expect("5 weeks")]).expect("a list");
        assert!(
            shown.contains("- RenewalApproaching: Renewal on 2027-01-05"),
            "{shown}"
        );
    }
}
