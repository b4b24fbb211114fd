//! The engine: the node (store and spaces) and the sans-IO sync service, driven by
//! what the network reports and by time, on the store thread.
//!
//! The engine never touches a socket. It turns network events into calls on the
//! [`Service`], carries out the service's outputs that concern the store (verifying and
//! storing delivered entries, answering with stored ones), and hands everything that
//! concerns the network back to the async side as [`Action`]s.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Duration;

use margin_core::Timestamp;
use margin_core::entry::Entry;
use margin_core::id::{EntryId, SpaceId};
use margin_net::{MessageAcceptance, MessageId, Multiaddr, PeerId};
use margin_store::{FollowMode, Store};
use margin_sync::announce::Announcement;
use margin_sync::message::Place;
use margin_sync::penalty::Offence;
use margin_sync::service::{Config, Output, Service, Status as SyncStatus, Verdict};
use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;

use crate::addresses::{Addresses, Admission, MAX_BANS_PER_ADDRESS, PROBATION_POINTS};
use crate::events::Event;
use crate::heard::Heard;
use margin_node::error::NodeError;
use margin_node::node::Node;

/// Entries read from the store per look for new ones.
const POLL_BATCH: usize = 1024;
/// How often settings written by the CLI (follows, blocks, dial requests) are read.
const SETTINGS_EVERY_MS: u64 = 1_000;
/// How often spaces with no peer are looked up in the DHT.
const PROVIDERS_EVERY_MS: u64 = 10_000;
/// How often this node's provider records are published again.
const PROVIDE_EVERY_MS: u64 = 60 * 60 * 1000;
/// Known peers dialled at start, and again while they are not connected.
const REDIAL_AT_START: usize = 16;
/// How often the progress of long syncs is logged.
const PROGRESS_EVERY_MS: u64 = 5_000;
/// How often peers met before and not connected now are dialled again.
const REDIAL_EVERY_MS: u64 = 10_000;
/// Local entries are gossiped one by one when a space has at most this many new ones at
/// once; more (a bundle imported, a backlog written while the node was stopped) reach
/// peers by reconciliation instead, which sends each peer only what it lacks, once.
const GOSSIP_AT_ONCE: usize = 64;
/// The setting in which the node tells the CLI how far its clock is off from its peers'
/// (`"<offset ms> <when measured>"`, empty when it is not).
pub const CLOCK_SETTING: &str = "clock-offset";
/// The setting recording the last entry announced, so entries written while the node
/// was stopped are announced when it starts.
const ANNOUNCED_SETTING: &str = "announced-seq";

/// What the async side must do.
#[derive(Debug)]
pub enum Action {
    /// Send a sync frame to the peer.
    Send(PeerId, Vec<u8>),
    /// Publish on the space's gossip topic.
    Publish(SpaceId, Vec<u8>),
    /// Report what a gossip message was worth.
    Validated(MessageId, PeerId, MessageAcceptance),
    /// Close the peer's connections and refuse new ones.
    Ban(PeerId),
    /// Accept the peer's connections again.
    Unban(PeerId),
    Join(SpaceId),
    Leave(SpaceId),
    Dial(Multiaddr),
    /// Ask the DHT who holds the space.
    FindProviders(SpaceId),
    /// Tell the DHT this node holds the space.
    Provide(SpaceId),
    /// The latest state, for the API.
    Snapshot(Box<Snapshot>),
    /// Tell listeners (the web UI).
    Event(Event),
}

/// How the node replicates.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// Replicate every space a peer offers (a mirror).
    pub mirror_all: bool,
}

/// What the engine counted about a peer.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PeerCounts {
    /// Entries it delivered that were new and valid.
    pub accepted: u64,
    /// Entries and messages refused, with the last reason.
    pub refused: u64,
    pub last_refusal: Option<String>,
}

/// A space as the API shows it.
#[derive(Clone, Debug, Serialize)]
pub struct SpaceInfo {
    pub space: String,
    pub title: Option<String>,
    /// `own` (written or received here), `member` (joined by invite) or `mirror`.
    pub mode: &'static str,
    /// Entries waiting for the entries they refer to.
    pub waiting: i64,
}

/// The engine's state, as often as it changes.
#[derive(Clone, Debug, Serialize)]
pub struct Snapshot {
    pub sync: SyncStatus<String>,
    pub spaces: Vec<SpaceInfo>,
    pub counts: BTreeMap<String, PeerCounts>,
    pub mirror_all: bool,
}

/// The node and its sync service.
pub struct Engine {
    pub node: Node,
    sync: Service<PeerId>,
    actions: UnboundedSender<Action>,
    policy: Policy,
    /// The store sequence number of the last entry looked at.
    seen_seq: i64,
    /// The last one recorded as announced.
    announced_seq: i64,
    /// Local entries not yet gossiped because no peer was connected.
    unannounced: Vec<(SpaceId, Vec<u8>)>,
    follows: BTreeMap<SpaceId, FollowMode>,
    blocked_peers: BTreeSet<PeerId>,
    bans: BTreeMap<PeerId, Timestamp>,
    counts: BTreeMap<PeerId, PeerCounts>,
    next_settings: Timestamp,
    next_providers: Timestamp,
    next_redial: Timestamp,
    next_provide: Timestamp,
    next_progress: Timestamp,
    /// Entries received per space when progress was last logged.
    logged: BTreeMap<String, u64>,
    /// Whether this node's clock is off from its peers' (see [`Engine::check_clock`]).
    clock_off: bool,
    /// Who delivered each entry the node keeps waiting for its refs (while it runs): an
    /// entry refused once something else releases it is charged to the peer that
    /// delivered it, never to the peer whose entry released it.
    parked: HashMap<EntryId, (PeerId, usize)>,
    /// The waiting entries each peer delivered, and their bytes (see
    /// [`MAX_PARKED_BYTES`]).
    parked_bytes: HashMap<PeerId, (usize, usize)>,
    next_expiry: Timestamp,
    next_idle_check: Timestamp,
    /// Refusals of released entries, to charge to their deliverers.
    late_charges: Vec<(PeerId, String)>,
    /// Spaces a peer offered to a mirror of everything, followed on trial until their
    /// charter arrives and verifies: only then recorded as mirrored.
    trials: BTreeMap<SpaceId, Trial>,
    /// Id announcements heard by gossip, passed on once this node holds what they name.
    heard: Heard,
    /// Where peers connect from, and what bans left on those addresses.
    addresses: Addresses,
}

