//! Target: a mirror of 100 spaces of 1 000 entries each starts in under 2 s and uses
//! under 200 MB of memory while 20 peers keep its spaces in sync.
//!
//! 100 realistic spaces (each its own draft, participants, comments, stances) are written
//! into the mirror's home as a node writes what it receives (`Node::receive_entries`),
//! and recorded as announced. Twenty peers hold five spaces each, with a few entries
//! per space that the mirror lacks. Then, with real `margin node` processes on loopback:
//!
//! 1. the mirror starts (the time until it listens, as `margin node` writes its
//!    `node.json`: it has loaded what it needs to serve and sync);
//! 2. the peers start, bootstrapped from the mirror; the mirror fetches what it lacks
//!    from each of them (its first sync);
//! 3. for 30 s, entries are written into the peers' homes (as the CLI writes them, ten a
//!    second across all spaces) and reach the mirror by gossip (live sync);
//! 4. 30 s with every peer connected and nothing new (idle);
//! 5. the mirror is stopped and started again in the same home (a restart), and syncs
//!    with its peers once more.
//!
//! Memory (`VmRSS`, peak `VmHWM`) and CPU time (`utime + stime`) are read from `/proc`.
//! The baseline is a node in an empty home, started and measured over the same seconds.
//!
//! Run: `cargo bench -p margin-cli --bench mirror_spaces`
//! (`MARGIN_BENCH_SCALE=0.1` for a quick run: 10 spaces of 100 entries, 2 peers).

#[path = "../tests/it/common/mod.rs"]
mod common;
mod support;

use std::time::{Duration, Instant};

use common::Participant;
use common::running::RunningNode;
use margin_node::{Home, Node};
use support::process::*;
use support::*;

const SPACES: usize = 100;
const ENTRIES: usize = 1_000;
const PEERS: usize = 20;
/// Entries per space its peer has and the mirror lacks when the peers start.
const NEWER: usize = 5;
/// Entries per space written into the peers' homes during the live period.
const LIVE: usize = 3;
const LIVE_PERIOD: Duration = Duration::from_secs(30);
const IDLE: Duration = Duration::from_secs(30);
const MAX_START_S: f64 = 2.0;
const MAX_RSS_MB: f64 = 200.0;

/// CPU used by each process over a period, as a percentage of one core, and its memory
/// at the end.
fn cpu_over(pids: &[u32], ticks: f64, during: impl FnOnce()) -> Vec<(f64, Sample)> {
    let before: Vec<Sample> = pids.iter().map(|&p| sample(p)).collect();
    let t = Instant::now();
    during();
    let secs = t.elapsed().as_secs_f64();
    pids.iter()
        .zip(before)
        .map(|(&p, b)| {
            let end = sample(p);
            (
                100.0 * (end.cpu_ticks - b.cpu_ticks) as f64 / ticks / secs,
                end,
            )
        })
        .collect()
}

