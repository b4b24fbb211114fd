//! The entries the host took in: those it judged after a fetch ([`Service::verdicts`]) or
//! after gossip ([`Service::gossip_verdict`]), and those written here
//! ([`Service::inserted`]). Entries held join the space's items, and new ones are
//! announced to the other peers with `Have`; entries the host keeps waiting for their
//! refs are not fetched again meanwhile; an invalid one counts against its sender.

use std::fmt::Debug;
use std::hash::Hash;

use margin_core::Timestamp;
use margin_core::id::{EntryId, SpaceId};

use super::penalties::Fault;
use super::reconcile::Scope;
use super::{Service, Verdict, send};
use crate::limits::{MAX_HAVE_IDS, MAX_WAITING_IDS};
use crate::message::Message;
use crate::penalty::Offence;

impl<P> Service<P>
where
    P: Clone + Ord + Hash + Debug,
{
    /// Entries written locally: a few are announced by id; many at once (a bundle
    /// imported) are found by each peer's reconciliation, which costs less than listing
    /// them all to everyone.
    pub(super) fn written(
        &mut self,
        now: Timestamp,
        space: &SpaceId,
        items: &[(Timestamp, EntryId)],
    ) {
        let Some(set) = self.spaces.get_mut(space) else {
            return;
        };
        let new: Vec<EntryId> = items
            .iter()
            .filter(|(time, id)| set.insert(*time, *id))
            .map(|(_, id)| *id)
            .collect();
        for (_, id) in items {
            self.fetching.remove(id);
            self.alternates.remove(id);
            self.waiting.remove(id);
        }
        if new.len() <= self.config.relay_have_max {
            self.announce(space, &new, None);
        } else if !new.is_empty() && !self.ranging(space) {
            self.reconcile_with_all(now, space, Scope::Everything);
        }
    }

    /// The host's verdicts on entries delivered from `from`.
    pub(super) fn judged(
        &mut self,
        now: Timestamp,
        from: &P,
        space: &SpaceId,
        verdicts: &[(EntryId, Verdict)],
    ) {
        let mut accepted = Vec::new();
        let mut invalid = Vec::new();
        let mut gap = false;
        // Entries that moved sync forward, and entries that did not (already held, already
        // waiting, not kept): a peer whose deliveries never advance is noticed.
        let (mut new, mut stale) = (0u64, 0u64);
        for (id, verdict) in verdicts {
            self.fetching.remove(id);
            self.alternates.remove(id);
            match verdict {
                Verdict::Accepted { time } => {
                    if self.hold(space, *time, id) {
                        accepted.push(*id);
                    }
                    new += 1;
                }
                Verdict::Declined { time } => {
                    self.hold(space, *time, id);
                    new += 1;
                }
                Verdict::Duplicate { time } => {
                    self.hold(space, *time, id);
                    stale += 1;
                }
                Verdict::Pending => {
                    if self.waiting.contains_key(id) {
                        stale += 1;
                    } else {
                        new += 1;
                    }
                    self.wait(now, id);
                    gap = true;
                }
                Verdict::Dropped => stale += 1,
                // Not the peer's doing either way: neither progress nor a stale delivery.
                Verdict::Refused(_) => {
                    self.waiting.remove(id);
                }
                Verdict::Invalid(reason) => {
                    self.waiting.remove(id);
                    invalid.push((*id, reason));
                }
            }
        }
        if let Some(peer) = self.peers.get_mut(from) {
            peer.holds.note(verdicts.iter().map(|(id, _)| *id));
            peer.traffic.stale_entries += stale;
            if let Some(link) = peer.links.get_mut(space) {
                link.round_new += new;
                link.round_stale += stale;
            }
        }
        // What waits is found by reconciling, unless the space is being fetched whole
        // (which brings it, and reconciles at its end).
        if gap && !self.ranging(space) {
            self.look_for_gap(now, from, space);
        }
        if !accepted.is_empty() && accepted.len() <= self.config.relay_have_max {
            self.announce(space, &accepted, Some(from));
        }
        for (id, reason) in invalid {
            if !self.peers.contains_key(from) {
                break;
            }
            let fault = Fault::new(
                Offence::InvalidEntry,
                format!("entry {}: {reason}", id.short()),
            );
            self.penalize(now, from, fault);
        }
        self.pump(now, from);
    }

    /// The host's verdict on an entry `from` passed on by gossip.
    pub(super) fn judged_gossip(
        &mut self,
        now: Timestamp,
        from: &P,
        space: &SpaceId,
        id: &EntryId,
        verdict: &Verdict,
    ) {
        match verdict {
            Verdict::Accepted { time } => {
                self.fetching.remove(id);
                if self.hold(space, *time, id) {
                    self.announce(space, &[*id], Some(from));
                }
            }
            Verdict::Duplicate { time } | Verdict::Declined { time } => {
                self.fetching.remove(id);
                self.hold(space, *time, id);
            }
            Verdict::Pending => {
                self.wait(now, id);
                if !self.ranging(space) {
                    self.look_for_gap(now, from, space);
                }
            }
            Verdict::Dropped => {}
            Verdict::Refused(_) => {
                self.fetching.remove(id);
                self.waiting.remove(id);
            }
            Verdict::Invalid(reason) => {
                self.waiting.remove(id);
                let fault = Fault::new(
                    Offence::InvalidEntry,
                    format!("gossiped entry {}: {reason}", id.short()),
                );
                self.penalize(now, from, fault);
            }
        }
    }

    /// Sends `Have` for `ids` to every peer linked in `space` but `except`, leaving out
    /// the ids each peer showed it holds.
    fn announce(&mut self, space: &SpaceId, ids: &[EntryId], except: Option<&P>) {
        if ids.is_empty() {
            return;
        }
        for (peer_id, peer) in self.peers.iter_mut() {
            if Some(peer_id) == except || !peer.links.contains_key(space) {
                continue;
            }
            let news: Vec<EntryId> = ids
                .iter()
                .filter(|id| !peer.holds.contains(id))
                .copied()
                .collect();
            for chunk in news.chunks(MAX_HAVE_IDS) {
                let have = Message::Have {
                    space: *space,
                    ids: chunk.to_vec(),
                };
                send(&mut self.out, peer_id, &mut peer.traffic, have);
            }
        }
    }

    /// Counts an entry the host holds as held; returns whether it was new to the set.
    fn hold(&mut self, space: &SpaceId, time: Timestamp, id: &EntryId) -> bool {
        self.waiting.remove(id);
        self.spaces
            .get_mut(space)
            .is_some_and(|set| set.insert(time, *id))
    }

    /// The host keeps the entry waiting for its refs: do not fetch it again meanwhile.
    fn wait(&mut self, now: Timestamp, id: &EntryId) {
        if self.waiting.len() < MAX_WAITING_IDS {
            self.waiting
                .insert(*id, now.saturating_add(self.config.waiting_timeout));
        }
    }
}