/// A space followed on trial: who offered it, and until when its charter may take.
#[derive(Clone, Copy, Debug)]
struct Trial {
    offered_by: PeerId,
    until: Timestamp,
}

/// How long a space offered to a mirror of everything may take to show a valid charter.
const TRIAL: Duration = Duration::from_secs(120);

/// Spaces on trial at once, offered by one peer and by all peers: a peer naming a
/// thousand spaces in its `Hello` gets a few followed, not a thousand.
const MAX_TRIALS_PER_PEER: usize = 8;
const MAX_TRIALS: usize = 64;

/// Deliverers of waiting entries remembered at most (as many as the sync service
/// remembers waiting ids).
const MAX_PARKED: usize = margin_sync::limits::MAX_WAITING_IDS;

/// The waiting entries one peer may have delivered, and their bytes: a quarter of what a
/// space keeps waiting, so that one peer cannot fill the room others' entries need.
/// Entries past it are not kept (sync offers them again once the room is there).
const MAX_PARKED_ENTRIES: usize = margin_space::MAX_PENDING / 4;
const MAX_PARKED_BYTES: usize = margin_space::MAX_PENDING_BYTES / 4;

/// How long an entry may wait for its refs before it is forgotten, and its deliverer
/// charged: an honest peer serves what the entries it delivers refer to, so they
/// resolve within minutes. Looked for every minute, at most this many per space.
const WAITING_EXPIRY: Duration = Duration::from_secs(60 * 60);
const EXPIRY_EVERY_MS: u64 = 60_000;
/// How often the node lets go of the spaces it has not used for [`IDLE_SPACE`].
const IDLE_CHECK_EVERY_MS: u64 = 10_000;
/// A space unused for this long is not kept in memory (it loads again from its
/// snapshot when next needed).
const IDLE_SPACE: std::time::Duration = std::time::Duration::from_secs(60);
const EXPIRED_AT_ONCE: usize = 4096;

/// The service's view of the node: its store, and its drafts to pack revisions from.
struct Stored<'a>(&'a Node);

impl Stored<'_> {
    fn store(&self) -> &Store {
        self.0.store()
    }
}

impl margin_sync::service::Store for Stored<'_> {
    fn items(&self, space: &SpaceId) -> Vec<(Timestamp, EntryId)> {
        self.store().space_items(space).unwrap_or_else(|e| {
            tracing::error!(target: "sync", "cannot list the entries of {}: {e}", space.short());
            vec![]
        })
    }

    fn entries(&self, space: &SpaceId, ids: &[EntryId]) -> Vec<Vec<u8>> {
        self.store().entry_bytes(space, ids).unwrap_or_else(|e| {
            tracing::error!(target: "sync", "cannot read entries of {}: {e}", space.short());
            vec![]
        })
    }

    fn reading(&self, space: &SpaceId, after: Option<Place>, limit: usize) -> Option<Vec<Place>> {
        let after = after.map(|place| {
            let (part, time) = place.part_and_time();
            (part, time, place.id())
        });
        let page = self.store().reading_page(space, after, limit).unwrap_or_else(|e| {
            tracing::error!(target: "sync", "cannot list the entries of {}: {e}", space.short());
            vec![]
        });
        Some(
            page.into_iter()
                .map(|(part, time, id)| Place::new(part, time, id))
                .collect(),
        )
    }

    fn pack(&self, space: &SpaceId, entries: &[Vec<u8>]) -> Option<Vec<u8>> {
        self.0.pack_entries(space, entries)
    }

    fn unpack(
        &self,
        pack: &[u8],
        max_entries: usize,
        max_bytes: usize,
    ) -> Result<Vec<Vec<u8>>, String> {
        margin_draft::pack::unpack(pack, max_entries, max_bytes).map_err(|e| e.to_string())
    }
}

impl Engine {
    /// The engine of the node whose network identity is `local`.
    pub fn new(
        node: Node,
        local: PeerId,
        policy: Policy,
        actions: UnboundedSender<Action>,
    ) -> Result<Engine, NodeError> {
        let config = Config {
            retry_interval: Duration::from_secs(1),
            ..Config::default()
        };
        let node_clock_off = node
            .store()
            .setting(CLOCK_SETTING)?
            .is_some_and(|v| !v.is_empty());
        let announced_seq = node
            .store()
            .setting(ANNOUNCED_SETTING)?
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        Ok(Engine {
            node,
            sync: Service::new(local, config),
            actions,
            policy,
            seen_seq: 0,
            announced_seq,
            unannounced: vec![],
            follows: BTreeMap::new(),
            blocked_peers: BTreeSet::new(),
            bans: BTreeMap::new(),
            counts: BTreeMap::new(),
            next_settings: Timestamp::EPOCH,
            next_providers: Timestamp::EPOCH,
            next_redial: Timestamp::EPOCH,
            next_provide: Timestamp::EPOCH,
            next_progress: Timestamp::EPOCH,
            logged: BTreeMap::new(),
            clock_off: node_clock_off,
            parked: HashMap::new(),
            parked_bytes: HashMap::new(),
            next_expiry: Timestamp::EPOCH,
            next_idle_check: Timestamp::EPOCH,
            late_charges: Vec::new(),
            trials: BTreeMap::new(),
            heard: Heard::default(),
            addresses: Addresses::default(),
        })
    }

