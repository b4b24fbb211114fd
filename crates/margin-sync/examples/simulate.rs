//! Runs a many-node simulation and prints what it cost.
//!
//! ```text
//! cargo run -p margin-sync --release --example simulate -- --nodes 200 --seed 7
//! ```
//!
//! Options: `--nodes N`, `--seed S`, `--degree K`, `--loss P`, `--duplicate P`,
//! `--churn P` (per node per second), `--authored N`, `--initial N` (entries per node
//! and space at start), `--spaces N`, `--garbage N`, `--forgers N`, `--no-partition`,
//! `--settle MS` (the service's settle window).
//!
//! Besides what was sent, it prints what each honest node received against the least it
//! could have: every entry of its spaces once (its own few entries included, which
//! flatters the ratio by their share: with `--initial 0`, about one entry in
//! `--nodes`).
//!
//! The issue's scale, 1 000 nodes and 10 000 entries:
//!
//! ```text
//! cargo run -p margin-sync --release --example simulate -- --nodes 1000 --authored 10000 --initial 0
//! ```

use margin_sync::sim::{Role, SimConfig, Simulation};

fn main() {
    let mut config = SimConfig::default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).map(String::as_str).unwrap_or("");
        let number = || value.parse::<f64>().unwrap_or_else(|_| usage(&args[i]));
        match args[i].as_str() {
            "--nodes" => config.nodes = number() as usize,
            "--seed" => config.seed = number() as u64,
            "--degree" => config.degree = number() as usize,
            "--loss" => config.loss = number(),
            "--duplicate" => config.duplicate = number(),
            "--churn" => config.churn = number(),
            "--authored" => config.authored = number() as usize,
            "--initial" => config.initial_entries = number() as usize,
            "--spaces" => config.spaces = number() as usize,
            "--settle" => {
                config.service.settle_window = std::time::Duration::from_millis(number() as u64)
            }
            "--garbage" => config.garbage_nodes = number() as usize,
            "--forgers" => config.forger_nodes = number() as usize,
            "--no-partition" => {
                config.partitions.clear();
                i += 1;
                continue;
            }
            other => usage(other),
        }
        i += 2;
    }

    println!(
        "simulating {} nodes (seed {}, degree {}, latency {}-{} ms, loss {}, duplication {}, churn {}/s until {} ms, partitions {:?}, {} garbage + {} forger nodes)",
        config.nodes,
        config.seed,
        config.degree,
        config.latency.0,
        config.latency.1,
        config.loss,
        config.duplicate,
        config.churn,
        config.churn_until,
        config.partitions,
        config.garbage_nodes,
        config.forger_nodes,
    );
    let started = std::time::Instant::now();
    let mut sim = Simulation::new(config);
    let quiet = sim.quiet_after();
    let converged = sim.run_until_converged(quiet + 600_000);
    let wall = started.elapsed();

    let entries: usize = sim.expected().values().map(|ids| ids.len()).sum();
    println!(
        "entries: {entries} honest entries in {} spaces",
        sim.expected().len()
    );
    match converged {
        Some(at) => println!(
            "converged: every honest node holds every entry of its spaces at {:.1} s virtual ({:.1} s after the last fault)",
            at as f64 / 1000.0,
            at.saturating_sub(quiet) as f64 / 1000.0
        ),
        None => println!("NOT converged; lagging: {:?}", sim.lagging()),
    }

    let stats = sim.stats();
    let honest: Vec<_> = stats
        .iter()
        .filter(|(_, role, _)| *role == Role::Honest)
        .collect();
    let total_messages: u64 = stats.iter().map(|(_, _, s)| s.messages_sent).sum();
    let total_bytes: u64 = stats.iter().map(|(_, _, s)| s.bytes_sent).sum();
    println!(
        "totals: {total_messages} messages, {} sent by all nodes",
        human(total_bytes as f64)
    );
    for (kind, (messages, bytes)) in sim.traffic_by_kind() {
        println!(
            "  {kind:<16} {messages:>9} messages {:>12}",
            human(*bytes as f64)
        );
    }
    let summary = |name: &str, values: Vec<u64>, bytes: bool| {
        let mut values = values;
        values.sort_unstable();
        let mean = values.iter().sum::<u64>() as f64 / values.len().max(1) as f64;
        let pick = |q: f64| values[((values.len() as f64 - 1.0) * q).round() as usize] as f64;
        let show = |v: f64| if bytes { human(v) } else { format!("{v:.0}") };
        println!(
            "per honest node, {name:<18} mean {:>10}  p50 {:>10}  p99 {:>10}  max {:>10}",
            show(mean),
            show(pick(0.5)),
            show(pick(0.99)),
            show(pick(1.0))
        );
    };
    summary(
        "messages sent:",
        honest.iter().map(|(_, _, s)| s.messages_sent).collect(),
        false,
    );
    summary(
        "bytes sent:",
        honest.iter().map(|(_, _, s)| s.bytes_sent).collect(),
        true,
    );
    summary(
        "messages received:",
        honest.iter().map(|(_, _, s)| s.messages_received).collect(),
        false,
    );
    summary(
        "bytes received:",
        honest.iter().map(|(_, _, s)| s.bytes_received).collect(),
        true,
    );
    // The least each honest node could have received: every entry of its spaces once.
    let ratios: Vec<f64> = honest
        .iter()
        .filter_map(|(node, _, s)| {
            let least: usize = sim
                .spaces(*node)
                .iter()
                .map(|space| sim.store(*node).bytes(space))
                .sum();
            (least > 0).then(|| s.bytes_received as f64 / least as f64)
        })
        .collect();
    let mut sorted = ratios.clone();
    sorted.sort_by(f64::total_cmp);
    if !sorted.is_empty() {
        let pick = |q: f64| sorted[((sorted.len() as f64 - 1.0) * q).round() as usize];
        let mean = sorted.iter().sum::<f64>() / sorted.len() as f64;
        println!(
            "per honest node, received ÷ every entry of its spaces once: mean {mean:.2}×  p50 {:.2}×  p99 {:.2}×  max {:.2}×  (target ≤ 3×)",
            pick(0.5),
            pick(0.99),
            pick(1.0)
        );
    }
    println!(
        "bans: {} (of adversaries: {}); penalties between honest nodes: {}",
        sim.bans().len(),
        sim.bans()
            .iter()
            .filter(|ban| sim.role(ban.peer) != Role::Honest)
            .count(),
        sim.honest_penalties().len()
    );
    println!("wall time: {:.2} s", wall.as_secs_f64());
}

fn human(bytes: f64) -> String {
    if bytes >= 1024.0 * 1024.0 {
        format!("{:.2} MiB", bytes / 1024.0 / 1024.0)
    } else if bytes >= 1024.0 {
        format!("{:.1} KiB", bytes / 1024.0)
    } else {
        format!("{bytes:.0} B")
    }
}

fn usage(arg: &str) -> ! {
    eprintln!("simulate: bad argument {arg:?}; see the options at the top of examples/simulate.rs");
    std::process::exit(2)
}
