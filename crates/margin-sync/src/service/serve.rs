//! Answering what a peer asks this node for: the entries of a `Want`, the next page of a
//! `WantRange`, read from the host's store and sent as `Entries` batches. Answering keeps
//! no state; the peer times and checks its own requests.

use std::collections::HashSet;
use std::fmt::Debug;
use std::hash::Hash;

use margin_core::Timestamp;
use margin_core::id::{EntryId, SpaceId};

use super::penalties::Fault;
use super::{Service, Store};
use crate::batch;
use crate::limits::MAX_REQUEST_BYTES;
use crate::message::Message;

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
        let entries = store.entries(&space, &ids);
        self.answer(from, space, request, &entries, None);
        Ok(())
    }

    /// The peer's `WantRange`: the entries that follow `after` in `(time, id)` order, up to
    /// about `max_bytes`, and where the next page starts if any follow.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn want_range<S: Store + ?Sized>(
        &mut self,
        now: Timestamp,
        from: &P,
        space: SpaceId,
        request: u64,
        after: Option<(Timestamp, EntryId)>,
        max_bytes: u32,
        store: &S,
    ) -> Result<(), Fault> {
        let shared = self.shared(now, from, &space)?;
        let budget = (max_bytes as usize).clamp(1, MAX_REQUEST_BYTES);
        let mut following = shared.items.after(after).peekable();
        let (mut entries, mut bytes, mut last) = (Vec::new(), 0usize, None);
        // Read a few at a time, so a page ends close to its budget.
        while bytes < budget && following.peek().is_some() {
            let chunk: Vec<(Timestamp, EntryId)> = following.by_ref().take(16).collect();
            let ids: Vec<EntryId> = chunk.iter().map(|(_, id)| *id).collect();
            for entry in store.entries(&space, &ids) {
                bytes += batch::framed_len(entry.len());
                entries.push(entry);
            }
            last = chunk.last().copied();
        }
        let resume = match following.peek() {
            Some(_) => last,
            None => None,
        };
        drop(following);
        self.answer(from, space, request, &entries, resume);
        Ok(())
    }

    /// Sends `entries` to `to` as the answer to `request`, in parts.
    fn answer(
        &mut self,
        to: &P,
        space: SpaceId,
        request: u64,
        entries: &[Vec<u8>],
        resume: Option<(Timestamp, EntryId)>,
    ) {
        let batches = batch::encode(entries);
        let parts = batches.len();
        for (index, (count, batch)) in batches.into_iter().enumerate() {
            let message = Message::Entries {
                space,
                request,
                count,
                last: index + 1 == parts,
                resume,
                batch,
            };
            self.send(to, message);
        }
    }
}
