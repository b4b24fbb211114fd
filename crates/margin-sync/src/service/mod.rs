//! The sans-IO sync service: events in, actions out.
//!
//! The host (a libp2p driver, or the simulator) tells the [`Service`] what happened — a
//! peer connected or went away, a frame arrived, time passed, entries were written
//! locally, the host checked entries it was handed — and carries out the [`Output`]s it
//! gets back: send a message, deliver entries for verification, penalize or disconnect a
//! peer. The service never reads a clock, never touches a socket or the disk, and never
//! verifies a signature; `now` is always an argument, in milliseconds.
//!
//! # The flow, per shared space
//!
//! 1. On connect both sides send [`Message::Hello`] listing their spaces.
//! 2. For each space both hold, the side with the **lower peer id** initiates a negentropy
//!    reconciliation over the space's `(time, id)` items — on connect and then every
//!    [`Config::reconcile_interval`]. Only the initiator learns the difference; when the
//!    session ends it `Want`s what it lacks, sends the ids the responder lacks as
//!    [`Message::Have`], and a [`Message::Done`] with both counts.
//! 3. Either side that learnt it was out of sync re-runs a (cheap) reconciliation once it
//!    has fetched everything it queued, to confirm it caught up.
//! 4. Missing entries are fetched from the peer that has them, in `Want`s sized to what
//!    the link carries (see [`crate::fetch`]) with at most
//!    [`Config::max_wants_in_flight`] outstanding per peer, answered by
//!    [`Message::Entries`] batches of a few tens of kilobytes. A node that holds nothing
//!    of a space skips reconciliation and fetches the space whole, in pages
//!    ([`Message::WantRange`]), from one peer; its `Hello` says so, so that peers do not
//!    reconcile with it (an answer listing every id) meanwhile.
//! 5. The service hashes each received entry and hands only entries it asked that peer
//!    for to the host ([`Output::Deliver`]); the host verifies them and reports
//!    [`Verdict`]s. Accepted entries join the space's items and, when few, are announced
//!    to the other peers with `Have`.
//!
//! Responding to a reconciliation is stateless, so a node answers any peer that shares
//! the space whatever their ids.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt::Debug;
use std::hash::Hash;

use margin_core::id::{EntryId, SpaceId};
use negentropy::Negentropy;
use serde::{Deserialize, Serialize};

use crate::batch;
use crate::fetch::{Asked, Cursor, Flow, Range, Request};
use crate::items::Items;
use crate::limits::{
    MAX_FRAME_BYTES, MAX_HAVE_IDS, MAX_HELLO_SPACES, MAX_QUEUED_IDS, MAX_RECONCILE_ROUNDS,
    MAX_REQUEST_BYTES, MAX_WAITING_IDS, MAX_WANT_IDS, RECONCILE_FRAME_LIMIT,
};
use crate::message::Message;
use crate::penalty::{Offence, Penalty, Score, TokenBucket};

/// What the service needs from the host's store. Implemented by the node over SQLite and
/// by the simulator over memory.
pub trait Store {
    /// The `(time, id)` of every valid entry the host holds in `space`, in any order.
    /// Called once per space, when the service [joins](Service::join) it.
    fn items(&self, space: &SpaceId) -> Vec<(u64, EntryId)>;

    /// The bytes, exactly as stored, of those of `ids` the host holds in `space`; ids it
    /// does not hold are left out. Any order.
    fn entries(&self, space: &SpaceId, ids: &[EntryId]) -> Vec<Vec<u8>>;
}

/// The host's judgement of one entry it was [delivered](Output::Deliver).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Valid and stored; `time` is the entry's author time.
    Accepted { time: u64 },
    /// Valid, and the host already had it; `time` is the entry's author time. The service
    /// counts it as held (it may have been written since the service last looked).
    Duplicate { time: u64 },
    /// Kept aside until the entries it refers to arrive; not yet part of the space. The
    /// service does not fetch it again while it waits (up to
    /// [`Config::waiting_timeout`]), and reconciles to find what it waits for.
    Pending,
    /// Would wait for the entries it refers to, but the host had no room to keep it:
    /// fetched again later.
    Dropped,
    /// Not kept, by this node's choice (its author is blocked here): counted as held so
    /// that reconciliation stops offering it, and never announced. Not the peer's fault.
    Declined { time: u64 },
    /// Refused (bad signature, failed authorization, not canonical, ...). The peer that
    /// sent it is penalized.
    Invalid(String),
}

/// Something the host must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Output<P> {
    /// Send this message to the peer (encode it with [`Message::encode`]).
    Send(P, Message),
    /// Entries of `space` received from `from`, each one we asked for and whose BLAKE3
    /// hash matches the id we asked for. Decode, verify, authorize and store them, then
    /// report with [`Service::verdicts`].
    Deliver {
        from: P,
        space: SpaceId,
        entries: Vec<Vec<u8>>,
    },
    /// The peer misbehaved; the service has counted it. For the host's log and its own
    /// peer scoring.
    Penalize(P, Penalty),
    /// Close every connection to the peer. The service has forgotten it already.
    Disconnect(P, DisconnectReason),
    /// The peer holds spaces this node does not. A mirror that replicates whatever it is
    /// offered [joins](Service::join) them; other nodes ignore this.
    Offered(P, Vec<SpaceId>),
}

/// Why the service wants a peer gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DisconnectReason {
    /// Its misbehaviour score passed [`Config::ban_threshold`]; connections from it are
    /// refused until `until` (ms).
    Banned { until: u64, offence: Offence },
}

