//! The one place where entries become part of a space, in memory and in the store.
//!
//! A space's state in memory and the store must agree about every entry: accepted,
//! waiting for the entries it refers to, or refused. Both are decided here and only
//! here. Under the database's write lock ([`margin_store::Store::atomically`]) the cached state is
//! first brought up to date with the store, then the entries are applied by the space's
//! rules ([`Space::apply`]), and exactly what the space decided is written in the same
//! transaction: what it accepted, in the order it accepted it (which is causal), what it
//! keeps waiting, what it refused. No other process can write between the reading and
//! the writing, so nothing the state decides can be missing from the store.
//!
//! Loading a space replays the store and checks the same agreement. A store that lost
//! it (written by earlier versions of Margin, whose batches could record a waiting entry
//! as accepted in memory only) is repaired when the space is loaded: entries stored
//! before something they refer to are stored again after it, waiting entries whose
//! refs are all here are decided, and stored entries that are not valid are moved to
//! where they belong. `margin store check` runs the same replay without repairing.

use std::collections::{BTreeMap, HashMap, HashSet};

use margin_core::entry::Entry;
use margin_core::id::{EntryId, SpaceId};
use margin_space::{MAX_PENDING, Space, Verdict};
use margin_store::{Batch, SpaceMark};
use serde::Serialize;

use crate::error::NodeError;
use crate::node::{Node, Outcome};

/// How many stored entries a space's state is rebuilt from at a time.
const LOAD_CHUNK: usize = 2_000;

/// What became of each entry of a batch, and of entries that were waiting for them.
pub type Decided = Vec<(EntryId, Outcome)>;

/// A space's state and how far into the store it has read.
pub(crate) struct CachedSpace {
    pub(crate) space: Space,
    pub(crate) mark: SpaceMark,
}

/// Where a replay of a space's stored entries disagreed with the store.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Disagreement {
    /// Stored as accepted before an entry they refer to: replayed in stored order they
    /// had to wait for it.
    pub out_of_order: Vec<String>,
    /// Stored as accepted, but not accepted by the replay: id and what became of it.
    pub not_accepted: Vec<(String, String)>,
    /// Stored as waiting although everything they refer to is here: id and what the
    /// replay made of them.
    pub stale_waiting: Vec<(String, String)>,
}

impl Disagreement {
    pub fn is_empty(&self) -> bool {
        self.out_of_order.is_empty()
            && self.not_accepted.is_empty()
            && self.stale_waiting.is_empty()
    }
}

/// Whether a load writes what it finds wrong back to the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Repair {
    Yes,
    /// Report only (`margin store check`).
    No,
}

/// What one replay found: the entries the store has in the wrong place.
#[derive(Default)]
struct Findings {
    /// Stored as accepted and waiting when replayed at their turn.
    waited: HashMap<EntryId, Entry>,
    /// Read from the store's waiting set.
    waiting: HashMap<EntryId, Entry>,
}

impl Node {
    /// The cached state of a space, up to date with the store, taken out of the cache
    /// (give it back with [`Node::keep_space`]; drop it instead if it may no longer
    /// match the store). Repairs what it finds the store disagreeing with.
    pub(crate) fn take_space(&self, id: &SpaceId) -> Result<CachedSpace, NodeError> {
        Ok(self.take_space_checked(id, Repair::Yes)?.0)
    }

