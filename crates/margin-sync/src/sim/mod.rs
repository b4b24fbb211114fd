//! A deterministic many-node simulator.
//!
//! Every node runs the real [`Service`] over an in-memory [`MemoryStore`] that decides on
//! entries as a real host does: entries name the entries they refer to, wait until those
//! arrive, and are then accepted (see [`host`]). Honest nodes write entries that refer to
//! the latest entries they hold — mostly their own previous one, so long chains form —
//! some while offline, to bring back later. Frames cross a simulated network with a
//! latency range per link (first in, first out per direction, as on a stream), loss,
//! duplication, restarts (a fresh service over the same store), partitions that heal,
//! newcomers that join late with an empty store, and mirrors that replicate every space
//! they are offered. Time is virtual and all randomness comes from one seeded generator,
//! so a run replays exactly from its seed.
//!
//! Adversarial nodes either spray garbage frames at their peers or serve forged entries;
//! honest nodes should penalize and ban them and still converge among themselves.
//!
//! [`Simulation::run_checked`] runs a simulation to the end and checks what every run
//! must satisfy; [`SimConfig::sampled`] draws a small network and its whole schedule from
//! a seed, so many seeds can be run and any failing one replayed.

mod check;
mod config;
pub mod host;
mod trace;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};

use margin_core::Timestamp;
use margin_core::id::{EntryId, SpaceId};
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{RngExt, SeedableRng};
use serde::Serialize;

pub use check::{LINGER_SLACK, Outcome, REDUNDANT_SLACK};
pub use config::SimConfig;
pub use host::{FORGED, MAX_WAITING, MemoryStore, entry_bytes, entry_refs, entry_time};

use crate::message::Message;
use crate::penalty::Offence;
use crate::service::{DisconnectReason, Output, Service, Verdict};

/// Nodes are numbered from 0.
pub type NodeId = u32;

/// Simulated times start here (ms since the Unix epoch), as real entries' times do.
const EPOCH: u64 = 1_700_000_000_000;

/// Entries a written entry refers to, at most.
const MAX_REFS: usize = 3;

/// How often a node's next entry refers to its previous one in the same space.
const CHAIN: f64 = 0.85;

/// Other refs are drawn among the entries a node accepted last.
const RECENT: usize = 32;

/// How often the simulated network looks after its links, ms.
const MAINTAIN_EVERY: u64 = 2_000;

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

/// Traffic, verdicts and incidents seen by one node.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct NodeStats {
    pub messages_sent: u64,
    pub bytes_sent: u64,
    pub messages_received: u64,
    pub bytes_received: u64,
    /// Penalties this node gave its peers.
    pub penalties_given: u64,
    /// Entries from peers that its host accepted, released ones included.
    pub accepted: u64,
    /// `Pending` verdicts: entries kept waiting for their refs.
    pub pending: u64,
    /// Entries accepted because what they waited for arrived.
    pub released: u64,
    /// Entries its host had no room to keep waiting.
    pub dropped: u64,
    /// Entries received that the host already held or already kept waiting (a
    /// `Duplicate` or a repeated `Pending`): fetched for nothing. Races make a few; a
    /// fetch loop makes them grow with time.
    pub redundant: u64,
    /// The most times one entry was received redundantly.
    pub most_repeated: u32,
    /// Entries its host kept waiting when the node restarted, summed over restarts: a
    /// fresh service does not know them, so may fetch each once more.
    pub waiting_at_restarts: u64,
    pub restarts: u64,
}

struct Node {
    role: Role,
    /// Replicates every space it is offered.
    mirror: bool,
    online: bool,
    service: Service<NodeId>,
    store: MemoryStore,
    spaces: Vec<SpaceId>,
    /// Its side of each partition.
    sides: Vec<bool>,
    /// The last entry it wrote in each space: its next one there usually refers to it.
    latest: BTreeMap<SpaceId, EntryId>,
    /// How many times each entry was received redundantly.
    repeats: BTreeMap<EntryId, u32>,
    stats: NodeStats,
}

struct Link {
    epoch: u64,
    /// This link's one-way latency range, ms.
    latency: (u64, u64),
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
    Burst,
    /// A partition begins.
    Split,
    /// Back online; with a fresh service if `restart`.
    Rejoin {
        node: NodeId,
        restart: bool,
    },
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
    /// Lines describing every frame and verdict, when recording.
    trace: Option<Vec<String>>,
}

