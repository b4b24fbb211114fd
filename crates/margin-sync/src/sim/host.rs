//! The simulated host: its entries and its store.
//!
//! A simulated entry is opaque bytes laid out as
//!
//! ```text
//! time (8 bytes, little-endian) ‖ ref count (1 byte) ‖ ids of refs (32 bytes each) ‖ filler
//! ```
//!
//! and its id is the BLAKE3 hash of those bytes. Its *refs* are its causal predecessors,
//! and the [`MemoryStore`] decides on them as a real node does: an entry whose refs are
//! all accepted is accepted, and releases whatever was waiting for it; one with a
//! missing ref waits, kept aside (a bounded number per space) and not served, until its
//! refs arrive. Waiting entries are part of the store, so they survive a restart.

use std::collections::{BTreeMap, BTreeSet};

use margin_core::Timestamp;
use margin_core::id::{EntryId, SpaceId};

use crate::service::{Store, Verdict};

/// Forged entries start with this; the simulated host refuses them, as a real one
/// refuses an entry whose signature does not verify.
pub const FORGED: &[u8] = b"FORGED";

/// Entries a space may keep waiting for their refs, as in the real store; beyond it an
/// entry that would wait is [`Verdict::Dropped`].
pub const MAX_WAITING: usize = 10_000;

/// The bytes before an entry's refs: its time and the ref count.
const HEADER: usize = 9;

/// The bytes of a simulated entry.
pub fn entry_bytes(time: Timestamp, refs: &[EntryId], filler: &[u8]) -> Vec<u8> {
    let count = u8::try_from(refs.len()).expect("an entry names at most 255 refs");
    let mut bytes = Vec::with_capacity(HEADER + 32 * refs.len() + filler.len());
    bytes.extend_from_slice(&time.as_millis().to_le_bytes());
    bytes.push(count);
    for id in refs {
        bytes.extend_from_slice(id.as_bytes());
    }
    bytes.extend_from_slice(filler);
    bytes
}

/// An entry's time: its first eight bytes, little-endian.
pub fn entry_time(bytes: &[u8]) -> Timestamp {
    let mut time = [0u8; 8];
    let n = bytes.len().min(8);
    time[..n].copy_from_slice(&bytes[..n]);
    Timestamp::from_millis(u64::from_le_bytes(time))
}

/// The entries an entry refers to; `None` if its bytes are too short to hold them.
pub fn entry_refs(bytes: &[u8]) -> Option<Vec<EntryId>> {
    let count = usize::from(*bytes.get(HEADER - 1)?);
    let refs = bytes.get(HEADER..HEADER + 32 * count)?;
    Some(
        refs.chunks_exact(32)
            .map(|id| EntryId::from_bytes(id.try_into().expect("chunks of 32 bytes")))
            .collect(),
    )
}

/// The entries one node holds, by space: accepted ones, and ones waiting for their refs.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    spaces: BTreeMap<SpaceId, Held>,
    max_waiting: usize,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::with_max_waiting(MAX_WAITING)
    }
}

#[derive(Debug, Default, Clone)]
struct Held {
    accepted: BTreeMap<EntryId, (Timestamp, Vec<u8>)>,
    /// Accepted ids in the order they were accepted.
    order: Vec<EntryId>,
    waiting: BTreeMap<EntryId, Vec<u8>>,
    /// For a missing entry, the waiting entries that wait for it (among others, maybe).
    waiting_for: BTreeMap<EntryId, BTreeSet<EntryId>>,
}

/// What the space decides on one entry, given what it holds.
enum Decision {
    /// Accepted already, or waiting already.
    Known,
    /// Its refs are all accepted: accept it, at this time.
    Accept(Timestamp),
    /// Wait for this missing ref.
    Wait(EntryId),
    /// It would wait, but there is no room.
    Drop,
    Invalid(String),
}

impl MemoryStore {
    /// A store that keeps at most `max_waiting` entries waiting per space.
    pub fn with_max_waiting(max_waiting: usize) -> Self {
        Self {
            spaces: BTreeMap::new(),
            max_waiting,
        }
    }

