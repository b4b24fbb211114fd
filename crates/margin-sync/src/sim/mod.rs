//! A deterministic many-node simulator.
//!
//! Every node runs the real [`Service`] over an in-memory [`MemoryStore`] of opaque
//! entries (random bytes whose id is their BLAKE3 hash; the simulated host accepts an
//! entry unless it is *forged*). Frames cross a simulated network with per-message
//! latency (first in, first out per direction, as on a stream), loss, duplication,
//! churn (nodes going offline and coming back with a fresh service over the same store)
//! and a partition that heals. Time is virtual and all randomness comes from one seeded
//! generator, so a run replays exactly from its seed.
//!
//! Adversarial nodes either spray garbage frames at their peers or serve forged entries;
//! honest nodes should penalize and ban them and still converge among themselves.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use margin_core::id::{EntryId, SpaceId};
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{RngExt, SeedableRng};
use serde::Serialize;

use crate::penalty::Offence;
use crate::service::{Config, Output, Service, Store, Verdict};

/// Nodes are numbered from 0.
pub type NodeId = u32;

/// Forged entries start with this; the simulated host refuses them, as a real one
/// refuses an entry whose signature does not verify.
pub const FORGED: &[u8] = b"FORGED";

/// The shape of one simulation.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub nodes: usize,
    pub seed: u64,
    /// Peers each node dials at start, and keeps dialling until it has this many links.
    pub degree: usize,
    /// One-way latency range, ms.
    pub latency: (u64, u64),
    /// Probability that a frame is lost.
    pub loss: f64,
    /// Probability that a frame is delivered twice.
    pub duplicate: f64,
    /// Probability, per node and second, of going offline (until `churn_until`).
    pub churn: f64,
    /// How long a node stays offline, ms.
    pub downtime: (u64, u64),
    pub churn_until: u64,
    /// Nodes are split in two random halves that cannot reach each other in
    /// `[start, end)` ms.
    pub partition: Option<(u64, u64)>,
    /// Spaces in the network; every node holds space 0, and each other space is held by
    /// a random half of the nodes.
    pub spaces: usize,
    /// Entries each honest node holds at the start, in each of its spaces.
    pub initial_entries: usize,
    /// Entries written by random honest nodes while the simulation runs.
    pub authored: usize,
    pub author_until: u64,
    /// Entry size range, bytes.
    pub entry_size: (usize, usize),
    /// Nodes sending garbage frames.
    pub garbage_nodes: usize,
    /// Nodes serving forged entries.
    pub forger_nodes: usize,
    pub service: Config,
    /// How often each node's service ticks, ms.
    pub tick: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            nodes: 200,
            seed: 7,
            degree: 4,
            latency: (10, 150),
            loss: 0.05,
            duplicate: 0.01,
            churn: 0.002,
            downtime: (2_000, 15_000),
            churn_until: 40_000,
            partition: Some((10_000, 30_000)),
            spaces: 2,
            initial_entries: 5,
            authored: 300,
            author_until: 40_000,
            entry_size: (64, 1024),
            garbage_nodes: 0,
            forger_nodes: 0,
            service: Config {
                reconcile_interval: 10_000,
                retry_interval: 2_000,
                session_timeout: 4_000,
                request_timeout: 4_000,
                ..Config::default()
            },
            tick: 1_000,
        }
    }
}

/// The entries one node holds, by space.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    spaces: BTreeMap<SpaceId, BTreeMap<EntryId, (u64, Vec<u8>)>>,
}

impl MemoryStore {
    /// Stores an entry whose time is its first eight bytes (little-endian).
    pub fn insert(&mut self, space: SpaceId, bytes: Vec<u8>) -> (u64, EntryId, bool) {
        let id = EntryId::of(&bytes);
        let time = entry_time(&bytes);
        let set = self.spaces.entry(space).or_default();
        let new = !set.contains_key(&id);
        if new {
            set.insert(id, (time, bytes));
        }
        (time, id, new)
    }

    pub fn ids(&self, space: &SpaceId) -> BTreeSet<EntryId> {
        self.spaces
            .get(space)
            .map(|set| set.keys().copied().collect())
            .unwrap_or_default()
    }

    pub fn len(&self, space: &SpaceId) -> usize {
        self.spaces.get(space).map_or(0, BTreeMap::len)
    }