/// Tunables. All durations in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// How often the lower-id side of a link reconciles each shared space.
    pub reconcile_interval: u64,
    /// How long after a failed or unfinished reconciliation to try again, and after a
    /// reconciliation that found differences to confirm.
    pub retry_interval: u64,
    /// A reconciliation with no reply for this long is abandoned (not penalized).
    pub session_timeout: u64,
    /// A request is abandoned (not penalized; its ids can be fetched again) when the peer
    /// sent nothing at all for this long since it was sent: on a slow link an answer
    /// still arriving is never asked for again.
    pub request_timeout: u64,
    /// `Want`s outstanding to one peer.
    pub max_wants_in_flight: usize,
    /// Message tokens a peer starts with and can save up.
    pub rate_capacity: u32,
    /// Message tokens a peer earns per second.
    pub rate_per_second: u32,
    /// The score at which a peer is disconnected and banned.
    pub ban_threshold: u32,
    /// How long a ban lasts.
    pub ban_duration: u64,
    /// A peer's score loses one point per this many milliseconds.
    pub score_decay: u64,
    /// Accepted batches of at most this many entries are announced to other peers.
    pub relay_have_max: usize,
    /// An entry the host keeps waiting for its refs is not fetched again for this long
    /// (unless the host reports it decided).
    pub waiting_timeout: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            reconcile_interval: 60_000,
            retry_interval: 5_000,
            session_timeout: 30_000,
            request_timeout: 30_000,
            max_wants_in_flight: 2,
            rate_capacity: 2_000,
            rate_per_second: 500,
            ban_threshold: 100,
            ban_duration: 60 * 60 * 1000,
            score_decay: 10_000,
            relay_have_max: 64,
            waiting_timeout: 10 * 60 * 1000,
        }
    }
}

/// The sync state machine of one node. `P` is the transport's peer id; its order decides
/// which side of a link initiates reconciliation, so both sides must order ids alike.
#[derive(Debug)]
pub struct Service<P> {
    local: P,
    config: Config,
    spaces: BTreeMap<SpaceId, Items>,
    peers: BTreeMap<P, Peer>,
    bans: BTreeMap<P, Ban>,
    /// Every id asked for and not yet judged by the host, and whom it was asked from.
    fetching: HashMap<EntryId, P>,
    /// Entries the host keeps waiting for their refs, and until when they are not
    /// fetched again.
    waiting: HashMap<EntryId, u64>,
    /// What peers delivered per space, for progress reports.
    received: BTreeMap<SpaceId, Received>,
    /// The average size of entries peers delivered, to size `Want`s in bytes.
    entry_bytes: f64,
    next_session: u64,
    next_request: u64,
    out: Vec<Output<P>>,
}

#[derive(Debug, Clone, Copy)]
struct Ban {
    until: u64,
    offence: Offence,
}

#[derive(Debug)]
struct Peer {
    since: u64,
    /// The spaces the peer said it holds.
    spaces: BTreeSet<SpaceId>,
    /// Spaces the peer said it holds nothing of yet (it fetches them whole and then
    /// reconciles): no reconciliation of them is started with it meanwhile.
    empty: BTreeSet<SpaceId>,
    /// Whether its `Hello` arrived; until it does, ours asks for it again (`echo`) every
    /// retry interval, since a lost `Hello` would keep the spaces apart for good.
    heard: bool,
    next_hello: u64,
    /// Its clock less ours when its last `Hello` arrived (ms).
    clock_offset: Option<i64>,
    /// One per space both sides hold.
    links: BTreeMap<SpaceId, Link>,
    requests: BTreeMap<u64, Request>,
    flow: Flow,
    bucket: TokenBucket,
    score: Score,
    traffic: Traffic,
    /// Whether the log has said once that the peer's deliveries do not advance sync.
    warned: bool,
}

/// Entries peers delivered in one space (before the host judged them).
#[derive(Debug, Default, Clone, Copy, Serialize, Deserialize)]
pub struct Received {
    pub entries: u64,
    pub bytes: u64,
}

/// Sync messages exchanged with one peer. Bytes are the messages' own, before the
/// transport compresses the stream (what crosses the wire is counted by the kernel).
#[derive(Debug, Default, Clone, Copy, Serialize, Deserialize)]
pub struct Traffic {
    pub messages_in: u64,
    pub messages_out: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Entries the peer delivered that did not advance sync: already held, already
    /// waiting, or that the host had no room to keep.
    #[serde(default)]
    pub stale_entries: u64,
}

#[derive(Debug)]
struct Link {
    session: Option<Session>,
    next_reconcile: u64,
    in_sync: bool,
    last_sync: Option<u64>,
    /// Ids to fetch from this peer.
    queue: VecDeque<EntryId>,
    /// Fetching the whole space from this peer (this node held nothing of it).
    range: Option<Range>,
    /// A fetch of the whole space from this peer ended: it is not tried again on this
    /// link (the peer may hold nothing of it either).
    ranged: bool,
    /// Entries this peer delivered since the last reconciliation that advanced sync, and
    /// that did not.
    round_new: u64,
    round_stale: u64,
    /// Reconciliations in a row after which the peer delivered only entries that did not
    /// advance sync: each one doubles the wait before the next.
    fruitless: u32,
}

impl Link {
    fn new(now: u64) -> Self {
        Self {
            session: None,
            next_reconcile: now,
            in_sync: false,
            last_sync: None,
            queue: VecDeque::new(),
            range: None,
            ranged: false,
            round_new: 0,
            round_stale: 0,
            fruitless: 0,
        }
    }

    /// How long after a reconciliation that left something to fetch the next one
    /// confirms: `retry`, doubled per fruitless round, at most `cap`.
    fn confirm_delay(&self, retry: u64, cap: u64) -> u64 {
        retry
            .saturating_mul(1 << self.fruitless.min(16))
            .min(cap.max(retry))
    }
}

#[derive(Debug)]
struct Session {
    id: u64,
    round: u32,
    active: u64,
    have: Vec<EntryId>,
    need: Vec<EntryId>,
}

/// A protocol violation found while handling a message.
struct Fault {
    offence: Offence,
    detail: String,
}

impl Fault {
    fn new(offence: Offence, detail: impl ToString) -> Self {
        Self {
            offence,
            detail: detail.to_string(),
        }
    }
}

