//! What this node asks peers for: ids queued on a link (from a reconciliation, a `Have`
//! or gossip) go out in `Want`s, and a space this node holds nothing of is fetched whole
//! in `WantRange` pages; the answers' entries are checked against what was asked and
//! delivered to the host; a request whose answer stalls is given up, so what it asked
//! for can be asked again. How much to ask for at a time is [`crate::fetch`]'s job.

use std::collections::{HashMap, HashSet, btree_map};
use std::fmt::Debug;
use std::hash::Hash;

use margin_core::Timestamp;
use margin_core::id::{EntryId, SpaceId};

use super::peers::Link;
use super::penalties::Fault;
use super::reconcile::Scope;
use super::{Output, Service, send};
use crate::fetch::{Asked, Cursor, Request};
use crate::items::Items;
use crate::limits::{MAX_QUEUED_IDS, MAX_QUEUED_IDS_PER_PEER, MAX_WANT_IDS};
use crate::message::{Message, Place};
use crate::penalty::Offence;

/// What a node lacks in one space: ids it neither holds, nor is fetching, nor keeps
/// waiting for their refs. An id being fetched from another peer is noted as one this
/// peer could serve too.
pub(super) struct Lacking<'a, P> {
    pub(super) items: &'a Items,
    pub(super) fetching: &'a HashMap<EntryId, P>,
    pub(super) waiting: &'a HashMap<EntryId, Timestamp>,
    pub(super) alternates: &'a mut HashMap<EntryId, Vec<P>>,
    /// The peer whose link the ids are queued on.
    pub(super) peer: &'a P,
    /// Ids queued from the peer in the other spaces it shares with this node.
    pub(super) others_queued: usize,
}

/// Alternates remembered at most: per id, and in all.
const MAX_ALTERNATES_PER_ID: usize = 3;
const MAX_ALTERNATES: usize = crate::limits::MAX_WAITING_IDS;

impl<P: Clone + PartialEq> Lacking<'_, P> {
    /// Queues on the link those of `ids` the node lacks, up to the queue's bound and the
    /// peer's across its spaces. What is left out is found again by the reconciliation
    /// that confirms the link once its queue is empty.
    pub(super) fn enqueue(&mut self, link: &mut Link, ids: impl Iterator<Item = EntryId>) {
        for id in ids {
            if link.queue.len() >= MAX_QUEUED_IDS
                || link.queue.len() + self.others_queued >= MAX_QUEUED_IDS_PER_PEER
            {
                break;
            }
            if self.items.contains(&id) || self.waiting.contains_key(&id) {
                continue;
            }
            match self.fetching.get(&id) {
                None => link.queue.push_back(id),
                Some(from) if from == self.peer => {}
                Some(_) => {
                    let known = self.alternates.len();
                    let others = self.alternates.entry(id).or_default();
                    if others.len() < MAX_ALTERNATES_PER_ID
                        && !others.contains(self.peer)
                        && (known < MAX_ALTERNATES || !others.is_empty())
                    {
                        others.push(self.peer.clone());
                    } else if others.is_empty() {
                        self.alternates.remove(&id);
                    }
                }
            }
        }
    }
}

