//! Reconciliation: the negentropy sessions that find what this node and a peer hold
//! apart in a space, on both sides — the initiator's rounds and what it does with the
//! difference, the responder's stateless replies — and when a link is due for one.
//!
//! While entries are being written, two neighbours' sets almost always differ in the
//! entries of the last few seconds, which gossip is still bringing to both; comparing
//! those would descend to listing their ids at every session. So the sessions a node
//! starts by itself (periodic ones, confirmations, looking for what a waiting entry
//! lacks) compare only the *settled* items: they leave out those written within
//! [`Config::settle_window`](super::Config::settle_window) of now, and compare them in
//! a later session, once they are older. A session asked for (`reconcile_now`, a large
//! import, the end of a whole fetch) compares everything. What a session compared is
//! kept with its result: a link is in sync *as of* the time before which every item
//! was compared (the session's horizon), and a result is not overridden by one of an
//! older horizon that found nothing apart.

use std::fmt::Debug;
use std::hash::Hash;
use std::time::Duration;

use margin_core::Timestamp;
use margin_core::id::{EntryId, SpaceId};
use negentropy::{Bound, Negentropy, NegentropyStorageBase};

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
    /// Every item older than this is compared.
    horizon: Timestamp,
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

    /// Takes in what a session on the link found, of either side: whether the sets were
    /// apart, comparing every item older than `horizon`.
    pub(super) fn found(&mut self, apart: bool, horizon: Timestamp, now: Timestamp) {
        self.last_session = Some(now);
        if apart {
            self.in_sync = false;
            self.last_sync = self.last_sync.max(Some(horizon));
        } else if self.last_sync.is_none_or(|known| known <= horizon) {
            self.in_sync = true;
            self.last_sync = Some(horizon);
        }
    }
}

/// What a session compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    /// Every item.
    Everything,
    /// The settled items: all but those written within the settle window around now,
    /// which gossip is still bringing.
    Settled,
}

/// Negentropy's protocol version and range modes (its protocol v1), for the openings
/// this node writes and reads itself.
const NEGENTROPY_V1: u8 = 0x61;
const MODE_SKIP: u64 = 0;
const MODE_FINGERPRINT: u64 = 1;
const MODE_ID_LIST: u64 = 2;

/// The opening of a session that compares the items older than `from` and those from
/// `to` on, one fingerprint each (the peer splits a range where they differ), and skips
/// the items in between: a negentropy message any responder answers as it answers
/// another, and that costs a few dozen bytes when the settled items are alike.
fn settled_opening(items: &mut Items, from: u64, to: u64) -> Result<Vec<u8>, negentropy::Error> {
    let sorted = items.sealed();
    let size = sorted.size()?;
    let start = sorted.find_lower_bound(0, size, &Bound::with_timestamp(from));
    let end = sorted.find_lower_bound(start, size, &Bound::with_timestamp(to));
    let mut out = vec![NEGENTROPY_V1];
    // Each range is given by its upper bound: a time (as the difference from the last
    // bound, plus one; 0 is past every item) and an id prefix, here empty.
    varint(&mut out, from.saturating_add(1));
    varint(&mut out, 0);
    varint(&mut out, MODE_FINGERPRINT);
    out.extend(sorted.fingerprint(0, start)?.to_bytes());
    varint(&mut out, (to - from).saturating_add(1));
    varint(&mut out, 0);
    varint(&mut out, MODE_SKIP);
    varint(&mut out, 0);
    varint(&mut out, 0);
    varint(&mut out, MODE_FINGERPRINT);
    out.extend(sorted.fingerprint(end, size)?.to_bytes());
    Ok(out)
}

/// The window a peer's opening leaves out around its now: half the width of the first
/// range it skips (see [`settled_opening`]), zero if it skips none (negentropy's own
/// openings never do). What cannot be read counts as skipping none; negentropy refuses
/// it when it answers.
fn skipped_window(opening: &[u8]) -> Duration {
    let mut rest = opening.get(1..).unwrap_or_default();
    let mut upper = 0u64;
    while !rest.is_empty() {
        let lower = upper;
        let Some(delta) = read_varint(&mut rest) else {
            break;
        };
        // A bound's time is the difference from the last one, plus one; 0 is past every
        // item.
        upper = match delta {
            0 => u64::MAX,
            delta => lower.saturating_add(delta - 1),
        };
        let id_len = read_varint(&mut rest).unwrap_or(u64::MAX);
        rest = skip(rest, id_len);
        let payload = match read_varint(&mut rest) {
            Some(MODE_SKIP) => return Duration::from_millis(upper.saturating_sub(lower) / 2),
            Some(MODE_FINGERPRINT) => 16,
            Some(MODE_ID_LIST) => read_varint(&mut rest).map_or(u64::MAX, |n| n.saturating_mul(32)),
            _ => break,
        };
        rest = skip(rest, payload);
    }
    Duration::ZERO
}