    /// As [`Node::take_space`], with what the replay found wrong in the store (repaired
    /// or only reported, as `repair` says).
    pub(crate) fn take_space_checked(
        &self,
        id: &SpaceId,
        repair: Repair,
    ) -> Result<(CachedSpace, Disagreement), NodeError> {
        let taken = self.cache.borrow_mut().remove(id);
        let mut cached = match taken {
            Some(cached) => cached,
            None => {
                let (entries, seq) = self.store.space_entries_after(id, 0, 1)?;
                let genesis = entries
                    .into_iter()
                    .next()
                    .filter(|g| g.id() == *id)
                    .ok_or_else(|| NodeError::NotFound(id.to_string()))?;
                CachedSpace {
                    space: Space::new(genesis)?,
                    mark: SpaceMark {
                        seq,
                        // Never a version the store has: the waiting set is read.
                        waiting: -1,
                    },
                }
            }
        };
        let mut findings = Findings::default();
        let mut chunks = 0;
        loop {
            let (entries, seq) = self
                .store
                .space_entries_after(id, cached.mark.seq, LOAD_CHUNK)?;
            let more = entries.len() == LOAD_CHUNK;
            for entry in entries {
                let stored = entry.id();
                for (entry, verdict) in cached.space.apply(entry) {
                    if entry.id() == stored && matches!(verdict, Verdict::Pending { .. }) {
                        findings.waited.insert(stored, entry);
                    }
                }
            }
            cached.mark.seq = seq;
            chunks += 1;
            if !more {
                break;
            }
        }
        if chunks > 1 {
            release_freed_memory();
        }
        let mark = self.store.space_mark(id)?;
        if mark.waiting != cached.mark.waiting {
            for entry in self.store.pending_entries(id)? {
                findings.waiting.insert(entry.id(), entry.clone());
                cached.space.apply(entry);
            }
            cached.mark.waiting = mark.waiting;
        }
        let found = self.compare(&cached.space, &findings);
        if found.is_empty() || repair == Repair::No {
            return Ok((cached, found));
        }
        if !self.store.in_transaction() {
            // A repair must write against the store exactly as it was read: load again
            // holding the write lock (only a store that lost its agreement gets here).
            drop(cached);
            return self
                .store
                .atomically(|| self.take_space_checked(id, Repair::Yes));
        }
        self.repair(&mut cached, &findings, &found)?;
        Ok((cached, found))
    }

    pub(crate) fn keep_space(&self, cached: CachedSpace) {
        self.cache.borrow_mut().insert(cached.space.id(), cached);
    }

    /// Compares what a replay decided with where the store keeps each entry.
    fn compare(&self, space: &Space, findings: &Findings) -> Disagreement {
        let mut found = Disagreement::default();
        for id in findings.waited.keys() {
            if space.contains(id) {
                found.out_of_order.push(id.to_string());
            } else {
                found.not_accepted.push((id.to_string(), fate(space, id)));
            }
        }
        for id in findings.waiting.keys() {
            if !space.is_pending(id) {
                found.stale_waiting.push((id.to_string(), fate(space, id)));
            }
        }
        found
    }

    /// Moves the entries the store keeps in the wrong place to where the replay put
    /// them; the caller holds the write lock.
    fn repair(
        &self,
        cached: &mut CachedSpace,
        findings: &Findings,
        found: &Disagreement,
    ) -> Result<(), NodeError> {
        let space = &cached.space;
        let id = space.id();
        tracing::warn!(
            target: "store",
            "space {}: the store disagreed with its entries ({} stored before what they refer to, {} stored as accepted but not valid, {} waiting though complete); repairing",
            id.short(),
            found.out_of_order.len(),
            found.not_accepted.len(),
            found.stale_waiting.len()
        );
        // Entries to store (again) as accepted, in the order the space accepted them:
        // anything that refers to one of them waited for it in the replay too, so is
        // among them, after it.
        let mut reaccept: Vec<&Entry> = vec![];
        let mut unaccept: Vec<&Entry> = vec![];
        let mut removed: Vec<EntryId> = vec![];
        let mut refused: Vec<(EntryId, String)> = vec![];
        for (id, entry) in findings.waited.iter().chain(&findings.waiting) {
            if space.contains(id) {
                reaccept.push(entry);
            } else if findings.waited.contains_key(id) && space.is_pending(id) {
                unaccept.push(entry);
            } else if let Some(reason) = space.rejection(id) {
                if findings.waited.contains_key(id) {
                    removed.push(*id);
                }
                refused.push((*id, reason.to_string()));
            }
        }
        let wanted: HashSet<EntryId> = reaccept.iter().map(|e| e.id()).collect();
        let order: HashMap<EntryId, usize> = space
            .order()
            .iter()
            .enumerate()
            .filter(|(_, id)| wanted.contains(id))
            .map(|(i, id)| (*id, i))
            .collect();
        reaccept.sort_by_key(|e| order.get(&e.id()).copied().unwrap_or(usize::MAX));
        self.store.resequence(&reaccept)?;
        self.store.unaccept(&unaccept)?;
        self.store.remove_accepted(&removed)?;
        self.store.write(&Batch {
            space: Some(id),
            released: refused.iter().map(|(id, _)| *id).collect(),
            rejected: refused,
            ..Default::default()
        })?;
        // The entries stored again are read: they are not new to this state.
        cached.mark = self.store.space_mark(&id)?;
        self.index_accepted(&mut cached.space, &reaccept)?;
        Ok(())
    }

