//! A node: its home, its store and the spaces it keeps. What it does is split by job:
//! finding and reading spaces ([`crate::cache`]), authoring ([`crate::author`]), and
//! deciding what enters a space ([`crate::ingest`]).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use margin_core::Timestamp;
use margin_core::id::{EntryId, SpaceId};
use margin_core::limits::CLOCK_SKEW_MS;
use margin_store::Store;
use serde::Serialize;

use crate::behind::Unindexed;
use crate::cache::CachedSpace;
use crate::error::NodeError;
use crate::home::{Home, Identity, PublicIdentity};

pub use crate::author::NewComment;

/// Entries dated in the future a space may hold until they are due.
pub const MAX_HELD: usize = 1_000;

/// A node: its home and its store.
pub struct Node {
    home: Home,
    pub(crate) store: Store,
    /// Who signs: the home's participant unless [`Node::act_as`] says otherwise.
    acting: Option<Identity>,
    /// How far this node's clock is shifted from the system's, in ms (tests).
    clock_offset: i64,
    /// Spaces as last loaded, brought up to date from the store on each load.
    pub(crate) cache: RefCell<HashMap<SpaceId, CachedSpace>>,
    /// Spaces whose search index is behind their entries (see [`crate::behind`]).
    pub(crate) unindexed: RefCell<Unindexed>,
    /// When entries were last stored.
    pub(crate) last_ingest: Cell<Option<std::time::Instant>>,
    /// When the store was last looked at for spaces whose index is behind.
    pub(crate) last_scan: Cell<std::time::Instant>,
}

/// What became of one entry offered to the node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Valid and stored now; `time` is its author time.
    Accepted { time: Timestamp },
    /// Valid and stored before; `time` is its author time.
    Duplicate { time: Timestamp },
    /// Waits for the entries it refers to, stored aside until they arrive (whether it
    /// arrived now or before).
    Pending,
    /// Would wait, but its space already has `MAX_PENDING` entries waiting (or
    /// `MAX_HELD` held): not kept (sync fetches it again later).
    Dropped,
    /// Dated in the future beyond the allowed skew: held, not applied nor passed on,
    /// until `due` (ms).
    Held { due: Timestamp },
    /// A stub (an entry without its text) whose author's erasure is not here: a peer
    /// may not withhold text it was not asked to drop. Not kept; sync fetches it again,
    /// and takes it once the erasure has arrived.
    Withheld,
    /// By a key this node blocks: not stored, not counted; `time` is its author time.
    Ignored { time: Timestamp },
    /// Not valid, for this reason: a property of the entry, so whoever passed it on is
    /// at fault.
    Rejected(String),
    /// Refused because of a fault of this node (a bug of ours, or a state that does not
    /// agree with itself), not of the entry: its sender is not at fault.
    Failed(String),
}

impl Outcome {
    /// The sync protocol's word for it.
    pub fn sync_verdict(self) -> margin_sync::service::Verdict {
        use margin_sync::service::Verdict;
        match self {
            Outcome::Accepted { time } => Verdict::Accepted { time },
            Outcome::Duplicate { time } => Verdict::Duplicate { time },
            // Kept here until it can be decided: not to be fetched again meanwhile.
            Outcome::Pending | Outcome::Held { .. } => Verdict::Pending,
            Outcome::Dropped | Outcome::Withheld => Verdict::Dropped,
            Outcome::Ignored { time } => Verdict::Declined { time },
            Outcome::Rejected(reason) => Verdict::Invalid(reason),
            Outcome::Failed(reason) => Verdict::Refused(reason),
        }
    }
}

/// The outcome of offering entries to the node (a bundle import, or later a sync batch).
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImportReport {
    pub accepted: usize,
    pub duplicate: usize,
    pub pending: usize,
    /// Dated in the future beyond the allowed skew: held until they are due (in the
    /// JSON only when there are some).
    #[serde(skip_serializing_if = "is_zero")]
    pub held: usize,
    /// The earliest date among the held entries (ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_until: Option<Timestamp>,
    /// Stubs whose text the sender withheld without their author's erasure here: not
    /// taken (in the JSON only when there are some).
    #[serde(skip_serializing_if = "is_zero")]
    pub withheld: usize,
    pub rejected: Vec<Refusal>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One refused entry and why.
#[derive(Clone, Debug, Serialize)]
pub struct Refusal {
    pub id: String,
    pub reason: String,
}

impl Node {
    /// Opens the node at `home`, creating its database if needed.
    pub fn open(home: Home) -> Result<Node, NodeError> {
        std::fs::create_dir_all(home.dir()).map_err(|e| NodeError::io(home.dir(), e))?;
        let store = Store::open(&home.database())?;
        let node = Node {
            home,
            store,
            acting: None,
            clock_offset: 0,
            cache: RefCell::new(HashMap::new()),
            unindexed: RefCell::new(Unindexed::new()),
            last_ingest: Cell::new(None),
            last_scan: Cell::new(std::time::Instant::now()),
        };
        node.find_unindexed()?;
        Ok(node)
    }

    pub fn home(&self) -> &Home {
        &self.home
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The store, for settings that are not entries (follows, blocks, peers).
    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// The participant who signs what this node writes.
    pub fn identity(&self) -> Result<Identity, NodeError> {
        match &self.acting {
            Some(identity) => Ok(identity.clone()),
            None => self.home.identity(),
        }
    }

    /// Who signs what this node writes, without unlocking their key: for what only
    /// shows or looks up the participant (never asks for a passphrase).
    pub fn public_identity(&self) -> Result<PublicIdentity, NodeError> {
        match &self.acting {
            Some(identity) => Ok(identity.public()),
            None => self.home.public_identity(),
        }
    }

    /// Signs as `identity` instead of the home's participant (`None`: back to the home's).
    /// Used to load sample spaces written by several participants.
    pub fn act_as(&mut self, identity: Option<Identity>) {
        self.acting = identity;
    }

    /// Whether someone other than the home's participant signs (see [`Node::act_as`]).
    pub(crate) fn is_acting(&self) -> bool {
        self.acting.is_some()
    }
    // ---- the clock -----------------------------------------------------------------

    /// This node's clock: the system's, shifted by the offset tests may set.
    pub fn now(&self) -> Timestamp {
        Timestamp::from_millis(
            Timestamp::now()
                .as_millis()
                .saturating_add_signed(self.clock_offset),
        )
    }

    /// Shifts this node's clock by `offset` ms (tests: a node whose clock is wrong).
    pub fn set_clock_offset(&mut self, offset: i64) {
        self.clock_offset = offset;
    }
}

impl ImportReport {
    pub(crate) fn from_outcomes(outcomes: &[(EntryId, Outcome)]) -> ImportReport {
        let mut report = ImportReport::default();
        for (id, outcome) in outcomes {
            match outcome {
                Outcome::Accepted { .. } => report.accepted += 1,
                Outcome::Duplicate { .. } | Outcome::Ignored { .. } => report.duplicate += 1,
                Outcome::Pending | Outcome::Dropped => report.pending += 1,
                Outcome::Withheld => report.withheld += 1,
                Outcome::Held { due } => {
                    report.held += 1;
                    let date = due.saturating_add_millis(CLOCK_SKEW_MS);
                    report.held_until = Some(report.held_until.map_or(date, |t| t.min(date)));
                }
                Outcome::Rejected(reason) | Outcome::Failed(reason) => {
                    report.rejected.push(Refusal {
                        id: id.to_string(),
                        reason: reason.clone(),
                    })
                }
            }
        }
        report
    }
}