impl<P> Service<P>
where
    P: Clone + Ord + Hash + Debug,
{
    /// The peer's `Have`: entries of a space it holds, to fetch from it those this node
    /// lacks.
    pub(super) fn have(
        &mut self,
        now: Timestamp,
        from: &P,
        space: &SpaceId,
        ids: Vec<EntryId>,
    ) -> Result<(), Fault> {
        let ranging = self.ranging(space);
        if let Some(peer) = self.peers.get_mut(from) {
            peer.holds.note(ids.iter().copied());
        }
        let mut shared = self.shared(now, from, space)?;
        if ranging {
            return Ok(()); // the space is being fetched whole
        }
        shared.enqueue(ids.into_iter());
        self.pump(now, from);
        Ok(())
    }

    /// Entries of `space` a gossip announcement named, passed on by `from`: fetched from
    /// it as for a `Have`, if it is linked in the space.
    pub(super) fn gossiped_ids(
        &mut self,
        now: Timestamp,
        from: &P,
        space: &SpaceId,
        ids: &[EntryId],
    ) {
        if self.ranging(space) {
            return; // the space is being fetched whole
        }
        let Some(items) = self.spaces.get(space) else {
            return;
        };
        let Some(peer) = self.peers.get_mut(from) else {
            return;
        };
        peer.holds.note(ids.iter().copied());
        let others_queued = peer.queued_beside(space);
        let mut lacking = Lacking {
            items,
            fetching: &self.fetching,
            waiting: &self.waiting,
            alternates: &mut self.alternates,
            peer: from,
            others_queued,
        };
        if let Some(link) = peer.links.get_mut(space) {
            lacking.enqueue(link, ids.iter().copied());
        }
        self.pump(now, from);
    }

    /// Sends requests to the peer while there is something to ask for and room for it:
    /// the next pages of spaces fetched whole (two in flight, so the link never waits
    /// for a round trip), then `Want`s of queued ids, each sized to what the link
    /// carries.
    pub(super) fn pump(&mut self, now: Timestamp, peer_id: &P) {
        let Some(peer) = self.peers.get_mut(peer_id) else {
            return;
        };
        let request_bytes = peer.flow.request_bytes();
        for (space, link) in peer.links.iter_mut() {
            let Some(range) = link.range.as_mut() else {
                continue;
            };
            let Cursor::Ask(after) = range.next else {
                continue;
            };
            let pages = peer
                .requests
                .values()
                .filter(|r| r.space == *space && matches!(r.asked, Asked::Range { .. }))
                .count();
            if pages >= 2 {
                continue;
            }
            let request = self.next_request;
            self.next_request += 1;
            range.next = Cursor::Awaiting;
            range.latest = Some(request);
            peer.requests.insert(
                request,
                Request {
                    space: *space,
                    asked: Asked::Range {
                        after,
                        max_bytes: request_bytes,
                    },
                    sent: now,
                    progress: now,
                    bytes: 0,
                },
            );
            let message = Message::WantRange {
                space: *space,
                request,
                after,
                max_bytes: u32::try_from(request_bytes).unwrap_or(u32::MAX),
            };
            send(&mut self.out, peer_id, &mut peer.traffic, message);
        }
        let per_want =
            ((request_bytes as f64 / self.entry_bytes.max(1.0)) as usize).clamp(1, MAX_WANT_IDS);
        loop {
            let wants = peer
                .requests
                .values()
                .filter(|r| matches!(r.asked, Asked::Ids { .. }))
                .count();
            if wants >= self.config.max_wants_in_flight {
                break;
            }
            let mut request = None;
            for (space, link) in peer.links.iter_mut() {
                // Links follow the spaces held; one that did not would have nothing to fetch.
                let Some(items) = self.spaces.get(space) else {
                    continue;
                };
                let mut ids = Vec::new();
                while ids.len() < per_want {
                    let Some(id) = link.queue.pop_front() else {
                        break;
                    };
                    if !items.contains(&id)
                        && !self.fetching.contains_key(&id)
                        && !self.waiting.contains_key(&id)
                    {
                        self.fetching.insert(id, peer_id.clone());
                        ids.push(id);
                    }
                }
                if !ids.is_empty() {
                    request = Some((*space, ids));
                    break;
                }
            }
            let Some((space, ids)) = request else {
                break;
            };
            let id = self.next_request;
            self.next_request += 1;
            let set: HashSet<EntryId> = ids.iter().copied().collect();
            peer.requests.insert(
                id,
                Request {
                    space,
                    asked: Asked::Ids {
                        requested: set.clone(),
                        outstanding: set,
                    },
                    sent: now,
                    progress: now,
                    bytes: 0,
                },
            );
            let message = Message::Want {
                space,
                request: id,
                ids,
            };
            send(&mut self.out, peer_id, &mut peer.traffic, message);
        }
    }

    /// A part of the peer's answer to one of this node's requests, decoded by `decode`
    /// once it is known to answer one.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn entries(
        &mut self,
        now: Timestamp,
        from: &P,
        space: SpaceId,
        request: u64,
        last: bool,
        resume: Option<Place>,
        decode: impl FnOnce() -> Result<Part, String>,
    ) -> Result<(), Fault> {
        let Some(peer) = self.peers.get_mut(from) else {
            return Ok(());
        };
        let btree_map::Entry::Occupied(mut entry) = peer.requests.entry(request) else {
            return Ok(()); // answered after we gave up, or duplicated: harmless
        };
        let asked = entry.get_mut();
        if asked.space != space {
            return Err(Fault::new(
                Offence::UnsolicitedEntry,
                format!("entries for request {request} in the wrong space"),
            ));
        }
        // Decoded only once it is known to answer a request of this peer's.
        let (decoded, part) = match decode() {
            Ok(Part {
                entries,
                bytes,
                packed,
            }) if asked.fits(bytes) => {
                if packed {
                    peer.traffic.packed_entries += entries.len() as u64;
                }
                (entries, bytes)
            }
            Ok(_) => {
                self.give_up(from, request);
                return Err(Fault::new(
                    Offence::UnsolicitedEntry,
                    format!("more entries than request {request} asked for"),
                ));
            }
            Err(error) => {
                self.give_up(from, request);
                return Err(Fault::new(Offence::BadBatch, error));
            }
        };
        asked.bytes += part;
        asked.progress = now;
        let items = self.spaces.get(&space);
        let mut delivered = Vec::new();
        let mut unsolicited = 0usize;
        let done =
            match &mut asked.asked {
                Asked::Ids {
                    requested,
                    outstanding,
                } => {
                    for entry in decoded {
                        let id = EntryId::of_entry(&entry);
                        if outstanding.remove(&id) {
                            delivered.push(entry);
                        } else if !requested.contains(&id) {
                            unsolicited += 1;
                        }
                    }
                    last || outstanding.is_empty()
                }
                Asked::Range { .. } => {
                    // Whatever the page holds is what was asked for; what this node holds
                    // already need not be checked again.
                    delivered.extend(decoded.into_iter().filter(|entry| {
                        items.is_none_or(|i| !i.contains(&EntryId::of_entry(entry)))
                    }));
                    if let Some(range) = peer.links.get_mut(&space).and_then(|l| l.range.as_mut()) {
                        range.resumed(request, resume);
                    }
                    last
                }
            };
        if done {
            let finished = entry.remove();
            peer.flow.completed(now, finished.sent, finished.bytes);
            if let Asked::Ids { outstanding, .. } = finished.asked {
                for id in outstanding {
                    if self.fetching.get(&id) == Some(from) {
                        self.fetching.remove(&id);
                    }
                }
            }
        }
        let judging = !delivered.is_empty();
        if judging {
            let bytes: u64 = delivered.iter().map(|e| e.len() as u64).sum();
            let received = self.received.entry(space).or_default();
            received.entries += delivered.len() as u64;
            received.bytes += bytes;
            let average = bytes as f64 / delivered.len() as f64;
            self.entry_bytes = (self.entry_bytes * 7.0 + average) / 8.0;
            self.out.push(Output::Deliver {
                from: from.clone(),
                space,
                entries: delivered,
            });
        }
        self.end_range_if_done(now, from, &space, judging);
        self.pump(now, from);
        if unsolicited > 0 {
            return Err(Fault::new(
                Offence::UnsolicitedEntry,
                format!("{unsolicited} entries not asked for (or not matching their ids)"),
            ));
        }
        Ok(())
    }

    /// Gives up the requests whose answer stalled. A peer answers requests in the order
    /// they were sent: a request's turn begins when the answer before it completed. It is
    /// given up when nothing of its answer arrived for the request timeout since its turn
    /// began or since its last part; its ids can then be fetched again.
    pub(super) fn expire_requests(&mut self, now: Timestamp) {
        let request_timeout = self.config.request_timeout;
        let mut expired: Vec<(P, u64)> = vec![];
        for (peer_id, peer) in self.peers.iter() {
            let previous_done = peer.flow.last_done();
            expired.extend(
                peer.requests
                    .iter()
                    .filter(|(_, r)| {
                        let alive = r.sent.max(r.progress).max(previous_done);
                        alive.saturating_add(request_timeout) <= now
                    })
                    .map(|(id, _)| (peer_id.clone(), *id)),
            );
        }
        let mut asked: Vec<P> = vec![];
        for (peer, request) in expired {
            tracing::debug!(target: "sync", ?peer, request, "request timed out");
            if let Some((space, unanswered)) = self.give_up(&peer, request) {
                self.ask_again(&peer, &space, unanswered, &mut asked);
            }
        }
        for peer in asked {
            self.pump(now, &peer);
        }
        self.hedge(now);
    }

    /// Queues again the ids of a request `peer_id` did not answer in time: on the link
    /// of a peer that announced them too, else on the same one (a frame lost on the way
    /// is the likeliest cause), rather than leaving them for the next reconciliation to
    /// find. Notes in `asked` the peers to pump.
    fn ask_again(&mut self, peer_id: &P, space: &SpaceId, ids: Vec<EntryId>, asked: &mut Vec<P>) {
        let Some(items) = self.spaces.get(space) else {
            return;
        };
        for id in ids {
            if items.contains(&id)
                || self.fetching.contains_key(&id)
                || self.waiting.contains_key(&id)
            {
                continue;
            }
            let next = match self.alternates.get_mut(&id) {
                Some(others) if !others.is_empty() => others.remove(0),
                _ => peer_id.clone(),
            };
            if self.alternates.get(&id).is_some_and(Vec::is_empty) {
                self.alternates.remove(&id);
            }
            let Some(link) = self
                .peers
                .get_mut(&next)
                .and_then(|peer| peer.links.get_mut(space))
            else {
                continue;
            };
            if link.queue.len() < MAX_QUEUED_IDS {
                link.queue.push_back(id);
                if !asked.contains(&next) {
                    asked.push(next);
                }
            }
        }
    }

    /// Asks another peer for the ids of requests whose answer has not begun for
    /// [`Config::hedge_after`](super::Config::hedge_after), where another peer announced
    /// them meanwhile. The first peer's answer, if it comes, is still taken.
    fn hedge(&mut self, now: Timestamp) {
        if self.alternates.is_empty() {
            return;
        }
        let hedge_after = self.config.hedge_after;
        let mut moved: Vec<(P, SpaceId, EntryId)> = vec![];
        for (peer_id, peer) in self.peers.iter_mut() {
            let previous_done = peer.flow.last_done();
            for request in peer.requests.values_mut() {
                let alive = request.sent.max(request.progress).max(previous_done);
                if request.bytes > 0 || alive.saturating_add(hedge_after) > now {
                    continue;
                }
                let Asked::Ids { outstanding, .. } = &mut request.asked else {
                    continue;
                };
                outstanding.retain(|id| {
                    let Some(next) = self
                        .alternates
                        .get_mut(id)
                        .and_then(|a| (!a.is_empty()).then(|| a.remove(0)))
                    else {
                        return true;
                    };
                    if self.fetching.get(id) == Some(peer_id) {
                        self.fetching.remove(id);
                    }
                    moved.push((next, request.space, *id));
                    false
                });
            }
        }
        let mut asked: Vec<P> = vec![];
        for (next, space, id) in moved {
            if self.alternates.get(&id).is_some_and(Vec::is_empty) {
                self.alternates.remove(&id);
            }
            let Some(link) = self
                .peers
                .get_mut(&next)
                .and_then(|peer| peer.links.get_mut(&space))
            else {
                continue;
            };
            tracing::debug!(target: "sync", peer = ?next, id = %id.short(), "asking another peer: the first did not answer");
            link.queue.push_front(id);
            if !asked.contains(&next) {
                asked.push(next);
            }
        }
        for peer in asked {
            self.pump(now, &peer);
        }
    }

    /// Forgets a request whose answer cannot be used; what it asked for can be asked for
    /// again. Returns the space and the ids it asked for that did not arrive.
    fn give_up(&mut self, peer_id: &P, request: u64) -> Option<(SpaceId, Vec<EntryId>)> {
        let peer = self.peers.get_mut(peer_id)?;
        let given_up = peer.requests.remove(&request)?;
        match given_up.asked {
            Asked::Ids { outstanding, .. } => {
                let mut unanswered: Vec<EntryId> = outstanding.into_iter().collect();
                // In id order, so a run replays exactly.
                unanswered.sort_unstable();
                for id in &unanswered {
                    if self.fetching.get(id) == Some(peer_id) {
                        self.fetching.remove(id);
                    }
                }
                Some((given_up.space, unanswered))
            }
            Asked::Range { after, .. } => {
                if let Some(range) = peer
                    .links
                    .get_mut(&given_up.space)
                    .and_then(|l| l.range.as_mut())
                {
                    range.restart_from(after);
                }
                None
            }
        }
    }

    /// Whether the space is being fetched whole from some peer.
    pub(super) fn ranging(&self, space: &SpaceId) -> bool {
        self.peers
            .values()
            .any(|peer| peer.links.get(space).is_some_and(|l| l.range.is_some()))
    }

    /// When the last page of a space fetched whole from `peer_id` has arrived: the fetch
    /// is over, and the node reconciles the space with every peer that holds it, to
    /// confirm and to find what changed meanwhile.
    /// With `judging`, the host is judging the entries this peer just delivered: the
    /// confirming reconciliation waits for its verdicts.
    fn end_range_if_done(&mut self, now: Timestamp, peer_id: &P, space: &SpaceId, judging: bool) {
        let Some(peer) = self.peers.get_mut(peer_id) else {
            return;
        };
        let paging = peer
            .requests
            .values()
            .any(|r| r.space == *space && matches!(r.asked, Asked::Range { .. }));
        let Some(link) = peer.links.get_mut(space) else {
            return;
        };
        if paging || link.range.as_ref().is_none_or(|r| r.next != Cursor::End) {
            return;
        }
        link.range = None;
        link.ranged = true;
        tracing::debug!(
            target: "sync",
            peer = ?peer_id,
            space = %space.short(),
            "fetched the space whole"
        );
        if judging {
            self.confirming.insert(*space);
        } else {
            self.confirm_fetched(now, space);
        }
    }

    /// A space fetched whole, its last page judged: reconciles it with every peer that
    /// holds it, to confirm and to find what changed meanwhile; or, when the peer had
    /// nothing valid of it, fetches it whole from another peer first.
    pub(super) fn confirm_fetched(&mut self, now: Timestamp, space: &SpaceId) {
        let held = self.spaces.get(space).map_or(0, Items::len);
        tracing::debug!(target: "sync", space = %space.short(), entries = held, "confirming a space fetched whole");
        if held == 0 {
            // That peer had nothing (or nothing valid): try another one first.
            let others: Vec<P> = self.peers.keys().cloned().collect();
            for other in others {
                self.refresh_links(now, &other);
            }
            if self.ranging(space) {
                return;
            }
        }
        self.reconcile_with_all(now, space, Scope::Everything);
    }
}

/// One part of an answer, decoded.
pub(super) struct Part {
    pub(super) entries: Vec<Vec<u8>>,
    /// What it counts for against the request: the entries' bytes, as a batch frames them.
    pub(super) bytes: u64,
    /// Whether it came packed.
    pub(super) packed: bool,
}
