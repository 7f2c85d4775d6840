//! Tokens each customer spent today, for the daily budget: read from the
//! customer's transcripts once, then kept in step as turns are appended, so a
//! turn does not re-read every transcript. Days are UTC days, and a turn
//! counts on the day it finished.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::{CustomerId, Workspace, WorkspaceError};
use crate::session::TurnRecord;

/// The UTC day of `at`.
pub fn utc_day(at: Timestamp) -> Date {
    at.to_zoned_datetime(TimeZone::UTC).date()
}

/// The UTC day a turn counts on (when it finished); `None` for a record whose
/// time does not parse (a hand edit).
pub(super) fn turn_day(turn: &TurnRecord) -> Option<Date> {
    turn.finished_at.parse::<Timestamp>().ok().map(utc_day)
}

/// The midnight (UTC) that ends `day`.
pub fn next_utc_midnight(day: Date) -> Timestamp {
    day.tomorrow()
        .and_then(|next| next.to_zoned_datetime(TimeZone::UTC))
        .map_or(Timestamp::MAX, |midnight| midnight.timestamp())
}

/// The latest UTC day each customer spent tokens on, and how many.
///
/// An entry exists once the customer's transcripts have been read; from then
/// on every append passes through [`Ledger::record`] holding the customer's
/// append key, which the first read holds alone, so the entry stays exact while this process is the workspace's only
/// writer (a second server on the same folder would go unseen).
#[derive(Debug, Default)]
pub(super) struct Ledger {
    // std Mutex: held only to read or update an entry, never across .await.
    latest: Mutex<HashMap<CustomerId, (Date, u64)>>,
}

impl Ledger {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<CustomerId, (Date, u64)>> {
        // Every update is a single insert or add: a poisoned map is consistent.
        self.latest.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Tokens spent on `day`, when the ledger knows: none were spent on a day
    /// after the latest one it has seen.
    fn spent_on(&self, customer: &CustomerId, day: Date) -> Option<u64> {
        let &(latest, tokens) = self.entries().get(customer)?;
        match day.cmp(&latest) {
            std::cmp::Ordering::Equal => Some(tokens),
            std::cmp::Ordering::Greater => Some(0),
            std::cmp::Ordering::Less => None,
        }
    }

    /// What the transcripts say was spent on `day` (read under the customer's
    /// lock); an entry for a later day is kept.
    fn load(&self, customer: &CustomerId, day: Date, tokens: u64) {
        let mut entries = self.entries();
        let entry = entries.entry(customer.clone()).or_insert((day, tokens));
        if entry.0 < day {
            *entry = (day, tokens);
        }
    }

