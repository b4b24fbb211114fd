//! The spaces a node holds, as states kept between calls (started from a space's
//! snapshot when it has one that matches its entries, see [`crate::snapshot`], else
//! replayed from the store): finding a space, draft or comment by id or prefix, reading a
//! space in place ([`Node::with_space`]), and bringing a kept state up to date with the
//! store (and repairing a store that disagrees with its entries, see [`crate::ingest`]).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use margin_core::entry::Entry;
use margin_core::id::{CommentId, DraftId, EntryId, SpaceId};
use margin_space::{Space, Verdict};
use margin_store::{Batch, SpaceMark};
use serde::Serialize;

use crate::error::NodeError;
use crate::node::Node;

/// How many stored entries a space's state is rebuilt from at a time.
const LOAD_CHUNK: usize = 2_000;

/// How many accepted entries the spaces kept in memory may hold together (a state takes
/// about 2 KB per entry): beyond it, the space used least recently is dropped, to be
/// loaded again from its snapshot when next needed. The space in use is always kept,
/// however large.
pub const KEPT_ENTRIES: usize = 50_000;

/// A space's state and how far into the store it has read.
pub(crate) struct CachedSpace {
    pub(crate) space: Space,
    pub(crate) mark: SpaceMark,
    /// How many accepted entries the space had at its snapshot in the store (0: none).
    pub(crate) saved: usize,
    /// When it was last used.
    pub(crate) used: Instant,
    /// When its snapshot was last saved, or the state loaded.
    pub(crate) saved_at: Instant,
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
    // ---- finding and reading spaces ------------------------------------------------

    /// Resolves a full id or a unique prefix of at least 4 hex characters.
    pub fn resolve(&self, text: &str) -> Result<EntryId, NodeError> {
        let text = text.trim();
        if let Ok(id) = text.parse::<EntryId>() {
            return Ok(id);
        }
        if text.len() < 4 {
            return Err(NodeError::NotFound(text.to_owned()));
        }
        match self.store.ids_with_prefix(text, 2)?.as_slice() {
            [id] => Ok(*id),
            [] => Err(NodeError::NotFound(text.to_owned())),
            _ => Err(NodeError::Ambiguous(text.to_owned())),
        }
    }

    /// Reads a space's state where it is kept, without copying it: the entries stored for
    /// it, applied in the order they were stored, brought up to date from the store first
    /// (entries written by another process, the CLI while the daemon runs, are seen).
    /// `read` should not load the same space again (it would be rebuilt from the store).
    pub fn with_space<T, E: From<NodeError>>(
        &self,
        id: &SpaceId,
        read: impl FnOnce(&Space) -> Result<T, E>,
    ) -> Result<T, E> {
        let cached = self.take_space(id)?;
        let result = read(&cached.space);
        self.keep_space(cached);
        result
    }

    /// `entries` of `space` packed for a peer (`margin_draft::pack`): the draft changes
    /// among them in bundles made from the space's drafts. `None` when there is nothing
    /// to gain or the space cannot be read (the entries then travel whole).
    pub fn pack_entries(&self, space: &SpaceId, entries: &[Vec<u8>]) -> Option<Vec<u8>> {
        if !margin_draft::pack::worth_packing(entries) {
            return None;
        }
        let packed = self.with_space(space, |state| {
            Ok::<_, NodeError>(margin_draft::pack::pack(entries, |draft, hashes| {
                state.draft(draft)?.doc.bundle(hashes)
            }))
        });
        packed.unwrap_or_else(|e| {
            tracing::warn!(target: "sync", "cannot pack entries of {}: {e}", space.short());
            None
        })
    }

    /// A copy of a space's state, to try changes on (reads use [`Node::with_space`]).
    pub fn load_space(&self, id: &SpaceId) -> Result<Space, NodeError> {
        self.with_space(id, |space| Ok(space.clone()))
    }

    /// Loads spaces' states (from their snapshots, or rebuilt from the store) and keeps
    /// them, as many as the node keeps in memory ([`KEPT_ENTRIES`]): what a node does
    /// once when it starts serving. Returns how many spaces are kept.
    pub fn warm_spaces(&self) -> Result<usize, NodeError> {
        for id in &self.store.space_ids()? {
            if self.kept_entries() >= KEPT_ENTRIES {
                break;
            }
            let cached = self.take_space(id)?;
            self.keep_space(cached);
        }
        Ok(self.cache.borrow().len())
    }

    /// Drops the states of the spaces not used for `idle` (saving their snapshots first
    /// when far ahead of them), and hands the memory back to the system: an idle node
    /// holds no space in memory. Returns how many were dropped.
    pub fn drop_idle_spaces(&self, idle: Duration) -> Result<usize, NodeError> {
        let ids: Vec<SpaceId> = self
            .cache
            .borrow()
            .values()
            .filter(|c| c.used.elapsed() >= idle)
            .map(|c| c.space.id())
            .collect();
        for id in &ids {
            if let Some(cached) = self.cache.borrow_mut().remove(id) {
                self.drop_space(cached);
            }
        }
        if !ids.is_empty() {
            // The pages SQLite keeps (up to 32 MiB) go too: an idle node holds little.
            self.store.release_memory()?;
            release_freed_memory();
        }
        Ok(ids.len())
    }

    /// How many accepted entries the kept spaces hold together.
    fn kept_entries(&self) -> usize {
        self.cache
            .borrow()
            .values()
            .map(|c| c.space.order().len())
            .sum()
    }

