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

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use margin_core::Timestamp;
use margin_core::entry::{Entry, Unverified, verify_batch};
use margin_core::id::{EntryId, SpaceId};
use margin_core::key::PublicKey;
use margin_core::limits::CLOCK_SKEW_MS;
use margin_core::vocabulary::BlockTarget;
use margin_space::{
    MAX_PENDING, MAX_PENDING_BYTES, MAX_STRANGER_WAITING_BYTES, Rejection, Space, Verdict,
};
use margin_store::{Batch, SpaceMark};
use serde::Serialize;

use crate::cache::{CachedSpace, Disagreement, Repair, fate};
use crate::error::NodeError;
use crate::node::{ImportReport, MAX_HELD, Node, Outcome};

/// A batch this large (a space being taken in whole) widens the store's page cache until
/// the node is quiet again ([`margin_store::Store::widen_cache`]).
const WIDE_BATCH: usize = 128;

/// What became of each entry of a batch, and of entries that were waiting for them.
pub type Decided = Vec<(EntryId, Outcome)>;

impl Node {
    /// Offers verified entries of one space to it: decided by the space's rules and
    /// recorded in the store in one transaction, under the store's write lock (see the
    /// module's documentation). Returns what became of each entry, and of entries that
    /// were waiting for them.
    pub(crate) fn ingest(
        &mut self,
        space_id: SpaceId,
        entries: Vec<Entry>,
    ) -> Result<Decided, NodeError> {
        let links: Vec<Entry> = entries
            .iter()
            .filter(|e| e.kind() == margin_core::entry::Kind::KeyLink)
            .cloned()
            .collect();
        let decided = self.ingest_atomically(space_id, entries)?;
        self.store.forget_erased_text()?;
        let accepted = |e: &&Entry| {
            decided.iter().any(|(id, o)| {
                *id == e.id() && matches!(o, Outcome::Accepted { .. } | Outcome::Duplicate { .. })
            })
        };
        let accepted_links: Vec<Entry> = links.iter().filter(accepted).cloned().collect();
        self.notice_own_link(&accepted_links)?;
        Ok(decided)
    }

    /// As [`Node::ingest`], with the space's index caught up at once: for what a
    /// participant writes on this node, which they may look for next.
    pub(crate) fn ingest_now(
        &mut self,
        space_id: SpaceId,
        entries: Vec<Entry>,
    ) -> Result<Decided, NodeError> {
        let decided = self.ingest(space_id, entries)?;
        self.catch_up_space(&space_id);
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
                    return Ok(entries.iter().map(|e| (e.id(), refusal(&reason))).collect());
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
                saved: 0,
                used: std::time::Instant::now(),
                saved_at: std::time::Instant::now(),
            };
            self.index_at_once(&cached.space, &[&genesis])?;
            self.fell_behind(space_id);
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

    /// Entries of a space whose charter is not here: nothing can be checked and no
    /// author is known, so only small entries wait, as many and as many bytes as a space
    /// may have waiting; the rest are not kept (sync fetches them again once the charter
    /// is here).
    fn keep_waiting_for_charter(
        &self,
        space_id: SpaceId,
        entries: Vec<Entry>,
    ) -> Result<Decided, NodeError> {
        let mut count = usize::try_from(self.store.pending_count(&space_id)?).unwrap_or(usize::MAX);
        let mut bytes = usize::try_from(self.store.pending_bytes(&space_id)?).unwrap_or(usize::MAX);
        let mut kept = vec![];
        let mut decided = vec![];
        for entry in &entries {
            let len = entry.bytes().len();
            if len <= MAX_STRANGER_WAITING_BYTES
                && count < MAX_PENDING
                && bytes.saturating_add(len) <= MAX_PENDING_BYTES
            {
                count += 1;
                bytes += len;
                kept.push(entry);
                decided.push((entry.id(), Outcome::Pending));
            } else {
                decided.push((entry.id(), Outcome::Dropped));
            }
        }
        self.store.write(&Batch {
            space: Some(space_id),
            pending: kept,
            ..Default::default()
        })?;
        Ok(decided)
    }

