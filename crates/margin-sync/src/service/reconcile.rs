//! Reconciliation: the negentropy sessions that find what this node and a peer hold
//! apart in a space, on both sides — the initiator's rounds and what it does with the
//! difference, the responder's stateless replies — and when a link is due for one.

use std::fmt::Debug;
use std::hash::Hash;
use std::time::Duration;

use margin_core::Timestamp;
use margin_core::id::{EntryId, SpaceId};
use negentropy::Negentropy;

use super::Service;
use super::peers::{Link, Shared};
use super::penalties::Fault;
use crate::items::{Items, Sorted};
use crate::limits::{MAX_HAVE_IDS, MAX_QUEUED_IDS, MAX_RECONCILE_ROUNDS, RECONCILE_FRAME_LIMIT};
use crate::message::Message;
use crate::penalty::Offence;

/// A reconciliation this node initiated and is waiting on.
#[derive(Debug)]
pub(super) struct Session {
    id: u64,
    round: u32,
    active: Timestamp,
    have: Vec<EntryId>,
    need: Vec<EntryId>,
}

impl Link {
    /// How long after a reconciliation that left something to fetch the next one
    /// confirms: `retry`, doubled per fruitless round, at most `cap`.
    fn confirm_delay(&self, retry: Duration, cap: Duration) -> Duration {
        retry
            .saturating_mul(1 << self.fruitless.min(16))
            .min(cap.max(retry))
    }
}

/// A negentropy reconciler over a space's items.
fn reconciler(items: &mut Items) -> Negentropy<'_, Sorted> {
    Negentropy::borrowed(items.sealed(), RECONCILE_FRAME_LIMIT)
        .expect("the frame limit is above negentropy's minimum")
}

impl<P> Service<P>
where
    P: Clone + Ord + Hash + Debug,
{
    /// Starts a reconciliation of `space` with every peer that holds it and is idle.
    pub(super) fn reconcile_with_all(&mut self, now: Timestamp, space: &SpaceId) {
        let peers: Vec<P> = self
            .peers
            .iter()
            .filter(|(_, peer)| peer.links.contains_key(space))
            .map(|(id, _)| id.clone())
            .collect();
        for peer in peers {
            self.reconcile_soon(now, &peer, space);
        }
    }

    /// Reconciles `space` with the peer now, whichever side usually initiates, unless a
    /// session is already running.
    pub(super) fn reconcile_soon(&mut self, now: Timestamp, peer_id: &P, space: &SpaceId) {
        let idle = self
            .link(peer_id, space)
            .is_some_and(|link| link.session.is_none());
        if idle {
            self.start_session(now, peer_id, *space);
        }
    }

    pub(super) fn drive_all(&mut self, now: Timestamp) {
        let peers: Vec<P> = self.peers.keys().cloned().collect();
        for peer in peers {
            self.drive(now, &peer);
        }
    }

    /// Starts the reconciliations that are due with one peer, then fetches.
    pub(super) fn drive(&mut self, now: Timestamp, peer_id: &P) {
        let initiator = self.local < *peer_id;
        let retry = self.config.retry_interval;
        let cap = self.config.reconcile_interval;
        let Some(peer) = self.peers.get(peer_id) else {
            return;
        };
        let due: Vec<SpaceId> = peer
            .links
            .iter()
            .filter(|(space, link)| {
                // Not while either side fetches the space whole: its end reconciles.
                if link.session.is_some() || peer.empty.contains(*space) || self.ranging(space) {
                    return false;
                }
                let scheduled = initiator && link.next_reconcile <= now;
                // Confirm a caught-up link once everything queued from it has arrived.
                let confirm = !link.in_sync
                    && link
                        .last_sync
                        .is_some_and(|at| at.saturating_add(link.confirm_delay(retry, cap)) <= now)
                    && link.queue.is_empty()
                    && !peer.requests.values().any(|r| r.space == **space);
                scheduled || confirm
            })
            .map(|(space, _)| *space)
            .collect();
        for space in due {
            self.start_session(now, peer_id, space);
        }
        self.pump(now, peer_id);
    }

    /// Abandons the sessions whose peer has not replied for the session timeout (not its
    /// fault: the link is tried again after the retry interval).
    pub(super) fn expire_sessions(&mut self, now: Timestamp) {
        let session_timeout = self.config.session_timeout;
        let retry = self.config.retry_interval;
        for peer in self.peers.values_mut() {
            for link in peer.links.values_mut() {
                if link
                    .session
                    .as_ref()
                    .is_some_and(|session| session.active.saturating_add(session_timeout) <= now)
                {
                    link.session = None;
                    link.next_reconcile = now.saturating_add(retry);
                }
            }
        }
    }

    fn start_session(&mut self, now: Timestamp, peer_id: &P, space: SpaceId) {
        let Some(items) = self.spaces.get_mut(&space) else {
            return;
        };
        let payload = match reconciler(items).initiate() {
            Ok(payload) => payload,
            Err(error) => {
                tracing::warn!(target: "sync", %error, "cannot start reconciliation");
                return;
            }
        };
        let Some(link) = self
            .peers
            .get_mut(peer_id)
            .and_then(|peer| peer.links.get_mut(&space))
        else {
            return;
        };
        let session = self.next_session;
        self.next_session += 1;
        link.session = Some(Session {
            id: session,
            round: 0,
            active: now,
            have: Vec::new(),
            need: Vec::new(),
        });
        let message = Message::Reconcile {
            space,
            session,
            round: 0,
            payload,
        };
        self.send(peer_id, message);
    }

    /// A round of the peer's reconciliation: answered from the space's items, keeping no
    /// state, so a node answers any peer that shares the space whatever their ids.
    pub(super) fn respond(
        &mut self,
        now: Timestamp,
        from: &P,
        space: SpaceId,
        session: u64,
        round: u32,
        payload: &[u8],
    ) -> Result<(), Fault> {
        let shared = self.shared(now, from, &space)?;
        // A peer that fetched a space whole reconciles when it is done.
        shared.empty.remove(&space);
        let reply = reconciler(shared.items)
            .reconcile(payload)
            .map_err(|error| Fault::new(Offence::BadReconcile, error))?;
        let reply = Message::ReconcileReply {
            space,
            session,
            round,
            payload: reply,
        };
        self.send(from, reply);
        Ok(())
    }

    /// The peer's reply to a round of a session this node initiated: the next round, or
    /// the end of the session.
    pub(super) fn reconcile_reply(
        &mut self,
        now: Timestamp,
        from: &P,
        space: SpaceId,
        session: u64,
        round: u32,
        payload: &[u8],
    ) -> Result<(), Fault> {
        let retry = self.config.retry_interval;
        let interval = self.config.reconcile_interval;
        let ranging = self.ranging(&space);
        let mut shared = self.shared(now, from, &space)?;
        // The session is taken out of the link while its reply is handled, and put back
        // only when it goes on.
        let Some(mut current) = shared
            .link
            .session
            .take_if(|current| current.id == session && current.round == round)
        else {
            return Ok(()); // a late or duplicated reply: harmless
        };
        let mut negentropy = reconciler(shared.items);
        negentropy.set_initiator();
        let mut have = Vec::new();
        let mut need = Vec::new();
        let next = match negentropy.reconcile_with_ids(payload, &mut have, &mut need) {
            Ok(next) => next,
            Err(error) => {
                shared.link.next_reconcile = now.saturating_add(retry);
                return Err(Fault::new(Offence::BadReconcile, error));
            }
        };
        let room = MAX_QUEUED_IDS.saturating_sub(current.need.len());
        current.need.extend(
            need.iter()
                .take(room)
                .map(|id| EntryId::from_bytes(id.to_bytes())),
        );
        let room = MAX_QUEUED_IDS.saturating_sub(current.have.len());
        current.have.extend(
            have.iter()
                .take(room)
                .map(|id| EntryId::from_bytes(id.to_bytes())),
        );
        current.active = now;
        match next {
            Some(payload) if current.round < MAX_RECONCILE_ROUNDS => {
                current.round += 1;
                let message = Message::Reconcile {
                    space,
                    session,
                    round: current.round,
                    payload,
                };
                shared.link.session = Some(current);
                self.send(from, message);
            }
            Some(_) => {
                tracing::debug!(target: "sync", ?from, space = %space.short(), "reconciliation took too many rounds");
                shared.link.next_reconcile = now.saturating_add(retry);
            }
            None => {
                shared.settle(now, &mut current, ranging, interval);
                self.finish_session(now, from, space, current);
            }
        }
        Ok(())
    }

    /// Tells the peer what a finished session found: the ids it lacks, and both counts.
    fn finish_session(&mut self, now: Timestamp, from: &P, space: SpaceId, session: Session) {
        for ids in session.have.chunks(MAX_HAVE_IDS) {
            self.send(
                from,
                Message::Have {
                    space,
                    ids: ids.to_vec(),
                },
            );
        }
        let done = Message::Done {
            space,
            session: session.id,
            you_lack: session.have.len() as u64,
            i_lack: session.need.len() as u64,
        };
        self.send(from, done);
        self.pump(now, from);
    }

    /// The peer finished a session it initiated, and says what it found.
    pub(super) fn done(
        &mut self,
        now: Timestamp,
        from: &P,
        space: &SpaceId,
        you_lack: u64,
        i_lack: u64,
    ) -> Result<(), Fault> {
        let shared = self.shared(now, from, space)?;
        shared.link.in_sync = you_lack == 0 && i_lack == 0;
        shared.link.last_sync = Some(now);
        Ok(())
    }
}