    /// Counts an appended turn (its append holds the customer's key). A customer not
    /// read yet is left alone: the first read finds the turn in its file.
    pub(super) fn record(&self, customer: &CustomerId, turn: &TurnRecord) {
        let Some(day) = turn_day(turn) else { return };
        if let Some((latest, tokens)) = self.entries().get_mut(customer) {
            if day == *latest {
                *tokens += turn.usage.total_tokens;
            } else if day > *latest {
                (*latest, *tokens) = (day, turn.usage.total_tokens);
            }
        }
    }
}

impl Workspace {
    /// Tokens the customer's turns that finished on `day` (UTC) spent: from
    /// the ledger, or read from its transcripts the first time. A customer
    /// without a folder has spent none (and gets no folder).
    pub async fn tokens_spent_on(
        self: &Arc<Self>,
        customer: &CustomerId,
        day: Date,
    ) -> Result<u64, WorkspaceError> {
        if let Some(tokens) = self.ledger.spent_on(customer, day) {
            return Ok(tokens);
        }
        let id = customer.clone();
        // Holding the customer's append key alone, no turn is appended between
        // the read and the ledger's entry, so none is counted twice or missed.
        let _alone = self.appending.write(customer.as_str()).await;
        self.locked(Some(customer), move |ws| {
            if let Some(tokens) = ws.ledger.spent_on(&id, day) {
                return Ok(tokens);
            }
            let unstored = ws.unstored(&id)?;
            let tokens = ws
                .customer_transcripts(&id)?
                .iter()
                .map(|(_, transcript)| transcript)
                .chain(std::iter::once(&unstored))
                .flat_map(|transcript| &transcript.turns)
                .filter(|turn| turn_day(turn) == Some(day))
                .map(|turn| turn.usage.total_tokens)
                .sum();
            ws.ledger.load(&id, day, tokens);
            Ok(tokens)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Usage;
    use jiff::civil::date;

    fn turn(finished_at: &str, tokens: u64) -> TurnRecord {
        let line = serde_json::json!({
            "started_at": finished_at, "finished_at": finished_at, "capability": "coach",
            "model": "m", "messages": [],
            "usage": Usage { prompt_tokens: tokens, completion_tokens: 0, total_tokens: tokens },
        });
        serde_json::from_value(line).expect("a turn record")
    }

    fn acme() -> CustomerId {
        CustomerId::parse("acme").expect("id")
    }

    #[test]
    fn days_are_utc_and_reset_at_the_next_midnight() {
        let late = "2026-11-24T23:59:59.9-05:00"
            .parse::<Timestamp>()
            .expect("ts");
        assert_eq!(utc_day(late), date(2026, 11, 25));
        assert_eq!(
            next_utc_midnight(date(2026, 11, 25)).to_string(),
            "2026-11-26T00:00:00Z"
        );
        assert_eq!(
            next_utc_midnight(date(2026, 12, 31)).to_string(),
            "2027-01-01T00:00:00Z"
        );
        assert_eq!(
            turn_day(&turn("2026-11-24T23:59:59Z", 1)),
            Some(date(2026, 11, 24))
        );
        assert_eq!(turn_day(&turn("yesterday", 1)), None);
    }

    #[test]
    fn the_ledger_counts_only_after_a_read_and_rolls_over_at_midnight() {
        let ledger = Ledger::default();
        let day = date(2026, 11, 24);
        // Not read yet: an append is left for the read to find.
        ledger.record(&acme(), &turn("2026-11-24T10:00:00Z", 5));
        assert_eq!(ledger.spent_on(&acme(), day), None);

        ledger.load(&acme(), day, 5);
        ledger.record(&acme(), &turn("2026-11-24T11:00:00Z", 10));
        assert_eq!(ledger.spent_on(&acme(), day), Some(15));
        // A turn from before midnight appended after a later one: not today's.
        ledger.record(&acme(), &turn("2026-11-23T23:59:59Z", 100));
        assert_eq!(ledger.spent_on(&acme(), day), Some(15));
        // The next day starts from nothing, then counts its own turns.
        assert_eq!(
            ledger.spent_on(&acme(), day.tomorrow().expect("day")),
            Some(0)
        );
        ledger.record(&acme(), &turn("2026-11-25T00:00:01Z", 7));
        assert_eq!(ledger.spent_on(&acme(), date(2026, 11, 25)), Some(7));
        // An earlier day is no longer known.
        assert_eq!(ledger.spent_on(&acme(), day), None);
    }

    #[tokio::test]
    async fn a_first_read_sums_todays_turns_from_the_transcripts() {
        let dir = tempfile::tempdir().expect("dir");
        let workspace = Arc::new(Workspace::new(dir.path()));
        let day = date(2026, 11, 24);
        assert_eq!(
            workspace.tokens_spent_on(&acme(), day).await.expect("read"),
            0
        );
        assert!(
            !workspace.customer_exists(&acme()),
            "a read creates no folder"
        );

        let fresh = Arc::new(Workspace::new(dir.path()));
        let session = crate::workspace::SessionId::generate();
        for (at, tokens) in [
            ("2026-11-23T23:00:00Z", 1000),
            ("2026-11-24T01:00:00Z", 20),
            ("2026-11-24T02:00:00Z", 30),
        ] {
            let mut record = turn(at, tokens);
            record.customer = Some("acme".into());
            fresh.append_turn(&session, &record).await.expect("append");
        }
        assert_eq!(fresh.tokens_spent_on(&acme(), day).await.expect("read"), 50);
        let mut later = turn("2026-11-24T03:00:00Z", 4);
        later.customer = Some("acme".into());
        fresh.append_turn(&session, &later).await.expect("append");
        assert_eq!(fresh.tokens_spent_on(&acme(), day).await.expect("read"), 54);
    }
}
