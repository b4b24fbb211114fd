//! Target: ingesting a space is bounded by signature verification, not by our code.
//!
//! A realistic space of 20 000 entries (comments on passages, replies, stances,
//! dispositions, edits, profiles, a draft revised about once per thousand entries) is
//! handed to a fresh node in batches of 512, as the sync protocol delivers them. The
//! baseline is `verify_batch` alone on the same batches; the measured path is
//! `Node::receive_entries` (decode, batch-verify, authorize, store in one transaction per
//! batch, index). A breakdown then times each step of that path separately.
//!
//! Run: `cargo bench -p margin-cli --bench ingest`
//!
//! With `MARGIN_BENCH_PROFILE=1` only the batches run (no bundle, no breakdown), for a
//! profiler; the instruction counts in `docs/performance.md` come from
//! `valgrind --tool=callgrind --toggle-collect='*Node*receive_entries*'` on that run.

mod support;

use std::time::{Duration, Instant};

use margin_core::body::Body;
use margin_core::entry::{Entry, Unverified, verify_batch};
use margin_space::Verdict;
use margin_store::Batch;
use support::*;

/// The sync protocol's largest batch (`docs/protocol.md` §7.3).
const BATCH: usize = 512;
/// "Bounded by verification": the whole path takes at most twice as long as verifying
/// alone, i.e. verification is at least half the work.
const MAX_RATIO: f64 = 2.0;

fn rate(n: usize, d: Duration) -> String {
    format!(
        "{} entries/s",
        thousands((n as f64 / d.as_secs_f64()) as u64)
    )
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let n = scaled(20_000);
    println!("# Ingesting a space: {n} entries\n");
    println!("machine: {}", machine());
    let started = Instant::now();
    let space = realistic_space(1, n);
    println!(
        "space: {} (generated in {})\n",
        space.summary(),
        ms(started.elapsed())
    );
    let raw = space.raw();
    let batches: Vec<Vec<Vec<u8>>> = raw.chunks(BATCH).map(<[_]>::to_vec).collect();

    // Baseline: signature verification alone, on entries already decoded.
    let mut verify = Duration::ZERO;
    for batch in &batches {
        let decoded: Vec<Entry<Unverified>> = batch
            .iter()
            .map(|b| Entry::decode(b).expect("generated entries decode"))
            .collect();
        let t = Instant::now();
        let verified = verify_batch(decoded);
        verify += t.elapsed();
        assert!(verified.iter().all(Result::is_ok));
    }

    // The whole path, batch by batch as sync delivers them, into a fresh node.
    let (_home, mut node) = fresh_node();
    let mut whole = Duration::ZERO;
    let mut slowest = (Duration::ZERO, 0);
    for (i, batch) in batches.iter().enumerate() {
        let batch = batch.clone();
        let t = Instant::now();
        let outcomes = node.receive_entries(batch).expect("the node ingests");
        let took = t.elapsed();
        whole += took;
        if took > slowest.0 {
            slowest = (took, i);
        }
        assert!(
            outcomes
                .iter()
                .all(|(_, o)| matches!(o, margin_node::node::Outcome::Accepted { .. })),
            "every generated entry is accepted"
        );
    }
    assert_eq!(
        node.store().entry_count(&space.space).expect("count"),
        n as i64
    );
    drop(node);
    if std::env::var_os("MARGIN_BENCH_PROFILE").is_some() {
        println!(
            "verify_batch alone: {}; the batches: {}",
            ms(verify),
            ms(whole)
        );
        return;
    }

    // The same entries in one call, as `margin bundle import` hands them over.
    let (_home, mut node) = fresh_node();
    let t = Instant::now();
    node.receive_entries(raw.clone()).expect("the node ingests");
    let bundle = t.elapsed();
    drop(node);

    let ratio = whole.as_secs_f64() / verify.as_secs_f64();
    let mut table = Table::new(&["path", "time", "rate", "vs. verify_batch"]);
    table.row(&[
        "`verify_batch` alone (baseline)".into(),
        ms(verify),
        rate(n, verify),
        "1.00×".into(),
    ]);
    table.row(&[
        format!("`Node::receive_entries`, batches of {BATCH}"),
        ms(whole),
        rate(n, whole),
        format!("{ratio:.2}×"),
    ]);
    table.row(&[
        "`Node::receive_entries`, one call (bundle)".into(),
        ms(bundle),
        rate(n, bundle),
        format!("{:.2}×", bundle.as_secs_f64() / verify.as_secs_f64()),
    ]);
    table.print();
    println!(
        "\nslowest batch: #{} of {} took {}",
        slowest.1,
        batches.len(),
        ms(slowest.0)
    );
    println!(
        "target: whole path ≤ {MAX_RATIO:.1}× verification (batches as sync delivers them): {:.2}× → {}\n",
        ratio,
        verdict(ratio <= MAX_RATIO)
    );

    breakdown(&space, &batches);
}

