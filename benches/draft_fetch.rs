//! Target: a new node fetching a draft with 500 revisions transfers at most 1.2× the
//! *signature floor*: the bytes of Automerge's own sync of the same document plus one
//! 64-byte Ed25519 signature per revision, which no protocol that lets the newcomer
//! verify every revision can avoid. The fetch verifies every revision's signature.
//!
//! Margin: a node holding the space (charter, the editor's profile, 500 signed
//! `DraftChange` entries: the import, then small edits) and a fresh node that joined it
//! run the real sync service over real stores, across a simulated 10 Mbit/s link with
//! 20 ms of latency each way (requests are sized to the rate the fetching node sees);
//! every frame both ways is counted as the transport sends it (zstd stream, with its
//! 4-byte length prefix), and the fresh node's `receive_entries` verifies every
//! signature. Revisions travel packed (`Packed`: their changes in one Automerge bundle
//! per draft, beside their envelopes). Baseline: `automerge::sync` between the full document and an empty one,
//! every message both ways counted.
//!
//! Two drafts: the sample BPF draft of the fixtures (3 KB of Markdown), and a report of
//! about 40 KB (the fixture followed by generated sections), since the ratio depends on
//! how much text the revisions' fixed costs are spread over.
//!
//! Run: `cargo bench -p margin-cli --bench draft_fetch`

mod support;

use std::time::Instant;

use automerge::Automerge;
use automerge::sync::{State, SyncDoc};
use margin_core::body::Body;
use margin_core::entry::Kind;
use support::*;

/// Margin's bytes ÷ the signature floor.
const MAX_RATIO: f64 = 1.2;

/// The link between the two nodes: 10 Mbit/s each way, 20 ms one way (a home
/// connection). The fetching node sizes its requests to the rate it sees, as on any link;
/// on an instant link it would keep asking for the smallest pages.
const LINK_BYTES_PER_MS: f64 = 1250.0;
const LATENCY_MS: f64 = 20.0;

struct Measured {
    label: String,
    automerge: u64,
    margin: u64,
    /// Margin's bytes with every revision sent whole.
    whole: u64,
    /// Margin's bytes ÷ Automerge's sync.
    ratio: f64,
    /// Automerge's sync plus one 64-byte signature per revision: the least any protocol
    /// that carries every revision's signature can send.
    floor: u64,
}

fn main() {
    let revisions = scaled(500);
    println!("# A new node fetches a draft with {revisions} revisions\n");
    println!("machine: {}\n", machine());
    let mut results = vec![];
    let report = long_draft(7, 40_000);
    for (label, markdown) in [
        ("the sample BPF draft", support::FIXTURE_DRAFT),
        ("a 40 KB report", report.as_str()),
    ] {
        results.push(measure(label, markdown, revisions));
    }
    println!("## Summary\n");
    let mut table = Table::new(&[
        "draft",
        "Automerge sync (baseline)",
        "Margin, revisions whole",
        "Margin sync",
        "÷ Automerge",
        "floor: Automerge + 64 B per signature",
        "÷ floor",
        "target ≤ 1.2× the floor",
    ]);
    for r in &results {
        let over_floor = r.margin as f64 / r.floor as f64;
        table.row(&[
            r.label.clone(),
            thousands(r.automerge),
            format!(
                "{} ({:.2}× the floor)",
                thousands(r.whole),
                r.whole as f64 / r.floor as f64
            ),
            thousands(r.margin),
            format!("{:.2}×", r.ratio),
            format!(
                "{} ({:.2}×)",
                thousands(r.floor),
                r.floor as f64 / r.automerge as f64
            ),
            format!("{over_floor:.2}×"),
            verdict(over_floor <= MAX_RATIO).into(),
        ]);
    }
    table.print();
}

