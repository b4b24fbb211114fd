//! A node starts from a snapshot of each space's state instead of replaying every entry,
//! and the entries stay the truth: a node restarted from its snapshots shows exactly
//! what it showed before, a snapshot older than the store is caught up with what was
//! written since, and one that does not match the stored entries (damaged, or claiming
//! a position it was not made at) is noticed, said in the log, and rebuilt from the
//! entries, with nothing lost.

use crate::common;

use std::path::Path;

use common::http::get_from;
use common::running::RunningNode;
use common::*;
use rusqlite::{Connection, params};
use serde_json::Value;

/// What the node's API shows of the space: the space, its draft, its comments and
/// stances.
fn views(node: &RunningNode, space: &str, draft: &str) -> Vec<Value> {
    [
        format!("/api/spaces/{space}"),
        format!("/api/drafts/{draft}"),
        format!("/api/drafts/{draft}/comments"),
        format!("/api/drafts/{draft}/stances"),
    ]
    .iter()
    .map(|path| {
        let answer = get_from(node, path, &[]);
        assert_eq!(answer.status, 200, "GET {path}: {}", answer.text());
        serde_json::from_str(&answer.text()).expect("JSON")
    })
    .collect()
}

/// The snapshot row of the home's only space: (seq, entries, checksum, state).
type Row = (i64, String, Vec<u8>, Vec<u8>);

fn snapshot_row(home: &Path) -> Option<Row> {
    let conn = Connection::open(home.join("margin.db")).expect("the database");
    conn.query_row(
        "SELECT seq, entries, checksum, state FROM snapshots",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
    .ok()
}

fn put_snapshot_row(home: &Path, (seq, entries, checksum, state): &Row) {
    let conn = Connection::open(home.join("margin.db")).expect("the database");
    let changed = conn
        .execute(
            "UPDATE snapshots SET seq = ?1, entries = ?2, checksum = ?3, state = ?4",
            params![seq, entries, checksum, state],
        )
        .expect("the snapshot is written");
    assert_eq!(changed, 1, "one snapshot");
}

/// The space's digest as a full replay of its stored entries makes it (`margin store
/// check` never starts from a snapshot).
fn replayed_digest(p: &Participant) -> String {
    let check = p.json(&["store", "check"]);
    check["spaces"][0]["digest"]
        .as_str()
        .unwrap_or_else(|| panic!("a digest in {check}"))
        .to_owned()
}

const MISMATCH: &str = "its snapshot does not match its entries";

#[test]
fn a_node_restarted_from_its_snapshot_shows_the_same_review_and_rebuilds_a_wrong_one() {
    let p = Participant::init("Mirror", "technical-community");
    let demo = p.json(&["demo"]);
    let space = field(&demo, "space");
    let draft = field(&demo, "draft");

    // The first start replays the space and saves its snapshot.
    let mut node = RunningNode::start(p, &[]);
    let before = views(&node, &space, &draft);
    node.stop();
    let saved = snapshot_row(node.p.home()).expect("the node saved a snapshot of the space");

    // Restarted from it: the same review.
    node.restart();
    assert_eq!(views(&node, &space, &draft), before);
    node.stop();
    assert!(!node.log().contains(MISMATCH), "{}", node.log_tail());
    // The command line starts from the same snapshot and agrees with a full replay.
    assert_eq!(node.p.digest(&space), replayed_digest(&node.p));

    // A snapshot older than the store: caught up with what was written since.
    let line = para(&node.p, &draft, "Coordinated vulnerability");
    let comment = field(
        &node.p.json(&[
            "comment",
            &draft,
            "--para",
            &line,
            "--body",
            "Written while the node was stopped.",
        ]),
        "comment",
    );
    put_snapshot_row(node.p.home(), &saved);
    node.restart();
    let after = views(&node, &space, &draft);
    assert!(after[2].to_string().contains(&comment), "{}", after[2]);
    node.stop();
    assert!(!node.log().contains(MISMATCH), "{}", node.log_tail());
    let current = snapshot_row(node.p.home()).expect("a snapshot");
    assert!(current.0 > saved.0, "the stop saved the snapshot again");

    // Damaged: one byte of the saved state changed.
    let mut damaged = current.clone();
    let middle = damaged.3.len() / 2;
    damaged.3[middle] ^= 0x40;
    put_snapshot_row(node.p.home(), &damaged);
    node.restart();
    assert_eq!(views(&node, &space, &draft), after);
    node.stop();
    let log = node.log();
    assert!(
        log.contains(&format!(
            "{MISMATCH} (its checksum does not match its bytes)"
        )),
        "{log}"
    );
    let rebuilt = snapshot_row(node.p.home()).expect("a snapshot rebuilt");
    assert_eq!(
        (rebuilt.0, &rebuilt.1),
        (current.0, &current.1),
        "the rebuilt snapshot is made from the same entries, at the same position"
    );

    // Stale: the old state, claiming to be made where the current one was.
    let stale = (current.0, saved.1.clone(), saved.2.clone(), saved.3.clone());
    put_snapshot_row(node.p.home(), &stale);
    node.restart();
    assert_eq!(views(&node, &space, &draft), after);
    node.stop();
    let warnings = node.log().matches(MISMATCH).count();
    assert_eq!(warnings, 2, "{}", node.log_tail());
    assert!(
        node.log().contains(&format!(
            "{MISMATCH} (the entries stored up to where it was made are not those it was made from)"
        )),
        "{}",
        node.log_tail()
    );
    assert_eq!(node.p.digest(&space), replayed_digest(&node.p));
}