    /// Every space in the store.
    pub fn space_ids(&self) -> Result<Vec<SpaceId>, NodeError> {
        Ok(self.store.space_ids()?)
    }

    /// An entry by id or prefix, with the space it belongs to.
    pub fn locate(&self, text: &str) -> Result<(EntryId, SpaceId), NodeError> {
        let id = self.resolve(text)?;
        let space = self
            .store
            .space_of(&id)?
            .ok_or_else(|| NodeError::NotFound(text.to_owned()))?;
        Ok((id, space))
    }

    /// A space by id or prefix.
    pub fn locate_space(&self, text: &str) -> Result<SpaceId, NodeError> {
        let (id, space) = self.locate(text)?;
        if id != space {
            return Err(NodeError::WrongKind(
                text.to_owned(),
                "different entry",
                "space",
            ));
        }
        Ok(space)
    }

    /// A draft by id or prefix, with its space.
    pub fn locate_draft(&self, text: &str) -> Result<(DraftId, SpaceId), NodeError> {
        self.locate_kind(text, "draft", |space, id| space.draft(id).is_some())
    }

    /// A comment by id or prefix, with its space.
    pub fn locate_comment(&self, text: &str) -> Result<(CommentId, SpaceId), NodeError> {
        self.locate_kind(text, "comment", |space, id| space.comment(id).is_some())
    }

    /// An entry by id or prefix that `is` says is a `wanted`, with its space.
    fn locate_kind(
        &self,
        text: &str,
        wanted: &'static str,
        is: impl Fn(&Space, &EntryId) -> bool,
    ) -> Result<(EntryId, SpaceId), NodeError> {
        let (id, space) = self.locate(text)?;
        self.with_space(&space, |s| {
            if is(s, &id) {
                return Ok(());
            }
            let kind = s.accepted(&id).map_or("pending entry", |a| a.kind.name());
            Err(NodeError::WrongKind(text.to_owned(), kind, wanted))
        })?;
        Ok((id, space))
    }

    // ---- the cache -----------------------------------------------------------------

    /// The cached state of a space, up to date with the store, taken out of the cache
    /// (give it back with [`Node::keep_space`]; drop it instead if it may no longer
    /// match the store). Repairs what it finds the store disagreeing with.
    pub(crate) fn take_space(&self, id: &SpaceId) -> Result<CachedSpace, NodeError> {
        Ok(self.take_space_checked(id, Repair::Yes)?.0)
    }

    /// As [`Node::take_space`], with what the replay found wrong in the store (repaired
    /// or only reported, as `repair` says). A space not kept yet starts from its snapshot
    /// when it has one that matches the store, except when only reporting: a check
    /// replays every entry.
    pub(crate) fn take_space_checked(
        &self,
        id: &SpaceId,
        repair: Repair,
    ) -> Result<(CachedSpace, Disagreement), NodeError> {
        let taken = self.cache.borrow_mut().remove(id);
        let loaded = taken.is_none();
        let restored = match taken {
            Some(cached) => Some(cached),
            None if repair == Repair::Yes => self.restore_space(id)?,
            None => None,
        };
        let mut cached = match restored {
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
                    saved_at: Instant::now(),
                    mark: SpaceMark {
                        seq,
                        // Never a version the store has: the waiting set is read.
                        waiting: -1,
                    },
                    saved: 0,
                    used: Instant::now(),
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
        if repair == Repair::No {
            return Ok((cached, found));
        }
        if found.is_empty() {
            if loaded {
                self.save_if_behind(&mut cached);
            }
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
        self.save_if_behind(&mut cached);
        Ok((cached, found))
    }

    /// Keeps a space's state for the next call, and drops the least recently used others
    /// while the kept spaces hold more than [`KEPT_ENTRIES`] entries. (A grown space's
    /// snapshot is saved behind the batches: [`Node::tend`].)
    pub(crate) fn keep_space(&self, mut cached: CachedSpace) {
        let id = cached.space.id();
        cached.used = Instant::now();
        self.cache.borrow_mut().insert(id, cached);
        let mut kept = self.kept_entries();
        while kept > KEPT_ENTRIES {
            let oldest = self
                .cache
                .borrow()
                .values()
                .filter(|c| c.space.id() != id)
                .min_by_key(|c| c.used)
                .map(|c| c.space.id());
            let Some(oldest) = oldest.and_then(|o| self.cache.borrow_mut().remove(&o)) else {
                break;
            };
            kept -= oldest.space.order().len();
            self.drop_space(oldest);
        }
    }

    /// Lets go of a space's state, saving its snapshot first when it is far behind.
    fn drop_space(&self, mut cached: CachedSpace) {
        self.save_if_behind(&mut cached);
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
        // The findings are kept in hash maps: the report lists them in id order, so two
        // checks of one store print the same report.
        found.out_of_order.sort();
        found.not_accepted.sort();
        found.stale_waiting.sort();
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
        self.index_accepted(&cached.space, &reaccept)?;
        Ok(())
    }
}

/// What a space made of an entry, in words.
pub(crate) fn fate(space: &Space, id: &EntryId) -> String {
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
#[allow(unsafe_code)] // One libc call; the SAFETY comment below says why it is sound.
pub(crate) fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only returns free pages of the allocator's own heap to the
    // system; it takes no pointers and is safe to call at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}