    /// Applies entries to a cached space, which must be up to date with the store, and
    /// writes exactly what the space decided; the caller holds the write lock. The
    /// space's own state after the batch is the record: what it accepted since the batch
    /// began (in its order), what it still keeps waiting, what it refused.
    fn record(&self, cached: &mut CachedSpace, entries: Vec<Entry>) -> Result<Decided, NodeError> {
        let space = &mut cached.space;
        let accepted_before = space.order().len();
        let mut seen: Vec<EntryId> = Vec::with_capacity(entries.len());
        let mut bytes: HashMap<EntryId, Entry> = HashMap::with_capacity(entries.len());
        let mut rejected: BTreeMap<EntryId, Rejection> = BTreeMap::new();
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
                        rejected.insert(id, reason);
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
            rejected: rejected
                .iter()
                .map(|(id, r)| (*id, r.to_string()))
                .collect(),
        };
        self.store.write(&batch)?;
        self.strip_erased(space)?;
        cached.mark = self.store.space_mark(&space.id())?;
        self.index_at_once(space, &accepted)?;
        if !accepted.is_empty() {
            self.fell_behind(space.id());
        }
        let decided = seen
            .into_iter()
            .map(|id| {
                let outcome = if newly.contains(&id) {
                    Outcome::Accepted {
                        time: bytes[&id].time(),
                    }
                } else if let Some(reason) = rejected.get(&id) {
                    refusal(reason)
                } else if space.is_pending(&id) {
                    Outcome::Pending
                } else if withheld.contains(&id) {
                    Outcome::Withheld
                } else if dropped.contains(&id) {
                    Outcome::Dropped
                } else if let Some(a) = space.accepted(&id) {
                    Outcome::Duplicate { time: a.time }
                } else {
                    match space.rejection(&id) {
                        // Refused before, and passed on again.
                        Some(reason) => refusal(reason),
                        None => Outcome::Failed(fate(space, &id)),
                    }
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

    /// Stops keeping these waiting entries of a space, in memory and in the store, in one
    /// transaction. Returns those that were waiting.
    pub fn forget_waiting(
        &mut self,
        space_id: SpaceId,
        ids: &[EntryId],
    ) -> Result<Vec<EntryId>, NodeError> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        if !self.store.contains(&space_id)? {
            // No charter: nothing in memory, only the rows.
            self.store.write(&Batch {
                space: Some(space_id),
                released: ids.to_vec(),
                ..Default::default()
            })?;
            return Ok(ids.to_vec());
        }
        self.store.atomically(|| {
            let mut cached = self.take_space(&space_id)?;
            let forgotten = cached.space.forget_pending(ids);
            self.store.write(&Batch {
                space: Some(space_id),
                released: forgotten.clone(),
                ..Default::default()
            })?;
            cached.mark = self.store.space_mark(&space_id)?;
            self.keep_space(cached);
            Ok(forgotten)
        })
    }

    /// Forgets the entries that have waited for their refs since before `cutoff` (by
    /// this node's clock), at most `limit` per space: what never resolves does not stay.
    /// Returns them by space.
    pub fn expire_waiting(
        &mut self,
        cutoff: Timestamp,
        limit: usize,
    ) -> Result<Vec<(SpaceId, Vec<EntryId>)>, NodeError> {
        let mut out = vec![];
        for space in self.store.waiting_spaces()? {
            let old = self
                .store
                .waiting_since_before(&space, cutoff.as_millis(), limit)?;
            let forgotten = self.forget_waiting(space, &old)?;
            if !forgotten.is_empty() {
                out.push((space, forgotten));
            }
        }
        Ok(out)
    }

    /// Checks that the store agrees with itself and with the state its entries make:
    /// replays every space without repairing, and compares the search index with what
    /// the replayed state would index (once the index has caught up with the entries:
    /// see [`crate::behind`]).
    pub fn check_store(&self) -> Result<StoreCheck, NodeError> {
        let mut report = StoreCheck {
            integrity: self.store.integrity()?,
            ..StoreCheck::default()
        };
        if !report.integrity.is_empty() {
            // Replaying a damaged file would only add errors to what SQLite found.
            return Ok(report);
        }
        for id in self.store.space_ids()? {
            self.cache.borrow_mut().remove(&id);
            // The index written behind the batches is brought up to the entries first:
            // that is the node's own work, done now, not a repair; against a state read
            // under the write lock, so that it covers exactly what it marks as indexed.
            if self.store.index_mark(&id)? < self.store.space_mark(&id)?.seq {
                self.store.atomically(|| {
                    let (behind, _) = self.take_space_checked(&id, Repair::No)?;
                    self.index_all_behind(&behind.space)
                })?;
            }
            let (cached, found) = self.take_space_checked(&id, Repair::No)?;
            let space_report = SpaceCheck {
                space: id.to_hex(),
                entries: cached.space.order().len(),
                waiting: cached.space.pending_count(),
                digest: cached.space.digest(),
                disagreement: found,
                index: self.index_differences(&cached.space)?,
            };
            report.spaces.push(space_report);
        }
        report.orphans = self.store.check_rows()?;
        Ok(report)
    }

    // ---- exchange ------------------------------------------------------------------

    /// Offers entries received from elsewhere (a bundle, a peer): each is decoded,
    /// signature-checked in batches, authorized and stored; then the index and the
    /// snapshots catch up ([`Node::catch_up`]).
    pub fn receive(&mut self, raw: Vec<Vec<u8>>) -> Result<ImportReport, NodeError> {
        let outcomes = self.receive_entries(raw)?;
        // What was received is stored: a failure to catch up is said, not returned.
        if let Err(e) = self.catch_up() {
            tracing::warn!(target: "store", "the search index or a snapshot could not catch up: {e}");
        }
        Ok(ImportReport::from_outcomes(&outcomes))
    }

    /// As [`Node::receive`], with what became of each entry offered, and of entries
    /// that were waiting for them, and without catching up: the index and snapshots of
    /// the spaces they went to follow behind ([`crate::behind`]). The path of batches
    /// from the network.
    pub fn receive_entries(
        &mut self,
        raw: Vec<Vec<u8>>,
    ) -> Result<Vec<(EntryId, Outcome)>, NodeError> {
        // Keys as keys: spelling every entry's author to compare took more time than
        // storing the entry.
        let blocked: BTreeSet<PublicKey> = self
            .store
            .blocked()?
            .into_iter()
            .filter(|b| b.what == BlockTarget::Key)
            .filter_map(|b| b.value.parse().ok())
            .collect();
        if raw.len() >= WIDE_BATCH {
            self.store.widen_cache()?;
        }
        let mut outcomes = vec![];
        let mut decoded: Vec<Entry<Unverified>> = vec![];
        for bytes in raw {
            match Entry::decode(&bytes) {
                Ok(e) if blocked.contains(&e.author()) => {
                    outcomes.push((e.id(), Outcome::Ignored { time: e.time() }));
                }
                Ok(e) => decoded.push(e),
                Err(err) => outcomes.push((
                    EntryId::of_entry(&bytes),
                    Outcome::Rejected(err.to_string()),
                )),
            }
        }
        let mut by_space: BTreeMap<SpaceId, Vec<Entry>> = BTreeMap::new();
        let mut order: Vec<SpaceId> = vec![];
        for result in verify_batch(decoded) {
            match result {
                Ok(entry) => {
                    let space = entry.space_or_self();
                    if !by_space.contains_key(&space) {
                        order.push(space);
                    }
                    by_space.entry(space).or_default().push(entry);
                }
                Err((id, err)) => outcomes.push((id, Outcome::Rejected(err.to_string()))),
            }
        }
        // What was held until now first, so that what refers to it is not kept waiting.
        self.release_due()?;
        let now = self.now();
        for space_id in order {
            let entries = by_space.remove(&space_id).unwrap_or_default();
            // Entries dated in the future beyond the allowed skew are held until due:
            // one wrong clock must not decide for others (a comment period closed early).
            let (future, current): (Vec<Entry>, Vec<Entry>) = entries
                .into_iter()
                .partition(|e| e.time() > now.saturating_add_millis(CLOCK_SKEW_MS));
            outcomes.extend(self.hold(space_id, future)?);
            outcomes.extend(self.ingest(space_id, current)?);
        }
        Ok(outcomes)
    }

    /// Holds entries dated in the future until they are due, as many as a space may
    /// hold; the rest are not kept (offered again later).
    fn hold(&self, space: SpaceId, future: Vec<Entry>) -> Result<Decided, NodeError> {
        if future.is_empty() {
            return Ok(vec![]);
        }
        let held = usize::try_from(self.store.held_count(&space)?).unwrap_or(usize::MAX);
        let room = MAX_HELD.saturating_sub(held).min(future.len());
        let (kept, dropped) = future.split_at(room);
        let due = |e: &Entry| e.time().saturating_sub_millis(CLOCK_SKEW_MS);
        self.store.hold(&kept.iter().collect::<Vec<_>>(), due)?;
        tracing::info!(
            target: "node",
            "space {}: {} entries dated in the future held until they are due (the first on {})",
            space.short(),
            kept.len(),
            kept.iter()
                .map(|e| margin_space::view::format_time(e.time()))
                .min()
                .unwrap_or_default()
        );
        Ok(kept
            .iter()
            .map(|e| (e.id(), Outcome::Held { due: due(e) }))
            .chain(dropped.iter().map(|e| (e.id(), Outcome::Dropped)))
            .collect())
    }

    /// Applies the held entries that are due now. Returns what became of them.
    pub fn release_due(&mut self) -> Result<Decided, NodeError> {
        let now = self.now();
        let due = self.store.take_due(now, 4096)?;
        if due.is_empty() {
            return Ok(vec![]);
        }
        let mut by_space: BTreeMap<SpaceId, Vec<Entry>> = BTreeMap::new();
        for entry in due {
            by_space
                .entry(entry.space_or_self())
                .or_default()
                .push(entry);
        }
        let mut decided = vec![];
        for (space, entries) in by_space {
            decided.extend(self.ingest(space, entries)?);
        }
        Ok(decided)
    }

    /// Repairs what [`Node::check_store`] finds, and checks again: entries moved to
    /// where they belong, waiting rows of accepted entries dropped, every index
    /// recreated ([`Node::rebuild`]). A database file that SQLite itself finds damaged
    /// is not touched: that needs a backup, or SQLite's recovery, first.
    pub fn repair_store(&mut self) -> Result<StoreCheck, NodeError> {
        let damage = self.store.integrity()?;
        if !damage.is_empty() {
            return Err(NodeError::Store(margin_store::StoreError::Damaged(
                format!(
                    "SQLite's integrity check found the database file damaged ({}); \
                 Margin cannot repair the file itself: restore it from a backup, or \
                 recover what it holds with `sqlite3 margin.db .recover`",
                    damage.join("; ")
                ),
            )));
        }
        self.rebuild()?;
        self.check_store()
    }

    /// Recreates every index from the stored entries. Returns each space's id, entry
    /// count and state digest.
    /// Entries the store kept in the wrong place (see [`crate::ingest`]) are moved
    /// where they belong first.
    pub fn rebuild(&mut self) -> Result<Vec<(SpaceId, usize, String)>, NodeError> {
        self.store.atomically(|| {
            self.store.clear_indexes()?;
            let mut out = vec![];
            for id in self.store.space_ids()? {
                self.cache.borrow_mut().remove(&id);
                self.with_space(&id, |space| {
                    self.reindex(space)?;
                    out.push((id, space.order().len(), space.digest()));
                    Ok::<_, NodeError>(())
                })?;
            }
            Ok(out)
        })
    }
}

/// What `margin store check` found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StoreCheck {
    /// What SQLite's integrity check found wrong with the database file (nothing else
    /// is checked when it found something).
    pub integrity: Vec<String>,
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
        self.integrity.is_empty()
            && self.orphans.is_empty()
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

/// What a space's refusal makes of an entry: the sender's fault unless the refusal is
/// an error of ours.
fn refusal(reason: &Rejection) -> Outcome {
    if reason.is_misbehaviour() {
        Outcome::Rejected(reason.to_string())
    } else {
        Outcome::Failed(reason.to_string())
    }
}