    /// Stores an entry written here as accepted: a node writes only entries whose refs
    /// it holds, and nothing can wait for an entry before it is written. Returns its
    /// time, its id and whether it was new.
    pub fn insert(&mut self, space: SpaceId, bytes: Vec<u8>) -> (Timestamp, EntryId, bool) {
        let id = EntryId::of_entry(&bytes);
        let time = entry_time(&bytes);
        let held = self.spaces.entry(space).or_default();
        let new = !held.accepted.contains_key(&id);
        if new {
            // Accepted whatever its refs: take it out of the waiting entries first.
            held.waiting.remove(&id);
            held.accepted.insert(id, (time, bytes));
            held.order.push(id);
        }
        (time, id, new)
    }

    /// The verdicts of the simulated host on entries it was handed, as a real node gives
    /// them: one per entry, and `Accepted` for each entry that was waiting for them and
    /// is now accepted.
    pub fn receive(&mut self, space: SpaceId, entries: Vec<Vec<u8>>) -> Vec<(EntryId, Verdict)> {
        let max_waiting = self.max_waiting;
        let held = self.spaces.entry(space).or_default();
        // Entries in the order they were first offered, then entries that waited and are
        // decided now.
        let mut decided: Vec<EntryId> = Vec::new();
        let mut seen = BTreeSet::new();
        let mut accepted: Vec<EntryId> = Vec::new();
        let mut dropped = BTreeSet::new();
        let mut invalid = BTreeMap::new();
        for bytes in entries {
            let id = EntryId::of_entry(&bytes);
            if seen.insert(id) {
                decided.push(id);
            }
            if held.offer(id, bytes, max_waiting, &mut accepted, &mut invalid) {
                dropped.insert(id);
            }
        }
        let fresh: BTreeSet<EntryId> = accepted.iter().copied().collect();
        for id in accepted.iter().chain(invalid.keys()) {
            if seen.insert(*id) {
                decided.push(*id);
            }
        }
        decided
            .into_iter()
            .map(|id| {
                let verdict = if let Some(reason) = invalid.remove(&id) {
                    Verdict::Invalid(reason)
                } else if let Some((time, _)) = held.accepted.get(&id) {
                    if fresh.contains(&id) {
                        Verdict::Accepted { time: *time }
                    } else {
                        Verdict::Duplicate { time: *time }
                    }
                } else if held.waiting.contains_key(&id) {
                    Verdict::Pending
                } else {
                    debug_assert!(dropped.contains(&id), "every entry offered is decided");
                    Verdict::Dropped
                };
                (id, verdict)
            })
            .collect()
    }

    /// The accepted entries of `space`.
    pub fn ids(&self, space: &SpaceId) -> BTreeSet<EntryId> {
        self.spaces
            .get(space)
            .map(|held| held.accepted.keys().copied().collect())
            .unwrap_or_default()
    }

    /// The entries of `space` waiting for their refs.
    pub fn waiting(&self, space: &SpaceId) -> BTreeSet<EntryId> {
        self.spaces
            .get(space)
            .map(|held| held.waiting.keys().copied().collect())
            .unwrap_or_default()
    }

    /// The bytes of the accepted entries of `space`, each counted once.
    pub fn bytes(&self, space: &SpaceId) -> usize {
        self.spaces.get(space).map_or(0, |held| {
            held.accepted.values().map(|(_, bytes)| bytes.len()).sum()
        })
    }

    /// Accepted entries of `space`.
    pub fn len(&self, space: &SpaceId) -> usize {
        self.spaces.get(space).map_or(0, |held| held.accepted.len())
    }

    /// Entries of `space` waiting for their refs.
    pub fn waiting_len(&self, space: &SpaceId) -> usize {
        self.spaces.get(space).map_or(0, |held| held.waiting.len())
    }

    /// Whether the store holds nothing, accepted or waiting.
    pub fn is_empty(&self) -> bool {
        self.spaces
            .values()
            .all(|held| held.accepted.is_empty() && held.waiting.is_empty())
    }

    /// Whether `id` is accepted in `space`.
    pub fn holds(&self, space: &SpaceId, id: &EntryId) -> bool {
        self.spaces
            .get(space)
            .is_some_and(|held| held.accepted.contains_key(id))
    }

    /// Whether `id` waits for its refs in `space`.
    pub fn is_waiting(&self, space: &SpaceId, id: &EntryId) -> bool {
        self.spaces
            .get(space)
            .is_some_and(|held| held.waiting.contains_key(id))
    }

    /// The time of an accepted entry.
    pub fn time(&self, space: &SpaceId, id: &EntryId) -> Option<Timestamp> {
        let held = self.spaces.get(space)?;
        held.accepted.get(id).map(|(time, _)| *time)
    }

