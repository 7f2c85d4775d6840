//! Conversation sessions behind one seam (the workspace's transcript files serve
//! now; a database-backed store replaces them without touching callers), and
//! the records a transcript is made of.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use serde::Serialize;

use crate::model::{Message, Usage};
use crate::pricing::add_costs;

mod record;

pub use record::{
    ArtifactRef, ModelCallRecord, Progress, ToolCallRecord, TurnRecord, store_answers_once,
};

/// A conversation: who it is with and everything said so far.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Session {
    /// Session id.
    pub id: String,
    /// The capability of the latest turn.
    pub capability: String,
    /// The customer it is about, if any (fixed when the session starts).
    pub customer: Option<String>,
    /// The name of the key that started it; only that key (or an admin key)
    /// may continue it.
    pub owner: Option<String>,
    /// All messages, oldest first, without system prompts.
    pub messages: Vec<Message>,
    /// Tokens spent over all turns.
    pub usage: Usage,
    /// Their estimated cost in USD: the sum over the turns that have one.
    pub cost_usd: Option<f64>,
    /// Finished turns.
    pub turns: usize,
    /// Finished turns that answered (a failed turn adds none).
    pub answered: usize,
}

/// A session store failed.
#[derive(Debug, thiserror::Error)]
#[error("session store: {0}")]
pub struct StoreError(pub String);

/// Where sessions live.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// The session with this id, if it exists.
    async fn get(&self, id: &str) -> Result<Option<Session>, StoreError>;

    /// Appends a finished turn, creating the session on its first turn.
    async fn append(&self, id: &str, turn: &TurnRecord) -> Result<(), StoreError>;
}

/// Sessions in process memory; gone on restart.
#[derive(Debug, Default)]
pub struct MemorySessions {
    // std Mutex: the lock is never held across an .await.
    sessions: Mutex<HashMap<String, Session>>,
}

impl MemorySessions {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        // A panic while holding the lock leaves a map that is still consistent
        // (every mutation is a single insert or extend), so keep serving.
        self.sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl SessionStore for MemorySessions {
    async fn get(&self, id: &str) -> Result<Option<Session>, StoreError> {
        Ok(self.lock().get(id).cloned())
    }

    async fn append(&self, id: &str, turn: &TurnRecord) -> Result<(), StoreError> {
        let mut sessions = self.lock();
        let session = sessions
            .entry(id.to_string())
            .or_insert_with(|| Session::new(id, turn));
        session.apply(turn);
        Ok(())
    }
}

impl Session {
    /// An empty session, as a first turn starts it.
    pub fn new(id: &str, first: &TurnRecord) -> Self {
        Session {
            id: id.to_string(),
            capability: first.capability.clone(),
            customer: first.customer.clone(),
            owner: first.key.clone(),
            messages: Vec::new(),
            usage: Usage::default(),
            cost_usd: None,
            turns: 0,
            answered: 0,
        }
    }

    /// Adds a finished turn; a failed one adds to the usage but not to the
    /// history the model sees.
    pub fn apply(&mut self, turn: &TurnRecord) {
        self.capability = turn.capability.clone();
        if turn.error.is_none() {
            self.messages.extend_from_slice(&turn.messages);
            self.answered += 1;
        }
        self.usage += turn.usage;
        self.cost_usd = add_costs(self.cost_usd, turn.cost_usd);
        self.turns += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(message: &str) -> TurnRecord {
        TurnRecord {
            started_at: "2026-11-24T10:00:00Z".into(),
            finished_at: "2026-11-24T10:00:01Z".into(),
            capability: "coach".into(),
            customer: Some("acme".into()),
            key: None,
            model: "m".into(),
            messages: vec![Message::user(message)],
            tool_calls: Vec::new(),
            artifacts: Vec::new(),
            model_calls: Vec::new(),
            usage: Usage {
                prompt_tokens: 1,
                completion_tokens: 2,
                total_tokens: 3,
            },
            cost_usd: Some(0.25),
            error: None,
        }
    }

    #[tokio::test]
    async fn turns_accumulate_in_order() {
        let store = MemorySessions::new();
        assert_eq!(store.get("s").await.expect("get"), None);
        store.append("s", &turn("one")).await.expect("append");
        store.append("s", &turn("two")).await.expect("append");
        let session = store.get("s").await.expect("get").expect("exists");
        assert_eq!(
            session.messages,
            vec![Message::user("one"), Message::user("two")]
        );
        assert_eq!(session.usage.total_tokens, 6);
        assert_eq!(session.cost_usd, Some(0.5));
        assert_eq!(session.turns, 2);
        assert_eq!(session.customer.as_deref(), Some("acme"));
    }
}