    /// Offers verified entries of one space to it: decided by the space's rules and
    /// recorded in the store in one transaction, under the store's write lock (see the
    /// module's documentation). Returns what became of each entry, and of entries that
    /// were waiting for them.
    pub(crate) fn ingest(
        &mut self,
        space_id: SpaceId,
        entries: Vec<Entry>,
    ) -> Result<Decided, NodeError> {
        let decided = self.ingest_atomically(space_id, entries)?;
        self.store.forget_erased_text()?;
        Ok(decided)
    }

    fn ingest_atomically(
        &mut self,
        space_id: SpaceId,
        entries: Vec<Entry>,
    ) -> Result<Decided, NodeError> {
        self.store.atomically(|| {
            if self.store.contains(&space_id)? {
                // The cached state itself, not a copy: this is the path every batch from
                // the network takes. A failure drops it (it is rebuilt from the store).
                let mut cached = self.take_space(&space_id)?;
                let decided = self.record(&mut cached, entries)?;
                self.keep_space(cached);
                return Ok(decided);
            }
            let Some(genesis) = entries.iter().find(|e| e.id() == space_id).cloned() else {
                return self.keep_waiting_for_charter(space_id, entries);
            };
            let space = match Space::new(genesis.clone()) {
                Ok(space) => space,
                Err(reason) => {
                    return Ok(entries
                        .iter()
                        .map(|e| (e.id(), Outcome::Rejected(reason.to_string())))
                        .collect());
                }
            };
            self.store.write(&Batch {
                space: Some(space_id),
                accepted: vec![&genesis],
                ..Default::default()
            })?;
            let mut cached = CachedSpace {
                space,
                mark: SpaceMark::default(),
            };
            self.index_accepted(&mut cached.space, &[&genesis])?;
            let mut decided = vec![(
                space_id,
                Outcome::Accepted {
                    time: genesis.time(),
                },
            )];
            // Entries that arrived before the charter are decided now with the rest.
            let mut offered = self.store.pending_entries(&space_id)?;
            offered.extend(entries.into_iter().filter(|e| e.id() != space_id));
            decided.extend(self.record(&mut cached, offered)?);
            self.keep_space(cached);
            Ok(decided)
        })
    }

    /// Entries of a space whose charter is not here: nothing can be checked, so they
    /// wait, as many as a space may have waiting; the rest are not kept (sync fetches
    /// them again).
    fn keep_waiting_for_charter(
        &self,
        space_id: SpaceId,
        entries: Vec<Entry>,
    ) -> Result<Decided, NodeError> {
        let waiting = usize::try_from(self.store.pending_count(&space_id)?).unwrap_or(usize::MAX);
        let room = MAX_PENDING.saturating_sub(waiting);
        let (kept, dropped) = entries.split_at(room.min(entries.len()));
        self.store.write(&Batch {
            space: Some(space_id),
            pending: kept.iter().collect(),
            ..Default::default()
        })?;
        Ok(kept
            .iter()
            .map(|e| (e.id(), Outcome::Pending))
            .chain(dropped.iter().map(|e| (e.id(), Outcome::Dropped)))
            .collect())
    }