    fn act(&self, action: Action) {
        // The async side only goes away when the node stops.
        let _ = self.actions.send(action);
    }

    /// Loads every space, joins every space the store holds or follows, queues what was written since the
    /// node last ran for announcement, and redials peers met before.
    pub fn start(&mut self) -> Result<(), NodeError> {
        // Loading a space checks that the store agrees with the state its entries make
        // (from its snapshot on: the snapshot matched the entries it was made from), and
        // repairs a store that does not, before sync reads what it holds. Spaces beyond
        // what the node keeps in memory are checked when first loaded.
        let spaces = self.node.warm_spaces()?;
        tracing::debug!(target: "node", "{spaces} spaces loaded");
        let now = Timestamp::now();
        for space in self.node.store().space_ids()? {
            self.join(now, space);
        }
        self.read_settings(now)?;
        self.seen_seq = self.node.store().last_seq()?;
        let mut seq = self.announced_seq;
        let mut backlog: BTreeMap<SpaceId, (usize, Vec<Vec<u8>>)> = BTreeMap::new();
        loop {
            let fresh = self.node.store().entries_since(seq, POLL_BATCH)?;
            let Some((last, _)) = fresh.last() else {
                break;
            };
            seq = *last;
            for (_, entry) in fresh {
                let (count, kept) = backlog.entry(entry.space_or_self()).or_default();
                *count += 1;
                if *count <= GOSSIP_AT_ONCE {
                    kept.push(entry.into_bytes());
                } else {
                    kept.clear();
                }
            }
        }
        for (space, (count, kept)) in backlog {
            if count <= GOSSIP_AT_ONCE {
                tracing::info!(target: "node", "space {}: {count} entries written while the node was stopped will be announced", space.short());
                self.unannounced
                    .extend(kept.into_iter().map(|bytes| (space, bytes)));
            } else {
                tracing::info!(target: "node", "space {}: {count} entries written while the node was stopped; peers get them by reconciliation", space.short());
            }
        }
        self.record_announced()?;
        self.redial(now)?;
        // Give the bootstrap connections a moment before asking the DHT.
        self.next_providers = now.saturating_add_millis(2_000);
        Ok(())
    }

    /// Dials peers met before that are not connected (nor blocked or banned), so a node
    /// finds its peers again after a restart or a network outage.
    fn redial(&mut self, now: Timestamp) -> Result<(), NodeError> {
        self.next_redial = now.saturating_add_millis(REDIAL_EVERY_MS);
        let connected: BTreeSet<String> = self.sync.peers().map(|p| p.to_string()).collect();
        for peer in self.node.store().known_peers(REDIAL_AT_START)? {
            let refused = peer
                .peer
                .parse::<PeerId>()
                .is_ok_and(|id| self.blocked_peers.contains(&id) || self.bans.contains_key(&id));
            if connected.contains(&peer.peer) || refused {
                continue;
            }
            for addr in peer.addresses.iter().filter_map(|a| a.parse().ok()) {
                self.act(Action::Dial(addr));
            }
        }
        Ok(())
    }

    fn join(&mut self, now: Timestamp, space: SpaceId) {
        if self.sync.holds_space(&space) {
            return;
        }
        let outputs = self.sync.join(now, space, &Stored(&self.node));
        self.act(Action::Join(space));
        self.carry_out(now, outputs);
    }

    fn leave(&mut self, now: Timestamp, space: &SpaceId) {
        let outputs = self.sync.leave(now, space);
        self.act(Action::Leave(*space));
        self.carry_out(now, outputs);
    }

    /// A peer connected; `dialed` is its address when we dialed it.
    /// A peer connected, from `addr` (where it listens, when this node dialed it).
    pub fn connected(&mut self, peer: PeerId, addr: &Multiaddr, dialed: bool) {
        if self.blocked_peers.contains(&peer) {
            self.act(Action::Ban(peer));
            return;
        }
        if dialed {
            self.identified(&peer, std::slice::from_ref(addr));
        }
        let now = Timestamp::now();
        let mut admission = self.addresses.connected(now, peer, addr);
        if let Admission::Refused(_) = admission
            && self.met_before(&peer)
        {
            // A peer met before is not a fresh identity: it shares the address with
            // whoever was banned (a venue's NAT), and is only put on probation.
            admission = Admission::Probation;
        }
        if let Admission::Refused(until) = admission {
            tracing::warn!(target: "sync", "peer {peer} refused: {MAX_BANS_PER_ADDRESS} peers from its address were banned within the hour (until {})", margin_space::view::format_time(until));
            self.bans.insert(peer, until);
            self.act(Action::Ban(peer));
            return;
        }
        let first = self.sync.peers().next().is_none();
        let outputs = self.sync.connected(now, peer);
        if admission == Admission::Probation {
            tracing::info!(target: "sync", "peer {peer} starts on probation: peers from its address were banned within the hour");
            self.sync.probation(now, &peer, PROBATION_POINTS);
        }
        self.carry_out(now, outputs);
        self.flush_unannounced();
        if first {
            // Provider records published while alone reached nobody.
            self.next_provide = now.saturating_add_millis(1_000);
        }
    }

    /// Whether this node met the peer before (it is among the peers it remembers).
    fn met_before(&self, peer: &PeerId) -> bool {
        let peer = peer.to_string();
        self.node
            .store()
            .known_peers(margin_store::network::MAX_KNOWN_PEERS)
            .is_ok_and(|known| known.iter().any(|k| k.peer == peer))
    }

