//! The search index follows the batches of entries (`margin_node::behind`): what may not
//! wait is written with each batch, the rest when the node catches up, for what the
//! entries since the last catch-up changed. Its rows must be exactly those a rebuild from
//! the stored entries writes, whatever order and batches the entries arrive in and
//! whenever the node catches up: comments, edits, retractions, erasures (their stubs),
//! hidden and shown comments, revisions, a new title, and a hide that a later revocation
//! of its author's role voids.

use std::sync::OnceLock;

use margin_core::Timestamp;
use margin_core::body::{Body, CharterChange, Moderation, Profile, Role};
use margin_core::entry::Entry;
use margin_core::id::{EntryId, SpaceId};
use margin_core::key::SigningKey;
use margin_node::home::{Home, Identity};
use margin_node::node::{Node, Outcome};
use proptest::prelude::*;

fn identity(seed: u8, name: &str) -> Identity {
    let key = SigningKey::from_seed([seed; 32]);
    let profile = Profile {
        name: name.into(),
        affiliation: String::new(),
        stakeholder: "civil-society".into(),
        region: "Africa".into(),
    };
    let profile_entry = Entry::sign(
        &key,
        None,
        Timestamp::from_millis(1_760_000_000_000),
        vec![],
        &Body::Profile(profile.clone()),
    )
    .expect("sign a profile");
    Identity {
        key,
        profile_entry,
        profile,
        device: [0, 0, 0, seed],
    }
}

/// The sample space and what changes its index after it, written through a node's own
/// operations; its stored entries, in the order the node accepted them.
fn source() -> &'static (SpaceId, Vec<Vec<u8>>) {
    static SOURCE: OnceLock<(SpaceId, Vec<Vec<u8>>)> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary home");
        let mut node = Node::open(Home::at(dir.path())).expect("open a node");
        let demo = margin_node::demo::load(&mut node).expect("the sample space");
        let (_, space) = node.locate_draft(&demo.draft).expect("the draft");
        let s = space.to_string();
        // The sample's convener (its key comes from a published seed).
        let chair = identity(101, "Maria Okafor");
        let moderator = identity(120, "Moderator");
        let comments: Vec<(EntryId, margin_core::key::PublicKey)> = node
            .with_space(&space, |sp| {
                Ok::<_, margin_node::NodeError>(sp.comments().map(|c| (c.id, c.author)).collect())
            })
            .expect("the comments");
        assert!(comments.len() >= 5, "the sample has comments");
        let author_of = |who: &margin_core::key::PublicKey| -> Identity {
            (101..=105)
                .map(|seed| identity(seed, "Sample participant"))
                .find(|i| i.key.public() == *who)
                .expect("a sample participant wrote it")
        };

        node.act_as(Some(chair.clone()));
        let grant = node
            .amend(
                &s,
                vec![
                    CharterChange::Grant {
                        role: Role::Convener,
                        key: moderator.key.public(),
                    },
                    CharterChange::Title("Sample, renamed".into()),
                ],
            )
            .expect("grant a role");
        node.act_as(Some(moderator.clone()));
        node.moderate(&comments[0].0.to_string(), true, "off topic")
            .expect("hide");
        node.act_as(Some(chair.clone()));
        node.moderate(&comments[1].0.to_string(), true, "by mistake")
            .expect("hide");
        node.moderate(&comments[1].0.to_string(), false, "shown again")
            .expect("show");
        node.act_as(Some(author_of(&comments[2].1)));
        node.edit_comment(&comments[2].0.to_string(), "Reworded entirely", None)
            .expect("edit");
        node.act_as(Some(author_of(&comments[3].1)));
        node.retract_comment(&comments[3].0.to_string())
            .expect("retract");
        node.act_as(Some(author_of(&comments[4].1)));
        node.edit_comment(&comments[4].0.to_string(), "Words to be erased", None)
            .expect("edit");
        node.erase_comment(&comments[4].0.to_string())
            .expect("erase");
        node.act_as(Some(chair.clone()));
        let revocation = node
            .amend(
                &s,
                vec![CharterChange::Revoke {
                    role: Role::Convener,
                    key: moderator.key.public(),
                }],
            )
            .expect("revoke the role");
        // A hide the moderator signs naming the charter that made them a convener, dated
        // after the revocation: accepted, and void. A node that applies it before the
        // revocation hides the comment until the revocation arrives.
        let revoked_at = node
            .with_space(&space, |sp| {
                Ok::<_, margin_node::NodeError>(sp.accepted(&revocation).expect("accepted").time)
            })
            .expect("the revocation");
        let hide = Entry::sign(
            &moderator.key,
            Some(space),
            revoked_at.saturating_add_millis(1),
            vec![grant, comments[5 % comments.len()].0],
            &Body::Moderation(Moderation {
                target: comments[5 % comments.len()].0,
                hidden: true,
                reason: "too late".into(),
            }),
        )
        .expect("sign");
        let outcomes = node.submit(space, vec![hide]).expect("submit");
        assert_eq!(outcomes.accepted, 1, "{outcomes:?}");
        let entries = node
            .store()
            .space_entries(&space)
            .expect("the entries")
            .iter()
            .map(|e| e.bytes().to_vec())
            .collect();
        (space, entries)
    })
}

