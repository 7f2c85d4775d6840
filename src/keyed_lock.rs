//! Async locks by string key: one holder per key at a time (or many readers),
//! other keys never held up.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedMutexGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard};

/// Above this many entries, locks nobody holds are dropped when a new one is made.
const PRUNE_ABOVE: usize = 1024;

/// A lock per key (a session id, a customer id), made on first use.
#[derive(Debug, Default)]
pub struct KeyedLocks {
    // std Mutex: held only to find or insert an entry, never across .await.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl KeyedLocks {
    /// Waits for the key's lock; whoever holds the guard holds the key.
    pub async fn lock(&self, key: &str) -> OwnedMutexGuard<()> {
        self.entry(key).lock_owned().await
    }

    /// The key's lock, made if it has none; first drops the locks nobody holds
    /// (their only owner is the map) once there are many.
    fn entry(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        if locks.len() > PRUNE_ABOVE {
            locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        Arc::clone(locks.entry(key.to_string()).or_default())
    }
}

/// A readers-writer lock per key: many shared holders at once (appends of one
/// customer, each with its own file), or one exclusive holder (a read of all
/// of them that must see none half-counted).
#[derive(Debug, Default)]
pub struct KeyedRwLocks {
    // std Mutex: held only to find or insert an entry, never across .await.
    locks: Mutex<HashMap<String, Arc<tokio::sync::RwLock<()>>>>,
}

impl KeyedRwLocks {
    /// Waits to share the key.
    pub async fn read(&self, key: &str) -> OwnedRwLockReadGuard<()> {
        self.entry(key).read_owned().await
    }

    /// Waits to hold the key alone.
    pub async fn write(&self, key: &str) -> OwnedRwLockWriteGuard<()> {
        self.entry(key).write_owned().await
    }

    fn entry(&self, key: &str) -> Arc<tokio::sync::RwLock<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        if locks.len() > PRUNE_ABOVE {
            locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        Arc::clone(locks.entry(key.to_string()).or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_second_holder_waits_for_the_first() {
        let locks = Arc::new(KeyedLocks::default());
        let first = locks.lock("s").await;
        let waiting = {
            let locks = Arc::clone(&locks);
            tokio::spawn(async move { locks.lock("s").await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "blocked while the first holds it");
        let other = locks.lock("t").await; // other keys are not held up
        drop(other);
        drop(first);
        let second = waiting.await.expect("joins");
        drop(second);
    }

    #[tokio::test]
    async fn locks_nobody_holds_are_pruned_but_held_ones_kept() {
        let locks = KeyedLocks::default();
        let held = locks.lock("held").await;
        for n in 0..PRUNE_ABOVE {
            drop(locks.lock(&n.to_string()).await);
        }
        drop(locks.lock("new").await);
        let keys = locks.locks.lock().expect("not poisoned");
        assert_eq!(keys.len(), 2, "only the held lock and the new one remain");
        assert!(keys.contains_key("held") && keys.contains_key("new"));
        drop(keys);
        drop(held);
    }

    #[tokio::test]
    async fn readers_share_a_key_and_a_writer_waits_for_them() {
        let locks = Arc::new(KeyedRwLocks::default());
        let one = locks.read("c").await;
        let two = locks.read("c").await; // a second reader does not wait
        let writer = {
            let locks = Arc::clone(&locks);
            tokio::spawn(async move { locks.write("c").await })
        };
        tokio::task::yield_now().await;
        assert!(!writer.is_finished(), "the writer waits for the readers");
        drop((one, two));
        drop(writer.await.expect("joins"));
    }
}