    /// Remembers where a peer listens, to find it again later.
    pub fn identified(&mut self, peer: &PeerId, addresses: &[Multiaddr]) {
        let text: Vec<String> = addresses
            .iter()
            .filter(|a| {
                !a.iter()
                    .any(|p| matches!(p, margin_net::Protocol::P2pCircuit))
            })
            .map(|a| a.clone().with_p2p(*peer).unwrap_or_else(|a| a).to_string())
            .collect();
        if text.is_empty() {
            return;
        }
        if let Err(e) = self
            .node
            .store_mut()
            .remember_peer(&peer.to_string(), &text, false)
        {
            tracing::warn!(target: "node", "cannot remember peer {peer}: {e}");
        }
    }

    pub fn disconnected(&mut self, peer: &PeerId) {
        self.addresses.disconnected(peer);
        let now = Timestamp::now();
        let outputs = self.sync.disconnected(now, peer);
        self.carry_out(now, outputs);
    }

    /// A sync frame from a peer.
    pub fn frame(&mut self, peer: &PeerId, frame: &[u8]) {
        let now = Timestamp::now();
        let outputs = self.sync.received(now, peer, frame, &Stored(&self.node));
        self.carry_out(now, outputs);
    }

    /// The peer announced a frame over the limit; the transport closed its stream.
    pub fn oversize(&mut self, peer: &PeerId, len: usize) {
        let now = Timestamp::now();
        let detail = format!("announced a {len}-byte frame");
        self.count_refusal(peer, &detail);
        let outputs = self.sync.offence(now, peer, Offence::OversizeFrame, detail);
        self.carry_out(now, outputs);
    }

    /// The peer sent a sync frame that does not decompress; the transport closed its
    /// stream.
    pub fn bad_frame(&mut self, peer: &PeerId, reason: &str) {
        let now = Timestamp::now();
        self.count_refusal(peer, reason);
        let outputs = self
            .sync
            .offence(now, peer, Offence::MalformedMessage, reason);
        self.carry_out(now, outputs);
    }

    /// A gossip message on a space's topic, passed on by `from`.
    pub fn gossip(&mut self, from: PeerId, space: SpaceId, id: MessageId, data: &[u8]) {
        let now = Timestamp::now();
        if !self.sync.holds_space(&space) {
            self.act(Action::Validated(id, from, MessageAcceptance::Ignore));
            return;
        }
        let announcement = match Announcement::decode(data) {
            Ok(a) => a,
            Err(e) => {
                self.count_refusal(&from, &e.to_string());
                self.act(Action::Validated(id, from, MessageAcceptance::Reject));
                let outputs = self.sync.offence(now, &from, Offence::MalformedMessage, e);
                self.carry_out(now, outputs);
                return;
            }
        };
        match announcement {
            Announcement::Ids(ids) => {
                // Passed on only once this node holds what it names (see `heard`).
                let lacking = ids
                    .iter()
                    .filter(|e| !self.sync.holds(&space, e))
                    .copied()
                    .collect();
                if let Some((id, from, acceptance)) = self.heard.heard(now, id, from, lacking) {
                    self.act(Action::Validated(id, from, acceptance));
                }
                let outputs = self.sync.announced(now, &from, &space, &ids);
                self.carry_out(now, outputs);
            }
            Announcement::Entry(bytes) => {
                let entry_id = EntryId::of_entry(&bytes);
                let verdicts = self.check(&from, &space, vec![bytes]);
                let verdict = verdicts
                    .iter()
                    .find(|(id, _)| *id == entry_id)
                    .map(|(_, v)| v.clone())
                    // Not judged (the store failed): fetched again later.
                    .unwrap_or(Verdict::Dropped);
                let acceptance = match verdict {
                    Verdict::Accepted { .. } | Verdict::Duplicate { .. } => {
                        MessageAcceptance::Accept
                    }
                    Verdict::Pending
                    | Verdict::Dropped
                    | Verdict::Declined { .. }
                    | Verdict::Refused(_) => MessageAcceptance::Ignore,
                    Verdict::Invalid(_) => MessageAcceptance::Reject,
                };
                self.act(Action::Validated(id, from, acceptance));
                let mut outputs = self
                    .sync
                    .gossip_verdict(now, &from, &space, &entry_id, &verdict);
                outputs.extend(self.charge_late(now));
                // Entries that were waiting for this one and are now valid.
                let released: Vec<(Timestamp, EntryId)> = verdicts
                    .iter()
                    .filter(|(id, _)| *id != entry_id)
                    .filter_map(|(id, v)| match v {
                        Verdict::Accepted { time } => Some((*time, *id)),
                        _ => None,
                    })
                    .collect();
                outputs.extend(self.sync.inserted(now, &space, &released));
                self.carry_out(now, outputs);
            }
        }
    }

    /// Reconciles a space with every peer now (for `margin sync wait`). Returns when it
    /// was asked, in ms.
    pub fn reconcile_now(&mut self, space: &SpaceId) -> Timestamp {
        let now = Timestamp::now();
        let outputs = self.sync.reconcile_now(now, space);
        self.carry_out(now, outputs);
        now
    }

