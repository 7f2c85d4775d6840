//! One turn at a time per session: a second message to a session waits for the first turn to finish.
pub use crate::keyed_lock::KeyedLocks as SessionLocks;
