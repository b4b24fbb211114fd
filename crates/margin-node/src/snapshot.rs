//! Snapshots of spaces' states in the store, so that a node starts without applying every
//! entry again. The entries stay the truth: a snapshot is used only when the entries
//! stored up to the position it was made at still have the entry-set digest it was made
//! from; one that does not match (damaged, stale, made by another version) is rebuilt by
//! replaying the entries, and a fresh snapshot replaces it.

use margin_core::id::SpaceId;
use margin_space::Space;
use margin_space::digest::entry_set_digest;
use margin_space::snapshot::FORMAT;
use margin_store::{Snapshot, SpaceMark};

use crate::cache::{CachedSpace, release_freed_memory};
use crate::error::NodeError;
use crate::node::Node;

/// A state ahead of its snapshot by this share of the space (1 / N), or by
/// [`SAVE_WHILE_RUNNING`] entries if fewer, is saved when loaded or let go of: a small gap
/// is cheap to replay, and saving a large space costs about as much as replaying a few
/// thousand of its entries.
const SAVE_SHARE: usize = 8;

/// A running node saves a space's snapshot again once it has accepted this many entries
/// since the last one (or a quarter of the space, if more), so that a restart replays
/// little even after a long run.
const SAVE_WHILE_RUNNING: usize = 1_000;

/// zstd's level for snapshots: fast; the state compresses well even so.
const COMPRESSION: i32 = 1;

/// After reading a snapshot larger than this, the memory its bytes took is handed back
/// to the system (see [`release_freed_memory`]).
const RELEASE_AFTER_BYTES: usize = 8 * 1024 * 1024;

impl Node {
    /// The space's state from its snapshot, when it has one that matches the entries in
    /// the store; `None` when the space must be rebuilt from its entries (a snapshot
    /// found wrong is removed, with a line in the log saying why).
    pub(crate) fn restore_space(&self, id: &SpaceId) -> Result<Option<CachedSpace>, NodeError> {
        let Some(snapshot) = self.store.snapshot(id)? else {
            return Ok(None);
        };
        match self.check_snapshot(id, &snapshot)? {
            Ok(space) => Ok(Some(CachedSpace {
                saved: space.order().len(),
                used: std::time::Instant::now(),
                saved_at: std::time::Instant::now(),
                space,
                mark: SpaceMark {
                    seq: snapshot.seq,
                    // Never a version the store has: the waiting set is read.
                    waiting: -1,
                },
            })),
            Err(why) => {
                tracing::warn!(
                    target: "store",
                    "space {}: its snapshot does not match its entries ({why}); rebuilding the space from its entries",
                    id.short()
                );
                // Rebuilding saves a fresh one; until then, the wrong one is not read again.
                if let Err(e) = self.store.remove_snapshot(id) {
                    tracing::warn!(target: "store", "space {}: its snapshot could not be removed: {e}", id.short());
                }
                Ok(None)
            }
        }
    }

    /// The snapshot's state, or why it cannot be trusted.
    fn check_snapshot(
        &self,
        id: &SpaceId,
        snapshot: &Snapshot,
    ) -> Result<Result<Space, String>, NodeError> {
        if snapshot.format != FORMAT {
            return Ok(Err(format!(
                "made in format {}, this version reads format {FORMAT}",
                snapshot.format
            )));
        }
        if blake3::hash(&snapshot.state).as_bytes() != &snapshot.checksum {
            return Ok(Err("its checksum does not match its bytes".into()));
        }
        let stored = entry_set_digest(&self.store.space_ids_up_to(id, snapshot.seq)?);
        if stored != snapshot.entries {
            return Ok(Err(
                "the entries stored up to where it was made are not those it was made from".into(),
            ));
        }
        let bytes = match zstd::decode_all(snapshot.state.as_slice()) {
            Ok(bytes) => bytes,
            Err(e) => return Ok(Err(format!("it does not decompress: {e}"))),
        };
        let space = Space::restore(&bytes);
        if bytes.len() > RELEASE_AFTER_BYTES {
            drop(bytes);
            release_freed_memory();
        }
        let space = match space {
            Ok(space) => space,
            Err(e) => return Ok(Err(e.to_string())),
        };
        if space.id() != *id {
            return Ok(Err("it is the state of another space".into()));
        }
        if space.entry_set_digest() != stored {
            return Ok(Err("its state holds other entries than it says".into()));
        }
        Ok(Ok(space))
    }

