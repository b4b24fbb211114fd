//! Target: a comment reaches every node of a 20-node network within one second (p99).
//!
//! Twenty `margin node` processes (the release binary Cargo builds for this bench) run
//! on 127.0.0.1 with no mDNS, each bootstrapped from one or two earlier nodes (a sparse
//! graph), all joined to one space by invites passed along the chain. Then 50 comments
//! are written with `margin comment` in random homes while the nodes run, as a
//! participant writes them, a few hundred milliseconds apart.
//!
//! This is done twice: first with the links the nodes make by themselves (at this size
//! they find every other node through the DHT and connect to it), then in a sparse
//! network where each node blocks every node but those it was bootstrapped with or from.
//!
//! A comment's latency at a node is the time its entry was stored there minus the time
//! the author's CLI stored it (`entries.received_at`, written by each process with the
//! same clock). A thread polls every node's database read-only every 5 ms as a cross-check
//! of when each entry became visible. The baseline is the same latency to the author's
//! direct neighbours (one gossip hop), against which the farther nodes are compared.
//!
//! Every node process is stopped at the end, and killed if the bench panics.
//!
//! Run: `cargo bench -p margin-cli --bench propagation`

#[path = "../tests/it/common/mod.rs"]
mod common;
mod support;

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::Participant;
use common::running::RunningNode;
use margin_core::Timestamp;
use margin_node::{Home, Node};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde_json::Value;
use support::*;

const NODES: usize = 20;
const COMMENTS: usize = 50;
const TARGET_MS: f64 = 1000.0;

fn now_ms() -> i64 {
    Timestamp::now().as_millis() as i64
}

