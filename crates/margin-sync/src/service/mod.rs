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
//!    the link carries (see the `fetch` module) with at most
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
//!
//! # Where each job lives
//!
//! This file holds what the host hands in and gets back, the [`Service`], and the events
//! it takes, each handed on to the file of its job:
//!
//! - `peers`: connections, the `Hello` exchange, and the link a peer has in each space
//!   both sides hold (`Service::shared` finds it for a message about a space);
//! - `reconcile`: negentropy sessions, on both sides, and when they are due;
//! - `requests`: what this node asks peers for (`Want`, `WantRange`), their answers,
//!   timeouts and give-ups, and spaces fetched whole;
//! - `serve`: answering what peers ask for;
//! - `verdicts`: entries the host took in (judged after a fetch or gossip, or written
//!   here), and announcing the new ones;
//! - `penalties`: faults, rate limits, scores and bans;
//! - `status`: the snapshot for `margin sync status`, and the counters it shows.

mod peers;
mod penalties;
mod reconcile;
mod requests;
mod serve;
mod status;
mod verdicts;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Debug;
use std::hash::Hash;
use std::time::Duration;

use margin_core::Timestamp;
use margin_core::id::{EntryId, SpaceId};
use serde::Serialize;

use crate::batch;
use crate::items::Items;
use crate::limits::{MAX_BATCH_BYTES, MAX_FRAME_BYTES};
use crate::message::{Message, Place};
use crate::penalty::{Offence, Penalty};

use peers::{Peer, Standing};
use penalties::{Ban, Fault};
use reconcile::Scope;
pub use status::{BanStatus, LinkStatus, PeerStatus, Received, SpaceStatus, Status, Traffic};

/// What the service needs from the host's store. Implemented by the node over SQLite and
/// by the simulator over memory.
pub trait Store {
    /// The `(time, id)` of every valid entry the host holds in `space`, in any order.
    /// Called once per space, when the service [joins](Service::join) it.
    fn items(&self, space: &SpaceId) -> Vec<(Timestamp, EntryId)>;

    /// The bytes, exactly as stored, of those of `ids` the host holds in `space`; ids it
    /// does not hold are left out. Any order.
    fn entries(&self, space: &SpaceId, ids: &[EntryId]) -> Vec<Vec<u8>>;

    /// The places of the entries of `space` that follow `after` in reading order (made
    /// with [`Place::new`] from each entry's [`Part`](crate::message::Part)), at most
    /// `limit` of them, in that order: how a node that holds nothing of a space is sent
    /// it, what a reader needs first coming first. `None` when the host keeps no reading
    /// order: the service then pages by `(time, id)`.
    fn reading(&self, space: &SpaceId, after: Option<Place>, limit: usize) -> Option<Vec<Place>> {
        let _ = (space, after, limit);
        None
    }

    /// `entries` of `space` (whole, in the order given) packed into fewer bytes for the
    /// link ([`Message::Packed`]), or `None` when the host does not pack them (nothing to
    /// gain, or no packing at all): they then travel as [`Message::Entries`].
    fn pack(&self, space: &SpaceId, entries: &[Vec<u8>]) -> Option<Vec<u8>> {
        let _ = (space, entries);
        None
    }

    /// The entries a peer's [`Message::Packed`] holds, each whole, in order: at most
    /// `max_entries` of them and `max_bytes` in all. An error is the peer's fault (it is
    /// penalized as for a malformed batch); a host that never packs has nothing to read.
    fn unpack(
        &self,
        pack: &[u8],
        max_entries: usize,
        max_bytes: usize,
    ) -> Result<Vec<Vec<u8>>, String> {
        let _ = (pack, max_entries, max_bytes);
        Err("this node reads no packed entries".into())
    }
}

