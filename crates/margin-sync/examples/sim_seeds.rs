//! Runs many small simulated networks, each drawn from its seed by
//! `SimConfig::sampled`, checks every run's end (`Simulation::run_checked`), prints each
//! failing seed with the command that replays it, and exits non-zero if any failed.
//!
//! ```text
//! cargo run -p margin-sync --example sim_seeds -- --from 0 --count 5000
//! cargo run -p margin-sync --example sim_seeds -- --from 0 --count 5000 --twice --jobs 2
//! cargo run -p margin-sync --example sim_seeds -- --seed 1234 --trace
//! cargo run -p margin-sync --example sim_seeds -- --seed 1234 --trace 3f9c01aa
//! cargo run --release -p margin-sync --example sim_seeds -- --from 0 --count 2000 --digests > before.txt
//! ```
//!
//! Options:
//!
//! - `--from N` (default 0), `--count N` (default 1000): the seeds to run.
//! - `--twice`: run every seed twice and fail it if the two runs' digests differ (a run
//!   must replay exactly from its seed).
//! - `--jobs N` (default 1): threads running seeds side by side.
//! - `--digests`: record every seed's trace and print, in seed order, each seed's digest
//!   and a BLAKE3 of its trace (every frame and verdict, with its virtual time): a change
//!   meant to keep the service's behaviour is checked by diffing this before and after.
//! - `--spare-hellos`: the network never loses a `Hello` (see `SimConfig::lose_hellos`:
//!   the service does not recover from a lost one), to look for other failures.
//! - `--seed S`: run one seed and print its configuration, outcome and per-node stats.
//! - `--trace [TEXT]`: with `--seed`, print every frame and verdict of the run, or only
//!   the lines containing `TEXT` (an entry id's first hex characters, `->3 ` for what
//!   reached node 3, ...).
//!
//! A release build (`--release`) runs about five times as many seeds per second.

use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use margin_sync::sim::{Outcome, SimConfig, Simulation};

struct Options {
    from: u64,
    count: u64,
    twice: bool,
    jobs: usize,
    seed: Option<u64>,
    trace: Option<String>,
    spare_hellos: bool,
    digests: bool,
}

impl Options {
    fn config(&self, seed: u64) -> SimConfig {
        SimConfig {
            lose_hellos: !self.spare_hellos,
            ..SimConfig::sampled(seed)
        }
    }
}

fn main() -> ExitCode {
    let options = parse(std::env::args().skip(1).collect());
    match options.seed {
        Some(seed) => replay(options.config(seed), options.trace.as_deref()),
        None => run_many(&options),
    }
}

/// Runs one seed and tells everything about it.
fn replay(config: SimConfig, trace: Option<&str>) -> ExitCode {
    println!("{config:#?}");
    let mut sim = if trace.is_some() {
        Simulation::traced(config)
    } else {
        Simulation::new(config)
    };
    let outcome = sim.run_checked();
    if let Some(filter) = trace {
        for line in sim.trace() {
            if line.contains(filter) {
                println!("{line}");
            }
        }
    }
    for (node, role, stats) in sim.stats() {
        let mirror = if sim.is_mirror(node) { " mirror" } else { "" };
        println!("node {node} ({role:?}{mirror}): {stats:?}");
    }
    println!("{outcome}");
    println!("digest {}", outcome.digest);
    if outcome.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn run_many(options: &Options) -> ExitCode {
    let started = Instant::now();
    let next = AtomicU64::new(options.from);
    let end = options.from + options.count;
    let failed: Mutex<Vec<(u64, String)>> = Mutex::new(Vec::new());
    let totals: Mutex<Totals> = Mutex::new(Totals::default());
    let digests: Mutex<Vec<(u64, String)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.max(1) {
            scope.spawn(|| {
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed >= end {
                        break;
                    }
                    let (outcome, problem) = if options.digests {
                        let (outcome, trace) = traced(options, seed);
                        let line = format!("seed {seed} digest {} trace {trace}", outcome.digest);
                        let mut digests = digests.lock().expect("no thread panics holding it");
                        digests.push((seed, line));
                        let problem = (!outcome.passed()).then(|| outcome.to_string());
                        (outcome, problem)
                    } else {
                        check(options, seed)
                    };
                    let done = {
                        let mut totals = totals.lock().expect("no thread panics holding it");
                        totals.add(&outcome);
                        totals.seeds
                    };
                    if let Some(problem) = problem {
                        println!("FAILED {problem}");
                        let spare = if options.spare_hellos {
                            " --spare-hellos"
                        } else {
                            ""
                        };
                        println!(
                            "  replay: cargo run -p margin-sync --example sim_seeds -- --seed {seed}{spare} --trace"
                        );
                        let mut failed = failed.lock().expect("no thread panics holding it");
                        failed.push((seed, problem));
                    }
                    if done % 250 == 0 {
                        println!(
                            "{done} seeds in {:.0} s",
                            started.elapsed().as_secs_f64()
                        );
                    }
                }
            });
        }
    });
    let totals = totals.into_inner().expect("no thread panicked holding it");
    let mut digests = digests.into_inner().expect("no thread panicked holding it");
    digests.sort();
    for (_, line) in digests {
        println!("{line}");
    }
    let mut failed = failed.into_inner().expect("no thread panicked holding it");
    failed.sort();
    println!(
        "{} seeds from {} in {:.1} s: {} failed; {} entries, {} pending, {} released, {} dropped, {} redundant (at most {} of one entry at one node); slowest convergence {:.1} s after the last fault (seed {})",
        totals.seeds,
        options.from,
        started.elapsed().as_secs_f64(),
        failed.len(),
        totals.entries,
        totals.pending,
        totals.released,
        totals.dropped,
        totals.redundant,
        totals.most_repeated,
        totals.slowest.0 as f64 / 1000.0,
        totals.slowest.1,
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        let seeds: Vec<String> = failed.iter().map(|(seed, _)| seed.to_string()).collect();
        println!("failing seeds: {}", seeds.join(" "));
        ExitCode::FAILURE
    }
}