    pub fn is_empty(&self) -> bool {
        self.spaces.values().all(BTreeMap::is_empty)
    }

    /// The verdict of the simulated host on bytes it was handed.
    pub fn check(&mut self, space: SpaceId, bytes: Vec<u8>) -> (EntryId, Verdict) {
        let id = EntryId::of(&bytes);
        if bytes.len() < 8 || bytes.starts_with(FORGED) {
            return (id, Verdict::Invalid("signature does not verify".into()));
        }
        let (time, id, new) = self.insert(space, bytes);
        if new {
            (id, Verdict::Accepted { time })
        } else {
            (id, Verdict::Duplicate { time })
        }
    }
}

impl Store for MemoryStore {
    fn items(&self, space: &SpaceId) -> Vec<(u64, EntryId)> {
        self.spaces
            .get(space)
            .map(|set| set.iter().map(|(id, (time, _))| (*time, *id)).collect())
            .unwrap_or_default()
    }

    fn entries(&self, space: &SpaceId, ids: &[EntryId]) -> Vec<Vec<u8>> {
        let Some(set) = self.spaces.get(space) else {
            return Vec::new();
        };
        ids.iter()
            .filter_map(|id| set.get(id).map(|(_, bytes)| bytes.clone()))
            .collect()
    }
}

/// An entry's time: its first eight bytes, little-endian.
pub fn entry_time(bytes: &[u8]) -> u64 {
    let mut time = [0u8; 8];
    let n = bytes.len().min(8);
    time[..n].copy_from_slice(&bytes[..n]);
    u64::from_le_bytes(time)
}

/// The id of space number `n`.
pub fn space_id(n: usize) -> SpaceId {
    EntryId::of(format!("simulated space {n}").as_bytes())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Honest,
    Garbage,
    Forger,
}

/// Traffic and incidents seen by one node.
#[derive(Debug, Default, Clone, Serialize)]
pub struct NodeStats {
    pub messages_sent: u64,
    pub bytes_sent: u64,
    pub messages_received: u64,
    pub bytes_received: u64,
    /// Penalties this node gave its peers.
    pub penalties_given: u64,
}

struct Node {
    role: Role,
    online: bool,
    service: Service<NodeId>,
    store: MemoryStore,
    spaces: Vec<SpaceId>,
    group: bool,
    stats: NodeStats,
}

struct Link {
    epoch: u64,
    /// The last delivery time scheduled in each direction (low → high, high → low).
    last: [u64; 2],
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Frame {
        from: NodeId,
        to: NodeId,
        epoch: u64,
        bytes: Vec<u8>,
    },
    Tick(NodeId),
    Author,
    Churn,
    Rejoin(NodeId),
    Maintain,
}

/// A ban one node issued against another.
#[derive(Debug, Clone, Serialize)]
pub struct BanRecord {
    pub at: u64,
    pub by: NodeId,
    pub peer: NodeId,
    pub offence: Offence,
}

/// A running simulation.
pub struct Simulation {
    config: SimConfig,
    rng: StdRng,
    now: u64,
    seq: u64,
    queue: BinaryHeap<Reverse<(u64, u64, Event)>>,
    nodes: Vec<Node>,
    links: BTreeMap<(NodeId, NodeId), Link>,
    next_epoch: u64,
    /// Every honest entry written, by space: what every holder should end up with.
    expected: BTreeMap<SpaceId, BTreeSet<EntryId>>,
    authored: usize,
    bans: Vec<BanRecord>,
    /// Penalties honest nodes gave honest peers (network faults should never cause one
    /// serious enough to matter).
    honest_penalties: Vec<(NodeId, NodeId, Offence)>,
    by_kind: BTreeMap<&'static str, (u64, u64)>,
}

