//! Work done behind the batches: the search index and the snapshots of spaces.
//!
//! Both are derived from the entries, and neither decides anything about them, so a
//! batch of entries from the network is stored without them and they follow, grouped,
//! when the node is quiet for a moment or has let them wait long enough ([`Node::tend`],
//! which a running node calls several times a second). A space taken in from a peer then
//! costs its signature checks, its rules and its rows, and its index is written once for
//! many batches: each batch no longer rewrites the drafts it revised, nor opens FTS5's
//! pending rows for a few hundred comments.
//!
//! What may not wait is done with the batch: the title of a space (the list of spaces),
//! and the removal of the rows of comments whose text its author erased (erased text
//! must leave the database with the transaction that erased it).
//!
//! The index is complete up to a mark kept in the store (`index_marks`), written in the
//! transaction that writes its rows: a node that stops before it caught up catches up
//! from that mark when it next opens the store. Whatever reads the index (search,
//! `margin store check`) catches it up first, and what a participant writes on this node
//! is indexed at once.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use margin_core::entry::Entry;
use margin_core::id::SpaceId;
use margin_space::Space;

use crate::error::NodeError;
use crate::node::Node;

/// A node that took in no entries for this long is quiet: it catches up.
pub const QUIET: Duration = Duration::from_millis(500);
/// Entries wait at most this long for the index while more keep arriving.
pub const INDEX_LAG: Duration = Duration::from_secs(3);
/// A grown space's snapshot waits at most this long while entries keep arriving.
pub const SNAPSHOT_LAG: Duration = Duration::from_secs(30);
/// How often a quiet node looks in the store for spaces whose index another process
/// (the CLI) left behind.
pub const RESCAN: Duration = Duration::from_secs(10);
/// Entries read back from the store per transaction when the index catches up.
const INDEX_CHUNK: usize = 4096;

/// What [`Node::tend`] or [`Node::catch_up`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CaughtUp {
    /// Entries whose changes were written to the search index.
    pub indexed: usize,
    /// Snapshots saved.
    pub saved: usize,
}

/// The spaces whose index is behind their entries, with when each fell behind.
pub(crate) type Unindexed = BTreeMap<SpaceId, Instant>;

impl Node {
    /// Does what is due behind the batches: the index of a space that waited
    /// [`INDEX_LAG`], and the snapshot of a grown space that waited [`SNAPSHOT_LAG`], or
    /// both for every space once the node is [`QUIET`]; and, every [`RESCAN`], looks in
    /// the store for spaces another process left behind. Cheap when nothing is due. A
    /// space that cannot be indexed is said in the log and does not hold up the others.
    /// A quiet node also narrows the store's page cache again.
    pub fn tend(&self) -> Result<CaughtUp, NodeError> {
        let now = Instant::now();
        let quiet = self
            .last_ingest
            .get()
            .is_none_or(|at| now.duration_since(at) >= QUIET);
        if quiet && now.duration_since(self.last_scan.get()) >= RESCAN {
            self.last_scan.set(now);
            self.find_unindexed()?;
        }
        let due: Vec<SpaceId> = self
            .unindexed
            .borrow()
            .iter()
            .filter(|(_, since)| quiet || now.duration_since(**since) >= INDEX_LAG)
            .map(|(space, _)| *space)
            .collect();
        let (indexed, failed) = self.index_each(&due);
        for (space, e) in failed {
            tracing::warn!(target: "store", "space {}: its search index cannot catch up: {e}", space.short());
        }
        let saved = self.save_grown(|since| quiet || now.duration_since(since) >= SNAPSHOT_LAG);
        // Erased text whose copies the log kept because a checkpoint was running then.
        self.store.forget_erased_text()?;
        if quiet {
            self.store.narrow_cache()?;
        }
        Ok(CaughtUp { indexed, saved })
    }

    /// Does everything that is behind the batches, now: every space's index, and the
    /// snapshot of every kept space that grew much since its last.
    pub fn catch_up(&self) -> Result<CaughtUp, NodeError> {
        Ok(CaughtUp {
            indexed: self.catch_up_index()?,
            saved: self.save_grown(|_| true),
        })
    }

    /// Brings the search index of every space up to its entries. Returns how many
    /// entries it indexed; fails with the first space that could not be indexed, after
    /// trying every space.
    pub fn catch_up_index(&self) -> Result<usize, NodeError> {
        let spaces: Vec<SpaceId> = self.unindexed.borrow().keys().copied().collect();
        let (indexed, failed) = self.index_each(&spaces);
        match failed.into_iter().next() {
            Some((_, e)) => Err(e),
            None => Ok(indexed),
        }
    }