fn text(v: &Value, name: &str) -> String {
    v[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {v}"))
        .to_owned()
}

/// Per comment and node: when the node stored it (`received_at`) and when the poller
/// first saw it.
type Seen = BTreeMap<(usize, usize), (i64, i64)>;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() {
    let nodes = scaled(NODES).max(2);
    let comments = scaled(COMMENTS);
    println!("# A comment reaches every node of a {nodes}-node network\n");
    println!("machine: {}", machine());
    let mut rng = Rng::new(4);
    let groups = [
        "government",
        "civil-society",
        "private-sector",
        "technical-community",
        "academia",
    ];

    // The convener's home: the space and its draft, written before any node runs.
    let setup = Instant::now();
    let first = Participant::init("Node 0", groups[0]);
    let space = text(
        &first.json(&["space", "create", "BPF on Cybersecurity 2026"]),
        "space",
    );
    let fixture = common::fixture("bpf-draft-v1.md");
    let draft = text(
        &first.json(&[
            "draft",
            "import",
            &space,
            fixture.to_str().expect("UTF-8 path"),
        ]),
        "draft",
    );

    // Start the nodes one after the other; each bootstraps from the previous node and a
    // random earlier one, and joins by an invite from the previous node.
    let mut running: Vec<RunningNode> = vec![RunningNode::start(first, &[])];
    let mut bootstraps: Vec<Vec<usize>> = vec![vec![]];
    for i in 1..nodes {
        let mut via = vec![i - 1];
        if i >= 2 {
            let other = rng.below(i - 1);
            via.push(other);
        }
        let addrs: Vec<String> = via.iter().map(|&j| running[j].addr()).collect();
        let mut args = vec![];
        for a in &addrs {
            args.push("--bootstrap");
            args.push(a.as_str());
        }
        let p = Participant::init(&format!("Node {i}"), groups[i % groups.len()]);
        let node = RunningNode::start(p, &args);
        let invite = text(
            &running[i - 1].p.json(&["space", "invite", &space]),
            "invite",
        );
        let joined = node.p.json(&["space", "join", &invite, "--timeout", "60"]);
        assert_eq!(joined["fetched"], true, "node {i} joined: {joined}");
        running.push(node);
        bootstraps.push(via);
    }
    for node in &running {
        node.wait_in_sync(&space, 1);
    }
    println!(
        "{nodes} nodes started and joined in {:.1} s",
        setup.elapsed().as_secs_f64()
    );

    // First as the nodes connect by themselves (they find each other through the DHT
    // and identify, and at this size end up connected to every other node) ...
    let first_round = round(
        "as the nodes connect by themselves",
        &running,
        &draft,
        &mut rng,
        comments,
    );

    // ... then a sparse network: each node keeps only the links it was bootstrapped
    // with (in either direction) and blocks every other node, as a node far from the
    // others on the internet would see it.
    let ids: Vec<String> = running.iter().map(RunningNode::peer_id).collect();
    let mut keep = vec![std::collections::BTreeSet::new(); nodes];
    for (i, via) in bootstraps.iter().enumerate() {
        for &j in via {
            keep[i].insert(j);
            keep[j].insert(i);
        }
    }
    for (i, node) in running.iter().enumerate() {
        let mut store = Node::open(Home::at(node.p.home())).expect("the node's store");
        for (j, id) in ids.iter().enumerate() {
            if j != i && !keep[i].contains(&j) {
                store
                    .store_mut()
                    .block(
                        margin_core::vocabulary::BlockTarget::Peer,
                        id,
                        "sparse topology for the benchmark",
                    )
                    .expect("block a peer");
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let graph = connections(&running);
        if graph
            .iter()
            .enumerate()
            .all(|(i, peers)| peers.iter().all(|j| keep[i].contains(j)) && !peers.is_empty())
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the nodes did not drop their other links"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let second_round = round(
        "sparse: only the bootstrap links",
        &running,
        &draft,
        &mut rng,
        comments,
    );
    for node in &mut running {
        node.stop();
    }

    println!("## Summary\n");
    let mut table = Table::new(&[
        "network",
        "p50",
        "p99",
        "max",
        "missing",
        "target p99 ≤ 1 s",
    ]);
    for r in [&first_round, &second_round] {
        let p99 = percentile(&r.stored, 99.0);
        table.row(&[
            r.label.clone(),
            format!("{:.0} ms", percentile(&r.stored, 50.0)),
            format!("{p99:.0} ms"),
            format!("{:.0} ms", r.stored.last().copied().unwrap_or(f64::NAN)),
            r.missing.to_string(),
            verdict(r.missing == 0 && p99 <= TARGET_MS).into(),
        ]);
    }
    table.print();
}

/// Who each node is connected to, as the nodes report it (indexes into `running`).
fn connections(running: &[RunningNode]) -> Vec<Vec<usize>> {
    let ids: Vec<String> = running.iter().map(RunningNode::peer_id).collect();
    running
        .iter()
        .map(|n| {
            n.peers()
                .iter()
                .filter_map(|p| p["peer"].as_str())
                .filter_map(|p| ids.iter().position(|id| id == p))
                .collect()
        })
        .collect()
}

/// Latencies of one round of comments, in ms from the author's store write.
struct Round {
    label: String,
    stored: Vec<f64>,
    missing: usize,
}

/// Writes `comments` comments on random nodes a few hundred ms apart, waits until every
/// node has them (or a minute), and prints their latencies by distance from the author.
fn round(
    label: &str,
    running: &[RunningNode],
    draft: &str,
    rng: &mut Rng,
    comments: usize,
) -> Round {
    let nodes = running.len();
    println!("## {label}\n");
    let graph = connections(running);
    let degrees: Vec<usize> = graph.iter().map(Vec::len).collect();
    let far = (0..nodes)
        .map(|n| {
            distances(&graph, n)
                .into_iter()
                .filter(|d| *d != usize::MAX)
                .max()
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0);
    println!(
        "connections per node: min {}, mean {:.1}, max {}; the farthest two nodes are {far} hops apart",
        degrees.iter().min().unwrap_or(&0),
        degrees.iter().sum::<usize>() as f64 / nodes as f64,
        degrees.iter().max().unwrap_or(&0)
    );
    let rtts: Vec<f64> = running
        .iter()
        .flat_map(|n| n.peers())
        .filter_map(|p| p["rtt_ms"].as_f64())
        .collect();
    if !rtts.is_empty() {
        println!(
            "ping round trip between connected nodes: mean {:.1} ms",
            rtts.iter().sum::<f64>() / rtts.len() as f64
        );
    }

    // The poller: every node's database, read-only, every 5 ms.
    let databases: Vec<PathBuf> = running
        .iter()
        .map(|n| n.p.home().join("margin.db"))
        .collect();
    let written: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let done = Arc::new(Mutex::new(false));
    let poller = {
        let (written, seen, done) = (written.clone(), seen.clone(), done.clone());
        std::thread::spawn(move || poll(&databases, &written, &seen, &done))
    };

    let mut authors = vec![];
    let started = Instant::now();
    for c in 0..comments {
        let author = rng.below(nodes);
        let body = format!(
            "{label}, comment {c} from node {author}: the annex should list the contributions."
        );
        let out = running[author].p.json(&["comment", draft, "--body", &body]);
        let id = hex::decode(text(&out, "comment")).expect("a hex id");
        written.lock().expect("lock").push(id);
        authors.push(author);
        std::thread::sleep(Duration::from_millis(100 + rng.below(400) as u64));
    }
    let writing = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.lock().expect("lock").len() < comments * nodes && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    *done.lock().expect("lock") = true;
    poller.join().expect("the poller stops");
    let seen = seen.lock().expect("lock").clone();
    println!(
        "{comments} comments written on random nodes over {:.1} s\n",
        writing.as_secs_f64()
    );

    // Latencies from the author's store write, by hop distance from the author.
    let mut stored = vec![];
    let mut observed = vec![];
    let mut by_hops: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    let mut missing = 0;
    for (c, &author) in authors.iter().enumerate() {
        let Some(&(origin, _)) = seen.get(&(c, author)) else {
            missing += nodes;
            continue;
        };
        let hops = distances(&graph, author);
        for k in (0..nodes).filter(|&k| k != author) {
            match seen.get(&(c, k)) {
                Some(&(at, polled)) => {
                    let latency = (at - origin) as f64;
                    stored.push(latency);
                    observed.push((polled - origin) as f64);
                    by_hops.entry(hops[k]).or_default().push(latency);
                }
                None => missing += 1,
            }
        }
    }
    for v in [&mut stored, &mut observed] {
        v.sort_by(|a, b| a.total_cmp(b));
    }
    for v in by_hops.values_mut() {
        v.sort_by(|a, b| a.total_cmp(b));
    }

    let mut table = Table::new(&["latency (ms)", "n", "p50", "p90", "p99", "max"]);
    let row = |label: String, v: &[f64]| {
        vec![
            label,
            v.len().to_string(),
            format!("{:.0}", percentile(v, 50.0)),
            format!("{:.0}", percentile(v, 90.0)),
            format!("{:.0}", percentile(v, 99.0)),
            format!("{:.0}", v.last().copied().unwrap_or(f64::NAN)),
        ]
    };
    for (hops, v) in &by_hops {
        let label = if *hops == 1 {
            "direct neighbours of the author (baseline)".to_string()
        } else if *hops == usize::MAX {
            "not connected to the author".to_string()
        } else {
            format!("{hops} hops from the author")
        };
        table.row(&row(label, v));
    }
    table.row(&row("every other node (stored)".into(), &stored));
    table.row(&row(
        "every other node (seen by the poller)".into(),
        &observed,
    ));
    table.print();
    let p99 = percentile(&stored, 99.0);
    println!(
        "\ndeliveries missing after 60 s: {missing} of {}",
        comments * (nodes - 1)
    );
    println!(
        "target: p99 ≤ {TARGET_MS:.0} ms to every node: {p99:.0} ms → {}\n",
        verdict(missing == 0 && p99 <= TARGET_MS)
    );
    Round {
        label: label.to_owned(),
        stored,
        missing,
    }
}

/// Hops from `from` to every node over the connection graph (`usize::MAX`: unreachable).
fn distances(graph: &[Vec<usize>], from: usize) -> Vec<usize> {
    let mut hops = vec![usize::MAX; graph.len()];
    hops[from] = 0;
    let mut queue = VecDeque::from([from]);
    while let Some(n) = queue.pop_front() {
        for &m in &graph[n] {
            if hops[m] == usize::MAX {
                hops[m] = hops[n] + 1;
                queue.push_back(m);
            }
        }
    }
    hops
}

/// Polls each database for each written comment until `done`.
fn poll(
    databases: &[PathBuf],
    written: &Mutex<Vec<Vec<u8>>>,
    seen: &Mutex<Seen>,
    done: &Mutex<bool>,
) {
    let connections: Vec<Connection> = databases
        .iter()
        .map(|path| {
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .expect("a node's database opens read-only");
            conn.busy_timeout(Duration::from_secs(1))
                .expect("busy timeout");
            conn
        })
        .collect();
    loop {
        if *done.lock().expect("lock") {
            return;
        }
        let ids = written.lock().expect("lock").clone();
        for (c, id) in ids.iter().enumerate() {
            for (k, conn) in connections.iter().enumerate() {
                if seen.lock().expect("lock").contains_key(&(c, k)) {
                    continue;
                }
                let at: Option<i64> = conn
                    .prepare_cached("SELECT received_at FROM entries WHERE id = ?1")
                    .and_then(|mut s| s.query_row(params![id], |r| r.get(0)).optional())
                    .unwrap_or(None);
                if let Some(at) = at {
                    seen.lock().expect("lock").insert((c, k), (at, now_ms()));
                }
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
