//! Target: an idle node with 100 000 entries uses under 100 MB of memory and no CPU.
//!
//! A realistic space of 100 000 entries is written into a home as a node writes what it
//! receives (`Node::receive_entries`: verified, authorized, stored, indexed), all but the
//! newest 20, and recorded as announced, as a node that received them would have. A `margin node` (the release binary Cargo builds for this bench) runs in
//! that home; a peer holding the whole space connects, so the node reconciles its 100 000
//! items, fetches the 20 it lacks and loads the space to check them — its first load and
//! first sync. A node lets go of a space it has not used for a minute: once that minute
//! has passed, its memory (`VmRSS`, peak `VmHWM`) and CPU time (`utime + stime`) over 30
//! idle seconds are read from `/proc`, first with the peer still connected, then alone
//! (its memory while it still holds the space, after it settles, is printed too). Last,
//! one request to its HTTP API for the space times loading the space again. The
//! baseline is a node in an empty home, measured over the same seconds.
//!
//! Run: `cargo bench -p margin-cli --bench idle_node`
//! (`MARGIN_BENCH_KEEP=DIR` also keeps copies of the two homes in `DIR`, for profiling.)

#[path = "../tests/it/common/mod.rs"]
mod common;
mod support;

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use common::Participant;
use common::running::RunningNode;
use margin_node::{Home, Node};
use support::process::*;
use support::*;

const MAX_RSS_MB: f64 = 100.0;
/// "No CPU": under 1 % of one core, averaged over the idle period.
const MAX_CPU_PERCENT: f64 = 1.0;
const IDLE: Duration = Duration::from_secs(30);
/// Time for the node to notice its peer left.
const SETTLE: Duration = Duration::from_secs(5);
/// A node lets go of a space unused for a minute, looking every 10 s.
const LET_GO: Duration = Duration::from_secs(75);
/// Entries the peer has and the idle node lacks at first.
const NEWER: usize = 20;

/// One idle period: CPU used and wake-ups per second of each process, and its memory at
/// the end.
struct Idle {
    cpu_percent: f64,
    wakeups: f64,
    end: Sample,
}

fn idle(pids: &[u32], ticks_per_s: f64) -> Vec<Idle> {
    let before: Vec<Sample> = pids.iter().map(|&p| sample(p)).collect();
    let t = Instant::now();
    std::thread::sleep(IDLE);
    let secs = t.elapsed().as_secs_f64();
    pids.iter()
        .zip(before)
        .map(|(&p, b)| {
            let end = sample(p);
            Idle {
                cpu_percent: 100.0 * (end.cpu_ticks - b.cpu_ticks) as f64 / ticks_per_s / secs,
                wakeups: (end.switches - b.switches) as f64 / secs,
                end,
            }
        })
        .collect()
}