/// The index rows of a space, and its indexed title.
type Rows = (Vec<(String, String, String, String)>, Option<String>);

fn rows(node: &Node, space: &SpaceId) -> Rows {
    (
        node.store().search_rows(space).expect("the rows"),
        node.store().space_title(space).expect("the title"),
    )
}

/// A fresh node receives `entries` in batches of `batch`, catching up behind them after
/// every `catch_up`-th batch, then all of them once more in the order they were accepted
/// (as sync offers again what was not kept: stubs that came before their erasure).
/// Returns its index rows once caught up, then those after a rebuild.
fn ingest(entries: &[Vec<u8>], batch: usize, catch_up: usize, space: &SpaceId) -> (Rows, Rows) {
    let dir = tempfile::tempdir().expect("a temporary home");
    let mut node = Node::open(Home::at(dir.path())).expect("open a node");
    for (i, chunk) in entries.chunks(batch).enumerate() {
        node.receive_entries(chunk.to_vec()).expect("receive");
        if (i + 1) % catch_up == 0 {
            node.catch_up().expect("catch up");
        }
    }
    let again = node
        .receive_entries(source().1.clone())
        .expect("receive again");
    assert!(
        again
            .iter()
            .all(|(_, o)| matches!(o, Outcome::Accepted { .. } | Outcome::Duplicate { .. })),
        "{again:?}"
    );
    node.catch_up().expect("catch up");
    let incremental = rows(&node, space);
    // No row missing, left over, doubled or without its key.
    let check = node.check_store().expect("check");
    assert!(check.is_clean(), "{check:?}");
    node.rebuild().expect("rebuild");
    (incremental, rows(&node, space))
}