impl<P> Service<P>
where
    P: Clone + Ord + Hash + Debug,
{
    /// A service for the node whose own peer id is `local`, holding no spaces yet.
    pub fn new(local: P, config: Config) -> Self {
        Self {
            local,
            config,
            spaces: BTreeMap::new(),
            peers: BTreeMap::new(),
            bans: BTreeMap::new(),
            fetching: HashMap::new(),
            waiting: HashMap::new(),
            received: BTreeMap::new(),
            entry_bytes: 1024.0,
            next_session: 0,
            next_request: 0,
            out: Vec::new(),
        }
    }

    pub fn local(&self) -> &P {
        &self.local
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Starts replicating `space`, with the items the store holds for it. Tells connected
    /// peers, and reconciles with those that hold it too.
    pub fn join<S: Store + ?Sized>(
        &mut self,
        now: u64,
        space: SpaceId,
        store: &S,
    ) -> Vec<Output<P>> {
        if let std::collections::btree_map::Entry::Vacant(entry) = self.spaces.entry(space) {
            entry.insert(Items::new(store.items(&space)));
            tracing::debug!(target: "sync", space = %space.short(), "joined space");
            self.announce_spaces(now);
        }
        self.take()
    }

    /// Stops replicating `space`.
    pub fn leave(&mut self, now: u64, space: &SpaceId) -> Vec<Output<P>> {
        if self.spaces.remove(space).is_some() {
            for peer in self.peers.values_mut() {
                peer.links.remove(space);
                peer.requests.retain(|_, request| request.space != *space);
            }
            let peers = &self.peers;
            self.fetching.retain(|_, peer| {
                peers
                    .get(peer)
                    .is_some_and(|p| p.requests.values().any(|r| r.space != *space))
            });
            self.announce_spaces(now);
        }
        self.take()
    }

    /// The spaces this node replicates.
    pub fn spaces(&self) -> impl Iterator<Item = &SpaceId> {
        self.spaces.keys()
    }

    /// Whether this node replicates `space`.
    pub fn holds_space(&self, space: &SpaceId) -> bool {
        self.spaces.contains_key(space)
    }

    /// Whether the entry is in the reconciliation set of `space`.
    pub fn holds(&self, space: &SpaceId, id: &EntryId) -> bool {
        self.spaces
            .get(space)
            .is_some_and(|items| items.contains(id))
    }

    /// Reconciles `space` with every peer that holds it, now, whichever side usually
    /// initiates (a script waiting until the node is in sync asks for this).
    pub fn reconcile_now(&mut self, now: u64, space: &SpaceId) -> Vec<Output<P>> {
        if !self.ranging(space) {
            self.reconcile_with_all(now, space);
        }
        self.take()
    }

    /// A connection to `peer` is open. A banned peer gets [`Output::Disconnect`] back.
    pub fn connected(&mut self, now: u64, peer: P) -> Vec<Output<P>> {
        if let Some(ban) = self.bans.get(&peer).copied() {
            if ban.until > now {
                self.out.push(Output::Disconnect(
                    peer,
                    DisconnectReason::Banned {
                        until: ban.until,
                        offence: ban.offence,
                    },
                ));
                return self.take();
            }
            self.bans.remove(&peer);
        }
        tracing::debug!(target: "sync", ?peer, "peer connected");
        let config = &self.config;
        self.peers.entry(peer.clone()).or_insert_with(|| Peer {
            since: now,
            spaces: BTreeSet::new(),
            empty: BTreeSet::new(),
            heard: false,
            next_hello: now.saturating_add(config.retry_interval),
            clock_offset: None,
            links: BTreeMap::new(),
            requests: BTreeMap::new(),
            flow: Flow::default(),
            bucket: TokenBucket::full(config.rate_capacity, now),
            score: Score::new(now),
            traffic: Traffic::default(),
            warned: false,
        });
        let hello = self.hello(now, true);
        self.send(&peer, hello);
        self.take()
    }

    /// Every connection to `peer` is closed. What was asked of it can be fetched again.
    pub fn disconnected(&mut self, now: u64, peer: &P) -> Vec<Output<P>> {
        if self.peers.contains_key(peer) {
            tracing::debug!(target: "sync", ?peer, "peer disconnected");
            self.forget(now, peer);
        }
        self.take()
    }

    /// A frame arrived from `from`.
    pub fn received<S: Store + ?Sized>(
        &mut self,
        now: u64,
        from: &P,
        frame: &[u8],
        store: &S,
    ) -> Vec<Output<P>> {
        let Some(peer) = self.peers.get_mut(from) else {
            return self.take();
        };
        peer.traffic.messages_in += 1;
        peer.traffic.bytes_in += frame.len() as u64;
        if frame.len() > MAX_FRAME_BYTES {
            let fault = Fault::new(
                Offence::OversizeFrame,
                format!("{}-byte frame, limit {MAX_FRAME_BYTES}", frame.len()),
            );
            self.penalize(now, from, fault);
            return self.take();
        }
        let message = match Message::decode(frame) {
            Ok(message) => message,
            Err(error) => {
                self.penalize(now, from, Fault::new(Offence::MalformedMessage, error));
                return self.take();
            }
        };
        let cost = match &message {
            Message::Want { ids, .. } => 1 + ids.len() / 64,
            Message::WantRange { max_bytes, .. } => {
                1 + (*max_bytes as usize).min(MAX_REQUEST_BYTES) / (32 * 1024)
            }
            Message::Reconcile { .. } => 4,
            _ => 1,
        };
        let cost = u32::try_from(cost).expect("a request's cost is bounded by its limits");
        let config = &self.config;
        if !peer
            .bucket
            .take(now, config.rate_capacity, config.rate_per_second, cost)
        {
            let fault = Fault::new(Offence::RateLimited, format!("{} dropped", message.kind()));
            self.penalize(now, from, fault);
            return self.take();
        }
        tracing::trace!(target: "sync", ?from, ?message, "received");
        if let Err(fault) = self.handle(now, from, message, store) {
            self.penalize(now, from, fault);
        }
        self.take()
    }

    /// Time passed: start due reconciliations, abandon stale ones and stale requests.
    /// Call every second or so.
    pub fn tick(&mut self, now: u64) -> Vec<Output<P>> {
        self.bans.retain(|_, ban| ban.until > now);
        self.waiting.retain(|_, until| *until > now);
        let session_timeout = self.config.session_timeout;
        let request_timeout = self.config.request_timeout;
        let retry = self.config.retry_interval;
        let mut expired: Vec<(P, u64)> = vec![];
        for (peer_id, peer) in self.peers.iter() {
            // A peer answers requests in the order they were sent: a request's turn
            // begins when the answer before it completed. It is given up when nothing of
            // its answer arrived for the request timeout since its turn began or since
            // its last part; its ids can then be fetched again.
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
        for (peer, request) in expired {
            tracing::debug!(target: "sync", ?peer, request, "request timed out");
            self.give_up(&peer, request);
        }
        for peer in self.peers.values_mut() {
            for link in peer.links.values_mut() {
                if link
                    .session
                    .as_ref()
                    .is_some_and(|session| session.active + session_timeout <= now)
                {
                    link.session = None;
                    link.next_reconcile = now + retry;
                }
            }
        }
        let unheard: Vec<P> = self
            .peers
            .iter()
            .filter(|(_, peer)| !peer.heard && peer.next_hello <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for peer in unheard {
            tracing::debug!(target: "sync", ?peer, "no hello from the peer yet; asking again");
            if let Some(p) = self.peers.get_mut(&peer) {
                p.next_hello = now.saturating_add(retry);
            }
            let hello = self.hello(now, true);
            self.send(&peer, hello);
        }
        self.drive_all(now);
        self.take()
    }

    /// Entries were written locally (authored here, or imported): add them to the
    /// reconciliation set and tell peers that hold `space` (by id when they are few, by
    /// reconciling when they are many).
    pub fn inserted(
        &mut self,
        now: u64,
        space: &SpaceId,
        items: &[(u64, EntryId)],
    ) -> Vec<Output<P>> {
        let Some(set) = self.spaces.get_mut(space) else {
            return self.take();
        };
        let new: Vec<EntryId> = items
            .iter()
            .filter(|(time, id)| set.insert(*time, *id))
            .map(|(_, id)| *id)
            .collect();
        for (_, id) in items {
            self.fetching.remove(id);
            self.waiting.remove(id);
        }
        // A few are announced by id; many at once (a bundle imported) are found by each
        // peer's reconciliation, which costs less than listing them all to everyone.
        if new.len() <= self.config.relay_have_max {
            self.announce(space, &new, None);
        } else if !new.is_empty() && !self.ranging(space) {
            self.reconcile_with_all(now, space);
        }
        self.take()
    }

    /// The host's verdicts on entries [delivered](Output::Deliver) from `from`.
    pub fn verdicts(
        &mut self,
        now: u64,
        from: &P,
        space: &SpaceId,
        verdicts: &[(EntryId, Verdict)],
    ) -> Vec<Output<P>> {
        let mut accepted = Vec::new();
        let mut invalid = Vec::new();
        let mut gap = false;
        // Entries that moved sync forward, and entries that did not (already held, already
        // waiting, not kept): a peer whose deliveries never advance is noticed.
        let (mut new, mut stale) = (0u64, 0u64);
        for (id, verdict) in verdicts {
            self.fetching.remove(id);
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
                Verdict::Invalid(reason) => {
                    self.waiting.remove(id);
                    invalid.push((*id, reason));
                }
            }
        }
        if let Some(peer) = self.peers.get_mut(from) {
            peer.traffic.stale_entries += stale;
            if let Some(link) = peer.links.get_mut(space) {
                link.round_new += new;
                link.round_stale += stale;
            }
        }
        // What waits is found by reconciling, unless the space is being fetched whole
        // (which brings it, and reconciles at its end).
        if gap && !self.ranging(space) {
            self.reconcile_soon(now, from, space);
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
        self.take()
    }

    /// A gossip announcement from `from` (the peer that passed it on) named these entries
    /// of `space`: fetch those this node lacks from it, as for [`Message::Have`].
    pub fn announced(
        &mut self,
        now: u64,
        from: &P,
        space: &SpaceId,
        ids: &[EntryId],
    ) -> Vec<Output<P>> {
        if self.ranging(space) {
            return self.take(); // the space is being fetched whole
        }
        let Some(items) = self.spaces.get(space) else {
            return self.take();
        };
        let lacking = Lacking {
            items,
            fetching: &self.fetching,
            waiting: &self.waiting,
        };
        if let Some(link) = self
            .peers
            .get_mut(from)
            .and_then(|peer| peer.links.get_mut(space))
        {
            lacking.enqueue(link, ids.iter().copied());
        }
        self.pump(now, from);
        self.take()
    }

    /// An entry of `space` that `from` passed on outside a fetch (by gossip) was judged by
    /// the host. An invalid one counts against the peer; one waiting for its refs shows a
    /// gap, which a reconciliation with that peer closes.
    pub fn gossip_verdict(
        &mut self,
        now: u64,
        from: &P,
        space: &SpaceId,
        id: &EntryId,
        verdict: &Verdict,
    ) -> Vec<Output<P>> {
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
                    self.reconcile_soon(now, from, space);
                }
            }
            Verdict::Dropped => {}
            Verdict::Invalid(reason) => {
                self.waiting.remove(id);
                let fault = Fault::new(
                    Offence::InvalidEntry,
                    format!("gossiped entry {}: {reason}", id.short()),
                );
                self.penalize(now, from, fault);
            }
        }
        self.take()
    }

    /// Counts an offence the host saw on the peer's traffic outside this protocol's
    /// frames: a frame refused by the transport for its size, a malformed gossip message.
    pub fn offence(
        &mut self,
        now: u64,
        peer: &P,
        offence: Offence,
        detail: impl ToString,
    ) -> Vec<Output<P>> {
        self.penalize(now, peer, Fault::new(offence, detail));
        self.take()
    }

    /// Whether connections from `peer` are refused at `now`.
    pub fn is_banned(&self, peer: &P, now: u64) -> bool {
        self.bans.get(peer).is_some_and(|ban| ban.until > now)
    }

    /// How far the connected peers' clocks are from ours, in ms (the median of what
    /// their `Hello`s said, less the time they took to arrive): positive when theirs are
    /// ahead. `None` without peers.
    pub fn clock_offset(&self) -> Option<i64> {
        let mut offsets: Vec<i64> = self.peers.values().filter_map(|p| p.clock_offset).collect();
        if offsets.is_empty() {
            return None;
        }
        offsets.sort_unstable();
        Some(offsets[offsets.len() / 2])
    }

    /// The peers the service considers connected.
    pub fn peers(&self) -> impl Iterator<Item = &P> {
        self.peers.keys()
    }

    /// A snapshot for `margin sync status`.
    pub fn status(&self, now: u64) -> Status<P> {
        let spaces = self
            .spaces
            .iter()
            .map(|(space, items)| SpaceStatus {
                space: space.to_hex(),
                entries: items.len(),
                received: self.received.get(space).copied().unwrap_or_default(),
            })
            .collect();
        let peers = self
            .peers
            .iter()
            .map(|(id, peer)| PeerStatus {
                peer: id.clone(),
                connected_since: peer.since,
                initiator: self.local < *id,
                score: peer.score.current(now, self.config.score_decay),
                traffic: peer.traffic,
                rate: peer.flow.bytes_per_second(),
                spaces: peer
                    .links
                    .iter()
                    .map(|(space, link)| {
                        let requests = peer.requests.values().filter(|r| r.space == *space);
                        let in_flight: usize = requests
                            .clone()
                            .map(|r| match &r.asked {
                                Asked::Ids { outstanding, .. } => outstanding.len(),
                                Asked::Range { .. } => 0,
                            })
                            .sum();
                        let fetching_whole = link.range.is_some();
                        LinkStatus {
                            space: space.to_hex(),
                            in_sync: link.in_sync
                                && link.queue.is_empty()
                                && requests.count() == 0
                                && !fetching_whole,
                            reconciling: link.session.is_some(),
                            pending: link.queue.len() + in_flight,
                            last_sync: link.last_sync,
                            fetching_whole,
                        }
                    })
                    .collect(),
            })
            .collect();
        let banned = self
            .bans
            .iter()
            .filter(|(_, ban)| ban.until > now)
            .map(|(peer, ban)| BanStatus {
                peer: peer.clone(),
                until: ban.until,
                offence: ban.offence,
            })
            .collect();
        Status {
            now,
            spaces,
            peers,
            banned,
            fetching: self.fetching.len(),
            clock_offset: self.clock_offset(),
        }
    }

    // ----- message handling -----

    fn handle<S: Store + ?Sized>(
        &mut self,
        now: u64,
        from: &P,
        message: Message,
        store: &S,
    ) -> Result<(), Fault> {
        match message {
            Message::Hello {
                spaces,
                empty,
                echo,
                now: theirs,
            } => {
                let offered: Vec<SpaceId> = spaces
                    .iter()
                    .filter(|space| !self.spaces.contains_key(*space))
                    .copied()
                    .collect();
                if let Some(peer) = self.peers.get_mut(from) {
                    peer.empty = empty.into_iter().filter(|s| spaces.contains(s)).collect();
                    peer.spaces = spaces.into_iter().collect();
                    peer.heard = true;
                    let offset = i128::from(theirs) - i128::from(now);
                    peer.clock_offset =
                        Some(offset.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64);
                }
                if echo {
                    let hello = self.hello(now, false);
                    self.send(from, hello);
                }
                if !offered.is_empty() {
                    self.out.push(Output::Offered(from.clone(), offered));
                }
                self.refresh_links(now, from);
                Ok(())
            }
            Message::Reconcile {
                space,
                session,
                round,
                payload,
            } => {
                self.check_shared(now, from, &space)?;
                if let Some(peer) = self.peers.get_mut(from) {
                    // A peer that fetched a space whole reconciles when it is done.
                    peer.empty.remove(&space);
                }
                let items = self.spaces.get_mut(&space).expect("checked shared");
                let mut negentropy = Negentropy::borrowed(items.sealed(), RECONCILE_FRAME_LIMIT)
                    .expect("the frame limit is above negentropy's minimum");
                let reply = negentropy
                    .reconcile(&payload)
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
            Message::ReconcileReply {
                space,
                session,
                round,
                payload,
            } => self.reconcile_reply(now, from, space, session, round, &payload),
            Message::Done {
                space,
                you_lack,
                i_lack,
                ..
            } => {
                self.check_shared(now, from, &space)?;
                let link = self.link(from, &space).expect("checked shared");
                link.in_sync = you_lack == 0 && i_lack == 0;
                link.last_sync = Some(now);
                Ok(())
            }
            Message::Have { space, ids } => {
                self.check_shared(now, from, &space)?;
                if self.ranging(&space) {
                    return Ok(()); // the space is being fetched whole
                }
                let lacking = Lacking {
                    items: &self.spaces[&space],
                    fetching: &self.fetching,
                    waiting: &self.waiting,
                };
                let peer = self.peers.get_mut(from).expect("checked shared");
                let link = peer.links.get_mut(&space).expect("checked shared");
                lacking.enqueue(link, ids.into_iter());
                self.pump(now, from);
                Ok(())
            }
            Message::Want {
                space,
                request,
                ids,
            } => {
                self.check_shared(now, from, &space)?;
                let mut unique = HashSet::new();
                let ids: Vec<EntryId> = ids.into_iter().filter(|id| unique.insert(*id)).collect();
                let entries = store.entries(&space, &ids);
                self.answer(from, space, request, &entries, None);
                Ok(())
            }
            Message::WantRange {
                space,
                request,
                after,
                max_bytes,
            } => {
                self.check_shared(now, from, &space)?;
                let budget = (max_bytes as usize).clamp(1, MAX_REQUEST_BYTES);
                let items = self.spaces.get_mut(&space).expect("checked shared");
                let mut following = items.after(after).peekable();
                let (mut entries, mut bytes, mut last) = (Vec::new(), 0usize, None);
                // Read a few at a time, so a page ends close to its budget.
                while bytes < budget && following.peek().is_some() {
                    let chunk: Vec<(u64, EntryId)> = following.by_ref().take(16).collect();
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
            Message::Entries {
                space,
                request,
                count,
                last,
                resume,
                batch,
            } => self.entries(now, from, space, request, count, last, resume, &batch),
        }
    }

    fn reconcile_reply(
        &mut self,
        now: u64,
        from: &P,
        space: SpaceId,
        session: u64,
        round: u32,
        payload: &[u8],
    ) -> Result<(), Fault> {
        self.check_shared(now, from, &space)?;
        let items = self.spaces.get_mut(&space).expect("checked shared");
        let peer = self.peers.get_mut(from).expect("checked shared");
        let link = peer.links.get_mut(&space).expect("checked shared");
        let Some(current) = link.session.as_mut() else {
            return Ok(()); // a late or duplicated reply: harmless
        };
        if current.id != session || current.round != round {
            return Ok(());
        }
        let mut negentropy = Negentropy::borrowed(items.sealed(), RECONCILE_FRAME_LIMIT)
            .expect("the frame limit is above negentropy's minimum");
        negentropy.set_initiator();
        let mut have = Vec::new();
        let mut need = Vec::new();
        let next = match negentropy.reconcile_with_ids(payload, &mut have, &mut need) {
            Ok(next) => next,
            Err(error) => {
                link.session = None;
                link.next_reconcile = now + self.config.retry_interval;
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
                self.send(from, message);
            }
            Some(_) => {
                tracing::debug!(target: "sync", ?from, space = %space.short(), "reconciliation took too many rounds");
                link.session = None;
                link.next_reconcile = now + self.config.retry_interval;
            }
            None => self.finish_session(now, from, space),
        }
        Ok(())
    }

    fn finish_session(&mut self, now: u64, from: &P, space: SpaceId) {
        let ranging = self.ranging(&space);
        let lacking = Lacking {
            items: &self.spaces[&space],
            fetching: &self.fetching,
            waiting: &self.waiting,
        };
        let peer = self.peers.get_mut(from).expect("caller checked the link");
        let link = peer.links.get_mut(&space).expect("caller checked the link");
        let mut session = link.session.take().expect("caller checked the session");
        // Negentropy lists what it found in no set order; fetch in id order, so a run
        // replays exactly. While the space is fetched whole, that brings it.
        session.need.sort_unstable();
        if !ranging {
            lacking.enqueue(link, session.need.iter().copied());
        }
        link.in_sync = session.have.is_empty() && session.need.is_empty();
        link.last_sync = Some(now);
        link.next_reconcile = now + self.config.reconcile_interval;
        // A peer whose deliveries since the last reconciliation did not advance sync,
        // while this one again finds something lacking, is looping: wait longer each
        // time before confirming with it, and say so once.
        if session.need.is_empty() || link.round_new > 0 {
            link.fruitless = 0;
        } else if link.round_stale > 0 {
            link.fruitless += 1;
            if link.fruitless >= 3 && !peer.warned {
                peer.warned = true;
                tracing::warn!(
                    target: "sync",
                    peer = ?from,
                    space = %space.short(),
                    stale = peer.traffic.stale_entries,
                    "the peer's entries do not advance sync (already held, waiting, or not kept); slowing down reconciliation with it"
                );
            }
        }
        link.round_new = 0;
        link.round_stale = 0;
        tracing::debug!(
            target: "sync",
            ?from,
            space = %space.short(),
            rounds = session.round + 1,
            they_lack = session.have.len(),
            we_lack = session.need.len(),
            "reconciled"
        );
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

    /// Sends `entries` to `to` as the answer to `request`, in parts.
    fn answer(
        &mut self,
        to: &P,
        space: SpaceId,
        request: u64,
        entries: &[Vec<u8>],
        resume: Option<(u64, EntryId)>,
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

    #[allow(clippy::too_many_arguments)]
    fn entries(
        &mut self,
        now: u64,
        from: &P,
        space: SpaceId,
        request: u64,
        count: u32,
        last: bool,
        resume: Option<(u64, EntryId)>,
        raw: &[u8],
    ) -> Result<(), Fault> {
        let Some(peer) = self.peers.get_mut(from) else {
            return Ok(());
        };
        let Some(asked) = peer.requests.get_mut(&request) else {
            return Ok(()); // answered after we gave up, or duplicated: harmless
        };
        if asked.space != space {
            return Err(Fault::new(
                Offence::UnsolicitedEntry,
                format!("entries for request {request} in the wrong space"),
            ));
        }
        let part = raw.len() as u64;
        let decoded = match batch::decode(raw, count) {
            Ok(decoded) if asked.fits(part) => decoded,
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
            let finished = peer.requests.remove(&request).expect("just found");
            peer.flow.completed(now, finished.sent, finished.bytes);
            if let Asked::Ids { outstanding, .. } = finished.asked {
                for id in outstanding {
                    if self.fetching.get(&id) == Some(from) {
                        self.fetching.remove(&id);
                    }
                }
            }
        }
        if !delivered.is_empty() {
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
        self.end_range_if_done(now, from, &space);
        self.pump(now, from);
        if unsolicited > 0 {
            return Err(Fault::new(
                Offence::UnsolicitedEntry,
                format!("{unsolicited} entries not asked for (or not matching their ids)"),
            ));
        }
        Ok(())
    }

    /// Forgets a request whose answer cannot be used; what it asked for can be asked for
    /// again.
    fn give_up(&mut self, peer_id: &P, request: u64) {
        let Some(peer) = self.peers.get_mut(peer_id) else {
            return;
        };
        let Some(given_up) = peer.requests.remove(&request) else {
            return;
        };
        match given_up.asked {
            Asked::Ids { outstanding, .. } => {
                for id in outstanding {
                    if self.fetching.get(&id) == Some(peer_id) {
                        self.fetching.remove(&id);
                    }
                }
            }
            Asked::Range { after, .. } => {
                if let Some(range) = peer
                    .links
                    .get_mut(&given_up.space)
                    .and_then(|l| l.range.as_mut())
                {
                    range.restart_from(after);
                }
            }
        }
    }

    /// Whether the space is being fetched whole from some peer.
    fn ranging(&self, space: &SpaceId) -> bool {
        self.peers
            .values()
            .any(|peer| peer.links.get(space).is_some_and(|l| l.range.is_some()))
    }

    /// When the last page of a space fetched whole from `peer_id` has arrived: the fetch
    /// is over, and the node reconciles the space with every peer that holds it, to
    /// confirm and to find what changed meanwhile.
    fn end_range_if_done(&mut self, now: u64, peer_id: &P, space: &SpaceId) {
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
        let held = self.spaces.get(space).map_or(0, Items::len);
        tracing::debug!(
            target: "sync",
            peer = ?peer_id,
            space = %space.short(),
            entries = held,
            "fetched the space whole"
        );
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
        self.reconcile_with_all(now, space);
    }

    /// Starts a reconciliation of `space` with every peer that holds it and is idle.
    fn reconcile_with_all(&mut self, now: u64, space: &SpaceId) {
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

    // ----- driving -----

    /// Our `Hello`; with `echo`, asking for the peer's (again).
    fn hello(&self, now: u64, echo: bool) -> Message {
        let spaces: Vec<SpaceId> = self.spaces.keys().take(MAX_HELLO_SPACES).copied().collect();
        let empty = spaces
            .iter()
            .filter(|space| self.spaces[*space].is_empty())
            .copied()
            .collect();
        Message::Hello {
            spaces,
            empty,
            echo,
            now,
        }
    }

    fn announce_spaces(&mut self, now: u64) {
        let hello = self.hello(now, false);
        let peers: Vec<P> = self.peers.keys().cloned().collect();
        for peer in peers {
            self.send(&peer, hello.clone());
            self.refresh_links(now, &peer);
        }
    }

    /// Sends `Have` for `ids` to every peer linked in `space` but `except`.
    fn announce(&mut self, space: &SpaceId, ids: &[EntryId], except: Option<&P>) {
        if ids.is_empty() {
            return;
        }
        let peers: Vec<P> = self
            .peers
            .iter()
            .filter(|(peer, state)| Some(*peer) != except && state.links.contains_key(space))
            .map(|(peer, _)| peer.clone())
            .collect();
        for peer in peers {
            for chunk in ids.chunks(MAX_HAVE_IDS) {
                let have = Message::Have {
                    space: *space,
                    ids: chunk.to_vec(),
                };
                self.send(&peer, have);
            }
        }
    }

    /// Brings the peer's links in line with the spaces both sides hold.
    fn refresh_links(&mut self, now: u64, peer_id: &P) {
        let Some(peer) = self.peers.get_mut(peer_id) else {
            return;
        };
        let spaces = &self.spaces;
        peer.links
            .retain(|space, _| spaces.contains_key(space) && peer.spaces.contains(space));
        for space in peer
            .spaces
            .iter()
            .filter(|space| spaces.contains_key(*space))
        {
            peer.links.entry(*space).or_insert_with(|| Link::new(now));
        }
        // A space this node holds nothing of is fetched whole, from one peer at a time.
        let linked: Vec<SpaceId> = peer.links.keys().copied().collect();
        for space in linked {
            let tried = self
                .peers
                .get(peer_id)
                .and_then(|p| p.links.get(&space))
                .is_some_and(|l| l.ranged);
            if self.spaces[&space].is_empty() && !tried && !self.ranging(&space) {
                tracing::debug!(target: "sync", peer = ?peer_id, space = %space.short(), "fetching the space whole");
                if let Some(link) = self.link(peer_id, &space) {
                    link.range = Some(Range::start());
                }
            }
        }
        self.drive(now, peer_id);
    }

    fn drive_all(&mut self, now: u64) {
        let peers: Vec<P> = self.peers.keys().cloned().collect();
        for peer in peers {
            self.drive(now, &peer);
        }
    }

    /// Starts the reconciliations that are due with one peer, then fetches.
    fn drive(&mut self, now: u64, peer_id: &P) {
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
                        .is_some_and(|at| at + link.confirm_delay(retry, cap) <= now)
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

    /// Reconciles `space` with the peer now, whichever side usually initiates, unless a
    /// session is already running.
    fn reconcile_soon(&mut self, now: u64, peer_id: &P, space: &SpaceId) {
        let idle = self
            .link(peer_id, space)
            .is_some_and(|link| link.session.is_none());
        if idle {
            self.start_session(now, peer_id, *space);
        }
    }

    fn start_session(&mut self, now: u64, peer_id: &P, space: SpaceId) {
        let Some(items) = self.spaces.get_mut(&space) else {
            return;
        };
        let mut negentropy = Negentropy::borrowed(items.sealed(), RECONCILE_FRAME_LIMIT)
            .expect("the frame limit is above negentropy's minimum");
        let payload = match negentropy.initiate() {
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

    /// Sends requests to the peer while there is something to ask for and room for it:
    /// the next pages of spaces fetched whole (two in flight, so the link never waits
    /// for a round trip), then `Want`s of queued ids, each sized to what the link
    /// carries.
    fn pump(&mut self, now: u64, peer_id: &P) {
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
                let items = &self.spaces[space];
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

    fn send(&mut self, peer_id: &P, message: Message) {
        if let Some(peer) = self.peers.get_mut(peer_id) {
            send(&mut self.out, peer_id, &mut peer.traffic, message);
        }
    }

    fn penalize(&mut self, now: u64, peer_id: &P, fault: Fault) {
        let Some(peer) = self.peers.get_mut(peer_id) else {
            return;
        };
        let severity = fault.offence.severity();
        tracing::debug!(target: "sync", peer = ?peer_id, offence = ?fault.offence, detail = %fault.detail, "penalized");
        let score = peer
            .score
            .add(now, self.config.score_decay, severity.points());
        self.out.push(Output::Penalize(
            peer_id.clone(),
            Penalty {
                offence: fault.offence,
                severity,
                detail: fault.detail,
            },
        ));
        if score >= self.config.ban_threshold {
            let until = now.saturating_add(self.config.ban_duration);
            tracing::info!(target: "sync", peer = ?peer_id, offence = ?fault.offence, until, "banned");
            self.bans.insert(
                peer_id.clone(),
                Ban {
                    until,
                    offence: fault.offence,
                },
            );
            self.forget(now, peer_id);
            self.out.push(Output::Disconnect(
                peer_id.clone(),
                DisconnectReason::Banned {
                    until,
                    offence: fault.offence,
                },
            ));
        }
    }

    /// Forgets a peer that went away or was banned: what was asked of it can be asked of
    /// others, and a space fetched whole from it is fetched from another peer.
    fn forget(&mut self, now: u64, peer: &P) {
        self.peers.remove(peer);
        self.fetching.retain(|_, from| from != peer);
        let others: Vec<P> = self.peers.keys().cloned().collect();
        for other in others {
            self.refresh_links(now, &other);
        }
    }

    /// Checks that we hold `space`; a peer speaking about it evidently holds it too, even
    /// if its `Hello` has not arrived yet, so the link is made if missing.
    fn check_shared(&mut self, now: u64, from: &P, space: &SpaceId) -> Result<(), Fault> {
        let held = self.spaces.contains_key(space);
        match self.peers.get_mut(from) {
            Some(peer) if held => {
                if peer.spaces.insert(*space) {
                    peer.links.insert(*space, Link::new(now));
                }
                Ok(())
            }
            _ => Err(Fault::new(
                Offence::UnsharedSpace,
                format!("space {} is not held here", space.short()),
            )),
        }
    }

    fn link(&mut self, peer: &P, space: &SpaceId) -> Option<&mut Link> {
        self.peers.get_mut(peer)?.links.get_mut(space)
    }

    /// Counts an entry the host holds as held; returns whether it was new to the set.
    fn hold(&mut self, space: &SpaceId, time: u64, id: &EntryId) -> bool {
        self.waiting.remove(id);
        self.spaces
            .get_mut(space)
            .is_some_and(|set| set.insert(time, *id))
    }

    /// The host keeps the entry waiting for its refs: do not fetch it again meanwhile.
    fn wait(&mut self, now: u64, id: &EntryId) {
        if self.waiting.len() < MAX_WAITING_IDS {
            self.waiting
                .insert(*id, now.saturating_add(self.config.waiting_timeout));
        }
    }

    fn take(&mut self) -> Vec<Output<P>> {
        std::mem::take(&mut self.out)
    }
}

/// What a node lacks in one space: ids it neither holds, nor is fetching, nor keeps
/// waiting for their refs.
struct Lacking<'a, P> {
    items: &'a Items,
    fetching: &'a HashMap<EntryId, P>,
    waiting: &'a HashMap<EntryId, u64>,
}

impl<P> Lacking<'_, P> {
    fn lacks(&self, id: &EntryId) -> bool {
        !self.items.contains(id)
            && !self.fetching.contains_key(id)
            && !self.waiting.contains_key(id)
    }

    /// Queues on the link those of `ids` the node lacks, up to the queue's bound.
    fn enqueue(&self, link: &mut Link, ids: impl Iterator<Item = EntryId>) {
        for id in ids {
            if link.queue.len() >= MAX_QUEUED_IDS {
                break;
            }
            if self.lacks(&id) {
                link.queue.push_back(id);
            }
        }
    }
}

fn send<P: Clone>(out: &mut Vec<Output<P>>, peer_id: &P, traffic: &mut Traffic, message: Message) {
    traffic.messages_out += 1;
    traffic.bytes_out += message.encoded_len() as u64;
    out.push(Output::Send(peer_id.clone(), message));
}

/// What `margin sync status` shows.
#[derive(Debug, Clone, Serialize)]
pub struct Status<P> {
    pub now: u64,
    pub spaces: Vec<SpaceStatus>,
    pub peers: Vec<PeerStatus<P>>,
    pub banned: Vec<BanStatus<P>>,
    /// Entries asked for and not yet judged by the host.
    pub fetching: usize,
    /// How far the peers' clocks are from this node's (see [`Service::clock_offset`]).
    #[serde(default)]
    pub clock_offset: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SpaceStatus {
    pub space: String,
    /// Valid entries held.
    pub entries: usize,
    /// What peers delivered since the node started.
    pub received: Received,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeerStatus<P> {
    pub peer: P,
    pub connected_since: u64,
    /// Whether this node initiates the scheduled reconciliations on this link.
    pub initiator: bool,
    pub score: u32,
    pub traffic: Traffic,
    /// How fast the peer's answers arrived lately, bytes per second (before the
    /// transport's compression); `None` until one was large enough to time.
    #[serde(default)]
    pub rate: Option<u64>,
    pub spaces: Vec<LinkStatus>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkStatus {
    pub space: String,
    /// The node held nothing of the space and is fetching it whole from this peer.
    #[serde(default)]
    pub fetching_whole: bool,
    /// The last reconciliation found no difference and nothing is left to fetch.
    pub in_sync: bool,
    pub reconciling: bool,
    /// Entries queued or requested from this peer.
    pub pending: usize,
    pub last_sync: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BanStatus<P> {
    pub peer: P,
    pub until: u64,
    pub offence: Offence,
}