impl<P: Debug + Clone + PartialEq> Shared<'_, P> {
    /// Takes in what a finished session found: queues what this node lacks (unless the
    /// space is being fetched whole, which brings it) and schedules the next session.
    fn settle(&mut self, now: Timestamp, session: &mut Session, ranging: bool, interval: Duration) {
        // Negentropy lists what it found in no set order; fetch in id order, so a run
        // replays exactly. While the space is fetched whole, that brings it.
        session.need.sort_unstable();
        if !ranging {
            self.enqueue(session.need.iter().copied());
        }
        let link = &mut *self.link;
        link.in_sync = session.have.is_empty() && session.need.is_empty();
        link.last_sync = Some(now);
        link.next_reconcile = now.saturating_add(interval);
        // A peer whose deliveries since the last reconciliation did not advance sync,
        // while this one again finds something lacking, is looping: wait longer each
        // time before confirming with it, and say so once.
        if session.need.is_empty() || link.round_new > 0 {
            link.fruitless = 0;
        } else if link.round_stale > 0 {
            link.fruitless += 1;
            if link.fruitless >= 3 && !*self.warned {
                *self.warned = true;
                tracing::warn!(
                    target: "sync",
                    peer = ?self.peer,
                    space = %self.space.short(),
                    stale = self.traffic.stale_entries,
                    "the peer's entries do not advance sync (already held, waiting, or not kept); slowing down reconciliation with it"
                );
            }
        }
        link.round_new = 0;
        link.round_stale = 0;
        tracing::debug!(
            target: "sync",
            from = ?self.peer,
            space = %self.space.short(),
            rounds = session.round + 1,
            they_lack = session.have.len(),
            we_lack = session.need.len(),
            "reconciled"
        );
    }
}