    /// Time passed: the service's timers, entries written by others, settings.
    pub fn tick(&mut self) {
        let now = Timestamp::now();
        let outputs = self.sync.tick(now);
        self.carry_out(now, outputs);
        let expired: Vec<PeerId> = self
            .bans
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(peer, _)| *peer)
            .collect();
        for peer in expired {
            self.bans.remove(&peer);
            if !self.blocked_peers.contains(&peer) {
                tracing::info!(target: "node", "the ban of {peer} ran out");
                self.act(Action::Unban(peer));
            }
        }
        if let Err(e) = self.poll_store(now) {
            tracing::error!(target: "node", "cannot read new entries: {e}");
        }
        self.settle_trials(now);
        for (id, from, acceptance) in self.heard.expired(now) {
            self.act(Action::Validated(id, from, acceptance));
        }
        if now >= self.next_expiry {
            self.next_expiry = now.saturating_add_millis(EXPIRY_EVERY_MS);
            let outputs = self.expire_waiting(now);
            self.carry_out(now, outputs);
        }
        // The index and snapshots that follow the batches (margin_node::behind).
        match self.node.tend() {
            Ok(done) if done != margin_node::behind::CaughtUp::default() => tracing::debug!(
                target: "node",
                "caught up behind the batches: {} entries indexed, {} snapshots saved",
                done.indexed,
                done.saved
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(target: "node", "cannot catch up the index or snapshots: {e}"),
        }
        if now >= self.next_idle_check {
            self.next_idle_check = now.saturating_add_millis(IDLE_CHECK_EVERY_MS);
            match self.node.drop_idle_spaces(IDLE_SPACE) {
                Ok(0) => {}
                Ok(n) => tracing::debug!(target: "node", "{n} idle spaces let go of"),
                Err(e) => tracing::warn!(target: "node", "cannot let go of idle spaces: {e}"),
            }
        }
        if now >= self.next_settings {
            self.next_settings = now.saturating_add_millis(SETTINGS_EVERY_MS);
            if let Err(e) = self.read_settings(now) {
                tracing::error!(target: "node", "cannot read the node's settings: {e}");
            }
            // Entries dated in the future that are due now become current (and are
            // announced as local ones would be, by the next look at the store).
            if let Err(e) = self.node.release_due() {
                tracing::error!(target: "node", "cannot apply entries that became due: {e}");
            }
            self.check_clock();
        }
        if now >= self.next_providers {
            self.next_providers = now.saturating_add_millis(PROVIDERS_EVERY_MS);
            let status = self.sync.status(now);
            let linked: BTreeSet<String> = status
                .peers
                .iter()
                .flat_map(|p| p.spaces.iter().map(|l| l.space.clone()))
                .collect();
            for space in status.spaces.iter().filter(|s| !linked.contains(&s.space)) {
                if let Ok(id) = space.space.parse() {
                    self.act(Action::FindProviders(id));
                }
            }
        }
        if now >= self.next_provide && self.sync.peers().next().is_some() {
            self.next_provide = now.saturating_add_millis(PROVIDE_EVERY_MS);
            let spaces: Vec<SpaceId> = self.sync.spaces().copied().collect();
            for space in spaces {
                self.act(Action::Provide(space));
            }
        }
        if now >= self.next_redial
            && let Err(e) = self.redial(now)
        {
            tracing::error!(target: "node", "cannot read the peers met before: {e}");
        }
        if now >= self.next_progress {
            self.next_progress = now.saturating_add_millis(PROGRESS_EVERY_MS);
            self.log_progress(now);
        }
        self.flush_unannounced();
        self.act(Action::Snapshot(Box::new(self.snapshot(now))));
    }

    /// Entries stored since the last look: written here by the CLI or the web UI (which
    /// the service does not hold yet: announce them), or received (tell listeners).
    fn poll_store(&mut self, now: Timestamp) -> Result<(), NodeError> {
        loop {
            let fresh = self.node.store().entries_since(self.seen_seq, POLL_BATCH)?;
            let Some((last, _)) = fresh.last() else {
                break;
            };
            self.seen_seq = *last;
            let mut local: BTreeMap<SpaceId, Vec<Entry>> = BTreeMap::new();
            for (_, entry) in fresh {
                let space = entry.space_or_self();
                self.act(Action::Event(Event::stored(&entry)));
                if !self.sync.holds_space(&space) {
                    self.join(now, space);
                    continue;
                }
                if !self.sync.holds(&space, &entry.id()) {
                    local.entry(space).or_default().push(entry);
                }
            }
            for (space, entries) in local {
                if entries.len() <= GOSSIP_AT_ONCE {
                    for entry in &entries {
                        self.act(Action::Publish(
                            space,
                            Announcement::of_entry(entry.bytes()).encode(),
                        ));
                    }
                }
                let items: Vec<(Timestamp, EntryId)> =
                    entries.iter().map(|e| (e.time(), e.id())).collect();
                let outputs = self.sync.inserted(now, &space, &items);
                self.carry_out(now, outputs);
            }
        }
        if self.seen_seq > self.announced_seq && self.unannounced.is_empty() {
            self.record_announced()?;
        }
        Ok(())
    }

    /// Says once, in the log and to the CLI (a setting it reads), when this node's clock
    /// is off from its peers' by more than the allowed skew: its entries would be held by
    /// them until due, or refused for the comment period.
    fn check_clock(&mut self) {
        let offset = self.sync.clock_offset().unwrap_or(0);
        let off = offset.unsigned_abs() > margin_core::limits::CLOCK_SKEW_MS;
        if off != self.clock_off {
            self.clock_off = off;
            let value = if off {
                tracing::warn!(
                    target: "node",
                    "this computer's clock is {} its peers' by {}: set it right, or entries written here will be held by them (or refused for the comment period)",
                    if offset > 0 { "behind" } else { "ahead of" },
                    clock_words(offset.unsigned_abs())
                );
                format!("{offset} {}", Timestamp::now())
            } else {
                String::new()
            };
            if let Err(e) = self.node.store_mut().set_setting(CLOCK_SETTING, &value) {
                tracing::warn!(target: "node", "cannot record the clock's offset: {e}");
            }
        }
    }