impl Simulation {
    pub fn new(config: SimConfig) -> Self {
        Self::start(config, None)
    }

    /// A simulation that records a line for every connection opened or closed, every
    /// frame sent (and whether the network lost it), delivered or cut by a partition,
    /// and every batch of verdicts: see [`trace`](Self::trace).
    pub fn traced(config: SimConfig) -> Self {
        Self::start(config, Some(Vec::new()))
    }

    fn start(config: SimConfig, trace: Option<Vec<String>>) -> Self {
        let mut rng = StdRng::seed_from_u64(config.seed);
        let spaces: Vec<SpaceId> = (0..config.spaces.max(1)).map(space_id).collect();
        let mut roles = vec![Role::Honest; config.nodes];
        let mut mirrors = vec![false; config.nodes];
        let mut late = vec![false; config.nodes];
        let mut order: Vec<usize> = (0..config.nodes).collect();
        order.shuffle(&mut rng);
        let adversaries = config.garbage_nodes + config.forger_nodes;
        for (i, &node) in order.iter().enumerate() {
            if i < config.garbage_nodes {
                roles[node] = Role::Garbage;
            } else if i < adversaries {
                roles[node] = Role::Forger;
            } else if i < adversaries + config.mirrors {
                mirrors[node] = true;
            } else if i < adversaries + config.mirrors + config.late_joiners {
                late[node] = true;
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
                .filter(|_| !mirrors[n])
                .collect();
            let sides = config
                .partitions
                .iter()
                .map(|_| rng.random_bool(0.5))
                .collect();
            let id = NodeId::try_from(n).expect("fewer than 2^32 nodes");
            let mut node = Node {
                role,
                mirror: mirrors[n],
                online: !late[n],
                service: Service::new(id, config.service.clone()),
                store: MemoryStore::with_max_waiting(config.max_waiting),
                spaces: held.clone(),
                sides,
                latest: BTreeMap::new(),
                repeats: BTreeMap::new(),
                stats: NodeStats::default(),
            };
            // Garbage nodes, mirrors and newcomers hold nothing; forgers hold only
            // forged entries.
            let initial = if role == Role::Garbage || mirrors[n] || late[n] {
                0
            } else {
                config.initial_entries
            };
            for space in &held {
                for _ in 0..initial {
                    if role == Role::Forger {
                        let bytes = forged_entry(&mut rng, &config);
                        node.store.insert(*space, bytes);
                    } else {
                        let (_, id) = write(&mut rng, &config, &mut node, *space, 0, CHAIN);
                        expected.entry(*space).or_default().insert(id);
                    }
                }
            }
            for space in &held {
                node.service
                    .join(Timestamp::from_millis(EPOCH), *space, &node.store);
            }
            nodes.push(node);
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
            trace,
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
        // Newcomers come online later, with a service that never ran.
        for (n, _) in late.iter().enumerate().filter(|(_, late)| **late) {
            let (low, high) = sim.config.late_join;
            let at = sim.rng.random_range(low..=high.max(low));
            let node = n as NodeId;
            let restart = false;
            sim.schedule(at, Event::Rejoin { node, restart });
        }
        if sim.config.authored > 0 {
            let at = sim.author_delay();
            sim.schedule(at, Event::Author);
        }
        for _ in 0..sim.config.bursts {
            let at = sim.rng.random_range(0..sim.config.author_until.max(1));
            sim.schedule(at, Event::Burst);
        }
        for (start, _) in sim.config.partitions.clone() {
            sim.schedule(start, Event::Split);
        }
        sim.schedule(1_000, Event::Churn);
        sim.schedule(MAINTAIN_EVERY, Event::Maintain);
        sim
    }

    /// What a [traced](Self::traced) simulation recorded so far.
    pub fn trace(&self) -> &[String] {
        self.trace.as_deref().unwrap_or_default()
    }

    fn note(&mut self, line: impl FnOnce() -> String) {
        if let Some(trace) = &mut self.trace {
            trace.push(format!("{:>8} {}", self.now, line()));
        }
    }

    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// Virtual time, ms.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// The time after which no fault but loss and duplication is injected.
    pub fn quiet_after(&self) -> u64 {
        self.config.quiet_after()
    }

    /// Runs until every honest node holds every honest entry of its spaces with nothing
    /// left waiting, or until `deadline`; returns the convergence time.
    pub fn run_until_converged(&mut self, deadline: u64) -> Option<u64> {
        let quiet = self.quiet_after();
        let mut check = 0;
        while let Some(Reverse((at, _, _))) = self.queue.peek() {
            let at = *at;
            if at > deadline {
                self.now = deadline;
                return None;
            }
            if at >= check && at >= quiet {
                if self.converged() {
                    return Some(self.now);
                }
                check = at + 250;
            }
            self.step();
        }
        self.converged().then_some(self.now)
    }

    /// Runs every event up to `until`.
    pub fn run_until(&mut self, until: u64) {
        while self
            .queue
            .peek()
            .is_some_and(|Reverse((at, _, _))| *at <= until)
        {
            self.step();
        }
        self.now = self.now.max(until);
    }

    fn step(&mut self) {
        if let Some(Reverse((at, _, event))) = self.queue.pop() {
            self.now = at;
            self.handle(event);
        }
    }

    /// Whether every honest node is online and holds exactly as many entries as were
    /// written in each of its spaces, with none waiting.
    pub fn converged(&self) -> bool {
        self.nodes
            .iter()
            .filter(|node| node.role == Role::Honest)
            .all(|node| {
                node.online
                    && node.spaces.iter().all(|space| {
                        node.store.len(space) == self.expected[space].len()
                            && node.store.waiting_len(space) == 0
                    })
            })
    }

    /// Honest nodes that are offline, lack entries or keep some waiting, with the number
    /// lacking.
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
                let waiting: usize = node
                    .spaces
                    .iter()
                    .map(|space| node.store.waiting_len(space))
                    .sum();
                (missing > 0 || waiting > 0 || !node.online).then_some((n as NodeId, missing))
            })
            .collect()
    }

    /// Checks set equality (not just counts) for every honest node, and that nothing
    /// waits.
    pub fn holds_exactly_expected(&self) -> bool {
        self.nodes
            .iter()
            .filter(|node| node.role == Role::Honest)
            .all(|node| {
                node.spaces.iter().all(|space| {
                    node.store.ids(space) == self.expected[space]
                        && node.store.waiting_len(space) == 0
                })
            })
    }

    /// For each missing entry, who holds it (debugging aid).
    pub fn holders_of_missing(&self) -> Vec<(EntryId, Vec<NodeId>)> {
        let mut out = Vec::new();
        for (space, ids) in &self.expected {
            let wanting = self
                .nodes
                .iter()
                .filter(|node| node.role == Role::Honest && node.spaces.contains(space))
                .count();
            for id in ids {
                let holders: Vec<NodeId> = self
                    .nodes
                    .iter()
                    .enumerate()
                    .filter(|(_, node)| node.store.holds(space, id))
                    .map(|(n, _)| n as NodeId)
                    .collect();
                if holders.len() < wanting {
                    out.push((*id, holders));
                }
            }
        }
        out
    }

    /// The sync status of one node.
    pub fn status(&self, node: NodeId) -> crate::service::Status<NodeId> {
        self.nodes[node as usize].service.status(clock(self.now))
    }

    /// The host's store of one node.
    pub fn store(&self, node: NodeId) -> &MemoryStore {
        &self.nodes[node as usize].store
    }

    /// The spaces one node replicates.
    pub fn spaces(&self, node: NodeId) -> &[SpaceId] {
        &self.nodes[node as usize].spaces
    }

    pub fn online(&self, node: NodeId) -> bool {
        self.nodes[node as usize].online
    }

    pub fn role(&self, node: NodeId) -> Role {
        self.nodes[node as usize].role
    }

    pub fn is_mirror(&self, node: NodeId) -> bool {
        self.nodes[node as usize].mirror
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
                    self.note(|| format!("{from}->{to} cut"));
                    return;
                }
                self.note(|| format!("{from}->{to} arrived ({} bytes)", bytes.len()));
                let node = &mut self.nodes[to as usize];
                node.stats.messages_received += 1;
                node.stats.bytes_received += bytes.len() as u64;
                let outputs = node
                    .service
                    .received(clock(self.now), &from, &bytes, &node.store);
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
                let outputs = self.nodes[n as usize].service.tick(clock(self.now));
                self.carry_out(n, outputs);
            }
            Event::Author => self.author(),
            Event::Churn => {
                if self.now < self.config.churn_until {
                    self.schedule(self.now + 1_000, Event::Churn);
                    for n in 0..self.nodes.len() {
                        if self.nodes[n].online && self.rng.random_bool(self.config.churn) {
                            let downtime = self.downtime();
                            self.go_offline(n as NodeId, downtime, true);
                        }
                    }
                }
            }
            Event::Burst => self.burst(),
            Event::Split => self.split(),
            Event::Rejoin { node, restart } => self.rejoin(node, restart),
            Event::Maintain => {
                self.schedule(self.now + MAINTAIN_EVERY, Event::Maintain);
                for n in 0..self.nodes.len() {
                    let id = n as NodeId;
                    if !self.nodes[n].online {
                        continue;
                    }
                    if self.degree(id) < self.config.degree {
                        self.dial_random(id, 1, None);
                    } else if self.rng.random_bool(self.config.redial) {
                        self.redial(id);
                    }
                    self.cover_spaces(id);
                }
            }
        }
    }

    /// Honest nodes that write: online, not mirrors, holding a space.
    fn writers(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|n| {
                let node = &self.nodes[*n];
                node.online && node.role == Role::Honest && !node.mirror && !node.spaces.is_empty()
            })
            .collect()
    }

    fn author(&mut self) {
        self.authored += 1;
        if self.authored < self.config.authored {
            let at = self.now + self.author_delay();
            self.schedule(at, Event::Author);
        }
        let Some(&n) = self.writers().choose(&mut self.rng) else {
            return;
        };
        let Some(&space) = self.nodes[n].spaces.choose(&mut self.rng) else {
            return;
        };
        self.write_at(n, space, self.now, CHAIN);
    }

    /// A partition begins: connections across it break (their keep-alives fail), and
    /// the frames on their way are lost.
    fn split(&mut self) {
        let crossing: Vec<(NodeId, NodeId)> = self
            .links
            .keys()
            .filter(|(a, b)| self.partitioned(*a, *b))
            .copied()
            .collect();
        for (a, b) in crossing {
            self.close(a, b);
        }
    }

    /// A node goes offline, writes a chain of entries in one of its spaces while it is
    /// away, and comes back.
    fn burst(&mut self) {
        let Some(&n) = self.writers().choose(&mut self.rng) else {
            return;
        };
        let Some(&space) = self.nodes[n].spaces.choose(&mut self.rng) else {
            return;
        };
        let downtime = self.downtime();
        let restart = self.rng.random_bool(0.5);
        self.go_offline(n as NodeId, downtime, restart);
        let (low, high) = self.config.burst_entries;
        let count = self.rng.random_range(low..=high.max(low)).max(1);
        for i in 0..count {
            let at = self.now + downtime * i as u64 / count as u64;
            self.write_at(n, space, at, 1.0);
        }
    }

    /// Node `n` writes an entry in `space` at virtual time `at`.
    fn write_at(&mut self, n: usize, space: SpaceId, at: u64, chain: f64) {
        let node = &mut self.nodes[n];
        let (time, id) = write(&mut self.rng, &self.config, node, space, at, chain);
        self.expected.entry(space).or_default().insert(id);
        let outputs = node
            .service
            .inserted(clock(self.now), &space, &[(time, id)]);
        if node.online {
            self.carry_out(n as NodeId, outputs);
        }
    }

    fn author_delay(&mut self) -> u64 {
        let mean = self.config.author_until / self.config.authored.max(1) as u64;
        self.rng.random_range(0..=2 * mean.max(1))
    }

    fn downtime(&mut self) -> u64 {
        let (low, high) = self.config.downtime;
        self.rng.random_range(low..=high.max(low))
    }

    fn spray_garbage(&mut self, n: NodeId) {
        for peer in self.neighbours(n) {
            let len = self.rng.random_range(1..300);
            let mut bytes = vec![0u8; len];
            self.rng.fill(&mut bytes[..]);
            self.transmit(n, peer, bytes, true);
        }
    }

    fn carry_out(&mut self, n: NodeId, outputs: Vec<Output<NodeId>>) {
        let mut work = VecDeque::from(outputs);
        while let Some(output) = work.pop_front() {
            match output {
                Output::Send(to, message) => {
                    let bytes = message.encode();
                    self.note(|| format!("{n}->{to} {}", trace::message(&message)));
                    let lossy =
                        self.config.lose_hellos || !matches!(message, Message::Hello { .. });
                    let kind = self.by_kind.entry(message.kind()).or_default();
                    kind.0 += 1;
                    kind.1 += bytes.len() as u64;
                    let node = &mut self.nodes[n as usize];
                    node.stats.messages_sent += 1;
                    node.stats.bytes_sent += bytes.len() as u64;
                    self.transmit(n, to, bytes, lossy);
                }
                Output::Deliver {
                    from,
                    space,
                    entries,
                } => {
                    let verdicts = self.nodes[n as usize].receive(space, entries);
                    self.note(|| format!("{n} from {from}: {}", trace::verdicts(&verdicts)));
                    let node = &mut self.nodes[n as usize];
                    work.extend(
                        node.service
                            .verdicts(clock(self.now), &from, &space, &verdicts),
                    );
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
                    let DisconnectReason::Banned { offence, .. } = reason;
                    self.bans.push(BanRecord {
                        at: self.now,
                        by: n,
                        peer,
                        offence,
                    });
                    self.close(n, peer);
                }
                Output::Offered(_, spaces) => {
                    // Other nodes replicate only the spaces they were given.
                    if self.nodes[n as usize].mirror {
                        for space in spaces {
                            work.extend(self.mirror(n, space));
                        }
                    }
                }
            }
        }
    }

    /// A mirror joins a space it was offered (one of the network's).
    fn mirror(&mut self, n: NodeId, space: SpaceId) -> Vec<Output<NodeId>> {
        let node = &mut self.nodes[n as usize];
        if !self.expected.contains_key(&space) || node.spaces.contains(&space) {
            return Vec::new();
        }
        node.spaces.push(space);
        node.service.join(clock(self.now), space, &node.store)
    }

    /// Puts a frame on the link, unless the network loses it (only if `lossy`).
    fn transmit(&mut self, from: NodeId, to: NodeId, bytes: Vec<u8>, lossy: bool) {
        let Some(link) = self.links.get(&key(from, to)) else {
            return;
        };
        let epoch = link.epoch;
        let (low, high) = link.latency;
        if self.rng.random_bool(self.config.loss) && lossy {
            self.note(|| format!("{from}->{to} lost"));
            return;
        }
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
        let (a, b) = (&self.nodes[a as usize], &self.nodes[b as usize]);
        self.config
            .partitions
            .iter()
            .enumerate()
            .any(|(i, (start, end))| (*start..*end).contains(&self.now) && a.sides[i] != b.sides[i])
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
        if !self.nodes[n as usize].online {
            return;
        }
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

    /// Dials one more peer sharing a space, making room first if the node has more links
    /// than it keeps.
    fn redial(&mut self, n: NodeId) {
        let neighbours = self.neighbours(n);
        if neighbours.len() > self.config.degree
            && let Some(&peer) = neighbours.choose(&mut self.rng)
        {
            self.close(n, peer);
        }
        let spaces = self.nodes[n as usize].spaces.clone();
        let space = spaces.choose(&mut self.rng).copied();
        self.dial_random(n, 1, space);
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
        let (low, high) = self.config.latency;
        let x = self.rng.random_range(low..=high.max(low));
        let y = self.rng.random_range(low..=high.max(low));
        self.links.insert(
            key(a, b),
            Link {
                epoch: self.next_epoch,
                latency: (x.min(y), x.max(y)),
                last: [self.now; 2],
            },
        );
        self.note(|| format!("{a}<->{b} connected"));
        let outputs = self.nodes[a as usize].service.connected(clock(self.now), b);
        self.carry_out(a, outputs);
        if self.links.contains_key(&key(a, b)) {
            let outputs = self.nodes[b as usize].service.connected(clock(self.now), a);
            self.carry_out(b, outputs);
        }
    }

    fn close(&mut self, a: NodeId, b: NodeId) {
        if self.links.remove(&key(a, b)).is_none() {
            return;
        }
        self.note(|| format!("{a}<->{b} closed"));
        for (x, y) in [(a, b), (b, a)] {
            if self.nodes[x as usize].online {
                let outputs = self.nodes[x as usize]
                    .service
                    .disconnected(clock(self.now), &y);
                self.carry_out(x, outputs);
            }
        }
    }

    /// Takes a node offline for `downtime`; it comes back with a fresh service over the
    /// same store if `restart`, else with the service it had (a laptop that slept).
    fn go_offline(&mut self, n: NodeId, downtime: u64, restart: bool) {
        for peer in self.neighbours(n) {
            self.close(n, peer);
        }
        self.nodes[n as usize].online = false;
        let back = self.now + downtime;
        self.schedule(back, Event::Rejoin { node: n, restart });
    }

    fn rejoin(&mut self, n: NodeId, restart: bool) {
        let now = clock(self.now);
        let node = &mut self.nodes[n as usize];
        node.online = true;
        if restart {
            node.stats.restarts += 1;
            let waiting: usize = node
                .spaces
                .iter()
                .map(|space| node.store.waiting_len(space))
                .sum();
            node.stats.waiting_at_restarts += waiting as u64;
            node.service = Service::new(n, self.config.service.clone());
            for space in node.spaces.clone() {
                node.service.join(now, space, &node.store);
            }
        }
        self.dial_random(n, self.config.degree, None);
        self.cover_spaces(n);
    }
}