impl Simulation {
    pub fn new(config: SimConfig) -> Self {
        let mut rng = StdRng::seed_from_u64(config.seed);
        let spaces: Vec<SpaceId> = (0..config.spaces.max(1)).map(space_id).collect();
        let mut roles = vec![Role::Honest; config.nodes];
        let mut order: Vec<usize> = (0..config.nodes).collect();
        order.shuffle(&mut rng);
        for (i, &node) in order.iter().enumerate() {
            if i < config.garbage_nodes {
                roles[node] = Role::Garbage;
            } else if i < config.garbage_nodes + config.forger_nodes {
                roles[node] = Role::Forger;
            }
        }
        let mut expected: BTreeMap<SpaceId, BTreeSet<EntryId>> = spaces
            .iter()
            .map(|space| (*space, BTreeSet::new()))
            .collect();
        let mut nodes = Vec::with_capacity(config.nodes);
        for (n, role) in roles.into_iter().enumerate() {
            let held: Vec<SpaceId> = spaces
                .iter()
                .enumerate()
                .filter(|(i, _)| *i == 0 || rng.random_bool(0.5))
                .map(|(_, space)| *space)
                .collect();
            let mut store = MemoryStore::default();
            // Garbage nodes hold nothing; forgers hold only forged entries.
            let initial = if role == Role::Garbage {
                0
            } else {
                config.initial_entries
            };
            for space in &held {
                for _ in 0..initial {
                    let bytes = random_entry(&mut rng, &config, 0, role == Role::Forger);
                    let (_, id, _) = store.insert(*space, bytes);
                    if role == Role::Honest {
                        expected.entry(*space).or_default().insert(id);
                    }
                }
            }
            let id = NodeId::try_from(n).expect("fewer than 2^32 nodes");
            let mut service = Service::new(id, config.service.clone());
            for space in &held {
                service.join(0, *space, &store);
            }
            nodes.push(Node {
                role,
                online: true,
                service,
                store,
                spaces: held,
                group: rng.random_bool(0.5),
                stats: NodeStats::default(),
            });
        }
        let mut sim = Self {
            config,
            rng,
            now: 0,
            seq: 0,
            queue: BinaryHeap::new(),
            nodes,
            links: BTreeMap::new(),
            next_epoch: 0,
            expected,
            authored: 0,
            bans: Vec::new(),
            honest_penalties: Vec::new(),
            by_kind: BTreeMap::new(),
        };
        for n in 0..sim.nodes.len() {
            let id = n as NodeId;
            let phase = sim.rng.random_range(0..sim.config.tick.max(1));
            sim.schedule(phase, Event::Tick(id));
        }
        for n in 0..sim.nodes.len() {
            sim.dial_random(n as NodeId, sim.config.degree, None);
        }
        for n in 0..sim.nodes.len() {
            sim.cover_spaces(n as NodeId);
        }
        if sim.config.authored > 0 {
            let at = sim.author_delay();
            sim.schedule(at, Event::Author);
        }
        sim.schedule(1_000, Event::Churn);
        sim.schedule(2_000, Event::Maintain);
        sim
    }

    /// Virtual time, ms.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// The time after which no fault but loss and duplication is injected.
    pub fn quiet_after(&self) -> u64 {
        let partition = self.config.partition.map_or(0, |(_, end)| end);
        let churn = self.config.churn_until + self.config.downtime.1;
        let authoring = if self.config.authored > 0 {
            self.config.author_until
        } else {
            0
        };
        partition.max(churn).max(authoring)
    }

    /// Runs until every honest node holds every honest entry of its spaces (and no more),
    /// or until `deadline`; returns the convergence time.
    pub fn run_until_converged(&mut self, deadline: u64) -> Option<u64> {
        let quiet = self.quiet_after();
        let mut check = 0;
        while let Some(Reverse((at, _, event))) = self.queue.pop() {
            if at > deadline {
                return None;
            }
            if at >= check && at >= quiet {
                if self.converged() {
                    return Some(self.now);
                }
                check = at + 250;
            }
            self.now = at;
            self.handle(event);
        }
        self.converged().then_some(self.now)
    }

    /// Whether every honest node is online and holds exactly the honest entries of its
    /// spaces.
    pub fn converged(&self) -> bool {
        self.nodes
            .iter()
            .filter(|node| node.role == Role::Honest)
            .all(|node| {
                node.online
                    && node
                        .spaces
                        .iter()
                        .all(|space| node.store.len(space) == self.expected[space].len())
            })
    }