    /// Logs how far each space's sync got, for spaces that received entries since the
    /// last report (a long first sync shows its progress in the log).
    fn log_progress(&mut self, now: Timestamp) {
        let status = self.sync.status(now);
        for space in status.spaces {
            let before = self.logged.get(&space.space).copied().unwrap_or(0);
            if space.received.entries > before {
                let pending: usize = status
                    .peers
                    .iter()
                    .flat_map(|p| p.spaces.iter())
                    .filter(|l| l.space == space.space)
                    .map(|l| l.pending)
                    .sum();
                tracing::info!(
                    target: "sync",
                    "space {}: {} entries held, {} received from peers ({} bytes), {pending} to fetch",
                    margin_core::id::short(&space.space),
                    space.entries,
                    space.received.entries,
                    space.received.bytes
                );
                self.logged.insert(space.space, space.received.entries);
            }
        }
    }

    fn record_announced(&mut self) -> Result<(), NodeError> {
        self.announced_seq = self.seen_seq.max(self.announced_seq);
        self.node
            .store_mut()
            .set_setting(ANNOUNCED_SETTING, &self.announced_seq.to_string())?;
        Ok(())
    }

    /// Gossips entries written while the node was stopped, once a peer can hear them.
    fn flush_unannounced(&mut self) {
        if self.unannounced.is_empty() || self.sync.peers().next().is_none() {
            return;
        }
        for (space, bytes) in std::mem::take(&mut self.unannounced) {
            self.act(Action::Publish(
                space,
                Announcement::of_entry(&bytes).encode(),
            ));
        }
        if let Err(e) = self.record_announced() {
            tracing::warn!(target: "node", "cannot record what was announced: {e}");
        }
    }

    /// Follows, blocks and dial requests the CLI wrote.
    fn read_settings(&mut self, now: Timestamp) -> Result<(), NodeError> {
        let follows: BTreeMap<SpaceId, FollowMode> = self
            .node
            .store()
            .follows()?
            .into_iter()
            .map(|f| (f.space, f.mode))
            .collect();
        let stored: BTreeSet<SpaceId> = self.node.store().space_ids()?.into_iter().collect();
        for space in follows.keys() {
            self.join(now, *space);
        }
        let dropped: Vec<SpaceId> = self
            .follows
            .keys()
            .filter(|s| {
                !follows.contains_key(*s) && !stored.contains(*s) && !self.trials.contains_key(*s)
            })
            .copied()
            .collect();
        for space in dropped {
            self.leave(now, &space);
        }
        self.follows = follows;
        let blocked: BTreeSet<PeerId> = self
            .node
            .store()
            .blocked()?
            .into_iter()
            .filter(|b| b.what == margin_core::vocabulary::BlockTarget::Peer)
            .filter_map(|b| b.value.parse().ok())
            .collect();
        let newly: Vec<PeerId> = blocked.difference(&self.blocked_peers).copied().collect();
        for peer in newly {
            tracing::info!(target: "node", "peer {peer} is blocked");
            let outputs = self.sync.disconnected(now, &peer);
            self.carry_out(now, outputs);
            self.act(Action::Ban(peer));
        }
        for peer in self.blocked_peers.difference(&blocked) {
            if !self.bans.contains_key(peer) {
                self.act(Action::Unban(*peer));
            }
        }
        self.blocked_peers = blocked;
        for peer in self.node.store_mut().take_dial_requests()? {
            for addr in peer.addresses.iter().filter_map(|a| a.parse().ok()) {
                self.act(Action::Dial(addr));
            }
        }
        Ok(())
    }

    /// Decodes, verifies, authorizes and stores entries a peer sent for `space`; returns
    /// a verdict for each, and for entries that were waiting for them.
    /// Passes on the id announcements whose entries are now all here, and rejects
    /// those that named an entry refused.
    fn judge_heard(&mut self, verdicts: &[(EntryId, Verdict)]) {
        if self.heard.is_empty() {
            return;
        }
        let mut held = HashSet::new();
        let mut refused = HashSet::new();
        for (id, verdict) in verdicts {
            match verdict {
                Verdict::Accepted { .. } | Verdict::Duplicate { .. } => {
                    held.insert(*id);
                }
                Verdict::Invalid(_) => {
                    refused.insert(*id);
                }
                _ => {}
            }
        }
        for (id, from, acceptance) in self.heard.judged(&held, &refused) {
            self.act(Action::Validated(id, from, acceptance));
        }
    }

    fn check(
        &mut self,
        from: &PeerId,
        space: &SpaceId,
        raw: Vec<Vec<u8>>,
    ) -> Vec<(EntryId, Verdict)> {
        let mut verdicts = vec![];
        let delivered: HashMap<EntryId, usize> = raw
            .iter()
            .map(|b| (EntryId::of_entry(b), b.len()))
            .collect();
        let mut fitting = Vec::with_capacity(raw.len());
        for bytes in raw {
            match Entry::decode(&bytes) {
                Ok(e) if e.space_or_self() != *space => verdicts.push((
                    e.id(),
                    Verdict::Invalid(format!(
                        "the entry belongs to space {}, not {}",
                        e.space_or_self().short(),
                        space.short()
                    )),
                )),
                _ => fitting.push(bytes),
            }
        }
        match self.node.receive_entries(fitting) {
            Ok(outcomes) => {
                verdicts.extend(
                    outcomes
                        .into_iter()
                        .map(|(id, outcome)| (id, outcome.sync_verdict())),
                );
            }
            Err(e) => {
                // Our own failure (the disk): nobody is penalized, the entries are
                // fetched again later.
                tracing::error!(target: "node", "cannot store entries from {from}: {e}");
            }
        }
        let over = self.charge_deliverers(from, &delivered, &mut verdicts);
        if !over.is_empty() {
            self.unkeep(from, space, &over, &mut verdicts);
        }
        self.judge_heard(&verdicts);
        let counts = self.counts.entry(*from).or_default();
        for (id, verdict) in &verdicts {
            match verdict {
                Verdict::Accepted { .. } => counts.accepted += 1,
                Verdict::Invalid(reason) => {
                    counts.refused += 1;
                    counts.last_refusal = Some(format!("entry {}: {reason}", id.short()));
                    tracing::warn!(target: "sync", "refused entry {} from {from}: {reason}", id.short());
                }
                _ => {}
            }
        }
        verdicts
    }