impl Node {
    /// Hands delivered entries to the host, counting what it made of them.
    fn receive(&mut self, space: SpaceId, entries: Vec<Vec<u8>>) -> Vec<(EntryId, Verdict)> {
        let mut delivered = BTreeSet::new();
        for bytes in &entries {
            let id = EntryId::of_entry(bytes);
            delivered.insert(id);
            if self.store.holds(&space, &id) || self.store.is_waiting(&space, &id) {
                self.stats.redundant += 1;
                let repeats = self.repeats.entry(id).or_default();
                *repeats += 1;
                self.stats.most_repeated = self.stats.most_repeated.max(*repeats);
            }
        }
        let verdicts = self.store.receive(space, entries);
        for (id, verdict) in &verdicts {
            match verdict {
                Verdict::Accepted { .. } => {
                    self.stats.accepted += 1;
                    if !delivered.contains(id) {
                        self.stats.released += 1;
                    }
                }
                Verdict::Pending => self.stats.pending += 1,
                Verdict::Dropped => self.stats.dropped += 1,
                Verdict::Duplicate { .. }
                | Verdict::Declined { .. }
                | Verdict::Invalid(_)
                | Verdict::Refused(_) => {}
            }
        }
        verdicts
    }
}

/// The clock every node reads at virtual time `now`: on the same scale as the entries'
/// times, as a real node's clock is.
fn clock(now: u64) -> Timestamp {
    Timestamp::from_millis(EPOCH + now)
}