    /// Nodes whose entries differ from what they should hold, with the number missing.
    pub fn lagging(&self) -> Vec<(NodeId, usize)> {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, node)| node.role == Role::Honest)
            .filter_map(|(n, node)| {
                let missing: usize = node
                    .spaces
                    .iter()
                    .map(|space| {
                        self.expected[space]
                            .difference(&node.store.ids(space))
                            .count()
                    })
                    .sum();
                (missing > 0 || !node.online).then_some((n as NodeId, missing))
            })
            .collect()
    }

    /// Checks set equality (not just counts) for every honest node.
    pub fn holds_exactly_expected(&self) -> bool {
        self.nodes
            .iter()
            .filter(|node| node.role == Role::Honest)
            .all(|node| {
                node.spaces
                    .iter()
                    .all(|space| node.store.ids(space) == self.expected[space])
            })
    }

    /// For each missing entry, who holds it (debugging aid).
    pub fn holders_of_missing(&self) -> Vec<(EntryId, Vec<NodeId>)> {
        let mut out = Vec::new();
        for (space, ids) in &self.expected {
            for id in ids {
                let holders: Vec<NodeId> = self
                    .nodes
                    .iter()
                    .enumerate()
                    .filter(|(_, node)| node.store.ids(space).contains(id))
                    .map(|(n, _)| n as NodeId)
                    .collect();
                let wanting = self
                    .nodes
                    .iter()
                    .filter(|node| node.role == Role::Honest && node.spaces.contains(space))
                    .count();
                if holders.len() < wanting {
                    out.push((*id, holders));
                }
            }
        }
        out
    }

    /// The sync status of one node.
    pub fn status(&self, node: NodeId) -> crate::service::Status<NodeId> {
        self.nodes[node as usize].service.status(self.now)
    }

    pub fn online(&self, node: NodeId) -> bool {
        self.nodes[node as usize].online
    }

    pub fn role(&self, node: NodeId) -> Role {
        self.nodes[node as usize].role
    }

    pub fn stats(&self) -> Vec<(NodeId, Role, NodeStats)> {
        self.nodes
            .iter()
            .enumerate()
            .map(|(n, node)| (n as NodeId, node.role, node.stats.clone()))
            .collect()
    }

    /// Messages and bytes sent by all nodes, by message kind.
    pub fn traffic_by_kind(&self) -> &BTreeMap<&'static str, (u64, u64)> {
        &self.by_kind
    }

    pub fn bans(&self) -> &[BanRecord] {
        &self.bans
    }

    pub fn honest_penalties(&self) -> &[(NodeId, NodeId, Offence)] {
        &self.honest_penalties
    }

    /// Honest entries written, by space.
    pub fn expected(&self) -> &BTreeMap<SpaceId, BTreeSet<EntryId>> {
        &self.expected
    }

    // ----- events -----

    fn schedule(&mut self, at: u64, event: Event) {
        self.seq += 1;
        self.queue.push(Reverse((at, self.seq, event)));
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Frame {
                from,
                to,
                epoch,
                bytes,
            } => {
                let live = self
                    .links
                    .get(&key(from, to))
                    .is_some_and(|link| link.epoch == epoch);
                if !live || self.partitioned(from, to) {
                    return;
                }
                let node = &mut self.nodes[to as usize];
                node.stats.messages_received += 1;
                node.stats.bytes_received += bytes.len() as u64;
                let outputs = node.service.received(self.now, &from, &bytes, &node.store);
                self.carry_out(to, outputs);
            }
            Event::Tick(n) => {
                let next = self.now + self.config.tick;
                self.schedule(next, Event::Tick(n));
                if !self.nodes[n as usize].online {
                    return;
                }
                if self.nodes[n as usize].role == Role::Garbage {
                    self.spray_garbage(n);
                }
                let outputs = self.nodes[n as usize].service.tick(self.now);
                self.carry_out(n, outputs);
            }
            Event::Author => self.author(),
            Event::Churn => {
                if self.now < self.config.churn_until {
                    self.schedule(self.now + 1_000, Event::Churn);
                    for n in 0..self.nodes.len() {
                        if self.nodes[n].online && self.rng.random_bool(self.config.churn) {
                            self.go_offline(n as NodeId);
                        }
                    }
                }
            }
            Event::Rejoin(n) => self.rejoin(n),
            Event::Maintain => {
                self.schedule(self.now + 2_000, Event::Maintain);
                for n in 0..self.nodes.len() {
                    let id = n as NodeId;
                    if self.nodes[n].online {
                        if self.degree(id) < self.config.degree {
                            self.dial_random(id, 1, None);
                        }
                        self.cover_spaces(id);
                    }
                }
            }
        }
    }

    fn author(&mut self) {
        self.authored += 1;
        if self.authored < self.config.authored {
            let at = self.now + self.author_delay();
            self.schedule(at, Event::Author);
        }
        let honest: Vec<usize> = (0..self.nodes.len())
            .filter(|n| self.nodes[*n].online && self.nodes[*n].role == Role::Honest)
            .collect();
        let Some(&n) = honest.choose(&mut self.rng) else {
            return;
        };
        let Some(&space) = self.nodes[n].spaces.choose(&mut self.rng) else {
            return;
        };
        let bytes = random_entry(&mut self.rng, &self.config, self.now, false);
        let node = &mut self.nodes[n];
        let (time, id, _) = node.store.insert(space, bytes);
        self.expected.entry(space).or_default().insert(id);
        let outputs = node.service.inserted(&space, &[(time, id)]);
        self.carry_out(n as NodeId, outputs);
    }

    fn author_delay(&mut self) -> u64 {
        let mean = self.config.author_until / self.config.authored.max(1) as u64;
        self.rng.random_range(0..=2 * mean.max(1))
    }

    fn spray_garbage(&mut self, n: NodeId) {
        for peer in self.neighbours(n) {
            let len = self.rng.random_range(1..300);
            let mut bytes = vec![0u8; len];
            self.rng.fill(&mut bytes[..]);
            self.transmit(n, peer, bytes);
        }
    }

    fn carry_out(&mut self, n: NodeId, outputs: Vec<Output<NodeId>>) {
        let mut work = std::collections::VecDeque::from(outputs);
        while let Some(output) = work.pop_front() {
            match output {
                Output::Send(to, message) => {
                    let bytes = message.encode();
                    let kind = self.by_kind.entry(message.kind()).or_default();
                    kind.0 += 1;
                    kind.1 += bytes.len() as u64;
                    let node = &mut self.nodes[n as usize];
                    node.stats.messages_sent += 1;
                    node.stats.bytes_sent += bytes.len() as u64;
                    self.transmit(n, to, bytes);
                }
                Output::Deliver {
                    from,
                    space,
                    entries,
                } => {
                    let node = &mut self.nodes[n as usize];
                    let verdicts: Vec<(EntryId, Verdict)> = entries
                        .into_iter()
                        .map(|bytes| node.store.check(space, bytes))
                        .collect();
                    work.extend(node.service.verdicts(self.now, &from, &space, &verdicts));
                }
                Output::Penalize(peer, penalty) => {
                    self.nodes[n as usize].stats.penalties_given += 1;
                    if self.nodes[n as usize].role == Role::Honest
                        && self.nodes[peer as usize].role == Role::Honest
                    {
                        self.honest_penalties.push((n, peer, penalty.offence));
                    }
                }
                Output::Disconnect(peer, reason) => {
                    let crate::service::DisconnectReason::Banned { offence, .. } = reason;
                    self.bans.push(BanRecord {
                        at: self.now,
                        by: n,
                        peer,
                        offence,
                    });
                    self.close(n, peer);
                }
                // Simulated nodes replicate only the spaces they were given.
                Output::Offered(..) => {}
            }
        }
    }

    fn transmit(&mut self, from: NodeId, to: NodeId, bytes: Vec<u8>) {
        let Some(link) = self.links.get(&key(from, to)) else {
            return;
        };
        let epoch = link.epoch;
        if self.rng.random_bool(self.config.loss) {
            return;
        }
        let (low, high) = self.config.latency;
        let latency = self.rng.random_range(low..=high.max(low));
        let copies = if self.rng.random_bool(self.config.duplicate) {
            2
        } else {
            1
        };
        let direction = usize::from(from > to);
        let link = self.links.get_mut(&key(from, to)).expect("looked up above");
        let at = (self.now + latency).max(link.last[direction]);
        link.last[direction] = at;
        for _ in 1..copies {
            let event = Event::Frame {
                from,
                to,
                epoch,
                bytes: bytes.clone(),
            };
            self.schedule(at, event);
        }
        self.schedule(
            at,
            Event::Frame {
                from,
                to,
                epoch,
                bytes,
            },
        );
    }

    fn partitioned(&self, a: NodeId, b: NodeId) -> bool {
        self.config
            .partition
            .is_some_and(|(start, end)| (start..end).contains(&self.now))
            && self.nodes[a as usize].group != self.nodes[b as usize].group
    }

    fn neighbours(&self, n: NodeId) -> Vec<NodeId> {
        self.links
            .keys()
            .filter_map(|&(a, b)| {
                if a == n {
                    Some(b)
                } else if b == n {
                    Some(a)
                } else {
                    None
                }
            })
            .collect()
    }

    fn degree(&self, n: NodeId) -> usize {
        self.neighbours(n).len()
    }

    /// Dials up to `count` random reachable peers (holding `space`, if given: the
    /// provider lookup a real node does in the DHT).
    fn dial_random(&mut self, n: NodeId, count: usize, space: Option<SpaceId>) {
        let candidates: Vec<NodeId> = (0..self.nodes.len() as NodeId)
            .filter(|&m| {
                m != n
                    && self.nodes[m as usize].online
                    && !self.links.contains_key(&key(n, m))
                    && !self.partitioned(n, m)
                    && space.is_none_or(|space| self.nodes[m as usize].spaces.contains(&space))
            })
            .collect();
        let chosen: Vec<NodeId> = candidates.sample(&mut self.rng, count).copied().collect();
        for m in chosen {
            self.connect(n, m);
        }
    }

    /// Makes sure the node has a neighbour in each of its spaces.
    fn cover_spaces(&mut self, n: NodeId) {
        let neighbours = self.neighbours(n);
        for space in self.nodes[n as usize].spaces.clone() {
            let covered = neighbours
                .iter()
                .any(|m| self.nodes[*m as usize].spaces.contains(&space));
            if !covered {
                self.dial_random(n, 1, Some(space));
            }
        }
    }

    fn connect(&mut self, a: NodeId, b: NodeId) {
        self.next_epoch += 1;
        self.links.insert(
            key(a, b),
            Link {
                epoch: self.next_epoch,
                last: [self.now; 2],
            },
        );
        let outputs = self.nodes[a as usize].service.connected(self.now, b);
        self.carry_out(a, outputs);
        if self.links.contains_key(&key(a, b)) {
            let outputs = self.nodes[b as usize].service.connected(self.now, a);
            self.carry_out(b, outputs);
        }
    }

    fn close(&mut self, a: NodeId, b: NodeId) {
        if self.links.remove(&key(a, b)).is_none() {
            return;
        }
        for (x, y) in [(a, b), (b, a)] {
            if self.nodes[x as usize].online {
                let outputs = self.nodes[x as usize].service.disconnected(self.now, &y);
                self.carry_out(x, outputs);
            }
        }
    }

    fn go_offline(&mut self, n: NodeId) {
        for peer in self.neighbours(n) {
            self.close(n, peer);
        }
        self.nodes[n as usize].online = false;
        let (low, high) = self.config.downtime;
        let back = self.now + self.rng.random_range(low..=high.max(low));
        self.schedule(back, Event::Rejoin(n));
    }

    /// A restart: a fresh service over the same store.
    fn rejoin(&mut self, n: NodeId) {
        let node = &mut self.nodes[n as usize];
        node.online = true;
        node.service = Service::new(n, self.config.service.clone());
        for space in node.spaces.clone() {
            node.service.join(self.now, space, &node.store);
        }
        self.dial_random(n, self.config.degree, None);
        self.cover_spaces(n);
    }
}

fn key(a: NodeId, b: NodeId) -> (NodeId, NodeId) {
    (a.min(b), a.max(b))
}

fn random_entry(rng: &mut StdRng, config: &SimConfig, now: u64, forged: bool) -> Vec<u8> {
    let (low, high) = config.entry_size;
    let len = rng.random_range(low.max(16)..=high.max(low.max(16)));
    let mut bytes = vec![0u8; len];
    rng.fill(&mut bytes[..]);
    let time = 1_700_000_000_000 + now + rng.random_range(0..1_000);
    bytes[..8].copy_from_slice(&time.to_le_bytes());
    if forged {
        bytes[..FORGED.len()].copy_from_slice(FORGED);
    }
    bytes
}
