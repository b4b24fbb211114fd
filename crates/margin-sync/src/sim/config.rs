//! The shape of one simulation: the network, its faults and what is written when, and
//! the small networks whose whole schedule is drawn from a seed.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};

use super::host::MAX_WAITING;
use crate::service::Config;

/// The shape of one simulation. Every choice made while it runs comes from `seed`.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub nodes: usize,
    pub seed: u64,
    /// Peers each node dials at start, and keeps dialling until it has this many links.
    pub degree: usize,
    /// Probability, per node and maintenance round (every 2 s), of dialling one more
    /// random peer that shares a space (first closing a random link if it has more than
    /// `degree`), as a node meets providers it did not know: the links keep changing,
    /// so no group of nodes stays cut off from the rest.
    pub redial: f64,
    /// One-way latency range, ms. Each link draws its own range within it, so frames
    /// overtake each other across links (each direction of a link keeps its order, as a
    /// stream does).
    pub latency: (u64, u64),
    /// Probability that a frame is lost (the real transport drops frames for a peer
    /// that reads too slowly, and a frame whose stream keeps breaking).
    pub loss: f64,
    /// Whether `Hello` frames can be lost too. A lost `Hello` is never sent again while
    /// the connection lasts, so the peer never links the spaces it named: if the sender
    /// has the higher id, that space is not reconciled on the link at all (neither side
    /// initiates). Until the service recovers from that, runs that must converge spare
    /// `Hello`s.
    pub lose_hellos: bool,
    /// Probability that a frame is delivered twice.
    pub duplicate: f64,
    /// Probability, per node and second, of restarting: going offline (until
    /// `churn_until`) and coming back with a fresh service over the same store.
    pub churn: f64,
    /// How long a node stays offline, ms.
    pub downtime: (u64, u64),
    pub churn_until: u64,
    /// Windows `[start, end)`, ms, in which the nodes are split in two random halves (a
    /// new split for each window) that cannot reach each other: connections across
    /// break when it begins, frames on their way across are lost, and no node can dial
    /// across until it ends.
    pub partitions: Vec<(u64, u64)>,
    /// Spaces in the network; every node holds space 0, and each other space is held by
    /// a random half of the nodes.
    pub spaces: usize,
    /// Entries each honest node holds at the start, in each of its spaces.
    pub initial_entries: usize,
    /// Entries written by random honest nodes while the simulation runs.
    pub authored: usize,
    pub author_until: u64,
    /// Times a node goes offline before `author_until`, writes a chain of
    /// `burst_entries` entries (a draft revised offline), and comes back after
    /// `downtime`: half of them restarted, half with the service they had.
    pub bursts: usize,
    pub burst_entries: (usize, usize),
    /// Honest nodes that start offline with an empty store and come online at a random
    /// time in `late_join` (ms), as a newcomer does.
    pub late_joiners: usize,
    pub late_join: (u64, u64),
    /// Honest nodes that start with no space and replicate every space they are
    /// offered, as a mirror does; they write nothing.
    pub mirrors: usize,
    /// Entry size range, bytes (at least the header and refs, and some filler).
    pub entry_size: (usize, usize),
    /// Entries each node's host keeps waiting for their refs, per space.
    pub max_waiting: usize,
    /// Nodes sending garbage frames.
    pub garbage_nodes: usize,
    /// Nodes serving forged entries.
    pub forger_nodes: usize,
    pub service: Config,
    /// How often each node's service ticks, ms.
    pub tick: u64,
    /// Virtual time after the last fault by which every honest node must hold every
    /// honest entry of its spaces, ms.
    pub settle: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            nodes: 200,
            seed: 7,
            degree: 4,
            redial: 0.02,
            latency: (10, 150),
            loss: 0.05,
            lose_hellos: true,
            duplicate: 0.01,
            churn: 0.002,
            downtime: (2_000, 15_000),
            churn_until: 40_000,
            partitions: vec![(10_000, 30_000)],
            spaces: 2,
            initial_entries: 5,
            authored: 300,
            author_until: 40_000,
            bursts: 0,
            burst_entries: (20, 60),
            late_joiners: 0,
            late_join: (5_000, 40_000),
            mirrors: 0,
            entry_size: (64, 1024),
            max_waiting: MAX_WAITING,
            garbage_nodes: 0,
            forger_nodes: 0,
            service: Config {
                reconcile_interval: Duration::from_secs(10),
                retry_interval: Duration::from_secs(2),
                session_timeout: Duration::from_secs(4),
                request_timeout: Duration::from_secs(4),
                ..Config::default()
            },
            tick: 1_000,
            settle: 90_000,
        }
    }
}

