//! The customer workspace on disk, in the layout fractional PMs already keep:
//! `customers/<id>/{customer-info.md, event-log.md, artifacts/, sessions/}`.
//!
//! Every path is built here from validated ids ([`CustomerId`], [`SessionId`],
//! [`ArtifactName`]); nothing else in pmcoach joins paths under the root. Writes
//! to one customer's files are serialized by a per-customer lock; whole files are
//! replaced atomically and appends repair a torn tail first (see `atomic`).

mod action_item_store;
pub mod action_items;
mod artifact_status;
mod artifacts;
pub mod client_pm_progress;
mod client_pms;
mod context;
mod context_cache;
mod context_memory;
pub mod coverage;
mod customer_info;
mod customers;
mod docs;
mod docs_ledger;
pub mod event_log;
mod events;
pub mod evidence;
pub mod family;
mod file_io;
mod growth;
mod growth_commitments;
pub mod ideas;
mod ids;
pub mod info;
mod ledger;
mod markdown;
mod memory_context;
pub mod metrics;
mod paths;
mod portfolio;
pub mod positioning;
mod rate;
pub mod reminders;
mod retention;
mod session_cache;
mod sessions_held;
mod table_file;
mod table_rows;
mod temp_files;
mod transcripts;
mod unstored;
mod usage;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use action_item_store::ItemChange;
pub use artifacts::ArtifactSummary;
pub use client_pms::CLIENT_PMS_DIR;
pub use docs::CustomerDocs;
pub use growth::{GROWTH_DIR, GrowthDocs, GrowthSession};
pub use growth_commitments::{Commitment, CommitmentUpdate, STATUSES as COMMITMENT_STATUSES};
pub use ids::{
    ARTIFACT_NAME_PATTERN, ArtifactName, ClientPmSlug, CustomerId, InvalidName, MAX_ID_LEN,
    SLUG_PATTERN, SessionId, slugify,
};
pub use ledger::{next_utc_midnight, utc_day};
pub use portfolio::PortfolioRow;
pub use rate::{ImpliedRate, Rate, implied_rates, ladder_level};
pub use sessions_held::CoachingSessions;
pub use transcripts::{FileSessions, Line, SessionHeader, TRANSCRIPT_VERSION, Transcript};
pub use unstored::USAGE_FILE;
pub use usage::{CustomerUsage, DaySpend, SessionSpend, Spend};

use crate::clock::Clock;
use crate::group_commit::GroupCommit;
use crate::keyed_lock::{KeyedLocks, KeyedRwLocks};

/// File names inside a customer's folder.
pub const INFO_FILE: &str = "customer-info.md";
/// The event log.
pub const EVENT_LOG_FILE: &str = "event-log.md";
/// Saved documents.
pub const ARTIFACTS_DIR: &str = "artifacts";
/// Session transcripts.
pub const SESSIONS_DIR: &str = "sessions";

/// A workspace operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// No folder for this customer.
    #[error("unknown customer {0:?}")]
    UnknownCustomer(String),
    /// No such artifact.
    #[error("no artifact {0:?} for this customer")]
    UnknownArtifact(String),
    /// A name failed validation.
    #[error(transparent)]
    Invalid(#[from] InvalidName),
    /// A file could not be read or written (the path is relative to the root).
    #[error("{path}: {source}")]
    Io {
        /// Path relative to the workspace root.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A path inside the workspace is a symbolic link; it is not followed.
    #[error("{0}: is a symbolic link; pmcoach does not follow links inside the workspace")]
    Symlink(String),
    /// A saved document without a `**Status**` header line to move.
    #[error("artifact {0:?} has no **Status** line in its header")]
    NoStatusHeader(String),
    /// A write through a read-only handle (a consulted capability's).
    #[error(
        "the customer's documents are read-only here: only the capability the user talks to records"
    )]
    ReadOnly,
}

/// The workspace root and the locks that serialize writes per customer.
#[derive(Debug)]
pub struct Workspace {
    root: PathBuf,
    locks: KeyedLocks,
    /// Transcript and usage appends: concurrent ones to a file share a sync.
    commits: Arc<GroupCommit>,
    /// Appends share their customer's key; the ledger's first read holds it alone.
    appending: KeyedRwLocks,
    /// Customers whose folder this process has made sure of.
    ensured: Mutex<HashSet<CustomerId>>,
    /// Customers' contexts, kept until their files change.
    contexts: context_cache::ContextCache,
    fail_next_write: Mutex<Option<usize>>,
    /// Tokens each customer spent today, kept in step with its transcripts.
    ledger: ledger::Ledger,
    /// What day it is, for new entries and for what is due.
    clock: Clock,
}

impl Workspace {
    /// A workspace at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            locks: KeyedLocks::default(),
            commits: Arc::default(),
            appending: KeyedRwLocks::default(),
            ensured: Mutex::default(),
            contexts: context_cache::ContextCache::default(),
            fail_next_write: Mutex::new(None),
            ledger: ledger::Ledger::default(),
            clock: Clock::system(),
        }
    }

    /// The same workspace on `clock` (a fixed date in tests).
    pub fn with_clock(self, clock: Clock) -> Self {
        Self { clock, ..self }
    }

    /// The workspace's clock.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// How many file syncs transcript and usage appends have made.
    pub fn append_syncs(&self) -> usize {
        self.commits.syncs()
    }
}