/// The host's judgement of one entry it was [delivered](Output::Deliver).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Valid and stored; `time` is the entry's author time.
    Accepted { time: Timestamp },
    /// Valid, and the host already had it; `time` is the entry's author time. The service
    /// counts it as held (it may have been written since the service last looked).
    Duplicate { time: Timestamp },
    /// Kept aside until the entries it refers to arrive; not yet part of the space. The
    /// service does not fetch it again while it waits (up to
    /// [`Config::waiting_timeout`]), and reconciles to find what it waits for.
    Pending,
    /// Would wait for the entries it refers to, but the host had no room to keep it:
    /// fetched again later.
    Dropped,
    /// Not kept, by this node's choice (its author is blocked here): counted as held so
    /// that reconciliation stops offering it, and never announced. Not the peer's fault.
    Declined { time: Timestamp },
    /// Refused (bad signature, failed authorization, not canonical, ...). The peer that
    /// sent it is penalized.
    Invalid(String),
    /// Refused, but not through the fault of the peer it came from: the host failed to
    /// judge it (a bug of the host's), or the entry only came out of the host's waiting
    /// set because of what the peer sent (the host charges whoever delivered it). Not
    /// penalized, not held.
    Refused(String),
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
    Banned { until: Timestamp, offence: Offence },
}

