//! The space every target that needs one starts from: a charter whose convener is also
//! its editor, a draft imported by that editor, and a comment on it. Built once per
//! process from fixed keys and times, so that every run starts from the same state.

use automerge::ActorId;
use margin_core::prelude::*;
use margin_draft::Draft;
use margin_space::Space;

/// The editor's key (also the space's convener).
pub fn editor() -> SigningKey {
    SigningKey::from_seed([1; 32])
}

/// The editor's Automerge actor: their key followed by a device tag, as a node makes it.
pub fn editor_actor() -> ActorId {
    let mut bytes = editor().public().as_bytes().to_vec();
    bytes.extend_from_slice(&[0xd1, 0xd2]);
    ActorId::from(bytes)
}

/// When the fixture's entries were written.
pub const TIME: u64 = 1_700_000_000_000;

/// The draft's text.
pub const MARKDOWN: &str = "# Best Practice Forum on Cybersecurity

## Findings

1. Capacity building is a shared responsibility of all stakeholders.
2. Governments should publish national cybersecurity strategies.

Encryption must not be weakened [by lawful access mechanisms].

- Regional CERTs share incident data.
";

/// The space, its entries, and the draft as its editor holds it.
pub struct Fixture {
    pub space: Space,
    /// The entries, in the order they were accepted.
    pub entries: Vec<Entry>,
    pub charter: EntryId,
    pub draft: DraftId,
    pub doc: Draft,
    /// The draft's first paragraph, which the comment quotes.
    pub para: ParaId,
}

/// The fixture, built on a thread's first use (a space's draft caches what it read in a
/// `RefCell`, so each thread has its own).
pub fn fixture() -> &'static Fixture {
    thread_local! {
        static FIXTURE: &'static Fixture = Box::leak(Box::new(build()));
    }
    FIXTURE.with(|fixture| *fixture)
}

fn build() -> Fixture {
    let key = editor();
    let at = |n: u64| Timestamp::from_millis(TIME + n);
    let charter = Body::Charter(Charter::open("BPF on Cybersecurity", key.public(), 1));
    let genesis = Entry::sign(&key, None, at(0), vec![], &charter).expect("the charter signs");
    let space_id = genesis.id();
    let mut space = Space::new(genesis.clone()).expect("the charter starts a space");
    let (doc, change) = Draft::import(editor_actor(), MARKDOWN, None, at(1), "v1")
        .expect("the fixture's draft imports");
    let import = Body::DraftChange(DraftChange {
        draft: None,
        changes: vec![serde_bytes::ByteBuf::from(change)],
        message: "v1".into(),
    });
    let import = Entry::sign(&key, Some(space_id), at(1), vec![space_id], &import)
        .expect("the import signs");
    let draft = import.id();
    let heads = doc.heads();
    let para = doc
        .view(None)
        .expect("the draft reads")
        .sections
        .iter()
        .flat_map(|s| &s.paragraphs)
        .next()
        .expect("the draft has a paragraph")
        .id
        .clone();
    let anchor = doc
        .anchor_near(&para, Some("shared responsibility"), Some(0), &heads)
        .expect("the quote anchors");
    let comment = Body::Comment(Comment {
        draft,
        heads,
        anchor: Some(margin_space::view::wire_anchor(&anchor)),
        kind: CommentKind::Objection,
        text: "Capacity building is not only a shared responsibility.".into(),
        suggestion: None,
        parent: None,
    });
    let comment = Entry::sign(&key, Some(space_id), at(2), vec![space_id, draft], &comment)
        .expect("the comment signs");
    let entries = vec![genesis, import, comment];
    for entry in entries.iter().skip(1) {
        let verdicts = space.apply(entry.clone());
        assert_eq!(
            verdicts[0].1,
            margin_space::Verdict::Accepted,
            "the fixture's {} is accepted",
            entry.kind().name()
        );
    }
    Fixture {
        space,
        entries,
        charter: space_id,
        draft,
        doc,
        para,
    }
}