    /// Remembers who delivered the entries now waiting, and turns the refusal of an
    /// entry this batch only released (it was delivered earlier, perhaps by someone
    /// else) into a charge against its deliverer: `from` is not at fault for it.
    /// Remembers who delivered the entries kept waiting, and charges the refusals of
    /// entries released from waiting to whoever delivered them. Returns the entries `from`
    /// delivered that are kept waiting beyond its share ([`MAX_PARKED_ENTRIES`],
    /// [`MAX_PARKED_BYTES`]).
    fn charge_deliverers(
        &mut self,
        from: &PeerId,
        delivered: &HashMap<EntryId, usize>,
        verdicts: &mut [(EntryId, Verdict)],
    ) -> Vec<EntryId> {
        let mut over = vec![];
        for (id, verdict) in verdicts.iter_mut() {
            if let Some(len) = delivered.get(id) {
                if matches!(verdict, Verdict::Pending) {
                    if self.parked.contains_key(id) {
                        continue;
                    }
                    let (count, bytes) = self.parked_bytes.entry(*from).or_default();
                    if *count >= MAX_PARKED_ENTRIES || *bytes + len > MAX_PARKED_BYTES {
                        over.push(*id);
                    } else if self.parked.len() < MAX_PARKED {
                        *count += 1;
                        *bytes += len;
                        self.parked.insert(*id, (*from, *len));
                    }
                } else {
                    self.unpark(id);
                }
                continue;
            }
            let deliverer = self.unpark(id);
            if let Verdict::Invalid(reason) = verdict {
                let detail = format!("entry {} (released later): {reason}", id.short());
                tracing::warn!(target: "sync", "refused released entry {}: {reason}", id.short());
                if let Some(deliverer) = deliverer {
                    self.late_charges.push((deliverer, detail));
                }
                *verdict = Verdict::Refused(reason.clone());
            }
        }
        over
    }

    /// Forgets who delivered a waiting entry that is waiting no more.
    fn unpark(&mut self, id: &EntryId) -> Option<PeerId> {
        let (peer, len) = self.parked.remove(id)?;
        if let Some((count, bytes)) = self.parked_bytes.get_mut(&peer) {
            *count = count.saturating_sub(1);
            *bytes = bytes.saturating_sub(len);
            if *count == 0 {
                self.parked_bytes.remove(&peer);
            }
        }
        Some(peer)
    }

    /// Stops keeping waiting the entries `from` delivered beyond its share: not kept,
    /// as when a space's waiting room is full.
    fn unkeep(
        &mut self,
        from: &PeerId,
        space: &SpaceId,
        over: &[EntryId],
        verdicts: &mut [(EntryId, Verdict)],
    ) {
        match self.node.forget_waiting(*space, over) {
            Ok(forgotten) => {
                tracing::info!(target: "sync", "{from} delivered its share of entries waiting for their refs ({MAX_PARKED_ENTRIES} entries, {MAX_PARKED_BYTES} bytes); {} more not kept", forgotten.len());
                let forgotten: HashSet<EntryId> = forgotten.into_iter().collect();
                for (id, verdict) in verdicts.iter_mut() {
                    if forgotten.contains(id) {
                        *verdict = Verdict::Dropped;
                    }
                }
            }
            Err(e) => tracing::error!(target: "node", "cannot forget waiting entries: {e}"),
        }
    }

    /// Forgets the entries that waited for their refs past [`WAITING_EXPIRY`], and
    /// charges the peers that delivered them.
    fn expire_waiting(&mut self, now: Timestamp) -> Vec<Output<PeerId>> {
        let cutoff = now.saturating_sub_millis(WAITING_EXPIRY.as_millis() as u64);
        let expired = match self.node.expire_waiting(cutoff, EXPIRED_AT_ONCE) {
            Ok(expired) => expired,
            Err(e) => {
                tracing::error!(target: "node", "cannot expire waiting entries: {e}");
                return vec![];
            }
        };
        let mut by_peer: BTreeMap<PeerId, usize> = BTreeMap::new();
        for (space, ids) in &expired {
            tracing::info!(target: "node", "space {}: {} entries waited an hour for their refs; forgotten", space.short(), ids.len());
            for id in ids {
                if let Some(peer) = self.unpark(id) {
                    *by_peer.entry(peer).or_default() += 1;
                }
            }
        }
        let mut outputs = vec![];
        for (peer, n) in by_peer {
            let detail =
                format!("{n} entries it delivered waited an hour for entries that never came");
            self.count_refusal(&peer, &detail);
            outputs.extend(
                self.sync
                    .offence(now, &peer, Offence::UnresolvedEntries, detail),
            );
        }
        outputs
    }

    /// Charges the deliverers of released entries that were refused.
    fn charge_late(&mut self, now: Timestamp) -> Vec<Output<PeerId>> {
        let mut outputs = vec![];
        for (peer, detail) in std::mem::take(&mut self.late_charges) {
            self.count_refusal(&peer, &detail);
            outputs.extend(self.sync.offence(now, &peer, Offence::InvalidEntry, detail));
        }
        outputs
    }

    fn count_refusal(&mut self, peer: &PeerId, detail: &str) {
        let counts = self.counts.entry(*peer).or_default();
        counts.refused += 1;
        counts.last_refusal = Some(detail.to_owned());
    }