/// Tunables. All durations in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// How often the lower-id side of a link reconciles each shared space.
    pub reconcile_interval: Duration,
    /// Periodic reconciliations leave out the entries written within this long of now
    /// (either side): gossip is still bringing them, and comparing them would descend
    /// to listing their ids. They are compared once they are older.
    pub settle_window: Duration,
    /// How long after a failed or unfinished reconciliation to try again, and after a
    /// reconciliation that found differences to confirm.
    pub retry_interval: Duration,
    /// A reconciliation with no reply for this long is abandoned (not penalized).
    pub session_timeout: Duration,
    /// A request is abandoned (not penalized; its ids can be fetched again) when the peer
    /// sent nothing at all for this long since it was sent: on a slow link an answer
    /// still arriving is never asked for again.
    pub request_timeout: Duration,
    /// Ids asked of a peer that sent nothing of its answer for this long are asked of
    /// another peer that announced them meanwhile: one peer that announces entries and
    /// never serves them cannot hold their fetch for the whole request timeout.
    pub hedge_after: Duration,
    /// `Want`s outstanding to one peer.
    pub max_wants_in_flight: usize,
    /// Message tokens a peer starts with and can save up.
    pub rate_capacity: u32,
    /// Message tokens a peer earns per second.
    pub rate_per_second: u32,
    /// Bytes of entries this node serves one peer in a burst, and per second after it:
    /// what a peer's requests make the store read and the link carry, whatever the
    /// requests cost in message tokens. An answer is cut short where the budget ends
    /// (the peer asks again for the rest).
    pub serve_burst: u32,
    pub serve_per_second: u32,
    /// The score at which a peer is disconnected and banned.
    pub ban_threshold: u32,
    /// How long a ban lasts.
    pub ban_duration: Duration,
    /// A peer's score loses one point per this long.
    pub score_decay: Duration,
    /// Accepted batches of at most this many entries are announced to other peers.
    pub relay_have_max: usize,
    /// An entry the host keeps waiting for its refs is not fetched again for this long
    /// (unless the host reports it decided).
    pub waiting_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            reconcile_interval: Duration::from_secs(60),
            settle_window: Duration::from_secs(10),
            retry_interval: Duration::from_secs(5),
            session_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            hedge_after: Duration::from_secs(8),
            max_wants_in_flight: 2,
            rate_capacity: 2_000,
            rate_per_second: 500,
            serve_burst: 16 * 1024 * 1024,
            serve_per_second: 4 * 1024 * 1024,
            ban_threshold: 100,
            ban_duration: Duration::from_secs(60 * 60),
            score_decay: Duration::from_secs(10),
            relay_have_max: 64,
            waiting_timeout: Duration::from_secs(10 * 60),
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
    /// The score and budgets of peers that went away, kept for a ban's duration: a peer
    /// cannot wipe its record by reconnecting.
    standing: BTreeMap<P, Standing>,
    /// Every id asked for and not yet judged by the host, and whom it was asked from.
    fetching: HashMap<EntryId, P>,
    /// Other peers that announced an id while it was being fetched: asked next if the
    /// first one does not answer (see [`Config::hedge_after`]).
    alternates: HashMap<EntryId, Vec<P>>,
    /// Entries the host keeps waiting for their refs, and until when they are not
    /// fetched again.
    waiting: HashMap<EntryId, Timestamp>,
    /// What peers delivered per space, for progress reports.
    received: BTreeMap<SpaceId, Received>,
    /// The average size of entries peers delivered, to size `Want`s in bytes.
    entry_bytes: f64,
    next_session: u64,
    next_request: u64,
    /// Spaces fetched whole whose last page is with the host: their confirming
    /// reconciliation starts once the host has judged it, so that it compares what
    /// the page brought.
    confirming: BTreeSet<SpaceId>,
    out: Vec<Output<P>>,
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
            standing: BTreeMap::new(),
            fetching: HashMap::new(),
            alternates: HashMap::new(),
            waiting: HashMap::new(),
            received: BTreeMap::new(),
            entry_bytes: 1024.0,
            next_session: 0,
            next_request: 0,
            confirming: BTreeSet::new(),
            out: Vec::new(),
        }
    }

    pub fn local(&self) -> &P {
        &self.local
    }

    pub fn config(&self) -> &Config {
        &self.config
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

    /// The peers the service considers connected.
    pub fn peers(&self) -> impl Iterator<Item = &P> {
        self.peers.keys()
    }

    // ----- events -----

    /// Starts replicating `space`, with the items the store holds for it. Tells connected
    /// peers, and reconciles with those that hold it too.
    pub fn join<S: Store + ?Sized>(
        &mut self,
        now: Timestamp,
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
    pub fn leave(&mut self, now: Timestamp, space: &SpaceId) -> Vec<Output<P>> {
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

    /// Reconciles `space` with every peer that holds it, now, whichever side usually
    /// initiates (a script waiting until the node is in sync asks for this).
    pub fn reconcile_now(&mut self, now: Timestamp, space: &SpaceId) -> Vec<Output<P>> {
        if !self.ranging(space) {
            self.reconcile_with_all(now, space, Scope::Everything);
        }
        self.take()
    }

    /// A connection to `peer` is open. A banned peer gets [`Output::Disconnect`] back.
    pub fn connected(&mut self, now: Timestamp, peer: P) -> Vec<Output<P>> {
        self.connect(now, peer);
        self.take()
    }

    /// Every connection to `peer` is closed. What was asked of it can be fetched again.
    pub fn disconnected(&mut self, now: Timestamp, peer: &P) -> Vec<Output<P>> {
        if self.peers.contains_key(peer) {
            tracing::debug!(target: "sync", ?peer, "peer disconnected");
            self.forget(now, peer);
        }
        self.take()
    }

    /// A frame arrived from `from`.
    pub fn received<S: Store + ?Sized>(
        &mut self,
        now: Timestamp,
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
        let cost = penalties::cost(&message);
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
    pub fn tick(&mut self, now: Timestamp) -> Vec<Output<P>> {
        self.bans.retain(|_, ban| ban.until > now);
        let kept = self.config.ban_duration;
        self.standing
            .retain(|_, standing| standing.left.saturating_add(kept) > now);
        self.waiting.retain(|_, until| *until > now);
        self.expire_requests(now);
        self.expire_sessions(now);
        self.ask_unheard(now);
        self.drive_all(now);
        self.take()
    }

    /// Entries were written locally (authored here, or imported): add them to the
    /// reconciliation set and tell peers that hold `space` (by id when they are few, by
    /// reconciling when they are many).
    pub fn inserted(
        &mut self,
        now: Timestamp,
        space: &SpaceId,
        items: &[(Timestamp, EntryId)],
    ) -> Vec<Output<P>> {
        self.written(now, space, items);
        self.take()
    }

    /// The host's verdicts on entries [delivered](Output::Deliver) from `from`.
    pub fn verdicts(
        &mut self,
        now: Timestamp,
        from: &P,
        space: &SpaceId,
        verdicts: &[(EntryId, Verdict)],
    ) -> Vec<Output<P>> {
        self.judged(now, from, space, verdicts);
        if self.confirming.remove(space) {
            self.confirm_fetched(now, space);
        }
        self.take()
    }

    /// A gossip announcement from `from` (the peer that passed it on) named these entries
    /// of `space`: fetch those this node lacks from it, as for [`Message::Have`].
    pub fn announced(
        &mut self,
        now: Timestamp,
        from: &P,
        space: &SpaceId,
        ids: &[EntryId],
    ) -> Vec<Output<P>> {
        self.gossiped_ids(now, from, space, ids);
        self.take()
    }

    /// An entry of `space` that `from` passed on outside a fetch (by gossip) was judged by
    /// the host. An invalid one counts against the peer; one waiting for its refs shows a
    /// gap, which a reconciliation with that peer closes.
    pub fn gossip_verdict(
        &mut self,
        now: Timestamp,
        from: &P,
        space: &SpaceId,
        id: &EntryId,
        verdict: &Verdict,
    ) -> Vec<Output<P>> {
        self.judged_gossip(now, from, space, id, verdict);
        self.take()
    }

    /// Counts an offence the host saw on the peer's traffic outside this protocol's
    /// frames: a frame refused by the transport for its size, a malformed gossip message.
    pub fn offence(
        &mut self,
        now: Timestamp,
        peer: &P,
        offence: Offence,
        detail: impl ToString,
    ) -> Vec<Output<P>> {
        self.penalize(now, peer, Fault::new(offence, detail));
        self.take()
    }

    // ----- message dispatch -----

    fn handle<S: Store + ?Sized>(
        &mut self,
        now: Timestamp,
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
                self.hello_received(now, from, spaces, empty, echo, theirs);
                Ok(())
            }
            Message::Reconcile {
                space,
                session,
                round,
                payload,
            } => self.respond(now, from, space, session, round, &payload),
            Message::ReconcileReply {
                space,
                session,
                round,
                payload,
            } => self.reconcile_reply(now, from, space, session, round, &payload),
            Message::Done {
                space,
                session,
                you_lack,
                i_lack,
            } => self.done(now, from, &space, session, you_lack, i_lack),
            Message::Have { space, ids } => self.have(now, from, &space, ids),
            Message::Want {
                space,
                request,
                ids,
            } => self.want(now, from, space, request, ids, store),
            Message::WantRange {
                space,
                request,
                after,
                max_bytes,
            } => self.want_range(now, from, space, request, after, max_bytes, store),
            Message::Entries {
                space,
                request,
                count,
                last,
                resume,
                batch,
            } => self.entries(now, from, space, request, last, resume, || {
                Ok(requests::Part {
                    entries: batch::decode(&batch, count).map_err(|e| e.to_string())?,
                    bytes: batch.len() as u64,
                    packed: false,
                })
            }),
            Message::Packed {
                space,
                request,
                count,
                last,
                resume,
                pack,
            } => self.entries(now, from, space, request, last, resume, || {
                let entries = store.unpack(&pack, count as usize, MAX_BATCH_BYTES)?;
                if entries.len() != count as usize {
                    return Err(format!(
                        "a pack declaring {count} entries holds {}",
                        entries.len()
                    ));
                }
                // Counted as the entries it holds, as a batch of them would be: what a
                // request asks for and a peer serves is entry bytes.
                let bytes = entries
                    .iter()
                    .map(|e| batch::framed_len(e.len()) as u64)
                    .sum();
                Ok(requests::Part {
                    entries,
                    bytes,
                    packed: true,
                })
            }),
        }
    }

    fn send(&mut self, peer_id: &P, message: Message) {
        if let Some(peer) = self.peers.get_mut(peer_id) {
            send(&mut self.out, peer_id, &mut peer.traffic, message);
        }
    }

    fn take(&mut self) -> Vec<Output<P>> {
        std::mem::take(&mut self.out)
    }
}

/// Queues `message` for `peer_id` and counts it; for callers that already hold the peer.
fn send<P: Clone>(out: &mut Vec<Output<P>>, peer_id: &P, traffic: &mut Traffic, message: Message) {
    traffic.messages_out += 1;
    traffic.bytes_out += message.encoded_len() as u64;
    out.push(Output::Send(peer_id.clone(), message));
}
