//! Target: an idle node with 100 000 entries uses under 100 MB of memory and no CPU.
//!
//! A realistic space of 100 000 entries is written into a home as a node writes what it
//! receives (`Node::receive_entries`: verified, authorized, stored, indexed), all but the
//! newest 20, and recorded as announced, as a node that received them would have. A `margin node` (the release binary Cargo builds for this bench) runs in
//! that home; a peer holding the whole space connects, so the node reconciles its 100 000
//! items, fetches the 20 it lacks and loads the space to check them — its first load and
//! first sync. After it settles, its memory (`VmRSS`, peak `VmHWM`) and CPU time
//! (`utime + stime`) over 30 idle seconds are read from `/proc`, first with the peer
//! still connected, then alone. The baseline is a node in an empty home, measured over
//! the same seconds.
//!
//! Run: `cargo bench -p margin-cli --bench idle_node`
//! (`MARGIN_BENCH_KEEP=DIR` also keeps copies of the two homes in `DIR`, for profiling.)

#[path = "../tests/it/common/mod.rs"]
mod common;
mod support;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::Participant;
use common::running::RunningNode;
use margin_node::{Home, Node};
use rusqlite::{Connection, OpenFlags};
use support::*;

const MAX_RSS_MB: f64 = 100.0;
/// "No CPU": under 1 % of one core, averaged over the idle period.
const MAX_CPU_PERCENT: f64 = 1.0;
const IDLE: Duration = Duration::from_secs(30);
/// Time for the node to notice its peer left.
const SETTLE: Duration = Duration::from_secs(5);
/// Entries the peer has and the idle node lacks at first.
const NEWER: usize = 20;

/// What `/proc` says about a process at one moment.
#[derive(Clone, Copy, Debug)]
struct Sample {
    rss_kb: u64,
    hwm_kb: u64,
    cpu_ticks: u64,
    /// Context switches of all its threads: how often it woke up.
    switches: u64,
    threads: u64,
}

fn status_field(text: &str, name: &str) -> u64 {
    text.lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn sample(pid: u32) -> Sample {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).expect("the node runs");
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).expect("the node runs");
    // Fields after the command name (which is in parentheses and may hold spaces).
    let after = &stat[stat.rfind(')').expect("a stat line") + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks = |i: usize| fields[i].parse::<u64>().expect("a tick count");
    let mut switches = 0;
    if let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) {
        for task in tasks.flatten() {
            if let Ok(text) = fs::read_to_string(task.path().join("status")) {
                switches += status_field(&text, "voluntary_ctxt_switches")
                    + status_field(&text, "nonvoluntary_ctxt_switches");
            }
        }
    }
    Sample {
        rss_kb: status_field(&status, "VmRSS"),
        hwm_kb: status_field(&status, "VmHWM"),
        cpu_ticks: ticks(11) + ticks(12),
        switches,
        threads: status_field(&status, "Threads"),
    }
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

fn pid(node: &RunningNode) -> u32 {
    node.info().expect("node.json")["pid"]
        .as_u64()
        .expect("a pid") as u32
}

/// Kilobytes as `/proc` counts them (1 024 bytes) to megabytes (10^6 bytes).
fn mb(kb: u64) -> f64 {
    kb as f64 * 1024.0 / 1e6
}

fn entry_count(db: &Path) -> i64 {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("the database opens read-only");
    conn.busy_timeout(Duration::from_secs(1)).expect("timeout");
    conn.query_row("SELECT count(*) FROM entries", [], |r| r.get(0))
        .unwrap_or(0)
}

fn files_size(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("margin.db"))
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

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

/// Records every stored entry as announced, as a running node does once it has passed on
/// what it received (the engine's `announced-seq` setting). Without it, the node would
/// take the entries for ones written while it was stopped, hold them all in memory and
/// gossip every one of them at start.
fn mark_announced(node: &mut Node) {
    let last = node.store().last_seq().expect("the last entry");
    node.store_mut()
        .set_setting("announced-seq", &last.to_string())
        .expect("a setting");
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
    let pids = [pid(&node), pid(&empty)];
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

    println!(
        "\nidle for {} s with the peer connected, then {} s alone ...",
        IDLE.as_secs(),
        IDLE.as_secs()
    );
    let connected = idle(&pids, ticks);
    peer.stop();
    std::thread::sleep(SETTLE);
    let alone = idle(&pids, ticks);
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
