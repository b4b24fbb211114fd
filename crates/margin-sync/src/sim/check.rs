//! What every run must satisfy, checked at its end: convergence within the configured
//! time, nothing left waiting, no fetch loop, no honest node punished; and a digest of
//! the final state, so that two runs of one seed can be compared.

use std::fmt;

use super::{Role, Simulation};
use crate::penalty::Severity;

/// Redundant receipts (entries received that the host already held or kept waiting) a
/// node may have besides one per entry waiting at each of its restarts: races between
/// timeouts, disconnections and answers in flight make a few.
pub const REDUNDANT_SLACK: u64 = 24;

/// Reconciliation intervals the network runs on after converging, to see that nothing
/// more is fetched.
const LINGER_INTERVALS: u64 = 5;

/// Redundant receipts a node may have while the network lingers after converging (an
/// answer in flight at convergence): a node that fetched even one entry again at every
/// reconciliation would have more.
pub const LINGER_SLACK: u64 = 2;

/// What became of one run.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub seed: u64,
    /// When every honest node held every honest entry of its spaces with nothing
    /// waiting; `None` if that did not happen by `quiet_after + settle`.
    pub converged_at: Option<u64>,
    /// When the last fault ended.
    pub quiet_after: u64,
    /// Honest entries written.
    pub entries: usize,
    /// Verdicts and redundant receipts, summed over the honest nodes.
    pub pending: u64,
    pub released: u64,
    pub dropped: u64,
    pub redundant: u64,
    /// Entries kept waiting at the restarts of honest nodes.
    pub waiting_at_restarts: u64,
    /// The most times one node received one entry redundantly.
    pub most_repeated: u32,
    /// Everything found wrong; empty when the run passed.
    pub problems: Vec<String>,
    /// BLAKE3 over every node's final state and stats, in hex.
    pub digest: String,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let converged = match self.converged_at {
            Some(at) => format!(
                "converged {:.1} s after the last fault",
                at.saturating_sub(self.quiet_after) as f64 / 1000.0
            ),
            None => "NOT converged".to_owned(),
        };
        write!(
            f,
            "seed {}: {} entries, {converged}; {} pending, {} released, {} dropped, {} redundant (at most {} of one entry)",
            self.seed,
            self.entries,
            self.pending,
            self.released,
            self.dropped,
            self.redundant,
            self.most_repeated
        )?;
        for problem in &self.problems {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

impl Simulation {
    /// Runs until the network converges (or `quiet_after + settle` passes), then a few
    /// reconciliation intervals more, and checks the end: every honest node holds
    /// exactly the honest entries of its spaces with nothing waiting, nothing was
    /// fetched after convergence, redundant fetches stayed few, and no honest node was
    /// banned or seriously penalized.
    pub fn run_checked(&mut self) -> Outcome {
        let quiet = self.quiet_after();
        let converged_at = self.run_until_converged(quiet + self.config.settle);
        let mut problems = Vec::new();
        match converged_at {
            Some(at) => {
                let before: Vec<u64> = self.nodes.iter().map(|n| n.stats.redundant).collect();
                let linger = LINGER_INTERVALS
                    * u64::try_from(self.config.service.reconcile_interval.as_millis())
                        .unwrap_or(u64::MAX);
                self.run_until(at + linger);
                for (n, node) in self.nodes.iter().enumerate() {
                    let more = node.stats.redundant - before[n];
                    if node.role == Role::Honest && more > LINGER_SLACK {
                        problems.push(format!(
                            "node {n} received {more} entries it held after convergence (a fetch loop?)"
                        ));
                    }
                }
                // A mirror offered a space only now lags behind in it for a while.
                let again = self.now + self.config.settle;
                if !self.holds_exactly_expected() && self.run_until_converged(again).is_none() {
                    problems.push(format!(
                        "diverged after convergence and did not converge again; {}",
                        self.describe_lag()
                    ));
                }
            }
            None => problems.push(format!(
                "not converged {} ms after the last fault; {}",
                self.config.settle,
                self.describe_lag()
            )),
        }
        for (n, node) in self.nodes.iter().enumerate() {
            if node.role != Role::Honest {
                continue;
            }
            let stats = &node.stats;
            let allowed = REDUNDANT_SLACK + stats.waiting_at_restarts;
            if stats.redundant > allowed {
                problems.push(format!(
                    "node {n} received {} entries it already held or kept waiting (allowed {allowed})",
                    stats.redundant
                ));
            }
            let repeats = u64::from(stats.most_repeated);
            if repeats > stats.restarts + 3 {
                problems.push(format!(
                    "node {n} received one entry redundantly {repeats} times ({} restarts)",
                    stats.restarts
                ));
            }
        }
        for ban in &self.bans {
            if self.role(ban.peer) == Role::Honest {
                problems.push(format!("honest node banned: {ban:?}"));
            }
        }
        for (by, peer, offence) in &self.honest_penalties {
            if offence.severity() != Severity::Minor {
                problems.push(format!(
                    "node {by} penalized honest node {peer} for {offence:?}"
                ));
            }
        }
        let honest = self.nodes.iter().filter(|node| node.role == Role::Honest);
        let sum = |f: fn(&super::NodeStats) -> u64| honest.clone().map(|n| f(&n.stats)).sum();
        Outcome {
            seed: self.config.seed,
            converged_at,
            quiet_after: quiet,
            entries: self.expected.values().map(|ids| ids.len()).sum(),
            pending: sum(|s| s.pending),
            released: sum(|s| s.released),
            dropped: sum(|s| s.dropped),
            redundant: sum(|s| s.redundant),
            waiting_at_restarts: sum(|s| s.waiting_at_restarts),
            most_repeated: honest
                .clone()
                .map(|n| n.stats.most_repeated)
                .max()
                .unwrap_or(0),
            problems,
            digest: self.digest(),
        }
    }

    /// Who lags, and by what, in a few lines.
    fn describe_lag(&self) -> String {
        let mut lines = Vec::new();
        for (n, node) in self.nodes.iter().enumerate() {
            if node.role != Role::Honest {
                continue;
            }
            for space in &node.spaces {
                let held = node.store.ids(space);
                let missing: Vec<String> = self.expected[space]
                    .difference(&held)
                    .map(|id| id.short())
                    .collect();
                let waiting: Vec<String> = node
                    .store
                    .waiting(space)
                    .iter()
                    .map(|id| id.short())
                    .collect();
                if !missing.is_empty() || !waiting.is_empty() || !node.online {
                    lines.push(format!(
                        "node {n}{} in space {}: {} missing {:?}, {} waiting {:?}",
                        if node.online { "" } else { " (offline)" },
                        space.short(),
                        missing.len(),
                        &missing[..missing.len().min(6)],
                        waiting.len(),
                        &waiting[..waiting.len().min(6)]
                    ));
                }
            }
        }
        lines.join("; ")
    }

    /// BLAKE3 over the virtual time, every node's entries (in the order its host
    /// accepted them), waiting entries, spaces and stats, the bans and the traffic by
    /// kind: two runs of one seed must give the same.
    pub fn digest(&self) -> String {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&self.now.to_le_bytes());
        for node in &self.nodes {
            hasher.update(&[u8::from(node.online), u8::from(node.mirror)]);
            for space in &node.spaces {
                hasher.update(space.as_bytes());
                for id in node.store.order(space) {
                    hasher.update(id.as_bytes());
                }
                hasher.update(b"waiting");
                for id in node.store.waiting(space) {
                    hasher.update(id.as_bytes());
                }
            }
            hasher.update(format!("{:?}", node.stats).as_bytes());
        }
        for ban in &self.bans {
            hasher.update(format!("{ban:?}").as_bytes());
        }
        hasher.update(format!("{:?}", self.by_kind).as_bytes());
        hasher.finalize().to_hex().to_string()
    }
}
