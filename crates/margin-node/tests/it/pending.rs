//! Entries whose refs are missing wait in a bounded set, in the store as in memory: a
//! peer offering endless entries of a space whose charter never comes cannot fill the
//! disk.

use margin_core::Timestamp;
use margin_core::body::{Body, Charter, Profile};
use margin_core::entry::Entry;
use margin_core::key::SigningKey;
use margin_node::home::Home;
use margin_node::node::{Node, Outcome};
use margin_space::MAX_PENDING;

/// The genesis of an open space whose convener and editor is `key`.
fn charter(key: &SigningKey, title: &str) -> Entry {
    let charter = Body::Charter(Charter::open(title, key.public(), 0));
    Entry::sign(key, None, Timestamp::from_millis(1), vec![], &charter).expect("sign the charter")
}

#[test]
fn entries_waiting_for_a_charter_are_bounded_and_accepted_when_it_comes() {
    let dir = tempfile::tempdir().expect("a temporary home");
    let mut node = Node::open(Home::at(dir.path())).expect("open a node");
    let key = SigningKey::from_seed([7; 32]);
    let genesis = charter(&key, "Waiting");
    let space = genesis.id();
    let over = 50;
    let waiting: Vec<Vec<u8>> = (0..MAX_PENDING + over)
        .map(|i| {
            let profile = Body::Profile(Profile {
                name: format!("Participant {i}"),
                affiliation: String::new(),
                stakeholder: "civil-society".into(),
                region: String::new(),
            });
            let time = Timestamp::from_millis(2 + i as u64);
            Entry::sign(&key, Some(space), time, vec![space], &profile)
                .expect("sign a profile")
                .bytes()
                .to_vec()
        })
        .collect();

    for batch in waiting.chunks(1_000) {
        let outcomes = node
            .receive_entries(batch.to_vec())
            .expect("receive a batch");
        assert!(
            outcomes
                .iter()
                .all(|(_, o)| matches!(o, Outcome::Pending | Outcome::Dropped)),
            "{outcomes:?}"
        );
    }
    let kept = node
        .store()
        .pending_count(&space)
        .expect("count what waits");
    assert_eq!(
        kept, MAX_PENDING as i64,
        "the store keeps no more than the limit"
    );

    // The charter arrives: everything that was kept is accepted; what was not kept is
    // simply not there yet, and accepted when offered again.
    let outcomes = node
        .receive_entries(vec![genesis.bytes().to_vec()])
        .expect("receive the charter");
    let accepted = outcomes
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Accepted { .. }))
        .count();
    assert_eq!(accepted, 1 + MAX_PENDING);
    assert_eq!(node.store().pending_count(&space).expect("count"), 0);
    let again = node
        .receive_entries(waiting[MAX_PENDING..].to_vec())
        .expect("receive the rest");
    assert!(
        again
            .iter()
            .all(|(_, o)| matches!(o, Outcome::Accepted { .. })),
        "{again:?}"
    );
}

/// Waiting entries are bounded in bytes too: an editor (a known author) parking large
/// draft changes behind an entry that never comes fills at most `MAX_PENDING_BYTES`,
/// in memory and in the store.
#[test]
fn entries_waiting_for_their_refs_are_bounded_in_bytes() {
    use margin_core::body::DraftChange;
    use margin_core::id::EntryId;
    use margin_space::{MAX_PENDING_BYTES, MAX_STRANGER_WAITING_BYTES};

    let dir = tempfile::tempdir().expect("a temporary home");
    let mut node = Node::open(Home::at(dir.path())).expect("open a node");
    let key = SigningKey::from_seed([8; 32]);
    let genesis = charter(&key, "Bytes");
    let space = genesis.id();
    node.receive_entries(vec![genesis.bytes().to_vec()])
        .expect("receive the charter");
    let never = EntryId([9; 32]);
    let size = 512 * 1024;
    let count = MAX_PENDING_BYTES / size + 8;
    for i in 0..count {
        let change = Body::DraftChange(DraftChange {
            draft: Some(never),
            changes: vec![vec![i as u8; size].into()],
            message: format!("revision {i}"),
        });
        let entry = Entry::sign(
            &key,
            Some(space),
            Timestamp::from_millis(2 + i as u64),
            vec![space, never],
            &change,
        )
        .expect("sign a change");
        assert!(entry.bytes().len() > MAX_STRANGER_WAITING_BYTES);
        node.receive_entries(vec![entry.bytes().to_vec()])
            .expect("receive");
    }
    let stored = node.store().pending_bytes(&space).expect("bytes waiting");
    assert!(
        stored <= MAX_PENDING_BYTES as i64,
        "{stored} bytes wait, the bound is {MAX_PENDING_BYTES}"
    );
    assert!(stored > (MAX_PENDING_BYTES - 2 * size) as i64, "{stored}");
    let kept = node.store().pending_count(&space).expect("count");
    assert!((kept as usize) < count, "{kept} of {count} kept");
}

/// Entries that wait for refs that never come are forgotten once they waited past the
/// cutoff, in memory and in the store alike (whether or not the space's charter is
/// here), and a store check agrees afterwards.
#[test]
fn waiting_entries_that_never_resolve_expire() {
    let dir = tempfile::tempdir().expect("a temporary home");
    let mut node = Node::open(Home::at(dir.path())).expect("open a node");
    let key = SigningKey::from_seed([9; 32]);
    let genesis = charter(&key, "Expiry");
    let space = genesis.id();
    let orphan_space = charter(&key, "No charter here").id();
    node.receive_entries(vec![genesis.bytes().to_vec()])
        .expect("the charter");
    let missing = margin_core::id::EntryId::of_entry(b"never delivered");
    let waiting = |space, n: u64| -> Vec<u8> {
        let profile = Body::Profile(Profile {
            name: format!("Waiting {n}"),
            affiliation: String::new(),
            stakeholder: String::new(),
            region: String::new(),
        });
        Entry::sign(
            &key,
            Some(space),
            Timestamp::from_millis(10 + n),
            vec![missing],
            &profile,
        )
        .expect("sign")
        .bytes()
        .to_vec()
    };
    let outcomes = node
        .receive_entries(vec![
            waiting(space, 1),
            waiting(space, 2),
            waiting(orphan_space, 3),
        ])
        .expect("receive");
    assert!(
        outcomes.iter().all(|(_, o)| matches!(o, Outcome::Pending)),
        "{outcomes:?}"
    );

    // Nothing has waited since before an hour ago.
    let an_hour_ago = Timestamp::now().saturating_sub_millis(3_600_000);
    assert!(
        node.expire_waiting(an_hour_ago, 100)
            .expect("expire")
            .is_empty()
    );
    // Everything has waited since before an hour from now.
    let later = Timestamp::now().saturating_add_millis(3_600_000);
    let expired = node.expire_waiting(later, 100).expect("expire");
    let count: usize = expired.iter().map(|(_, ids)| ids.len()).sum();
    assert_eq!(count, 3, "{expired:?}");
    assert_eq!(node.store().pending_count(&space).expect("count"), 0);
    assert_eq!(node.store().pending_count(&orphan_space).expect("count"), 0);
    let check = node.check_store().expect("check");
    assert!(check.is_clean(), "{check:?}");
    // Offered again, one waits again.
    let outcomes = node
        .receive_entries(vec![waiting(space, 1)])
        .expect("receive");
    assert!(matches!(outcomes[0].1, Outcome::Pending), "{outcomes:?}");
}