fn key(a: NodeId, b: NodeId) -> (NodeId, NodeId) {
    (a.min(b), a.max(b))
}

/// Node writes an entry in `space` at virtual time `at`: it refers to the node's previous
/// entry there (with probability `chain`) and to a few entries it accepted lately, and
/// is not older than any of them.
fn write(
    rng: &mut StdRng,
    config: &SimConfig,
    node: &mut Node,
    space: SpaceId,
    at: u64,
    chain: f64,
) -> (Timestamp, EntryId) {
    let mut refs: Vec<EntryId> = Vec::new();
    if let Some(previous) = node.latest.get(&space)
        && rng.random_bool(chain)
    {
        refs.push(*previous);
    }
    let others = rng.random_range(0..=MAX_REFS - refs.len());
    let recent = node.store.recent(&space, RECENT);
    for _ in 0..others {
        if let Some(id) = recent.choose(rng)
            && !refs.contains(id)
        {
            refs.push(*id);
        }
    }
    let after = refs
        .iter()
        .filter_map(|id| node.store.time(&space, id))
        .max()
        .unwrap_or(Timestamp::EPOCH);
    let time = Timestamp::from_millis(EPOCH + at + rng.random_range(0..1_000)).max(after);
    let bytes = entry_bytes(time, &refs, &filler(rng, config, refs.len()));
    let (time, id, _) = node.store.insert(space, bytes);
    node.latest.insert(space, id);
    (time, id)
}

/// An entry that does not verify, served by forgers.
fn forged_entry(rng: &mut StdRng, config: &SimConfig) -> Vec<u8> {
    let time = Timestamp::from_millis(EPOCH + rng.random_range(0..1_000));
    let mut bytes = entry_bytes(time, &[], &filler(rng, config, 0));
    bytes[..FORGED.len()].copy_from_slice(FORGED);
    bytes
}

/// Random bytes that bring an entry with `refs` refs to a size in the configured range
/// (at least 16, so that no two entries are alike).
fn filler(rng: &mut StdRng, config: &SimConfig, refs: usize) -> Vec<u8> {
    let (low, high) = config.entry_size;
    let header = 9 + 32 * refs;
    let len = rng.random_range(low..=high.max(low)).saturating_sub(header);
    let mut bytes = vec![0u8; len.max(16)];
    rng.fill(&mut bytes[..]);
    bytes
}
