//! Conversation sessions behind one seam: the in-memory store serves now, and a
//! workspace- or database-backed store replaces it without touching callers.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use serde::Serialize;

use crate::model::{Message, Usage};

/// A conversation: who it is with and everything said so far.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Session {
    /// Session id.
    pub id: String,
    /// The capability of the latest turn.
    pub capability: String,
    /// The customer it is about, if any.
    pub customer: Option<String>,
    /// All messages, oldest first, without system prompts.
    pub messages: Vec<Message>,
    /// Tokens spent over all turns.
    pub usage: Usage,
}

/// One finished turn, as appended to a session.
#[derive(Debug, Clone, Copy)]
pub struct TurnRecord<'a> {
    /// The capability that answered.
    pub capability: &'a str,
    /// The customer, if any.
    pub customer: Option<&'a str>,
    /// The messages the turn added, user message first.
    pub messages: &'a [Message],
    /// Tokens the turn spent.
    pub usage: Usage,
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
    async fn append(&self, id: &str, turn: TurnRecord<'_>) -> Result<(), StoreError>;
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

    async fn append(&self, id: &str, turn: TurnRecord<'_>) -> Result<(), StoreError> {
        let mut sessions = self.lock();
        let session = sessions.entry(id.to_string()).or_insert_with(|| Session {
            id: id.to_string(),
            capability: turn.capability.to_string(),
            customer: turn.customer.map(str::to_string),
            messages: Vec::new(),
            usage: Usage::default(),
        });
        session.capability = turn.capability.to_string();
        session.messages.extend_from_slice(turn.messages);
        session.usage += turn.usage;
        Ok(())
    }
}

/// A new, unguessable session id.
pub fn new_session_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn turns_accumulate_in_order() {
        let store = MemorySessions::new();
        assert_eq!(store.get("s").await.expect("get"), None);
        let first = [Message::user("one")];
        let second = [Message::user("two")];
        let usage = Usage {
            prompt_tokens: 1,
            completion_tokens: 2,
            total_tokens: 3,
        };
        for messages in [&first[..], &second[..]] {
            store
                .append(
                    "s",
                    TurnRecord {
                        capability: "coach",
                        customer: Some("acme"),
                        messages,
                        usage,
                    },
                )
                .await
                .expect("append");
        }
        let session = store.get("s").await.expect("get").expect("exists");
        assert_eq!(
            session.messages,
            vec![Message::user("one"), Message::user("two")]
        );
        assert_eq!(session.usage.total_tokens, 6);
        assert_eq!(session.customer.as_deref(), Some("acme"));
    }
}