/// Waits until the database at `home` holds `count` entries; returns how long it took.
fn wait_for_entries(node: &RunningNode, count: usize, what: &str) -> Duration {
    let t = Instant::now();
    let db = node.p.home().join("margin.db");
    let deadline = t + Duration::from_secs(600);
    while entry_count(&db) < count as i64 {
        assert!(
            Instant::now() < deadline,
            "{what}: the mirror did not fetch every entry:\n{}",
            node.log_tail()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    t.elapsed()
}

fn main() {
    let spaces = scaled(SPACES);
    let entries = scaled(ENTRIES).max(20);
    let peers = scaled(PEERS).clamp(1, spaces);
    println!(
        "# A mirror of {spaces} spaces of {} entries, {peers} peers\n",
        thousands(entries as u64)
    );
    println!("machine: {}", machine());

    let t = Instant::now();
    let generated: Vec<Generated> = (0..spaces)
        .map(|i| realistic_space(1_000 + i as u64, entries + NEWER + LIVE))
        .collect();
    println!(
        "spaces generated in {:.1} s; the first: {}",
        t.elapsed().as_secs_f64(),
        generated[0].summary()
    );

    // The mirror's home: every space but its newest entries, received and indexed.
    let mirror_home = Participant::new("Mirror");
    let t = Instant::now();
    {
        let mut node = Node::open(Home::at(mirror_home.home())).expect("a node opens");
        for space in &generated {
            node.receive_entries(space.raw()[..entries].to_vec())
                .expect("the mirror ingests");
        }
        mark_announced(&mut node);
    }
    println!(
        "mirror's home written in {:.1} s; database {}",
        t.elapsed().as_secs_f64(),
        size(files_size(mirror_home.home()))
    );

    // The peers' homes: peer j holds every space i with i % peers == j, with the entries
    // the mirror lacks. Their nodes are kept open to write the live entries later (as
    // the CLI writes into a home whose node runs).
    let t = Instant::now();
    let mut peer_homes = vec![];
    let mut writers = vec![];
    for j in 0..peers {
        let p = Participant::new(&format!("Peer {j}"));
        let mut node = Node::open(Home::at(p.home())).expect("a node opens");
        for space in generated.iter().skip(j).step_by(peers) {
            node.receive_entries(space.raw()[..entries + NEWER].to_vec())
                .expect("a peer ingests");
        }
        mark_announced(&mut node);
        peer_homes.push(p);
        writers.push(node);
    }
    println!(
        "{peers} peers' homes written in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let ticks = clock_ticks();
    let t = Instant::now();
    let mut empty = RunningNode::start(Participant::new("Empty"), &[]);
    let empty_start = t.elapsed();
    let t = Instant::now();
    let mut mirror = RunningNode::start(mirror_home, &[]);
    let mirror_start = t.elapsed();
    let pids = [mirror.pid(), empty.pid()];
    let started = sample(pids[0]);
    let empty_started = sample(pids[1]);
    println!(
        "started: mirror in {:.2} s, RSS {:.1} MB; empty home in {:.2} s, RSS {:.1} MB",
        mirror_start.as_secs_f64(),
        mb(started.rss_kb),
        empty_start.as_secs_f64(),
        mb(empty_started.rss_kb)
    );

    // First sync: the peers connect and the mirror fetches what it lacks.
    let t = Instant::now();
    let mut running: Vec<RunningNode> = peer_homes
        .into_iter()
        .map(|p| RunningNode::start(p, &["--bootstrap", &mirror.addr()]))
        .collect();
    println!(
        "{peers} peers started in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let total = spaces * (entries + NEWER);
    wait_for_entries(&mirror, total, "first sync");
    let first_sync = t.elapsed();
    let synced = sample(pids[0]);
    println!(
        "first sync: {} entries fetched within {:.1} s of the peers' start; RSS {:.1} MB, peak {:.1} MB",
        spaces * NEWER,
        first_sync.as_secs_f64(),
        mb(synced.rss_kb),
        mb(synced.hwm_kb)
    );

    // Live: entries written into the peers' homes, spread over the period.
    let live = cpu_over(&pids, ticks, || {
        let t = Instant::now();
        let writes = spaces * LIVE;
        for k in 0..writes {
            let i = k % spaces;
            let round = k / spaces;
            let entry = generated[i].raw()[entries + NEWER + round].clone();
            writers[i % peers]
                .receive_entries(vec![entry])
                .expect("a peer's home takes the entry");
            let due = LIVE_PERIOD.mul_f64((k + 1) as f64 / writes as f64);
            if let Some(wait) = due.checked_sub(t.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        wait_for_entries(&mirror, spaces * (entries + NEWER + LIVE), "live sync");
    });
    println!(
        "live: {} entries written into the peers' homes over {} s, all at the mirror",
        spaces * LIVE,
        LIVE_PERIOD.as_secs()
    );
    let idle = cpu_over(&pids, ticks, || std::thread::sleep(IDLE));

    // A restart of the mirror in the same home.
    mirror.stop();
    let t = Instant::now();
    let addresses: Vec<String> = running.iter().map(|p| p.addr()).collect();
    let mut args = vec![];
    for a in &addresses {
        args.push("--bootstrap");
        args.push(a.as_str());
    }
    mirror.restart_with(&args);
    let restart = t.elapsed();
    let restarted = sample(mirror.pid());
    let after_restart = cpu_over(&[mirror.pid()], ticks, || std::thread::sleep(IDLE));
    mirror.stop();
    for node in &mut running {
        node.stop();
    }
    empty.stop();

    let mut table = Table::new(&["mirror", "time", "RSS", "peak RSS", "CPU (one core)"]);
    let row = |label: &str, time: String, s: &Sample, cpu: Option<f64>| {
        vec![
            label.to_string(),
            time,
            format!("{:.1} MB", mb(s.rss_kb)),
            format!("{:.1} MB", mb(s.hwm_kb)),
            cpu.map_or("".into(), |c| format!("{c:.1} %")),
        ]
    };
    let secs = |d: Duration| format!("{:.2} s", d.as_secs_f64());
    table.row(&row(
        "start (listening)",
        secs(mirror_start),
        &started,
        None,
    ));
    table.row(&row(
        "first sync with the peers",
        secs(first_sync),
        &synced,
        None,
    ));
    table.row(&row(
        "live sync (10 entries/s)",
        secs(LIVE_PERIOD),
        &live[0].1,
        Some(live[0].0),
    ));
    table.row(&row(
        "idle, peers connected",
        secs(IDLE),
        &idle[0].1,
        Some(idle[0].0),
    ));
    table.row(&row("restart (listening)", secs(restart), &restarted, None));
    table.row(&row(
        "after the restart",
        secs(IDLE),
        &after_restart[0].1,
        Some(after_restart[0].0),
    ));
    table.row(&row(
        "empty home (baseline): start",
        secs(empty_start),
        &empty_started,
        None,
    ));
    table.row(&row(
        "empty home (baseline): live period",
        secs(LIVE_PERIOD),
        &live[1].1,
        Some(live[1].0),
    ));
    table.row(&row(
        "empty home (baseline): idle period",
        secs(IDLE),
        &idle[1].1,
        Some(idle[1].0),
    ));
    table.print();

    let start = mirror_start.max(restart).as_secs_f64();
    let rss = [
        started,
        synced,
        live[0].1,
        idle[0].1,
        restarted,
        after_restart[0].1,
    ]
    .iter()
    .map(|s| mb(s.rss_kb))
    .fold(0.0, f64::max);
    println!(
        "\ntarget: start < {MAX_START_S} s: {start:.2} s → {}",
        verdict(start < MAX_START_S)
    );
    println!(
        "target: RSS < {MAX_RSS_MB:.0} MB while in sync: {rss:.1} MB → {}",
        verdict(rss < MAX_RSS_MB)
    );
}