#[test]
fn the_index_kept_while_entries_arrive_in_order_equals_a_rebuild() {
    let (space, entries) = source();
    for (batch, catch_up) in [(1, 1), (7, 3), (512, 1), (512, usize::MAX)] {
        let (incremental, rebuilt) = ingest(entries, batch, catch_up, space);
        assert!(!rebuilt.0.is_empty());
        assert_eq!(
            incremental, rebuilt,
            "batches of {batch}, caught up every {catch_up}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn the_index_kept_while_entries_arrive_in_any_order_equals_a_rebuild(
        entries in Just(source().1.clone()).prop_shuffle(),
        batch in 1usize..40,
        catch_up in 1usize..12,
    ) {
        let (incremental, rebuilt) = ingest(&entries, batch, catch_up, &source().0);
        prop_assert_eq!(incremental, rebuilt);
    }
}

/// A node that stored entries and stopped before its index caught up with them finds
/// them behind when it opens the store again, and catches up before it searches; text
/// an author erased never reaches the index, even before the node catches up.
#[test]
fn a_node_stopped_before_its_index_caught_up_catches_up_when_opened_again() {
    let (space, entries) = source();
    let dir = tempfile::tempdir().expect("a temporary home");
    let mut node = Node::open(Home::at(dir.path())).expect("open a node");
    node.receive_entries(entries.clone()).expect("receive");
    let store = node.store();
    assert!(
        store.index_mark(space).expect("mark") < store.space_mark(space).expect("mark").seq,
        "the index follows behind the batch"
    );
    let unindexed = store.search("Reworded", None, 10).expect("search");
    assert!(unindexed.is_empty(), "{unindexed:?}");
    let erased = store.search("erased", None, 10).expect("search");
    assert!(erased.is_empty(), "{erased:?}");
    // Stopped without catching up.
    drop(node);

    let node = Node::open(Home::at(dir.path())).expect("open again");
    let hits = node
        .search("Reworded", Some(space), 10, ("[", "]"))
        .expect("search");
    assert_eq!(hits.len(), 1, "{hits:?}");
    let store = node.store();
    assert_eq!(
        store.index_mark(space).expect("mark"),
        store.space_mark(space).expect("mark").seq
    );
    assert!(store.search("erased", None, 10).expect("search").is_empty());
    let caught_up = rows(&node, space);
    let check = node.check_store().expect("check");
    assert!(check.is_clean(), "{check:?}");
    let mut node = node;
    node.rebuild().expect("rebuild");
    assert_eq!(caught_up, rows(&node, space));
}

/// An erasure signed by someone other than the comment's author takes no effect: the
/// comment's row stays, at once and once caught up, as a rebuild writes it.
#[test]
fn an_erasure_by_someone_else_leaves_the_comment_findable() {
    let dir = tempfile::tempdir().expect("a temporary home");
    let mut node = Node::open(Home::at(dir.path())).expect("open a node");
    let demo = margin_node::demo::load(&mut node).expect("the sample space");
    let (_, space) = node.locate_draft(&demo.draft).expect("the draft");
    let chair = identity(101, "Maria Okafor");
    let (comment, text, charter) = node
        .with_space(&space, |sp| {
            let c = sp
                .comments()
                .find(|c| c.author != chair.key.public())
                .expect("a comment by someone else");
            Ok::<_, margin_node::NodeError>((c.id, c.wording().text, sp.charter_heads()))
        })
        .expect("a comment");
    let word: String = text
        .split(|c: char| !c.is_alphanumeric())
        .find(|w| w.len() > 6)
        .expect("a long word")
        .to_owned();
    let found = |node: &Node| {
        node.search(&word, Some(&space), 50, ("[", "]"))
            .expect("search")
            .iter()
            .any(|h| h.target == comment.to_string())
    };
    assert!(found(&node), "the comment is found by {word:?}");
    let erasure = Entry::sign(
        &chair.key,
        Some(space),
        Timestamp::now(),
        charter.into_iter().chain([comment]).collect(),
        &Body::Erasure(margin_core::body::Erasure { comment }),
    )
    .expect("sign");
    let outcomes = node
        .receive_entries(vec![erasure.bytes().to_vec()])
        .expect("receive");
    assert!(
        matches!(outcomes[..], [(_, Outcome::Accepted { .. })]),
        "{outcomes:?}"
    );
    assert!(
        node.store()
            .search(&word, Some(&space), 50)
            .expect("search")
            .iter()
            .any(|h| h.target == comment.to_string()),
        "the row stays with the batch"
    );
    assert!(found(&node), "and once caught up");
    let check = node.check_store().expect("check");
    assert!(check.is_clean(), "{check:?}");
}
