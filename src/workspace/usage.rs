//! What a customer's turns spent, read from its transcripts
//! (`customers/<id>/sessions/*.jsonl`): tokens and estimated cost overall, per
//! UTC day and per session.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ledger::turn_day;
use super::{CustomerId, SESSIONS_DIR, SessionId, Transcript, Workspace, WorkspaceError};
use crate::model::Usage;
use crate::pricing::add_costs;
use crate::session::TurnRecord;

/// Tokens and estimated cost of some turns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Spend {
    /// Turns, failed ones included (they spent tokens too).
    pub turns: usize,
    /// Tokens.
    pub usage: Usage,
    /// Estimated cost in USD of the turns that recorded one; absent when none did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// Tokens of turns without a cost (their model had no price, or the turn
    /// predates cost records): `cost_usd` leaves them out.
    pub unpriced_tokens: u64,
}

impl Spend {
    fn add(&mut self, turn: &TurnRecord) {
        self.turns += 1;
        self.usage += turn.usage;
        match turn.cost_usd {
            Some(cost) => self.cost_usd = add_costs(self.cost_usd, Some(cost)),
            None => self.unpriced_tokens += turn.usage.total_tokens,
        }
    }
}

/// One UTC day's spend.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DaySpend {
    /// The day, `YYYY-MM-DD` (UTC); a turn counts on the day it finished.
    pub date: String,
    /// What its turns spent.
    #[serde(flatten)]
    pub spend: Spend,
}

/// One session's spend.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SessionSpend {
    /// The session id.
    pub session_id: String,
    /// When it started (RFC 3339), as its transcript says.
    pub created_at: Option<String>,
    /// What its turns spent.
    #[serde(flatten)]
    pub spend: Spend,
}

/// A customer's spend, from its transcripts.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CustomerUsage {
    /// The customer.
    pub customer: String,
    /// Every turn.
    pub total: Spend,
    /// Per UTC day, oldest first; turns whose finishing time does not parse
    /// count in `total` and their session only.
    pub days: Vec<DaySpend>,
    /// Per session, oldest first.
    pub sessions: Vec<SessionSpend>,
    /// Turns not kept as sessions (the OpenAI-compatible endpoint without
    /// `store`); in `total` and `days` too.
    pub unstored: Spend,
}

impl CustomerUsage {
    /// Adds up `transcripts` (session id and transcript) and the turns not
    /// kept as sessions.
    fn of(
        customer: &CustomerId,
        transcripts: &[(SessionId, Transcript)],
        unstored: &Transcript,
    ) -> Self {
        let mut total = Spend::default();
        let mut days: BTreeMap<String, Spend> = BTreeMap::new();
        let mut sessions = Vec::new();
        let mut unstored_spend = Spend::default();
        for turn in &unstored.turns {
            total.add(turn);
            unstored_spend.add(turn);
            if let Some(day) = turn_day(turn) {
                days.entry(day.to_string()).or_default().add(turn);
            }
        }
        for (id, transcript) in transcripts {
            let mut session = Spend::default();
            for turn in &transcript.turns {
                total.add(turn);
                session.add(turn);
                if let Some(day) = turn_day(turn) {
                    days.entry(day.to_string()).or_default().add(turn);
                }
            }
            sessions.push(SessionSpend {
                session_id: id.to_string(),
                created_at: transcript.created_at.clone(),
                spend: session,
            });
        }
        sessions
            .sort_by(|a, b| (&a.created_at, &a.session_id).cmp(&(&b.created_at, &b.session_id)));
        Self {
            customer: customer.to_string(),
            total,
            days: days
                .into_iter()
                .map(|(date, spend)| DaySpend { date, spend })
                .collect(),
            sessions,
            unstored: unstored_spend,
        }
    }
}

impl Workspace {
    /// What the customer's turns spent, from its transcripts.
    pub fn usage(&self, customer: &CustomerId) -> Result<CustomerUsage, WorkspaceError> {
        self.existing(customer)?;
        Ok(CustomerUsage::of(
            customer,
            &self.customer_transcripts(customer)?,
            &self.unstored(customer)?,
        ))
    }

    /// Every transcript in the customer's `sessions/`, with its session id.
    /// Files whose names are not `<session-id>.jsonl`, and links, are passed
    /// over; none for a customer without a folder.
    pub(super) fn customer_transcripts(
        &self,
        customer: &CustomerId,
    ) -> Result<Vec<(SessionId, Transcript)>, WorkspaceError> {
        let dir = self.checked(&self.customer_dir(customer).join(SESSIONS_DIR))?;
        let mut found = Vec::new();
        for entry in self.read_dir_optional(&dir)? {
            let name = entry.file_name();
            let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".jsonl")) else {
                continue;
            };
            let Ok(session) = SessionId::parse(stem) else {
                continue;
            };
            let Ok(path) = self.transcript_path(Some(customer), &session) else {
                continue;
            };
            match std::fs::read_to_string(&path) {
                Ok(text) => found.push((session, Transcript::parse(&text))),
                // Gone since the listing, or a folder by that name.
                Err(err) if err.kind() == std::io::ErrorKind::NotFound || path.is_dir() => {}
                Err(err) => return Err(self.io(&path)(err)),
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transcript(turns: &[(&str, u64, Option<f64>)]) -> Transcript {
        let mut text = String::from(
            "{\"type\":\"session\",\"version\":1,\"session_id\":\"s\",\"created_at\":\"2026-11-23T09:00:00Z\"}\n",
        );
        for (finished_at, tokens, cost) in turns {
            let line = serde_json::json!({
                "type": "turn", "started_at": finished_at, "finished_at": finished_at,
                "capability": "coach", "model": "m", "messages": [], "cost_usd": cost,
                "usage": {"prompt_tokens": tokens, "completion_tokens": 0, "total_tokens": tokens},
            });
            text.push_str(&format!("{line}\n"));
        }
        Transcript::parse(&text)
    }

    fn session(id: &str) -> SessionId {
        SessionId::parse(id).expect("id")
    }

    #[test]
    fn spend_adds_up_per_day_and_session() {
        let customer = CustomerId::parse("acme").expect("id");
        let usage = CustomerUsage::of(
            &customer,
            &[
                (
                    session("b"),
                    transcript(&[
                        ("2026-11-23T10:00:00Z", 100, Some(0.001)),
                        ("2026-11-24T00:00:00Z", 50, None),
                    ]),
                ),
                (
                    session("a"),
                    transcript(&[("2026-11-23T23:59:59Z", 10, Some(0.0002)), ("bad", 1, None)]),
                ),
            ],
            &transcript(&[]),
        );
        assert_eq!(usage.total.turns, 4);
        assert_eq!(usage.total.usage.total_tokens, 161);
        assert_eq!(usage.total.cost_usd, Some(0.0012));
        assert_eq!(usage.total.unpriced_tokens, 51);
        let days: Vec<(&str, u64)> = usage
            .days
            .iter()
            .map(|d| (d.date.as_str(), d.spend.usage.total_tokens))
            .collect();
        assert_eq!(days, vec![("2026-11-23", 110), ("2026-11-24", 50)]);
        assert_eq!(usage.days[1].spend.cost_usd, None);
        let sessions: Vec<(&str, u64)> = usage
            .sessions
            .iter()
            .map(|s| (s.session_id.as_str(), s.spend.usage.total_tokens))
            .collect();
        assert_eq!(sessions, vec![("a", 11), ("b", 150)]);
    }
}