    /// Applies entries to a cached space, which must be up to date with the store, and
    /// writes exactly what the space decided; the caller holds the write lock. The
    /// space's own state after the batch is the record: what it accepted since the batch
    /// began (in its order), what it still keeps waiting, what it refused.
    fn record(&self, cached: &mut CachedSpace, entries: Vec<Entry>) -> Result<Decided, NodeError> {
        let space = &mut cached.space;
        let accepted_before = space.order().len();
        let mut seen: Vec<EntryId> = vec![];
        let mut bytes: HashMap<EntryId, Entry> = HashMap::new();
        let mut rejected: BTreeMap<EntryId, String> = BTreeMap::new();
        let mut dropped: HashSet<EntryId> = HashSet::new();
        // A stub (an entry without its text) is taken only when its author's erasure is
        // here: a peer must not withhold text it was not asked to drop. Stubs are offered
        // last, after the erasures of the same batch.
        let (stubs, mut entries): (Vec<Entry>, Vec<Entry>) =
            entries.into_iter().partition(Entry::is_stub);
        let mut withheld_stubs: Vec<Entry> = vec![];
        for stub in stubs {
            if space.contains(&stub.id())
                || space.erasure_covers(&stub)
                || entries.iter().any(|e| erases(e, &stub))
            {
                entries.push(stub);
            } else {
                withheld_stubs.push(stub);
            }
        }
        let mut withheld: HashSet<EntryId> = HashSet::new();
        for entry in withheld_stubs {
            withheld.insert(entry.id());
            seen.push(entry.id());
            bytes.insert(entry.id(), entry);
        }
        for entry in entries {
            for (entry, verdict) in space.apply(entry) {
                let id = entry.id();
                match verdict {
                    Verdict::Rejected(reason) => {
                        rejected.insert(id, reason.to_string());
                    }
                    Verdict::Dropped => {
                        dropped.insert(id);
                    }
                    Verdict::Accepted | Verdict::Duplicate | Verdict::Pending { .. } => {}
                }
                if let std::collections::hash_map::Entry::Vacant(slot) = bytes.entry(id) {
                    seen.push(id);
                    slot.insert(entry);
                }
            }
        }
        let accepted: Vec<&Entry> = space.order()[accepted_before..]
            .iter()
            .map(|id| {
                bytes
                    .get(id)
                    .expect("every entry the space accepts passes through apply's verdicts")
            })
            .collect();
        let newly: HashSet<EntryId> = accepted.iter().map(|e| e.id()).collect();
        let waiting: Vec<&Entry> = seen
            .iter()
            .filter(|id| space.is_pending(id))
            .filter_map(|id| bytes.get(id))
            .collect();
        let batch = Batch {
            space: Some(space.id()),
            accepted: accepted.clone(),
            pending: waiting,
            released: rejected.keys().copied().collect(),
            rejected: rejected.iter().map(|(id, r)| (*id, r.clone())).collect(),
        };
        self.store.write(&batch)?;
        self.strip_erased(space)?;
        cached.mark = self.store.space_mark(&space.id())?;
        self.index_accepted(space, &accepted)?;
        let decided = seen
            .into_iter()
            .map(|id| {
                let outcome = if newly.contains(&id) {
                    Outcome::Accepted {
                        time: bytes[&id].time(),
                    }
                } else if let Some(reason) = rejected.get(&id) {
                    Outcome::Rejected(reason.clone())
                } else if space.is_pending(&id) {
                    Outcome::Pending
                } else if withheld.contains(&id) {
                    Outcome::Withheld
                } else if dropped.contains(&id) {
                    Outcome::Dropped
                } else if let Some(a) = space.accepted(&id) {
                    Outcome::Duplicate { time: a.time }
                } else {
                    Outcome::Rejected(fate(space, &id))
                };
                (id, outcome)
            })
            .collect();
        Ok(decided)
    }