    /// Carries out the service's outputs, feeding the results of store work back in.
    fn carry_out(&mut self, now: Timestamp, outputs: Vec<Output<PeerId>>) {
        let mut work = std::collections::VecDeque::from(outputs);
        while let Some(output) = work.pop_front() {
            match output {
                Output::Send(peer, message) => self.act(Action::Send(peer, message.encode())),
                Output::Deliver {
                    from,
                    space,
                    entries,
                } => {
                    let verdicts = self.check(&from, &space, entries);
                    work.extend(self.sync.verdicts(now, &from, &space, &verdicts));
                    work.extend(self.charge_late(now));
                }
                Output::Penalize(peer, penalty) => {
                    tracing::info!(target: "sync", "peer {peer} penalized ({:?}, {:?}): {}", penalty.offence, penalty.severity, penalty.detail);
                    if penalty.offence != Offence::InvalidEntry {
                        self.count_refusal(&peer, &penalty.detail);
                    }
                }
                Output::Disconnect(peer, reason) => {
                    let margin_sync::service::DisconnectReason::Banned { until, offence } = reason;
                    tracing::warn!(target: "sync", "peer {peer} banned until {} for {offence:?}", margin_space::view::format_time(until));
                    self.bans.insert(peer, until);
                    if let Some((ip, n)) = self.addresses.banned(&peer, until) {
                        tracing::info!(target: "sync", "{n} peers from {ip} banned within the hour");
                    }
                    self.act(Action::Ban(peer));
                }
                Output::Offered(peer, spaces) => {
                    if self.policy.mirror_all {
                        for space in spaces {
                            work.extend(self.try_space(now, peer, space));
                        }
                    }
                }
            }
        }
    }

    /// A mirror of everything was offered `space` by `peer`: followed on trial, within
    /// the bounds on trials, until its charter arrives.
    fn try_space(&mut self, now: Timestamp, peer: PeerId, space: SpaceId) -> Vec<Output<PeerId>> {
        if self.follows.contains_key(&space) || self.trials.contains_key(&space) {
            return vec![];
        }
        let by_peer = self
            .trials
            .values()
            .filter(|t| t.offered_by == peer)
            .count();
        if by_peer >= MAX_TRIALS_PER_PEER || self.trials.len() >= MAX_TRIALS {
            tracing::debug!(target: "node", "not trying space {} offered by {peer}: too many on trial", space.short());
            return vec![];
        }
        tracing::info!(target: "node", "trying space {} offered by {peer} until its charter arrives", space.short());
        self.trials.insert(
            space,
            Trial {
                offered_by: peer,
                until: now.saturating_add(TRIAL),
            },
        );
        self.act(Action::Join(space));
        self.sync.join(now, space, &Stored(&self.node))
    }

    /// Spaces on trial whose charter arrived become mirrored; those whose charter did
    /// not arrive in time are left.
    fn settle_trials(&mut self, now: Timestamp) {
        let trials: Vec<(SpaceId, Trial)> = self.trials.iter().map(|(s, t)| (*s, *t)).collect();
        for (space, trial) in trials {
            let verified = self.node.store().contains(&space).unwrap_or(false);
            if verified {
                self.trials.remove(&space);
                tracing::info!(target: "node", "mirroring space {} offered by {}", space.short(), trial.offered_by);
                if let Err(e) = self.node.store_mut().follow(&space, FollowMode::Mirror) {
                    tracing::warn!(target: "node", "cannot record the mirror of {}: {e}", space.short());
                }
                self.follows.insert(space, FollowMode::Mirror);
            } else if trial.until <= now {
                self.trials.remove(&space);
                tracing::info!(target: "node", "leaving space {} offered by {}: no valid charter arrived", space.short(), trial.offered_by);
                self.leave(now, &space);
            }
        }
    }

    fn snapshot(&self, now: Timestamp) -> Snapshot {
        let status = self.sync.status(now);
        let titles: BTreeMap<SpaceId, String> = self
            .node
            .store()
            .spaces()
            .unwrap_or_default()
            .into_iter()
            .collect();
        let spaces = status
            .spaces
            .iter()
            .filter_map(|s| s.space.parse::<SpaceId>().ok())
            .map(|space| SpaceInfo {
                space: space.to_hex(),
                title: titles.get(&space).cloned(),
                mode: match self.follows.get(&space) {
                    Some(FollowMode::Mirror) => "mirror",
                    Some(FollowMode::Member) => "member",
                    None => "own",
                },
                waiting: self.node.store().pending_count(&space).unwrap_or(0),
            })
            .collect();
        let sync = SyncStatus {
            now: status.now,
            spaces: status.spaces,
            peers: status
                .peers
                .into_iter()
                .map(|p| margin_sync::service::PeerStatus {
                    peer: p.peer.to_string(),
                    connected_since: p.connected_since,
                    initiator: p.initiator,
                    score: p.score,
                    traffic: p.traffic,
                    rate: p.rate,
                    spaces: p.spaces,
                })
                .collect(),
            banned: status
                .banned
                .into_iter()
                .map(|b| margin_sync::service::BanStatus {
                    peer: b.peer.to_string(),
                    until: b.until,
                    offence: b.offence,
                })
                .collect(),
            fetching: status.fetching,
            clock_offset: status.clock_offset,
        };
        Snapshot {
            sync,
            spaces,
            counts: self
                .counts
                .iter()
                .map(|(peer, c)| (peer.to_string(), c.clone()))
                .collect(),
            mirror_all: self.policy.mirror_all,
        }
    }
}

/// A duration in words, for a person.
pub fn clock_words(ms: u64) -> String {
    let minutes = ms / 60_000;
    match minutes {
        0..=119 => format!("{minutes} minutes"),
        120..=2879 => format!("{} hours", minutes / 60),
        _ => format!("{} days", minutes / 1440),
    }
}
