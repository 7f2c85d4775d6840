//! One turn at a time per session: a second message to a session waits for the
//! first turn to finish, then reads the history that turn left.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OwnedMutexGuard;

/// Above this many entries, locks nobody holds are dropped when a new one is made.
const PRUNE_ABOVE: usize = 1024;

/// The per-session locks.
#[derive(Debug, Default)]
pub struct SessionLocks {
    // std Mutex: held only to find or insert an entry, never across .await.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl SessionLocks {
    /// Waits for the session's lock; the turn holds it until it is recorded.
    pub async fn lock(&self, session: &str) -> OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            if locks.len() > PRUNE_ABOVE {
                locks.retain(|_, lock| Arc::strong_count(lock) > 1);
            }
            Arc::clone(locks.entry(session.to_string()).or_default())
        };
        lock.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_second_turn_waits_for_the_first() {
        let locks = Arc::new(SessionLocks::default());
        let first = locks.lock("s").await;
        let waiting = {
            let locks = Arc::clone(&locks);
            tokio::spawn(async move { locks.lock("s").await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "blocked while the first turn runs");
        let other = locks.lock("t").await; // other sessions are not held up
        drop(other);
        drop(first);
        let second = waiting.await.expect("joins");
        drop(second);
    }
}