    /// Brings the search index of one space up to its entries, saying in the log, not
    /// failing, when it cannot: for what was written here and is already stored.
    pub fn catch_up_space(&self, space: &SpaceId) -> usize {
        if !self.unindexed.borrow().contains_key(space) {
            return 0;
        }
        self.index_behind(space).unwrap_or_else(|e| {
            tracing::warn!(target: "store", "space {}: its search index cannot catch up: {e}", space.short());
            0
        })
    }

    /// Indexes each of `spaces` up to its entries. Returns how many entries it indexed,
    /// and the spaces that failed with why.
    fn index_each(&self, spaces: &[SpaceId]) -> (usize, Vec<(SpaceId, NodeError)>) {
        let mut indexed = 0;
        let mut failed = vec![];
        for space in spaces {
            match self.index_behind(space) {
                Ok(n) => indexed += n,
                Err(e) => failed.push((*space, e)),
            }
        }
        (indexed, failed)
    }

    /// Full-text search ([`margin_store::Store::search_marked`]) once the index has
    /// caught up with every stored entry (as far as it can: a space that cannot be
    /// indexed now is said in the log, and what is indexed is searched).
    pub fn search(
        &self,
        query: &str,
        space: Option<&SpaceId>,
        limit: usize,
        marks: (&str, &str),
    ) -> Result<Vec<margin_store::SearchHit>, NodeError> {
        if let Err(e) = self.catch_up_index() {
            tracing::warn!(target: "store", "searching an index that could not catch up: {e}");
        }
        Ok(self.store.search_marked(query, space, limit, marks)?)
    }

    /// Notes that entries of `space` were stored and not indexed yet.
    pub(crate) fn fell_behind(&self, space: SpaceId) {
        let now = Instant::now();
        self.last_ingest.set(Some(now));
        self.unindexed.borrow_mut().entry(space).or_insert(now);
    }

    /// Indexes the entries of `space` stored after its index mark, a chunk per
    /// transaction, against the space's current state. Returns how many it read.
    pub(crate) fn index_behind(&self, space: &SpaceId) -> Result<usize, NodeError> {
        if !self.store.contains(space)? {
            // Noted in a transaction that did not last: nothing of it is stored.
            self.unindexed.borrow_mut().remove(space);
            return Ok(0);
        }
        let mut indexed = 0;
        loop {
            let read = self
                .store
                .atomically(|| self.with_space(space, |state| self.index_chunk_behind(state)))?;
            indexed += read;
            if read < INDEX_CHUNK {
                break;
            }
        }
        self.unindexed.borrow_mut().remove(space);
        Ok(indexed)
    }

    /// Indexes up to [`INDEX_CHUNK`] entries of `space` stored after its index mark, and
    /// moves the mark past them, in the caller's transaction. Returns how many it read.
    pub(crate) fn index_chunk_behind(&self, space: &Space) -> Result<usize, NodeError> {
        let mark = self.store.index_mark(&space.id())?;
        let (entries, last) = self
            .store
            .space_entries_after(&space.id(), mark, INDEX_CHUNK)?;
        if entries.is_empty() {
            return Ok(0);
        }
        let refs: Vec<&Entry> = entries.iter().collect();
        self.index_accepted(space, &refs)?;
        self.store.set_index_mark(&space.id(), last)?;
        Ok(entries.len())
    }

    /// Brings the index of `space` up to its entries in the caller's transaction, with
    /// the state given (a check's replay).
    pub fn index_all_behind(&self, space: &Space) -> Result<(), NodeError> {
        while self.index_chunk_behind(space)? == INDEX_CHUNK {}
        self.unindexed.borrow_mut().remove(&space.id());
        Ok(())
    }

    /// Notes the spaces a node that stopped early left with their index behind: they
    /// are caught up by the next [`Node::tend`].
    pub(crate) fn find_unindexed(&self) -> Result<(), NodeError> {
        let long_ago = Instant::now()
            .checked_sub(INDEX_LAG)
            .unwrap_or_else(Instant::now);
        for space in self.store.spaces_index_behind()? {
            self.unindexed.borrow_mut().insert(space, long_ago);
        }
        Ok(())
    }
}
