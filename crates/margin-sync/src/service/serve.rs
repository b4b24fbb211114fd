//! Answering what a peer asks this node for: the entries of a `Want`, the next page of a
//! `WantRange`, read from the host's store and sent as `Entries` batches. Answering keeps
//! no state but the peer's serving budget; the peer times and checks its own requests.
//!
//! What one answer reads is bounded twice: by [`MAX_REQUEST_BYTES`] (a `Want` of 512 ids
//! of the largest entries reads about one megabyte, not two gigabytes), and by the
//! peer's serving budget ([`Config::serve_burst`](super::Config::serve_burst) and
//! [`Config::serve_per_second`](super::Config::serve_per_second)), spent by the bytes
//! actually served, so many cheap requests cannot make the store read without end. An
//! answer cut short ends with what it holds; the peer asks again for the rest.

use std::collections::{HashMap, HashSet};
use std::fmt::Debug;
use std::hash::Hash;

use margin_core::Timestamp;
use margin_core::id::{EntryId, SpaceId};

use super::penalties::Fault;
use super::{Service, Store};
use crate::batch;
use crate::limits::{MAX_BATCH_ENTRIES, MAX_REQUEST_BYTES, MIN_REQUEST_BYTES, PACK_SOFT_BYTES};
use crate::message::{Message, Place};