    /// The last `n` entries accepted in `space`, oldest first.
    pub fn recent(&self, space: &SpaceId, n: usize) -> &[EntryId] {
        self.spaces.get(space).map_or(&[], |held| {
            &held.order[held.order.len().saturating_sub(n)..]
        })
    }

    /// Accepted ids of `space` in the order they were accepted.
    pub fn order(&self, space: &SpaceId) -> &[EntryId] {
        self.spaces
            .get(space)
            .map_or(&[], |held| held.order.as_slice())
    }
}

impl Held {
    fn decide(&self, id: &EntryId, bytes: &[u8], max_waiting: usize) -> Decision {
        if bytes.starts_with(FORGED) {
            return Decision::Invalid("signature does not verify".into());
        }
        let Some(refs) = entry_refs(bytes) else {
            return Decision::Invalid("truncated".into());
        };
        if self.accepted.contains_key(id) || self.waiting.contains_key(id) {
            return Decision::Known;
        }
        if let Some(missing) = refs.iter().find(|r| !self.accepted.contains_key(r)) {
            if self.waiting.len() >= max_waiting {
                return Decision::Drop;
            }
            return Decision::Wait(*missing);
        }
        let time = entry_time(bytes);
        if refs
            .iter()
            .any(|r| self.accepted.get(r).is_some_and(|(t, _)| *t > time))
        {
            return Decision::Invalid("older than an entry it refers to".into());
        }
        Decision::Accept(time)
    }

    /// Decides on one entry offered, and again on every entry that waited for one it
    /// accepted. Pushes onto `accepted` what it accepted, and into `invalid` what it
    /// refused; returns whether the entry offered was dropped.
    fn offer(
        &mut self,
        id: EntryId,
        bytes: Vec<u8>,
        max_waiting: usize,
        accepted: &mut Vec<EntryId>,
        invalid: &mut BTreeMap<EntryId, String>,
    ) -> bool {
        let mut work = vec![(id, bytes)];
        let mut dropped = false;
        while let Some((id, bytes)) = work.pop() {
            match self.decide(&id, &bytes, max_waiting) {
                Decision::Known => {}
                Decision::Accept(time) => {
                    self.accepted.insert(id, (time, bytes));
                    self.order.push(id);
                    accepted.push(id);
                    for waiter in self.waiting_for.remove(&id).unwrap_or_default() {
                        // Taken out to be decided again: there is room to put it back.
                        if let Some(bytes) = self.waiting.remove(&waiter) {
                            work.push((waiter, bytes));
                        }
                    }
                }
                Decision::Wait(missing) => {
                    self.waiting_for.entry(missing).or_default().insert(id);
                    self.waiting.insert(id, bytes);
                }
                Decision::Drop => dropped = true,
                Decision::Invalid(reason) => {
                    invalid.insert(id, reason);
                }
            }
        }
        dropped
    }
}