    /// Replaces the stored bytes of entries whose text their author erased by their
    /// stubs. An entry in the first envelope format has no verifiable stub: its text is
    /// no longer shown or indexed, but its bytes stay (see docs/security.md).
    fn strip_erased(&self, space: &mut Space) -> Result<(), NodeError> {
        let ids = space.take_erased_entries();
        if ids.is_empty() {
            return Ok(());
        }
        let mut stubs = vec![];
        for bytes in self.store.entry_bytes(&space.id(), &ids)? {
            let entry = Entry::from_trusted_store(&bytes)
                .map_err(|e| margin_store::StoreError::Damaged(e.to_string()))?;
            if let Some(stub) = entry.stub()
                && stub.bytes().len() < bytes.len()
            {
                stubs.push(stub);
            }
        }
        self.store.replace_with_stubs(&stubs)?;
        Ok(())
    }

    /// Checks that the store agrees with itself and with the state its entries make:
    /// replays every space without repairing, and compares the search index with what
    /// the replayed state would index.
    pub fn check_store(&self) -> Result<StoreCheck, NodeError> {
        let mut report = StoreCheck::default();
        for id in self.store.space_ids()? {
            self.cache.borrow_mut().remove(&id);
            let (mut cached, found) = self.take_space_checked(&id, Repair::No)?;
            let space_report = SpaceCheck {
                space: id.to_hex(),
                entries: cached.space.order().len(),
                waiting: cached.space.pending_count(),
                digest: cached.space.digest(),
                disagreement: found,
                index: self.index_differences(&mut cached.space)?,
            };
            report.spaces.push(space_report);
        }
        report.orphans = self.store.check_rows()?;
        Ok(report)
    }
}

/// What `margin store check` found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StoreCheck {
    pub spaces: Vec<SpaceCheck>,
    /// Rows that belong to nothing: waiting entries also stored as accepted, search rows
    /// without their key or keys without their row, entries whose bytes do not match
    /// their columns.
    pub orphans: Vec<String>,
}

/// What `margin store check` found in one space.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SpaceCheck {
    pub space: String,
    pub entries: usize,
    pub waiting: usize,
    pub digest: String,
    pub disagreement: Disagreement,
    /// Index rows missing, left over or different from what the state indexes.
    pub index: Vec<String>,
}

impl StoreCheck {
    /// Whether everything agreed.
    pub fn is_clean(&self) -> bool {
        self.orphans.is_empty()
            && self
                .spaces
                .iter()
                .all(|s| s.disagreement.is_empty() && s.index.is_empty())
    }
}

/// Whether `entry` is its author's erasure of the comment `stub` is, or edits.
fn erases(entry: &Entry, stub: &Entry) -> bool {
    match entry.body() {
        Some(margin_core::body::Body::Erasure(e)) => {
            entry.author() == stub.author()
                && (e.comment == stub.id() || stub.refs().contains(&e.comment))
        }
        _ => false,
    }
}

/// What a space made of an entry, in words.
fn fate(space: &Space, id: &EntryId) -> String {
    if space.contains(id) {
        "accepted".into()
    } else if space.is_pending(id) {
        "waiting for the entries it refers to".into()
    } else if let Some(reason) = space.rejection(id) {
        format!("refused: {reason}")
    } else {
        "not decided".into()
    }
}

/// Hands memory freed after a large load back to the system. glibc keeps freed memory
/// inside its heap for reuse; after a space of 100 000 entries is rebuilt that is more
/// than 100 MB an idle node would otherwise hold on to.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only returns free pages of the allocator's own heap to the
    // system; it takes no pointers and is safe to call at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}