impl<P> Service<P>
where
    P: Clone + Ord + Hash + Debug,
{
    /// The peer's `Want`: those of `ids` the store holds.
    pub(super) fn want<S: Store + ?Sized>(
        &mut self,
        now: Timestamp,
        from: &P,
        space: SpaceId,
        request: u64,
        ids: Vec<EntryId>,
        store: &S,
    ) -> Result<(), Fault> {
        // Answered only in a space both hold.
        self.shared(now, from, &space)?;
        let mut unique = HashSet::new();
        let ids: Vec<EntryId> = ids.into_iter().filter(|id| unique.insert(*id)).collect();
        let allowed = self.serve_budget(now, from);
        let budget = allowed.min(MAX_REQUEST_BYTES);
        let (mut entries, mut bytes) = (Vec::new(), 0usize);
        // Read a few at a time, and stop where the budget ends. An entry larger than a
        // request still travels, alone, if the peer's budget holds it.
        'read: for chunk in ids.chunks(16) {
            for entry in store.entries(&space, chunk) {
                let framed = batch::framed_len(entry.len());
                if bytes + framed > budget && (bytes > 0 || framed > allowed) {
                    break 'read;
                }
                bytes += framed;
                entries.push(entry);
            }
        }
        self.spend_serving(now, from, bytes);
        self.answer(from, space, request, &entries, None, store);
        Ok(())
    }

    /// The peer's `WantRange`: the entries that follow `after` in reading order (the
    /// host's, or `(time, id)`), up to about `max_bytes`, and where the next page starts
    /// if any follow.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn want_range<S: Store + ?Sized>(
        &mut self,
        now: Timestamp,
        from: &P,
        space: SpaceId,
        request: u64,
        after: Option<Place>,
        max_bytes: u32,
        store: &S,
    ) -> Result<(), Fault> {
        let allowed = self.serve_budget(now, from);
        let shared = self.shared(now, from, &space)?;
        // A page may be small when the budget is spent, but a page of the smallest size
        // is always served: each request costs message tokens, which bound those.
        let budget = (max_bytes as usize)
            .clamp(1, MAX_REQUEST_BYTES)
            .min(allowed.max(MIN_REQUEST_BYTES));
        let items = shared.items;
        let mut following = |after: Option<Place>, limit: usize| -> Vec<Place> {
            store.reading(&space, after, limit).unwrap_or_else(|| {
                let after = after.map(|place| (place.time(), place.id()));
                items
                    .after(after)
                    .take(limit)
                    .map(|(time, id)| Place::by_time(time, id))
                    .collect()
            })
        };
        let (mut entries, mut bytes, mut last) = (Vec::new(), 0usize, None);
        let (mut cut, mut ended) = (false, false);
        // Read a few at a time, and end the page where the next entry would pass the
        // budget (a large entry still travels, alone, if the peer's budget holds it).
        'read: while bytes < budget {
            let chunk = following(last.or(after), 16);
            if chunk.is_empty() {
                ended = true;
                break;
            }
            let ids: Vec<EntryId> = chunk.iter().map(Place::id).collect();
            let mut found: HashMap<EntryId, Vec<u8>> = store
                .entries(&space, &ids)
                .into_iter()
                .map(|entry| (EntryId::of_entry(&entry), entry))
                .collect();
            for place in chunk {
                if let Some(entry) = found.remove(&place.id()) {
                    let framed = batch::framed_len(entry.len());
                    if bytes + framed > budget && (bytes > 0 || framed > allowed) {
                        cut = true;
                        break 'read;
                    }
                    bytes += framed;
                    entries.push(entry);
                }
                last = Some(place);
            }
        }
        let more = cut || (!ended && !following(last.or(after), 1).is_empty());
        let resume = if more {
            // More follow: the next page starts after the last entry looked at, or
            // where this one was asked if none was (with no budget left at the very
            // start, the peer ends its range and reconciles instead).
            last.or(after)
        } else {
            None
        };
        self.spend_serving(now, from, bytes);
        self.answer(from, space, request, &entries, resume, store);
        Ok(())
    }

    /// Bytes of entries this node may serve `peer` now.
    fn serve_budget(&mut self, now: Timestamp, peer: &P) -> usize {
        let (capacity, per_second) = self.serve_rates();
        self.peers.get_mut(peer).map_or(0, |p| {
            let kib = p.serve.available(now, capacity, per_second);
            usize::try_from(kib.saturating_mul(1024)).unwrap_or(usize::MAX)
        })
    }

    /// Counts `bytes` served to `peer` against its budget.
    fn spend_serving(&mut self, now: Timestamp, peer: &P, bytes: usize) {
        let (capacity, per_second) = self.serve_rates();
        if let Some(p) = self.peers.get_mut(peer) {
            p.serve
                .spend(now, capacity, per_second, (bytes as u64).div_ceil(1024));
        }
    }

    /// The serving budget in KiB tokens: capacity, and refill per second.
    fn serve_rates(&self) -> (u32, u32) {
        (
            (self.config.serve_burst / 1024).max(1),
            (self.config.serve_per_second / 1024).max(1),
        )
    }

    /// Sends `entries` to `to` as the answer to `request`, in parts: packed where the
    /// host packs them (runs of up to [`PACK_SOFT_BYTES`]), else as batches.
    fn answer<S: Store + ?Sized>(
        &mut self,
        to: &P,
        space: SpaceId,
        request: u64,
        entries: &[Vec<u8>],
        resume: Option<Place>,
        store: &S,
    ) {
        enum Part {
            Packed(Vec<u8>),
            Batch(Vec<u8>),
        }
        let mut parts: Vec<(u32, Part)> = Vec::new();
        for run in pack_runs(entries) {
            let count = u32::try_from(run.len()).expect("a run holds at most MAX_BATCH_ENTRIES");
            match store.pack(&space, run) {
                Some(pack) if run.len() > 1 => parts.push((count, Part::Packed(pack))),
                _ => parts.extend(
                    batch::encode(run)
                        .into_iter()
                        .map(|(count, batch)| (count, Part::Batch(batch))),
                ),
            }
        }
        if parts.is_empty() {
            parts.extend(
                batch::encode(&[])
                    .into_iter()
                    .map(|(count, batch)| (count, Part::Batch(batch))),
            );
        }
        let total = parts.len();
        for (index, (count, part)) in parts.into_iter().enumerate() {
            let last = index + 1 == total;
            let message = match part {
                Part::Packed(pack) => Message::Packed {
                    space,
                    request,
                    count,
                    last,
                    resume,
                    pack,
                },
                Part::Batch(batch) => Message::Entries {
                    space,
                    request,
                    count,
                    last,
                    resume,
                    batch,
                },
            };
            self.send(to, message);
        }
    }
}

/// `entries` cut into runs of at most [`PACK_SOFT_BYTES`] and [`MAX_BATCH_ENTRIES`], each
/// packed or batched on its own (an entry larger than a run travels alone).
fn pack_runs(entries: &[Vec<u8>]) -> Vec<&[Vec<u8>]> {
    let mut runs = Vec::new();
    let (mut start, mut bytes) = (0usize, 0usize);
    for (at, entry) in entries.iter().enumerate() {
        let framed = batch::framed_len(entry.len());
        if at > start && (at - start == MAX_BATCH_ENTRIES || bytes + framed > PACK_SOFT_BYTES) {
            runs.push(&entries[start..at]);
            (start, bytes) = (at, 0);
        }
        bytes += framed;
    }
    if start < entries.len() {
        runs.push(&entries[start..]);
    }
    runs
}