fn measure(label: &str, markdown: &str, revisions: usize) -> Measured {
    println!(
        "## {label} ({} bytes of Markdown), {revisions} revisions\n",
        thousands(markdown.len() as u64)
    );
    let started = Instant::now();
    let space = draft_with_revisions(2, markdown, revisions);
    println!(
        "space: {} (generated in {:.1} s)",
        space.summary(),
        started.elapsed().as_secs_f64()
    );
    let change_bytes: usize = space
        .entries
        .iter()
        .filter_map(|e| match e.body()? {
            Body::DraftChange(c) => Some(c.changes.iter().map(|c| c.len()).sum::<usize>()),
            _ => None,
        })
        .sum();
    let revision_entries: Vec<_> = space
        .entries
        .iter()
        .filter(|e| e.kind() == Kind::DraftChange)
        .collect();
    let revision_entry_bytes: usize = revision_entries.iter().map(|e| e.bytes().len()).sum();

    // ---- Margin, revisions whole (as before protocol 3), for comparison ------------
    let whole = {
        let (_full_home, mut full) = fresh_node();
        full.receive_entries(space.raw())
            .expect("the full node ingests");
        let (_fresh_home, fresh) = fresh_node();
        let mut link = Link::new([fresh, full], space.space).shaped(LINK_BYTES_PER_MS, LATENCY_MS);
        link.packing = Packing::Off;
        link.connect(0);
        link.tick(link.clock as u64 + 2_000);
        assert!(link.refused.is_empty(), "{:?}", link.refused);
        link.bytes()
    };

    // ---- Margin --------------------------------------------------------------------
    let (_full_home, mut full) = fresh_node();
    full.receive_entries(space.raw())
        .expect("the full node ingests");
    let (_fresh_home, fresh) = fresh_node();
    let mut link = Link::new([fresh, full], space.space).shaped(LINK_BYTES_PER_MS, LATENCY_MS);
    let t = Instant::now();
    link.connect(0);
    let fetch_bytes = link.bytes();
    let fetch_frames = link.frames();
    let fetch_hops = link.hops;
    let fetch_ms = link.clock;
    // Two seconds later the fresh node reconciles again to confirm it caught up.
    link.tick(link.clock as u64 + 2_000);
    let elapsed = t.elapsed();
    assert!(link.refused.is_empty(), "{:?}", link.refused);
    let fresh_space = link.nodes[0]
        .load_space(&space.space)
        .expect("the fresh node holds the space");
    let draft = fresh_space.draft(&space.draft).expect("the draft arrived");
    assert_eq!(draft.revisions.len(), revisions, "every revision arrived");
    let full_space = link.nodes[1].load_space(&space.space).expect("the space");
    let full_draft = full_space.draft(&space.draft).expect("the draft");
    assert_eq!(draft.doc.heads(), full_draft.doc.heads());
    assert_eq!(
        draft.doc.render_markdown(None).expect("renders"),
        full_draft.doc.render_markdown(None).expect("renders")
    );
    let margin_bytes = link.bytes();

    // ---- Automerge's own sync ------------------------------------------------------
    let saved = full_draft.doc.save();
    let doc = Automerge::load(&saved).expect("the draft loads as an Automerge document");
    let (am_bytes, am_messages) = automerge_sync(&doc);

    let ratio = margin_bytes as f64 / am_bytes as f64;
    println!(
        "the fresh node verified the signatures of {} entries ({} revisions) in {:.0} ms of `receive_entries`; the whole exchange took {:.0} ms of computing, and the fetch {fetch_ms:.0} ms on the link ({} kbit/s, {LATENCY_MS} ms one way)\n",
        link.delivered[0],
        draft.revisions.len(),
        link.receive_time.as_secs_f64() * 1000.0,
        elapsed.as_secs_f64() * 1000.0,
        LINK_BYTES_PER_MS * 8.0
    );
    let mut table = Table::new(&["protocol", "bytes both ways", "messages", "one-way trips"]);
    table.row(&[
        "Automerge sync, full doc → empty doc (baseline)".into(),
        thousands(am_bytes),
        am_messages.to_string(),
        am_messages.to_string(),
    ]);
    table.row(&[
        "Margin sync, revisions sent whole (before protocol 3), fetch and confirmation".into(),
        thousands(whole),
        String::new(),
        String::new(),
    ]);
    table.row(&[
        "Margin sync: fetch".into(),
        thousands(fetch_bytes),
        fetch_frames.to_string(),
        fetch_hops.to_string(),
    ]);
    table.row(&[
        "Margin sync: fetch, then the confirming reconciliation".into(),
        thousands(margin_bytes),
        link.frames().to_string(),
        String::new(),
    ]);
    table.print();
    println!("\nMargin's frames by kind (both ways):\n");
    let mut kinds = Table::new(&["message", "frames", "bytes"]);
    for (kind, (frames, bytes)) in link.by_kind() {
        kinds.row(&[kind.to_string(), frames.to_string(), thousands(bytes)]);
    }
    kinds.print();
    println!("\nfor scale:\n");
    let mut scale = Table::new(&["what", "bytes"]);
    scale.row(&[
        "the document saved by Automerge (`save`, compressed columns)".into(),
        thousands(saved.len() as u64),
    ]);
    scale.row(&[
        format!(
            "the {} Automerge changes, each encoded alone",
            revision_entries.len()
        ),
        thousands(change_bytes as u64),
    ]);
    scale.row(&[
        format!("the {} signed revision entries", revision_entries.len()),
        thousands(revision_entry_bytes as u64),
    ]);
    scale.row(&[
        format!(
            "their signatures alone ({} × 64 bytes)",
            revision_entries.len()
        ),
        thousands(revision_entries.len() as u64 * 64),
    ]);
    scale.row(&[
        format!("all {} entries of the space", space.entries.len()),
        thousands(space.bytes() as u64),
    ]);
    scale.print();
    let floor = am_bytes + 64 * revision_entries.len() as u64;
    println!(
        "\nfloor: Automerge's sync plus one 64-byte signature per revision is {} bytes, {:.2}× Automerge's sync",
        thousands(floor),
        floor as f64 / am_bytes as f64
    );
    let over_floor = margin_bytes as f64 / floor as f64;
    println!(
        "target: Margin ≤ {MAX_RATIO}× the floor: {} / {} = {over_floor:.2}× → {} (and {ratio:.2}× Automerge's sync)\n",
        thousands(margin_bytes),
        thousands(floor),
        verdict(over_floor <= MAX_RATIO)
    );
    Measured {
        label: format!(
            "{label} ({} KB), {revisions} revisions",
            markdown.len() / 1000
        ),
        automerge: am_bytes,
        margin: margin_bytes,
        whole,
        ratio,
        floor,
    }
}

/// Syncs `doc` into an empty document with Automerge's protocol, the two sides taking
/// turns; returns the bytes of every message both ways and how many there were.
fn automerge_sync(doc: &Automerge) -> (u64, u64) {
    let mut docs = [doc.clone(), Automerge::new()];
    let mut states = [State::new(), State::new()];
    let (mut bytes, mut messages) = (0u64, 0u64);
    let mut quiet = 0;
    let mut turn = 0usize;
    while quiet < 2 {
        let (from, to) = (turn % 2, 1 - turn % 2);
        match docs[from].generate_sync_message(&mut states[from]) {
            Some(message) => {
                quiet = 0;
                let encoded = message.encode();
                bytes += encoded.len() as u64;
                messages += 1;
                let message =
                    automerge::sync::Message::decode(&encoded).expect("a sync message decodes");
                docs[to]
                    .receive_sync_message(&mut states[to], message)
                    .expect("a sync message applies");
            }
            None => quiet += 1,
        }
        turn += 1;
    }
    assert_eq!(docs[0].get_heads(), docs[1].get_heads(), "Automerge synced");
    assert_eq!(
        docs[1].get_changes(&[]).len(),
        doc.get_changes(&[]).len(),
        "every change arrived"
    );
    (bytes, messages)
}
