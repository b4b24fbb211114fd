//! Many nodes in one process, on a simulated network that loses, duplicates and delays
//! frames, with churn and a partition: every honest node must end up with every honest
//! entry of its spaces.

use margin_sync::penalty::Severity;
use margin_sync::sim::{Role, SimConfig, Simulation};

/// Virtual time allowed after the last fault for the network to converge: a few
/// reconciliation intervals.
const SETTLE: u64 = 90_000;

#[test]
fn two_hundred_nodes_converge_through_loss_churn_and_a_partition() {
    let config = SimConfig {
        nodes: 200,
        seed: 7,
        loss: 0.05,
        duplicate: 0.02,
        churn: 0.002,
        partitions: vec![(10_000, 30_000)],
        ..SimConfig::default()
    };
    let mut sim = Simulation::new(config);
    let deadline = sim.quiet_after() + SETTLE;
    let converged = sim.run_until_converged(deadline);
    assert!(
        converged.is_some(),
        "not converged by {deadline} ms; lagging: {:?}",
        sim.lagging()
    );
    assert!(sim.holds_exactly_expected());
    assert!(sim.expected().values().all(|ids| ids.len() > 500));
    assert!(
        sim.bans().is_empty(),
        "honest nodes banned: {:?}",
        sim.bans()
    );
    assert!(
        sim.honest_penalties()
            .iter()
            .all(|(_, _, offence)| offence.severity() == Severity::Minor),
        "{:?}",
        sim.honest_penalties()
    );
}

#[test]
fn adversaries_are_banned_and_honest_nodes_still_converge() {
    let config = SimConfig {
        nodes: 40,
        seed: 11,
        garbage_nodes: 3,
        forger_nodes: 3,
        authored: 100,
        ..SimConfig::default()
    };
    let mut sim = Simulation::new(config);
    let deadline = sim.quiet_after() + SETTLE;
    let converged = sim.run_until_converged(deadline);
    assert!(converged.is_some(), "lagging: {:?}", sim.lagging());
    assert!(sim.holds_exactly_expected());
    assert!(!sim.bans().is_empty());
    for ban in sim.bans() {
        assert_ne!(
            sim.role(ban.peer),
            Role::Honest,
            "honest node banned: {ban:?}"
        );
    }
    for (node, role, _) in sim.stats() {
        if role != Role::Honest {
            assert!(
                sim.bans()
                    .iter()
                    .any(|ban| ban.peer == node && sim.role(ban.by) == Role::Honest),
                "adversary {node} ({role:?}) was never banned"
            );
        }
    }
}

#[test]
fn a_seed_replays_exactly() {
    let config = SimConfig {
        nodes: 30,
        seed: 3,
        authored: 40,
        garbage_nodes: 1,
        ..SimConfig::default()
    };
    let run = |config: SimConfig| {
        let mut sim = Simulation::new(config);
        let deadline = sim.quiet_after() + SETTLE;
        let at = sim.run_until_converged(deadline);
        let stats: Vec<(u64, u64)> = sim
            .stats()
            .into_iter()
            .map(|(_, _, stats)| (stats.messages_sent, stats.bytes_sent))
            .collect();
        (at, stats)
    };
    let first = run(config.clone());
    assert!(first.0.is_some());
    assert_eq!(first, run(config));
}