impl Store for MemoryStore {
    fn items(&self, space: &SpaceId) -> Vec<(Timestamp, EntryId)> {
        self.spaces
            .get(space)
            .map(|held| {
                held.accepted
                    .iter()
                    .map(|(id, (time, _))| (*time, *id))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Only accepted entries are served, in the order asked, as the real store does.
    fn entries(&self, space: &SpaceId, ids: &[EntryId]) -> Vec<Vec<u8>> {
        let Some(held) = self.spaces.get(space) else {
            return Vec::new();
        };
        ids.iter()
            .filter_map(|id| held.accepted.get(id).map(|(_, bytes)| bytes.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space() -> SpaceId {
        EntryId::from_bytes([7; 32])
    }

    /// A chain of `n` entries, each referring to the one before.
    fn chain(n: u64) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = Vec::new();
        for i in 0..n {
            let refs: Vec<EntryId> = out
                .last()
                .map(|b| EntryId::of_entry(b))
                .into_iter()
                .collect();
            out.push(entry_bytes(
                Timestamp::from_millis(1_000 + i),
                &refs,
                &i.to_le_bytes(),
            ));
        }
        out
    }

    #[test]
    fn a_chain_offered_backwards_waits_then_is_released_at_once() {
        let entries = chain(5);
        let ids: Vec<EntryId> = entries.iter().map(|b| EntryId::of_entry(b)).collect();
        let mut store = MemoryStore::default();
        let late: Vec<Vec<u8>> = entries[1..].iter().rev().cloned().collect();
        let verdicts = store.receive(space(), late);
        assert!(verdicts.iter().all(|(_, v)| *v == Verdict::Pending));
        assert_eq!(store.waiting_len(&space()), 4);
        assert!(
            store.entries(&space(), &ids).is_empty(),
            "waiting is not served"
        );
        // Offered again while waiting: still pending.
        let again = store.receive(space(), vec![entries[3].clone()]);
        assert_eq!(again, [(ids[3], Verdict::Pending)]);
        let verdicts = store.receive(space(), vec![entries[0].clone()]);
        assert_eq!(verdicts.len(), 5);
        assert!(
            verdicts
                .iter()
                .all(|(_, v)| matches!(v, Verdict::Accepted { .. }))
        );
        assert_eq!(store.order(&space()), ids.as_slice());
        assert_eq!(store.waiting_len(&space()), 0);
        let again = store.receive(space(), vec![entries[2].clone()]);
        assert_eq!(
            again,
            [(
                ids[2],
                Verdict::Duplicate {
                    time: Timestamp::from_millis(1_002)
                }
            )]
        );
    }

    #[test]
    fn an_entry_waiting_for_two_refs_waits_for_both() {
        let a = entry_bytes(Timestamp::from_millis(1), &[], b"a");
        let b = entry_bytes(Timestamp::from_millis(2), &[], b"b");
        let c = entry_bytes(
            Timestamp::from_millis(3),
            &[EntryId::of_entry(&a), EntryId::of_entry(&b)],
            b"c",
        );
        let mut store = MemoryStore::default();
        assert_eq!(
            store.receive(space(), vec![c.clone()])[0].1,
            Verdict::Pending
        );
        let verdicts = store.receive(space(), vec![a]);
        assert_eq!(verdicts.len(), 1, "c still waits for b: {verdicts:?}");
        assert!(store.is_waiting(&space(), &EntryId::of_entry(&c)));
        let verdicts = store.receive(space(), vec![b]);
        assert_eq!(verdicts.len(), 2);
        assert!(store.holds(&space(), &EntryId::of_entry(&c)));
    }

    #[test]
    fn beyond_the_bound_an_entry_is_dropped_and_a_batch_gets_one_verdict_per_entry() {
        let entries = chain(4);
        let mut store = MemoryStore::with_max_waiting(2);
        let verdicts = store.receive(space(), entries[1..].to_vec());
        let kinds: Vec<&Verdict> = verdicts.iter().map(|(_, v)| v).collect();
        assert_eq!(
            kinds,
            [&Verdict::Pending, &Verdict::Pending, &Verdict::Dropped]
        );
        // The full chain, the last entry first: it finds no room yet, the rest is
        // accepted, each reported once.
        let verdicts = store.receive(space(), entries.iter().rev().cloned().collect());
        assert_eq!(verdicts.len(), 4, "{verdicts:?}");
        assert_eq!(verdicts[0].1, Verdict::Dropped);
        assert!(
            verdicts[1..]
                .iter()
                .all(|(_, v)| matches!(v, Verdict::Accepted { .. }))
        );
        let verdicts = store.receive(space(), vec![entries[3].clone()]);
        assert!(matches!(verdicts[0].1, Verdict::Accepted { .. }));
    }

    #[test]
    fn forged_truncated_and_backdated_entries_are_invalid() {
        let mut store = MemoryStore::default();
        let root = entry_bytes(Timestamp::from_millis(100), &[], b"root");
        let mut forged = entry_bytes(Timestamp::from_millis(1), &[], b"x");
        forged[..FORGED.len()].copy_from_slice(FORGED);
        let truncated = entry_bytes(Timestamp::from_millis(1), &[], b"")[..5].to_vec();
        let mut short_refs = entry_bytes(Timestamp::from_millis(1), &[], b"y");
        short_refs[8] = 3;
        let backdated = entry_bytes(
            Timestamp::from_millis(99),
            &[EntryId::of_entry(&root)],
            b"z",
        );
        let verdicts = store.receive(
            space(),
            vec![root, forged, truncated, short_refs, backdated],
        );
        assert!(matches!(verdicts[0].1, Verdict::Accepted { .. }));
        for (_, verdict) in &verdicts[1..] {
            assert!(matches!(verdict, Verdict::Invalid(_)), "{verdict:?}");
        }
    }
}