/// Negentropy's variable-length integer: base 128, most significant group first.
fn varint(out: &mut Vec<u8>, n: u64) {
    let groups = (64 - n.leading_zeros()).div_ceil(7).max(1);
    for group in (0..groups).rev() {
        let more = if group > 0 { 0x80 } else { 0 };
        out.push(((n >> (7 * group)) & 0x7f) as u8 | more);
    }
}

/// Reads one [`varint`]; `None` at the end or past 64 bits.
fn read_varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut n = 0u64;
    while let Some((&byte, rest)) = bytes.split_first() {
        *bytes = rest;
        if n >> 57 != 0 {
            return None;
        }
        n = (n << 7) | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            return Some(n);
        }
    }
    None
}

/// `bytes` past its first `n` (empty if it is shorter).
fn skip(bytes: &[u8], n: u64) -> &[u8] {
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    bytes.get(n..).unwrap_or_default()
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
    pub(super) fn reconcile_with_all(&mut self, now: Timestamp, space: &SpaceId, scope: Scope) {
        let peers: Vec<P> = self
            .peers
            .iter()
            .filter(|(_, peer)| peer.links.contains_key(space))
            .map(|(id, _)| id.clone())
            .collect();
        for peer in peers {
            self.reconcile_soon(now, &peer, space, scope);
        }
    }

    /// Reconciles `space` with the peer now, whichever side usually initiates, unless a
    /// session is already running.
    pub(super) fn reconcile_soon(
        &mut self,
        now: Timestamp,
        peer_id: &P,
        space: &SpaceId,
        scope: Scope,
    ) {
        let idle = self
            .link(peer_id, space)
            .is_some_and(|link| link.session.is_none());
        if idle {
            self.start_session(now, peer_id, *space, scope);
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
        let settled_before = now.saturating_sub(self.config.settle_window);
        let Some(peer) = self.peers.get(peer_id) else {
            return;
        };
        let due: Vec<(SpaceId, Scope)> = peer
            .links
            .iter()
            .filter_map(|(space, link)| {
                // Not while either side fetches the space whole: its end reconciles.
                if link.session.is_some() || peer.empty.contains(space) || self.ranging(space) {
                    return None;
                }
                let scheduled = initiator && link.next_reconcile <= now;
                let gap = link.gap_due.is_some_and(|due| due <= now);
                // Confirm a caught-up link once everything queued from it has arrived.
                let confirm = !link.in_sync
                    && link
                        .last_session
                        .is_some_and(|at| at.saturating_add(link.confirm_delay(retry, cap)) <= now)
                    && link.queue.is_empty()
                    && !peer.requests.values().any(|r| r.space == *space);
                // A confirmation compares everything when a session that did found the
                // link apart lately: one leaving out the recent items could not tell
                // more.
                let scope = if confirm && link.last_sync.is_some_and(|at| at > settled_before) {
                    Scope::Everything
                } else {
                    Scope::Settled
                };
                (scheduled || gap || confirm).then_some((*space, scope))
            })
            .collect();
        for (space, scope) in due {
            self.start_session(now, peer_id, space, scope);
        }
        self.pump(now, peer_id);
    }

    /// An entry `from` sent waits for entries this node lacks: once those have settled
    /// (they are usually on their way by gossip), a session with the peer looks for
    /// them.
    pub(super) fn look_for_gap(&mut self, now: Timestamp, from: &P, space: &SpaceId) {
        let due = now.saturating_add(self.config.settle_window);
        if let Some(link) = self.link(from, space) {
            link.gap_due.get_or_insert(due);
        }
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

    fn start_session(&mut self, now: Timestamp, peer_id: &P, space: SpaceId, scope: Scope) {
        let window = self.config.settle_window;
        let Some(items) = self.spaces.get_mut(&space) else {
            return;
        };
        let (opening, horizon) = match scope {
            Scope::Settled if !window.is_zero() => {
                let from = now.saturating_sub(window);
                let to = now.saturating_add(window).as_millis();
                (settled_opening(items, from.as_millis(), to), from)
            }
            _ => (reconciler(items).initiate(), now),
        };
        let payload = match opening {
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
        link.gap_due = None;
        link.session = Some(Session {
            id: session,
            round: 0,
            active: now,
            horizon,
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
    /// state but what its opening compares (for its `Done`), so a node answers any peer
    /// that shares the space whatever their ids.
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
        if round == 0 {
            let horizon = now.saturating_sub(skipped_window(payload));
            shared.link.opened = Some((session, horizon));
        }
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
        session: u64,
        you_lack: u64,
        i_lack: u64,
    ) -> Result<(), Fault> {
        let shared = self.shared(now, from, space)?;
        let apart = you_lack > 0 || i_lack > 0;
        match shared.link.opened.take_if(|(opened, _)| *opened == session) {
            Some((_, horizon)) => shared.link.found(apart, horizon, now),
            // A session whose opening this node did not see compared it knows not what:
            // only a difference is news.
            None if apart => shared.link.found(true, Timestamp::from_millis(0), now),
            None => {}
        }
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
        let apart = !session.have.is_empty() || !session.need.is_empty();
        link.found(apart, session.horizon, now);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> EntryId {
        EntryId::from_bytes([n; 32])
    }

    fn items(times: &[(u64, u8)]) -> Items {
        Items::new(
            times
                .iter()
                .map(|(t, n)| (Timestamp::from_millis(*t), id(*n))),
        )
    }

    /// Runs a session from `a`'s settled opening against `b`; what `a` has that `b`
    /// lacks, and what it lacks.
    fn settled_session(a: &mut Items, b: &mut Items, from: u64, to: u64) -> (Vec<u8>, Vec<u8>) {
        let mut message = settled_opening(a, from, to).expect("opening");
        let (mut have, mut need) = (Vec::new(), Vec::new());
        loop {
            let reply = reconciler(b).reconcile(&message).expect("reply");
            let mut initiator = reconciler(a);
            initiator.set_initiator();
            match initiator
                .reconcile_with_ids(&reply, &mut have, &mut need)
                .expect("round")
            {
                Some(next) => message = next,
                None => break,
            }
        }
        let first = |ids: Vec<negentropy::Id>| ids.iter().map(|id| id.to_bytes()[0]).collect();
        (first(have), first(need))
    }

    #[test]
    fn a_settled_session_leaves_out_the_window_and_finds_the_rest() {
        let old: Vec<(u64, u8)> = (0..100).map(|n| (1_000 + n, n as u8)).collect();
        let mut a = items(&old);
        let mut b = items(&old);
        // Recent entries each side lacks, and one from the far future.
        a.insert(Timestamp::from_millis(9_500), id(200));
        b.insert(Timestamp::from_millis(10_200), id(201));
        b.insert(Timestamp::from_millis(50_000), id(202));
        let (have, need) = settled_session(&mut a, &mut b, 9_000, 11_000);
        assert_eq!((have, need), (vec![], vec![202]));
        // An old entry one side lacks is found, whatever the window holds.
        b.insert(Timestamp::from_millis(1_050), id(203));
        a.insert(Timestamp::from_millis(1_060), id(204));
        let (have, need) = settled_session(&mut a, &mut b, 9_000, 11_000);
        assert_eq!((have, need), (vec![204], vec![202, 203]));
    }

    #[test]
    fn the_window_is_read_back_from_an_opening() {
        let mut a = items(&[(5, 1), (20_000, 2)]);
        let opening = settled_opening(&mut a, 10_000, 30_000).expect("opening");
        assert_eq!(skipped_window(&opening), Duration::from_millis(10_000));
        let full = reconciler(&mut a).initiate().expect("opening");
        assert_eq!(skipped_window(&full), Duration::ZERO);
        for garbage in [
            &[][..],
            &[0x61],
            &[0x61, 0xff],
            &[0x61, 0x80, 0x80],
            &[0x61, 3, 0x7f],
        ] {
            assert_eq!(skipped_window(garbage), Duration::ZERO);
        }
    }

    #[test]
    fn a_result_is_not_overridden_by_one_that_compared_less() {
        let t = Timestamp::from_millis;
        let mut link = Link::new(t(0));
        link.found(true, t(100), t(100));
        // A later session that left out the last seconds says nothing of them.
        link.found(false, t(95), t(105));
        assert!(!link.in_sync);
        link.found(false, t(101), t(111));
        assert!(link.in_sync);
        assert_eq!(link.last_sync, Some(t(101)));
        // A difference is news whatever was compared.
        link.found(true, t(50), t(112));
        assert!(!link.in_sync);
        assert_eq!(link.last_sync, Some(t(101)));
    }
}
