//! The store keeps entries byte for byte, migrates, and searches.

use margin_core::prelude::*;
use margin_store::migrations::MIGRATIONS;
use margin_store::{Batch, SearchDoc, Store};

fn genesis() -> Entry {
    let key = SigningKey::from_seed([1; 32]);
    let charter = Body::Charter(Charter {
        title: "T".into(),
        policy: Policy::Open,
        opens: None,
        closes: None,
        conveners: vec![key.public()],
        editors: vec![],
        registrars: vec![],
        stakeholder_groups: vec![],
        nonce: 0,
    });
    Entry::sign(&key, None, Timestamp::from_millis(1), vec![], &charter).unwrap()
}

#[test]
fn entries_come_back_byte_for_byte_and_once() {
    let store = Store::in_memory().unwrap();
    let g = genesis();
    let batch = Batch {
        space: Some(g.id()),
        accepted: vec![&g],
        ..Default::default()
    };
    assert_eq!(store.write(&batch).unwrap(), 1);
    assert_eq!(store.write(&batch).unwrap(), 0);
    let back = store.space_entries(&g.id()).unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].bytes(), g.bytes());
    assert_eq!(store.space_ids().unwrap(), vec![g.id()]);
    assert_eq!(
        store.ids_with_prefix(&g.id().to_hex()[..8], 5).unwrap(),
        vec![g.id()]
    );
}

#[test]
fn migrations_are_recorded_and_reopening_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.db");
    let s = Store::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
    drop(s);
    let s = Store::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
}

/// A store written before the index followed behind the batches had its index
/// complete: the migration marks every indexed space as caught up to its last entry, and
/// the index of hex spellings it drops is not needed to find ids by prefix.
#[test]
fn migrating_to_the_index_behind_the_batches_marks_indexed_spaces_caught_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.db");
    let g = genesis();
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        for step in &MIGRATIONS[..8] {
            conn.execute_batch(step).unwrap();
        }
        conn.pragma_update(None, "user_version", 8).unwrap();
        conn.execute(
            "INSERT INTO entries (id, space, kind, author, time, bytes, received_at)
             VALUES (?1, ?1, 1, ?2, 1, ?3, 0)",
            rusqlite::params![g.id().as_bytes(), g.author().as_bytes(), g.bytes()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO spaces (id, title) VALUES (?1, 'T')",
            rusqlite::params![g.id().as_bytes()],
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
    let last = store.space_mark(&g.id()).unwrap().seq;
    assert!(last > 0);
    assert_eq!(store.index_mark(&g.id()).unwrap(), last);
    assert!(store.spaces_index_behind().unwrap().is_empty());
    assert_eq!(
        store.ids_with_prefix(&g.id().to_hex()[..5], 5).unwrap(),
        vec![g.id()]
    );
    assert_eq!(store.space_ids().unwrap(), vec![g.id()]);
}

#[test]
fn search_finds_words_in_any_script_and_ignores_syntax() {
    let store = Store::in_memory().unwrap();
    let g = genesis();
    store
        .reindex_space(
            &g.id(),
            "T",
            &[
                SearchDoc {
                    draft: g.id(),
                    target: "p1".into(),
                    kind: "paragraph",
                    text: "Les contributions reçues en français".into(),
                },
                SearchDoc {
                    draft: g.id(),
                    target: "c1".into(),
                    kind: "comment",
                    text: "Safe harbours need (clear) limits".into(),
                },
            ],
        )
        .unwrap();
    assert_eq!(store.search("francais", None, 10).unwrap().len(), 1);
    assert_eq!(store.search("harbour", None, 10).unwrap()[0].target, "c1");
    assert_eq!(store.search("\"harbours) (", None, 10).unwrap().len(), 1);
    assert!(store.search("  ", None, 10).is_err());
}

/// What peers advertise cannot fill the peers table: a few addresses per peer, the most
/// recently met peers only.
#[test]
fn the_peers_table_is_bounded() {
    use margin_store::network::{MAX_KNOWN_PEERS, MAX_PEER_ADDRESSES};

    let mut store = Store::in_memory().expect("a store");
    let addresses: Vec<String> = (0..50)
        .map(|n| format!("/ip4/127.0.0.1/tcp/{}", 4000 + n))
        .collect();
    for n in 0..MAX_KNOWN_PEERS + 100 {
        store
            .remember_peer(&format!("peer-{n:05}"), &addresses, false)
            .expect("remember");
    }
    let known = store.known_peers(usize::MAX).expect("known peers");
    assert_eq!(known.len(), MAX_KNOWN_PEERS);
    assert!(
        known
            .iter()
            .all(|p| p.addresses.len() == MAX_PEER_ADDRESSES)
    );
    // The last met are kept.
    assert!(
        known
            .iter()
            .any(|p| p.peer == format!("peer-{:05}", MAX_KNOWN_PEERS + 99))
    );
}
