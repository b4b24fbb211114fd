//! Target: ingesting a space is bounded by signature verification, not by our code.
//!
//! A realistic space of 20 000 entries (comments on passages, replies, stances,
//! dispositions, edits, profiles, a draft revised about once per thousand entries) is
//! handed to a fresh node in batches of 512, as the sync protocol delivers them. The
//! baseline is `verify_batch` alone on the same batches; the measured path is
//! `Node::receive_entries` (decode, batch-verify, authorize, store in one transaction per
//! batch). The search index and the snapshots follow behind the batches
//! (`margin_node::behind`): the time the node then takes to catch them up, once, is
//! printed beside it, and with it. A breakdown then times each step of that path
//! separately.
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
/// Rounds of baseline and path; the best of each is kept.
const ROUNDS: usize = 3;

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

    // Each round times the baseline and the path on the same batches; the best round of
    // each is kept, so that other work on the machine (which only ever slows a timing)
    // weighs as little as it can.
    let rounds = if std::env::var_os("MARGIN_BENCH_PROFILE").is_some() {
        1
    } else {
        ROUNDS
    };
    let (mut verify, mut whole, mut behind) = (Duration::MAX, Duration::MAX, Duration::MAX);
    let mut all = Duration::MAX;
    let mut slowest = (Duration::ZERO, 0);
    let mut caught = margin_node::behind::CaughtUp::default();
    for _ in 0..rounds {
        verify = verify.min(verify_alone(&batches));
        let round = batches_into_a_fresh_node(&batches, n, &space);
        if round.whole < whole {
            whole = round.whole;
            slowest = round.slowest;
        }
        behind = behind.min(round.behind);
        all = all.min(round.whole + round.behind);
        caught = round.caught;
    }
    if std::env::var_os("MARGIN_BENCH_PROFILE").is_some() {
        println!(
            "verify_batch alone: {}; the batches: {}; catching up behind them: {}",
            ms(verify),
            ms(whole),
            ms(behind)
        );
        return;
    }

    // The same entries in one call, as `margin bundle import` hands them over (which
    // catches up the index and snapshots before it returns).
    let (_home, mut node) = fresh_node();
    let t = Instant::now();
    node.receive(raw.clone()).expect("the node ingests");
    let bundle = t.elapsed();
    drop(node);

    let ratio = whole.as_secs_f64() / verify.as_secs_f64();
    println!("best of {rounds} rounds (the one call: one run)\n");
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
        format!(
            "then the index ({} entries) and {} snapshot caught up behind them, once",
            thousands(caught.indexed as u64),
            caught.saved
        ),
        ms(behind),
        rate(n, behind),
        format!("{:.2}×", behind.as_secs_f64() / verify.as_secs_f64()),
    ]);
    table.row(&[
        format!("batches of {BATCH} and catching up, in all"),
        ms(all),
        rate(n, all),
        format!("{:.2}×", all.as_secs_f64() / verify.as_secs_f64()),
    ]);
    table.row(&[
        "`Node::receive`, one call (bundle), caught up".into(),
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

/// Signature verification alone, on the batches' entries already decoded.
fn verify_alone(batches: &[Vec<Vec<u8>>]) -> Duration {
    let mut verify = Duration::ZERO;
    for batch in batches {
        let decoded: Vec<Entry<Unverified>> = batch
            .iter()
            .map(|b| Entry::decode(b).expect("generated entries decode"))
            .collect();
        let t = Instant::now();
        let verified = verify_batch(decoded);
        verify += t.elapsed();
        assert!(verified.iter().all(Result::is_ok));
    }
    verify
}

/// One round of the path.
struct Round {
    /// The batches, one call each.
    whole: Duration,
    /// The slowest batch, and which.
    slowest: (Duration, usize),
    /// Catching up the index and snapshots behind them, once.
    behind: Duration,
    caught: margin_node::behind::CaughtUp,
}

/// The whole path, batch by batch as sync delivers them, into a fresh node; then what
/// follows behind the batches, caught up at once.
fn batches_into_a_fresh_node(batches: &[Vec<Vec<u8>>], n: usize, space: &Generated) -> Round {
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
    let t = Instant::now();
    let caught = node.catch_up().expect("the node catches up");
    let behind = t.elapsed();
    assert_eq!(caught.indexed, n, "every entry is indexed once");
    Round {
        whole,
        slowest,
        behind,
        caught,
    }
}

/// The steps of `receive_entries` as it runs them, timed one by one with the same
/// public APIs, so a miss can be pinned on one of them: the space's state is kept
/// between batches (as the node keeps it), each batch is stored and indexed in one
/// transaction, and the index is updated for what the batch changed.
fn breakdown(space: &Generated, batches: &[Vec<Vec<u8>>]) {
    let (_home, node) = fresh_node();
    let mut state: Option<margin_space::Space> = None;
    let mut times = [Duration::ZERO; 8];
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
                node.index_at_once(current, &refs)?;
                Ok::<_, margin_node::NodeError>((write, t.elapsed()))
            })
            .expect("write and index");
        let whole = t.elapsed();
        times[3] += write;
        times[4] += index;
        times[5] += whole.saturating_sub(write + index);
    }
    // Behind the batches: the index caught up once, in chunks, against the state.
    let state = state.expect("a state");
    let t = Instant::now();
    node.store()
        .atomically(|| node.index_all_behind(&state))
        .expect("the index catches up");
    times[7] = t.elapsed();
    let total: Duration = times[..6].iter().sum::<Duration>() + times[7];
    println!("## Where the time goes (same batches, each step timed alone)\n");
    let mut table = Table::new(&["step", "time", "share"]);
    let names = [
        "decode (`Entry::decode`)",
        "verify (`verify_batch`)",
        "authorize and apply (`Space::apply`, the state kept between batches)",
        "store the batch (`Store::write`)",
        "what of the index may not wait (`Node::index_at_once`: titles, erased text)",
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
    table.row(&[
        "behind the batches: the index caught up once (`Node::index_all_behind`)".into(),
        ms(times[7]),
        share(times[7]),
    ]);
    table.row(&["total".into(), ms(total), "100 %".into()]);
    table.print();
}