fn main() {
    let n = scaled(100_000);
    println!("# An idle node with {n} entries\n");
    println!("machine: {}", machine());
    let t = Instant::now();
    let space = realistic_space(5, n);
    println!(
        "space: {} (generated in {:.1} s)",
        space.summary(),
        t.elapsed().as_secs_f64()
    );
    let raw = space.raw();

    // The idle node's home: all but the newest entries, received and indexed.
    let idle_home = Participant::new("Idle");
    let t = Instant::now();
    {
        let mut node = Node::open(Home::at(idle_home.home())).expect("a node opens");
        node.receive_entries(raw[..n - NEWER].to_vec())
            .expect("the node ingests");
        mark_announced(&mut node);
    }
    println!(
        "home written in {:.1} s; database {}",
        t.elapsed().as_secs_f64(),
        size(files_size(idle_home.home()))
    );
    // The peer's home: the same, and the newest entries.
    let peer_home = Participant::new("Peer");
    for file in ["margin.db", "margin.db-wal", "margin.db-shm"] {
        let from = idle_home.home().join(file);
        if from.exists() {
            fs::copy(&from, peer_home.home().join(file)).expect("copy the database");
        }
    }
    {
        let mut node = Node::open(Home::at(peer_home.home())).expect("a node opens");
        node.receive_entries(raw[n - NEWER..].to_vec())
            .expect("the node ingests");
        mark_announced(&mut node);
    }
    if let Ok(keep) = std::env::var("MARGIN_BENCH_KEEP") {
        // For profiling by hand: the two homes, before any node ran in them.
        for (name, home) in [("idle", idle_home.home()), ("peer", peer_home.home())] {
            let to = Path::new(&keep).join(name);
            fs::create_dir_all(&to).expect("a folder to keep the homes in");
            for file in ["margin.db", "margin.db-wal", "margin.db-shm"] {
                if home.join(file).exists() {
                    fs::copy(home.join(file), to.join(file)).expect("copy a home");
                }
            }
        }
        println!("homes kept in {keep}");
    }

    let ticks = clock_ticks();
    let mut empty = RunningNode::start(Participant::new("Empty"), &[]);
    let mut node = RunningNode::start(idle_home, &[]);
    let pids = [node.pid(), empty.pid()];
    println!("node pid {}, empty-home node pid {}", pids[0], pids[1]);
    let started = sample(pids[0]);
    println!(
        "started: RSS {:.1} MB (empty home: {:.1} MB)",
        mb(started.rss_kb),
        mb(sample(pids[1]).rss_kb)
    );

    // First sync: the peer connects; the node fetches what it lacks and loads the space.
    let t = Instant::now();
    let mut peer = RunningNode::start(peer_home, &["--bootstrap", &node.addr()]);
    let db = node.p.home().join("margin.db");
    let deadline = Instant::now() + Duration::from_secs(300);
    while entry_count(&db) < n as i64 {
        assert!(
            Instant::now() < deadline,
            "the node did not fetch the newest entries:\n{}",
            node.log_tail()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let synced = sample(pids[0]);
    let synced_at = Instant::now();
    println!(
        "first sync: {NEWER} entries fetched and the space loaded in {:.1} s; RSS {:.1} MB, peak {:.1} MB",
        t.elapsed().as_secs_f64(),
        mb(synced.rss_kb),
        mb(synced.hwm_kb)
    );
    // The node goes on (indexing, confirming with the peer) after the last entry is
    // stored: wait until its CPU use over 5 s stops falling, for two minutes at most.
    let t = Instant::now();
    let mut before = f64::MAX;
    loop {
        let a = sample(pids[0]).cpu_ticks;
        std::thread::sleep(Duration::from_secs(5));
        let used = 100.0 * (sample(pids[0]).cpu_ticks - a) as f64 / ticks / 5.0;
        if used >= before * 0.8 || t.elapsed() > Duration::from_secs(120) {
            println!(
                "settled after {:.0} s ({used:.1} % of a core over the last 5 s)",
                t.elapsed().as_secs_f64()
            );
            break;
        }
        before = used;
    }
    assert!(
        !fs::read_to_string(node.p.home().join("node.log"))
            .unwrap_or_default()
            .contains("written while the node was stopped"),
        "the node took the received entries for its own, written while it was stopped"
    );
    let holding = sample(pids[0]);
    println!(
        "settled, still holding the space: RSS {:.1} MB, peak {:.1} MB",
        mb(holding.rss_kb),
        mb(holding.hwm_kb)
    );
    if let Some(wait) = LET_GO.checked_sub(synced_at.elapsed()) {
        println!(
            "waiting {:.0} s more: the node lets go of a space unused for a minute",
            wait.as_secs_f64()
        );
        std::thread::sleep(wait);
    }

    println!(
        "\nidle for {} s with the peer connected, then {} s alone ...",
        IDLE.as_secs(),
        IDLE.as_secs()
    );
    let connected = idle(&pids, ticks);
    peer.stop();
    std::thread::sleep(SETTLE);
    let alone = idle(&pids, ticks);
    let t = Instant::now();
    let answer = common::http::get_from(&node, &format!("/api/spaces/{}", space.space), &[]);
    assert_eq!(answer.status, 200, "the space: {}", answer.text());
    let reload = t.elapsed();
    let loaded = sample(pids[0]);
    println!(
        "first request after the idle periods: {:.2} s (the space loaded again from its snapshot); RSS {:.1} MB",
        reload.as_secs_f64(),
        mb(loaded.rss_kb)
    );
    node.stop();
    empty.stop();

    let mut table = Table::new(&[
        "node",
        "RSS",
        "peak RSS",
        "CPU (one core)",
        "wake-ups/s",
        "threads",
    ]);
    let row = |label: &str, i: &Idle| {
        vec![
            label.to_string(),
            format!("{:.1} MB", mb(i.end.rss_kb)),
            format!("{:.1} MB", mb(i.end.hwm_kb)),
            format!("{:.2} %", i.cpu_percent),
            format!("{:.0}", i.wakeups),
            i.end.threads.to_string(),
        ]
    };
    table.row(&row(
        &format!("{} entries, peer connected", thousands(n as u64)),
        &connected[0],
    ));
    table.row(&row(
        &format!("{} entries, alone", thousands(n as u64)),
        &alone[0],
    ));
    table.row(&row("empty home (baseline), first period", &connected[1]));
    table.row(&row("empty home (baseline), second period", &alone[1]));
    table.print();
    let rss = mb(connected[0].end.rss_kb.max(alone[0].end.rss_kb));
    let cpu = connected[0].cpu_percent.max(alone[0].cpu_percent);
    println!(
        "\ntarget: RSS < {MAX_RSS_MB:.0} MB when idle: {rss:.1} MB → {}",
        verdict(rss < MAX_RSS_MB)
    );
    println!(
        "target: no CPU when idle (< {MAX_CPU_PERCENT} % of a core): {cpu:.2} % → {}",
        verdict(cpu < MAX_CPU_PERCENT)
    );
}
