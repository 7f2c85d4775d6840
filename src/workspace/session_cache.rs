//! The sessions this process has read or written, kept in memory so that a
//! continuing turn does not re-read and re-parse its transcript. Bounded by
//! the size of their text ([`MAX_CACHED_BYTES`]); the least recently used go
//! first. The file stays the durable log: a session is cached as read from it
//! or as its own appends (each made durable first) built it, and one evicted
//! or never seen is read from its file again.
//!
//! Not seen: a transcript edited by hand, or appended to by another process,
//! while this one has the session cached (this process is the workspace's
//! writer of transcripts; the daily ledger assumes the same).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use lru::LruCache;

use crate::model::Message;
use crate::session::{Session, TurnRecord};

/// How much session text (messages) the cache holds at most: about 200
/// sessions of 200 long turns, or tens of thousands of short ones.
pub(super) const MAX_CACHED_BYTES: usize = 32 * 1024 * 1024;

/// What each message costs beyond its text (its allocation, its fields).
const MESSAGE_OVERHEAD: usize = 96;

#[derive(Debug)]
struct Cached {
    session: Session,
    bytes: usize,
}

#[derive(Debug)]
struct Inner {
    sessions: LruCache<String, Cached>,
    bytes: usize,
}

/// Sessions in memory, bounded by size.
#[derive(Debug)]
pub(super) struct SessionCache {
    // std Mutex: held to look up, insert or update an entry, never across .await.
    inner: Mutex<Inner>,
    max_bytes: usize,
    /// Counts appends to sessions that were not cached, so that a read of a
    /// file racing such an append does not cache what it read (it may lack
    /// the appended turn).
    uncached_appends: AtomicU64,
}

impl SessionCache {
    /// An empty cache holding at most `max_bytes` of session text.
    pub(super) fn new(max_bytes: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                sessions: LruCache::unbounded(),
                bytes: 0,
            }),
            max_bytes,
            uncached_appends: AtomicU64::new(0),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Each change keeps `bytes` in step before it returns: consistent if poisoned.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The session, if cached (and now the most recently used).
    pub(super) fn get(&self, id: &str) -> Option<Session> {
        self.inner().sessions.get(id).map(|c| c.session.clone())
    }

    /// A mark to pass to [`SessionCache::insert_read`] after reading a file.
    pub(super) fn mark(&self) -> u64 {
        self.uncached_appends.load(Ordering::SeqCst)
    }

    /// Caches a session read from its file at `mark`, unless an append to an
    /// uncached session happened since or it is cached already (then the
    /// cached one stands).
    pub(super) fn insert_read(&self, session: Session, mark: u64) {
        let mut inner = self.inner();
        // One cached meanwhile may have taken appends this read lacks.
        if self.mark() == mark && !inner.sessions.contains(&session.id) {
            self.insert(&mut inner, session);
        }
    }

    /// Takes an appended (and synced) turn into the cached session; a turn
    /// that started its file starts a cached session.
    pub(super) fn appended(&self, id: &str, turn: &TurnRecord, started: bool) {
        let mut inner = self.inner();
        if let Some(cached) = inner.sessions.pop(id) {
            inner.bytes -= cached.bytes;
            let mut session = cached.session;
            session.apply(turn);
            self.insert(&mut inner, session);
        } else if started {
            let mut session = Session::new(id, turn);
            session.apply(turn);
            self.insert(&mut inner, session);
        } else {
            self.uncached_appends.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Drops the session (an append whose outcome on disk is unknown): the
    /// next turn reads it from its file, as it is.
    pub(super) fn forget(&self, id: &str) {
        let mut inner = self.inner();
        self.uncached_appends.fetch_add(1, Ordering::SeqCst);
        if let Some(cached) = inner.sessions.pop(id) {
            inner.bytes -= cached.bytes;
        }
    }

    fn insert(&self, inner: &mut Inner, session: Session) {
        let bytes = weight(&session);
        if let Some(old) = inner.sessions.pop(&session.id) {
            inner.bytes -= old.bytes;
        }
        if bytes > self.max_bytes {
            return;
        }
        inner.bytes += bytes;
        inner
            .sessions
            .put(session.id.clone(), Cached { session, bytes });
        while inner.bytes > self.max_bytes {
            let Some((_, evicted)) = inner.sessions.pop_lru() else {
                break;
            };
            inner.bytes -= evicted.bytes;
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner().sessions.len()
    }
}

/// About what a session holds in memory: its messages' text and their overhead.
fn weight(session: &Session) -> usize {
    256 + session.messages.iter().map(message_bytes).sum::<usize>()
}

fn message_bytes(message: &Message) -> usize {
    MESSAGE_OVERHEAD
        + match message {
            Message::System { content } => content.len(),
            Message::User { content, images } => {
                content.len() + images.iter().map(String::len).sum::<usize>()
            }
            Message::Assistant {
                content,
                tool_calls,
            } => {
                content.as_ref().map_or(0, String::len)
                    + tool_calls
                        .iter()
                        .map(|c| c.id.len() + c.name.len() + c.arguments.len() + 48)
                        .sum::<usize>()
            }
            Message::Tool {
                tool_call_id,
                content,
            } => tool_call_id.len() + content.len(),
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Usage;

    fn turn(text: &str) -> TurnRecord {
        let line = serde_json::json!({
            "started_at": "2026-11-30T10:00:00Z", "finished_at": "2026-11-30T10:00:01Z",
            "capability": "coach", "model": "m",
            "messages": [{"role": "user", "content": text}, {"role": "assistant", "content": "ok"}],
            "usage": Usage::default(),
        });
        serde_json::from_value(line).expect("a turn record")
    }

    #[test]
    fn appends_build_the_session_a_read_of_its_file_would() {
        let cache = SessionCache::new(MAX_CACHED_BYTES);
        cache.appended("s", &turn("one"), true);
        cache.appended("s", &turn("two"), false);
        let mut expected = Session::new("s", &turn("one"));
        expected.apply(&turn("one"));
        expected.apply(&turn("two"));
        assert_eq!(cache.get("s"), Some(expected));
    }

    #[test]
    fn an_append_to_a_session_not_cached_leaves_it_to_be_read() {
        let cache = SessionCache::new(MAX_CACHED_BYTES);
        let mark = cache.mark();
        cache.appended("s", &turn("two"), false);
        assert_eq!(cache.get("s"), None);
        // A read that began before that append may lack it: not cached.
        let mut read = Session::new("s", &turn("one"));
        read.apply(&turn("one"));
        cache.insert_read(read.clone(), mark);
        assert_eq!(cache.get("s"), None);
        cache.insert_read(read.clone(), cache.mark());
        assert_eq!(cache.get("s"), Some(read));
    }

    #[test]
    fn the_least_recently_used_go_when_the_text_passes_the_bound() {
        let one = weight(&{
            let mut s = Session::new("a", &turn("x"));
            s.apply(&turn("x"));
            s
        });
        let cache = SessionCache::new(3 * one);
        for id in ["a", "b", "c"] {
            cache.appended(id, &turn("x"), true);
        }
        assert!(cache.get("a").is_some()); // now the most recently used
        cache.appended("d", &turn("x"), true);
        assert_eq!(cache.len(), 3);
        assert!(cache.get("b").is_none(), "the least recently used went");
        assert!(cache.get("a").is_some() && cache.get("c").is_some());
        assert!(cache.inner().bytes <= 3 * one);
    }
}