/// The steps of `receive_entries` as it runs them, timed one by one with the same
/// public APIs, so a miss can be pinned on one of them: the space's state is kept
/// between batches (as the node keeps it), each batch is stored and indexed in one
/// transaction, and the index is updated for what the batch changed.
fn breakdown(space: &Generated, batches: &[Vec<Vec<u8>>]) {
    let (_home, node) = fresh_node();
    let mut state: Option<margin_space::Space> = None;
    let mut times = [Duration::ZERO; 7];
    let mut paragraph_checks = 0usize;
    for batch in batches {
        let t = Instant::now();
        let decoded: Vec<Entry<Unverified>> = batch
            .iter()
            .map(|b| Entry::decode(b).expect("generated entries decode"))
            .collect();
        times[0] += t.elapsed();

        let t = Instant::now();
        let verified: Vec<Entry> = verify_batch(decoded)
            .into_iter()
            .map(|r| r.expect("generated entries verify"))
            .collect();
        times[1] += t.elapsed();

        let current = state
            .get_or_insert_with(|| margin_space::Space::new(verified[0].clone()).expect("genesis"));
        let t = Instant::now();
        let mut accepted = vec![];
        for entry in verified {
            if current.contains(&entry.id()) {
                if entry.id() == space.space {
                    accepted.push(entry);
                }
                continue;
            }
            for (e, v) in current.apply(entry) {
                assert_eq!(v, Verdict::Accepted);
                accepted.push(e);
            }
        }
        times[2] += t.elapsed();

        // Of which: checking that the paragraph a comment, stance or re-attachment names
        // exists at the version it names (done again here alone, on the same state).
        let t = Instant::now();
        for entry in &accepted {
            let (draft, para, heads) = match entry.body() {
                Some(Body::Comment(c)) => match &c.anchor {
                    Some(a) => (c.draft, &a.para, &c.heads),
                    None => continue,
                },
                Some(Body::Stance(s)) => (s.draft, &s.para, &s.heads),
                Some(Body::Reattach(r)) => match current.comment(&r.comment) {
                    Some(c) => (c.body.draft, &r.anchor.para, &r.heads),
                    None => continue,
                },
                _ => continue,
            };
            let doc = &current.draft(&draft).expect("the draft").doc;
            let text = doc.paragraph_text(para, Some(heads)).expect("the version");
            assert!(text.is_some());
            paragraph_checks += 1;
        }
        times[6] += t.elapsed();

        // One transaction: the batch's rows, then its index rows, then the commit.
        let refs: Vec<&Entry> = accepted.iter().collect();
        let t = Instant::now();
        let (write, index) = node
            .store()
            .atomically(|| {
                let t = Instant::now();
                node.store().write(&Batch {
                    space: Some(space.space),
                    accepted: refs.clone(),
                    ..Default::default()
                })?;
                let write = t.elapsed();
                let t = Instant::now();
                node.index_accepted(current, &refs)?;
                Ok::<_, margin_node::NodeError>((write, t.elapsed()))
            })
            .expect("write and index");
        let whole = t.elapsed();
        times[3] += write;
        times[4] += index;
        times[5] += whole.saturating_sub(write + index);
    }
    let total: Duration = times[..6].iter().sum();
    println!("## Where the time goes (same batches, each step timed alone)\n");
    let mut table = Table::new(&["step", "time", "share"]);
    let names = [
        "decode (`Entry::decode`)",
        "verify (`verify_batch`)",
        "authorize and apply (`Space::apply`, the state kept between batches)",
        "store the batch (`Store::write`)",
        "update the search index for the batch (`Node::index_accepted`)",
        "begin and commit (the batch's one transaction)",
    ];
    let share =
        |time: Duration| format!("{:.0} %", 100.0 * time.as_secs_f64() / total.as_secs_f64());
    for (i, (name, time)) in names.iter().zip(times).enumerate() {
        table.row(&[name.to_string(), ms(time), share(time)]);
        if i == 2 {
            table.row(&[
                format!(
                    "  its paragraph checks, repeated alone: the paragraph exists at the version named ({} × `Draft::paragraph_text`)",
                    thousands(paragraph_checks as u64)
                ),
                ms(times[6]),
                "(within the step above)".into(),
            ]);
        }
    }
    table.row(&["total".into(), ms(total), "100 %".into()]);
    table.print();
}