    /// Saves a snapshot of a cached space, which must be up to date with the store. Not
    /// saved when the state's entries are not exactly those stored up to its position (a
    /// store that disagrees with its entries, being repaired): it would never match.
    pub(crate) fn save_space(&self, cached: &mut CachedSpace) -> Result<(), NodeError> {
        let id = cached.space.id();
        let entries = cached.space.entry_set_digest();
        if entry_set_digest(&self.store.space_ids_up_to(&id, cached.mark.seq)?) != entries {
            tracing::debug!(target: "store", "space {}: not saved, its state is not that of the stored entries", id.short());
            return Ok(());
        }
        let state = match cached.space.save() {
            Ok(state) => state,
            Err(e) => {
                // The space works without a snapshot; it is only slower to load.
                tracing::warn!(target: "store", "space {}: its state could not be saved: {e}", id.short());
                return Ok(());
            }
        };
        let state = zstd::bulk::compress(&state, COMPRESSION)
            .map_err(|e| NodeError::Invalid(format!("cannot compress a snapshot: {e}")))?;
        self.store.save_snapshot(
            &id,
            &Snapshot {
                format: FORMAT,
                seq: cached.mark.seq,
                entries,
                checksum: *blake3::hash(&state).as_bytes(),
                state,
            },
        )?;
        cached.saved = cached.space.order().len();
        cached.saved_at = std::time::Instant::now();
        tracing::debug!(target: "store", "space {}: snapshot saved at {} entries", id.short(), cached.saved);
        Ok(())
    }

    /// Saves the snapshot of a space (just loaded, or let go of) when the state is ahead
    /// of it by a good share of the space: loading it again would replay that share.
    pub(crate) fn save_if_behind(&self, cached: &mut CachedSpace) {
        let len = cached.space.order().len();
        let behind = len.saturating_sub(cached.saved);
        if behind > 0 && behind >= (len / SAVE_SHARE).min(SAVE_WHILE_RUNNING) {
            self.save_quietly(cached);
        }
    }

    /// Saves the snapshot of every kept space that grew much since its last one, when
    /// `due` says so of the time of that last one. Returns how many it saved.
    pub(crate) fn save_grown(&self, due: impl Fn(std::time::Instant) -> bool) -> usize {
        let grown: Vec<SpaceId> = self
            .cache
            .borrow()
            .values()
            .filter(|c| {
                let len = c.space.order().len();
                len.saturating_sub(c.saved) >= SAVE_WHILE_RUNNING.max(len / 4) && due(c.saved_at)
            })
            .map(|c| c.space.id())
            .collect();
        for id in &grown {
            let Some(mut cached) = self.cache.borrow_mut().remove(id) else {
                continue;
            };
            self.save_quietly(&mut cached);
            self.cache.borrow_mut().insert(*id, cached);
        }
        grown.len()
    }

    /// Saves a snapshot where failing to is no reason to fail what the node is doing (the
    /// state is right; only its next load replays more): says so in the log instead.
    fn save_quietly(&self, cached: &mut CachedSpace) {
        if let Err(e) = self.save_space(cached) {
            tracing::warn!(target: "store", "space {}: its snapshot could not be saved: {e}", cached.space.id().short());
        }
    }

    /// Saves a snapshot of every kept space that changed since its last one: what a node
    /// does when it stops, so that it starts from where it stopped.
    pub fn save_snapshots(&self) -> Result<usize, NodeError> {
        let ids: Vec<SpaceId> = self.cache.borrow().keys().copied().collect();
        let mut saved = 0;
        for id in ids {
            let Some(mut cached) = self.cache.borrow_mut().remove(&id) else {
                continue;
            };
            let result = if cached.space.order().len() != cached.saved {
                saved += 1;
                self.save_space(&mut cached)
            } else {
                Ok(())
            };
            self.cache.borrow_mut().insert(id, cached);
            result?;
        }
        Ok(saved)
    }
}