/// Runs a seed (twice if asked); what is wrong with it, if anything.
fn check(options: &Options, seed: u64) -> (Outcome, Option<String>) {
    let outcome = Simulation::new(options.config(seed)).run_checked();
    let mut problem = (!outcome.passed()).then(|| outcome.to_string());
    if options.twice && problem.is_none() {
        let again = Simulation::new(options.config(seed)).run_checked();
        if again.digest != outcome.digest {
            problem = Some(format!(
                "seed {seed}: two runs differ (digests {} and {})",
                outcome.digest, again.digest
            ));
        }
    }
    (outcome, problem)
}

/// Runs a seed recording its trace; its outcome and a BLAKE3 of the trace, in hex.
fn traced(options: &Options, seed: u64) -> (Outcome, String) {
    let mut sim = Simulation::traced(options.config(seed));
    let outcome = sim.run_checked();
    let mut hasher = blake3::Hasher::new();
    for line in sim.trace() {
        hasher.update(line.as_bytes());
        hasher.update(b"\n");
    }
    (outcome, hasher.finalize().to_hex().to_string())
}

#[derive(Default)]
struct Totals {
    seeds: u64,
    entries: u64,
    pending: u64,
    released: u64,
    dropped: u64,
    redundant: u64,
    most_repeated: u32,
    /// The longest time from the last fault to convergence, and its seed.
    slowest: (u64, u64),
}

impl Totals {
    fn add(&mut self, outcome: &Outcome) {
        self.seeds += 1;
        self.entries += outcome.entries as u64;
        self.pending += outcome.pending;
        self.released += outcome.released;
        self.dropped += outcome.dropped;
        self.redundant += outcome.redundant;
        self.most_repeated = self.most_repeated.max(outcome.most_repeated);
        if let Some(at) = outcome.converged_at {
            let took = at.saturating_sub(outcome.quiet_after);
            if took > self.slowest.0 {
                self.slowest = (took, outcome.seed);
            }
        }
    }
}

fn parse(args: Vec<String>) -> Options {
    let mut options = Options {
        from: 0,
        count: 1000,
        twice: false,
        jobs: 1,
        seed: None,
        trace: None,
        spare_hellos: false,
        digests: false,
    };
    let mut args = args.into_iter().peekable();
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> u64 {
            args.next()
                .and_then(|value| value.parse().ok())
                .unwrap_or_else(|| usage(&format!("{name} takes a number")))
        };
        match arg.as_str() {
            "--from" => options.from = number("--from"),
            "--count" => options.count = number("--count"),
            "--jobs" => options.jobs = number("--jobs") as usize,
            "--seed" => options.seed = Some(number("--seed")),
            "--twice" => options.twice = true,
            "--spare-hellos" => options.spare_hellos = true,
            "--digests" => options.digests = true,
            "--trace" => {
                let filter = args.next_if(|next| !next.starts_with("--"));
                options.trace = Some(filter.unwrap_or_default());
            }
            other => usage(&format!("unknown argument {other:?}")),
        }
    }
    options
}

fn usage(problem: &str) -> ! {
    eprintln!("sim_seeds: {problem}; see the options at the top of examples/sim_seeds.rs");
    std::process::exit(2)
}