impl SimConfig {
    /// A small network (a few nodes, a few hundred entries) whose schedule is drawn from
    /// `seed`: how many nodes and spaces, the latencies, loss and duplication, churn,
    /// partitions, offline bursts, newcomers, mirrors, sometimes a forger, and sometimes
    /// a host with little room for waiting entries. The same seed gives the same run.
    pub fn sampled(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_5eed_5eed_5eed);
        let pick = |rng: &mut StdRng, choices: &[f64]| *choices.choose(rng).expect("choices");
        let nodes = rng.random_range(3..=7);
        let low = rng.random_range(5..=60);
        let high = low + rng.random_range(0..=400);
        let author_until = rng.random_range(10_000..=40_000);
        let partitions = (0..rng.random_range(0..=2))
            .map(|_| {
                let start = rng.random_range(0..author_until);
                (start, start + rng.random_range(2_000..=20_000))
            })
            .collect();
        let mirrors = usize::from(rng.random_bool(0.3));
        let late_joiners = rng.random_range(0..=2).min(nodes - 2 - mirrors);
        let forger_nodes = usize::from(nodes >= 5 && rng.random_bool(0.1));
        // A host with little room for waiting entries, as a real one has in a space
        // far larger than its bound.
        let small_room = rng.random_bool(0.2);
        Self {
            nodes,
            seed,
            degree: rng.random_range(2..=3),
            // Often enough that two groups of nodes joined by no link (possible from six
            // nodes on) find each other within seconds of a partition's end.
            redial: pick(&mut rng, &[0.05, 0.1]),
            latency: (low, high),
            loss: pick(&mut rng, &[0.0, 0.01, 0.05, 0.15]),
            lose_hellos: true,
            duplicate: pick(&mut rng, &[0.0, 0.02, 0.1]),
            churn: pick(&mut rng, &[0.0, 0.005, 0.02, 0.05]),
            downtime: (1_000, rng.random_range(2_000..=15_000)),
            churn_until: author_until,
            partitions,
            spaces: rng.random_range(1..=2),
            initial_entries: rng.random_range(0..=20),
            authored: rng.random_range(50..=300),
            author_until,
            bursts: rng.random_range(0..=3),
            burst_entries: (5, rng.random_range(10..=80)),
            late_joiners,
            late_join: (1_000, author_until + 10_000),
            mirrors,
            entry_size: (48, 256),
            max_waiting: if small_room {
                rng.random_range(8..=64)
            } else {
                MAX_WAITING
            },
            garbage_nodes: 0,
            forger_nodes,
            service: Config {
                reconcile_interval: Duration::from_secs(10),
                retry_interval: Duration::from_secs(2),
                session_timeout: Duration::from_secs(4),
                request_timeout: Duration::from_secs(4),
                ..Config::default()
            },
            tick: 1_000,
            // An entry that finds no room is fetched again at a later reconciliation, so
            // a small room takes more rounds.
            settle: if small_room { 240_000 } else { 120_000 },
        }
    }

    /// The time after which no fault but loss and duplication is injected, and nothing
    /// is written.
    pub fn quiet_after(&self) -> u64 {
        let partitions = self.partitions.iter().map(|(_, end)| *end).max();
        let churn = self.churn_until + self.downtime.1;
        let authoring = if self.authored > 0 || self.bursts > 0 {
            self.author_until
        } else {
            0
        };
        let bursts = if self.bursts > 0 {
            self.author_until + self.downtime.1
        } else {
            0
        };
        let newcomers = if self.late_joiners > 0 {
            self.late_join.1
        } else {
            0
        };
        [partitions.unwrap_or(0), churn, authoring, bursts, newcomers]
            .into_iter()
            .max()
            .unwrap_or(0)
    }
}
