//! Target: reconciling two identical 100 000-entry spaces costs a few kilobytes.
//!
//! Two nodes with real SQLite stores holding the same 100 000 signed entries of a
//! realistic space run the real sync service; every frame both ways is counted (with its
//! 4-byte length prefix) and the one-way trips on the longest chain of messages. The
//! baseline is the size of the entries themselves (and of their ids alone). For context
//! the same is measured for smaller identical spaces and for spaces that differ by a few
//! entries.
//!
//! Run: `cargo bench -p margin-cli --bench reconcile`

mod support;

use std::time::Instant;

use support::*;

/// "A few kilobytes".
const MAX_BYTES: u64 = 16 * 1024;

struct Run {
    label: String,
    bytes: u64,
    frames: u64,
    hops: u32,
    ms: f64,
    in_sync: bool,
}

/// Node 0 holds the first `a` entries, node 1 the first `b`; they connect and talk until
/// quiet (node 0 initiates).
fn run(label: String, space: &Generated, a: usize, b: usize) -> (Run, Link) {
    let (_home_a, mut node_a) = fresh_node();
    let (_home_b, mut node_b) = fresh_node();
    store_raw(&mut node_a, space.space, &space.entries[..a]);
    store_raw(&mut node_b, space.space, &space.entries[..b]);
    let t = Instant::now();
    let mut link = Link::new([node_a, node_b], space.space);
    link.connect(0);
    // A node that fetched something reconciles again a second later, to confirm.
    link.tick(2_000);
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    assert!(link.refused.is_empty(), "{:?}", link.refused);
    let status = link.services[0].status(margin_core::Timestamp::from_millis(2_000));
    let in_sync = status.peers[0].spaces.iter().all(|l| l.in_sync);
    let count = |i: usize| {
        link.nodes[i]
            .store()
            .entry_count(&space.space)
            .expect("count")
    };
    assert_eq!(count(0), count(1), "{label}: both hold the union");
    (
        Run {
            label,
            bytes: link.bytes(),
            frames: link.frames(),
            hops: link.hops,
            ms,
            in_sync,
        },
        link,
    )
}

fn main() {
    let n = scaled(100_000);
    println!("# Reconciling identical spaces of {n} entries\n");
    println!("machine: {}", machine());
    let t = Instant::now();
    let space = realistic_space(3, n);
    println!(
        "space: {} (generated in {:.1} s)\n",
        space.summary(),
        t.elapsed().as_secs_f64()
    );

    let (main_run, link) = run(
        format!("identical, {} entries", thousands(n as u64)),
        &space,
        n,
        n,
    );
    let mut runs = vec![];
    for size in [n / 100, n / 10] {
        runs.push(
            run(
                format!("identical, {} entries", thousands(size as u64)),
                &space,
                size,
                size,
            )
            .0,
        );
    }
    for missing in [1, 100] {
        runs.push(
            run(
                format!(
                    "node 0 lacks the newest {missing} of {}",
                    thousands(n as u64)
                ),
                &space,
                n - missing,
                n,
            )
            .0,
        );
    }

    let mut table = Table::new(&[
        "spaces",
        "bytes both ways",
        "frames",
        "one-way trips",
        "time",
        "in sync after",
    ]);
    for r in std::iter::once(&main_run).chain(&runs) {
        table.row(&[
            r.label.clone(),
            thousands(r.bytes),
            r.frames.to_string(),
            r.hops.to_string(),
            format!("{:.0} ms", r.ms),
            if r.in_sync { "yes" } else { "no" }.into(),
        ]);
    }
    table.print();

    println!("\nidentical {n}-entry spaces, frames by kind (both ways):\n");
    let mut kinds = Table::new(&["message", "frames", "bytes"]);
    for (kind, (frames, bytes)) in link.by_kind() {
        kinds.row(&[kind.to_string(), frames.to_string(), thousands(bytes)]);
    }
    kinds.print();

    let entries = space.bytes() as u64;
    let ids = n as u64 * 32;
    println!("\nbaseline:\n");
    let mut base = Table::new(&["what", "bytes", "reconciliation as a share"]);
    base.row(&[
        format!("the {} entries themselves", thousands(n as u64)),
        thousands(entries),
        format!("{:.4} %", 100.0 * main_run.bytes as f64 / entries as f64),
    ]);
    base.row(&[
        "their ids alone (32 bytes each)".into(),
        thousands(ids),
        format!("{:.3} %", 100.0 * main_run.bytes as f64 / ids as f64),
    ]);
    base.print();
    println!(
        "\ntarget: identical {n}-entry spaces reconcile in a few kilobytes (≤ {}): {} in {} one-way trips → {}",
        size(MAX_BYTES),
        size(main_run.bytes),
        main_run.hops,
        verdict(main_run.bytes <= MAX_BYTES && main_run.in_sync)
    );
}
