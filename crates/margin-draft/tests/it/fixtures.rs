//! The behaviour editors and commenters rely on, checked on the BPF report fixtures.

use automerge::ActorId;
use margin_draft::{
    AnchorState, BlockKind, Draft, ParaId, ParagraphChange, Timestamp, actor_key, change_actor_key,
};

const V1: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/bpf-draft-v1.md"
));
const V2: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/bpf-draft-v2.md"
));

fn actor(key: u8, device: &[u8]) -> ActorId {
    let mut bytes = vec![key; 32];
    bytes.extend_from_slice(device);
    ActorId::from(bytes.as_slice())
}

fn pid_of(draft: &Draft, starts_with: &str) -> ParaId {
    draft
        .view(None)
        .expect("view")
        .sections
        .iter()
        .flat_map(|s| s.paragraphs.iter())
        .find(|p| p.text.starts_with(starts_with))
        .unwrap_or_else(|| panic!("no paragraph starting with {starts_with:?}"))
        .id
        .clone()
}

fn ids_and_texts(draft: &Draft) -> Vec<(ParaId, String)> {
    draft
        .view(None)
        .expect("view")
        .sections
        .into_iter()
        .flat_map(|s| {
            s.heading
                .map(|h| (h.id, h.text))
                .into_iter()
                .chain(s.paragraphs.into_iter().map(|p| (p.id, p.text)))
        })
        .collect()
}

#[test]
fn import_renders_byte_for_byte_and_has_structure() {
    let (draft, change) = Draft::import(
        actor(1, b"laptop"),
        V1,
        None,
        Timestamp::from_millis(1_000),
        "v1 for public comment",
    )
    .unwrap();
    assert_eq!(draft.render_markdown(None).unwrap(), V1);
    let view = draft.view(None).unwrap();
    assert_eq!(
        view.title,
        "Best Practice Forum on Cybersecurity: Draft Output Report"
    );
    // The status line comes under the title heading; headings are not numbered.
    assert_eq!(view.sections[0].heading.as_ref().unwrap().level, 1);
    assert_eq!(view.sections[0].paragraphs[0].n, 1);
    let all: Vec<_> = view.sections.iter().flat_map(|s| &s.paragraphs).collect();
    assert!(all.iter().enumerate().all(|(i, p)| p.n == i + 1));
    let items: Vec<_> = all.iter().filter(|p| p.kind == BlockKind::Item).collect();
    assert_eq!(items.len(), 4);
    assert_eq!(items[0].marker, "1. ");
    assert!(items[3].bracketed && !items[0].bracketed);
    assert!(all.iter().any(|p| p.text.starts_with("تم استلام")));
    let ids: std::collections::HashSet<_> = ids_and_texts(&draft)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(
        ids.len(),
        ids_and_texts(&draft).len(),
        "paragraph ids are unique"
    );
    assert!(
        ids.iter()
            .all(|id| id.as_str().len() == 11 && id.as_str().starts_with('p'))
    );

    let info = Draft::inspect_change(&change).unwrap();
    assert_eq!(actor_key(&info.actor), Some([1; 32]));
    assert_eq!(info.seq, 1);
    assert!(info.deps.is_empty());
    assert_eq!(info.time, Timestamp::from_millis(1_000));
    assert_eq!(info.message.as_deref(), Some("v1 for public comment"));
    assert_eq!(draft.heads(), vec![info.hash]);

    // Rebuilding from the change alone gives the same draft, ids included.
    let mut rebuilt = Draft::empty();
    rebuilt.apply(&[change]).unwrap();
    assert_eq!(rebuilt.render_markdown(None).unwrap(), V1);
    assert_eq!(ids_and_texts(&rebuilt), ids_and_texts(&draft));
}

#[test]
fn import_is_deterministic_and_title_can_be_given() {
    let import = || {
        Draft::import(
            actor(1, b"x"),
            V1,
            Some("BPF Cybersecurity 2025"),
            Timestamp::from_millis(5),
            "m",
        )
        .unwrap()
    };
    let (a, ca) = import();
    let (b, cb) = import();
    assert_eq!(ca, cb);
    assert_eq!(a.view(None).unwrap().title, "BPF Cybersecurity 2025");
    assert_eq!(ids_and_texts(&a), ids_and_texts(&b));
    let (c, _) = Draft::import(
        actor(1, b"x"),
        "no heading here\n",
        None,
        Timestamp::from_millis(5),
        "m",
    )
    .unwrap();
    assert_eq!(c.view(None).unwrap().title, "Untitled draft");
    assert!(c.view(None).unwrap().sections[0].heading.is_none());
}

#[test]
fn update_v1_to_v2_is_one_change_keeping_ids() {
    let editor = actor(2, b"desk");
    let (mut draft, c1) =
        Draft::import(editor.clone(), V1, None, Timestamp::from_millis(1), "v1").unwrap();
    let before = ids_and_texts(&draft);
    let v1 = draft.heads();
    let twelve = pid_of(&draft, "Coordinated vulnerability");
    let intro = pid_of(&draft, "This report collects");
    let forum = pid_of(&draft, "The Forum met");

    let c2 = draft
        .update(editor.clone(), V2, Timestamp::from_millis(2), "v2")
        .unwrap()
        .expect("v2 differs");
    assert_eq!(draft.render_markdown(None).unwrap(), V2);
    assert_eq!(draft.render_markdown(Some(&v1)).unwrap(), V1);
    assert_eq!(draft.log().len(), 2, "the update is one change");
    let info = Draft::inspect_change(&c2).unwrap();
    assert_eq!(info.deps, v1);
    assert_eq!(info.seq, 2);
    assert_eq!(
        change_actor_key(&automerge::Change::try_from(c2.as_slice()).unwrap()),
        Some([2; 32])
    );

    // Unchanged and edited paragraphs keep their ids.
    assert_eq!(pid_of(&draft, "Coordinated vulnerability"), twelve);
    assert_eq!(pid_of(&draft, "This report collects"), intro);
    assert_eq!(pid_of(&draft, "The Forum met"), forum);
    assert_eq!(
        pid_of(&draft, "Participants agreed"),
        before
            .iter()
            .find(|(_, t)| t.starts_with("[Participants agreed"))
            .unwrap()
            .0
    );
    assert_eq!(
        pid_of(&draft, "Capacity-building programmes should"),
        before
            .iter()
            .find(|(_, t)| t.starts_with("Capacity-building programmes should"))
            .unwrap()
            .0
    );
    let after = ids_and_texts(&draft);
    let old_ids: std::collections::HashSet<_> = before.iter().map(|(id, _)| id.clone()).collect();
    let new_ones: Vec<_> = after
        .iter()
        .filter(|(id, _)| !old_ids.contains(id))
        .collect();
    assert_eq!(
        new_ones.len(),
        2,
        "only the annex heading and paragraph are new: {new_ones:?}"
    );
    assert_eq!(after.len(), before.len() + 1);

    // Same file again: nothing to record.
    assert_eq!(
        draft
            .update(editor, V2, Timestamp::from_millis(3), "again")
            .unwrap(),
        None
    );

    // A node that receives the changes in reverse order converges.
    let mut other = Draft::empty();
    other.apply([&c2]).unwrap();
    assert!(!other.has_changes(&draft.heads()));
    other.apply(&[c1, c2]).unwrap();
    assert!(other.has_changes(&draft.heads()));
    assert_eq!(other.render_markdown(None).unwrap(), V2);
    assert_eq!(ids_and_texts(&other), after);

    // Save and load keep everything, history included.
    let loaded = Draft::load(&draft.save()).unwrap();
    assert_eq!(loaded.render_markdown(None).unwrap(), V2);
    assert_eq!(loaded.render_markdown(Some(&v1)).unwrap(), V1);
    assert_eq!(loaded.log(), draft.log());
}

#[test]
fn comment_follows_edited_passage() {
    let editor = actor(3, b"pen");
    let (mut draft, _) =
        Draft::import(editor.clone(), V1, None, Timestamp::from_millis(1), "v1").unwrap();
    let v1 = draft.heads();
    let pid = pid_of(&draft, "Coordinated vulnerability");
    let anchor = draft
        .anchor(
            &pid,
            Some("Twelve contributions described a policy in force"),
            &v1,
        )
        .unwrap();
    let quote = anchor.quote.as_ref().unwrap();
    assert_eq!(quote.prefix, " practice most often described. ");
    assert_eq!(quote.suffix, ".");
    let text = draft.paragraph_text(&pid, Some(&v1)).unwrap().unwrap();
    let start = text.find("Twelve").unwrap(); // ASCII before it: bytes are code points
    assert_eq!(
        draft.resolve(&anchor, None).unwrap(),
        AnchorState::Anchored {
            para: pid.clone(),
            start,
            end: start + 48,
            text: "Twelve contributions described a policy in force".into(),
            exact: true
        }
    );

    draft
        .update(editor, V2, Timestamp::from_millis(2), "v2")
        .unwrap();
    match draft.resolve(&anchor, None).unwrap() {
        AnchorState::Anchored {
            para, text, exact, ..
        } => {
            assert_eq!(para, pid);
            assert_eq!(text, "Fourteen contributions described a policy in force");
            assert!(!exact);
        }
        AnchorState::Orphaned => panic!("the edited passage must stay anchored"),
    }
    // Resolving at the commenter's version still shows what they read.
    assert!(matches!(
        draft.resolve(&anchor, Some(&v1)).unwrap(),
        AnchorState::Anchored { text, exact: true, .. } if text == "Twelve contributions described a policy in force"
    ));
}

#[test]
fn comment_on_deleted_paragraph_is_orphaned() {
    let editor = actor(3, b"pen");
    let (mut draft, _) =
        Draft::import(editor.clone(), V1, None, Timestamp::from_millis(1), "v1").unwrap();
    let v1 = draft.heads();
    let pid = pid_of(&draft, "Short workshops");
    let quote = "Short workshops without follow-up were reported to have little lasting effect.";
    let passage = draft.anchor(&pid, Some(quote), &v1).unwrap();
    let whole = draft.anchor(&pid, None, &v1).unwrap();
    assert!(whole.start.is_none() && whole.quote.is_none());
    assert!(matches!(
        draft.resolve(&whole, None).unwrap(),
        AnchorState::Anchored { exact: true, .. }
    ));
    draft
        .update(editor, V2, Timestamp::from_millis(2), "v2")
        .unwrap();
    assert_eq!(
        draft.resolve(&passage, None).unwrap(),
        AnchorState::Orphaned
    );
    assert_eq!(draft.resolve(&whole, None).unwrap(), AnchorState::Orphaned);
}

#[test]
fn anchors_survive_other_edits_and_fall_back_to_the_quote() {
    let editor = actor(4, b"e");
    let (mut draft, _) =
        Draft::import(editor.clone(), V1, None, Timestamp::from_millis(1), "v1").unwrap();
    let v1 = draft.heads();
    // Whole paragraph edited elsewhere: a quote near the end keeps its text.
    let pid = pid_of(&draft, "The Forum met");
    let a = draft
        .anchor(&pid, Some("the technical community and academia."), &v1)
        .unwrap();
    // A passage at the very start of a paragraph (start cursor is the start of text).
    let b = draft.anchor(&pid, Some("The Forum met"), &v1).unwrap();
    // A quote whose paragraph is replaced wholesale but whose words survive elsewhere.
    let heading = draft
        .view(None)
        .unwrap()
        .sections
        .iter()
        .find_map(|s| {
            s.heading
                .clone()
                .filter(|h| h.text == "3.2 Coordinated vulnerability disclosure")
        })
        .unwrap();
    let c = draft
        .anchor(
            &heading.id,
            Some("Coordinated vulnerability disclosure"),
            &v1,
        )
        .unwrap();
    draft
        .update(editor.clone(), V2, Timestamp::from_millis(2), "v2")
        .unwrap();
    assert!(
        matches!(draft.resolve(&a, None).unwrap(), AnchorState::Anchored { text, exact: true, .. } if text == "the technical community and academia.")
    );
    assert!(
        matches!(draft.resolve(&b, None).unwrap(), AnchorState::Anchored { start: 0, text, .. } if text == "The Forum met")
    );
    assert!(
        matches!(draft.resolve(&c, None).unwrap(), AnchorState::Anchored { text, .. } if text == "Coordinated vulnerability disclosure")
    );

    // Delete the heading: the quote is found again in another block.
    let v3 = V2.replace("### 3.2 Coordinated vulnerability disclosure\n\n", "");
    draft
        .update(editor.clone(), &v3, Timestamp::from_millis(3), "v3")
        .unwrap();
    match draft.resolve(&c, None).unwrap() {
        AnchorState::Anchored {
            para, text, exact, ..
        } => {
            assert_ne!(para, heading.id);
            assert_eq!(text, "Coordinated vulnerability disclosure");
            assert!(exact);
        }
        AnchorState::Orphaned => panic!("the quote occurs elsewhere"),
    }
    // Errors: unknown quote, unknown paragraph.
    assert!(
        draft
            .anchor(&pid, Some("not in the text"), &v1)
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        draft
            .anchor(&ParaId::from("pdeadbeef00"), None, &v1)
            .unwrap_err()
            .is_not_found()
    );
    assert!(draft.view(Some(&[[9; 32]])).unwrap_err().is_not_found());
}

#[test]
fn a_reader_resolves_as_the_draft_does_at_every_version() {
    let editor = actor(5, b"r");
    let (mut draft, _) =
        Draft::import(editor.clone(), V1, None, Timestamp::from_millis(1), "v1").unwrap();
    let v1 = draft.heads();
    // A whole-paragraph anchor and a passage anchor (its first three words) on every
    // paragraph of v1.
    let mut anchors = vec![];
    for (pid, text) in ids_and_texts(&draft) {
        anchors.push(draft.anchor(&pid, None, &v1).unwrap());
        let words: Vec<&str> = text.split_whitespace().take(3).collect();
        if !words.is_empty() {
            anchors.push(draft.anchor(&pid, Some(&words.join(" ")), &v1).unwrap());
        }
    }
    draft
        .update(editor.clone(), V2, Timestamp::from_millis(2), "v2")
        .unwrap();
    let v2 = draft.heads();
    let v3 = V2.replace("### 3.2 Coordinated vulnerability disclosure\n\n", "");
    draft
        .update(editor, &v3, Timestamp::from_millis(3), "v3")
        .unwrap();

    let reader = draft.reader();
    let versions: [Option<&[[u8; 32]]>; 3] = [Some(&v1), Some(&v2), None];
    // Twice over, so that the second pass reads the versions the reader kept.
    for _ in 0..2 {
        for at in versions {
            for a in &anchors {
                assert_eq!(
                    reader.resolve(a, at).unwrap(),
                    draft.resolve(a, at).unwrap()
                );
            }
        }
    }
    let orphaned = anchors
        .iter()
        .filter(|a| reader.resolve(a, None).unwrap() == AnchorState::Orphaned)
        .count();
    assert!(
        orphaned > 0,
        "v2 deletes passages, so some anchors are orphaned"
    );
    assert!(
        reader
            .resolve(&anchors[0], Some(&[[9; 32]]))
            .unwrap_err()
            .is_not_found()
    );
}

#[test]
fn diff_between_versions() {
    let editor = actor(5, b"e");
    let (mut draft, _) =
        Draft::import(editor.clone(), V1, None, Timestamp::from_millis(1), "v1").unwrap();
    let v1 = draft.heads();
    draft
        .update(editor, V2, Timestamp::from_millis(2), "v2")
        .unwrap();
    let v2 = draft.heads();
    let diff = draft.diff(&v1, &v2).unwrap();
    let count = |c| diff.paragraphs.iter().filter(|p| p.change == c).count();
    assert_eq!(count(ParagraphChange::Removed), 1);
    assert_eq!(count(ParagraphChange::Added), 2);
    assert_eq!(count(ParagraphChange::Changed), 5);
    let text = diff.render_text();
    assert!(text.contains("[-Twelve-]{+Fourteen+} contributions described a policy in force{+, and three described a policy in preparation+}."), "{text}");
    assert!(text.contains("twenty-[-three-]{+seven+}"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("- ¶14 [p")
        && l.ends_with(
            "Short workshops without follow-up were reported to have little lasting effect."
        )));
    assert!(
        text.lines()
            .any(|l| l.starts_with("+ [p") && l.ends_with("Annex: Method"))
    );
    // The removed paragraph is listed where it was: after the paragraph before it.
    let pos = |s: &str| {
        diff.paragraphs
            .iter()
            .position(|p| p.words.iter().any(|w| w.text.starts_with(s)))
            .unwrap()
    };
    assert_eq!(
        pos("Short workshops"),
        pos("Capacity-building programmes were") + 1
    );
    assert!(draft.diff(&v2, &v2).unwrap().is_empty());
}

#[test]
fn concurrent_updates_merge() {
    let alice = actor(6, b"a");
    let bob = actor(7, b"b");
    let (base, c0) =
        Draft::import(alice.clone(), V1, None, Timestamp::from_millis(1), "v1").unwrap();
    let mut a = base.clone();
    let mut b = base.clone();
    let ca = a
        .update(
            alice,
            &V1.replace("twenty-three", "twenty-seven"),
            Timestamp::from_millis(2),
            "count",
        )
        .unwrap()
        .unwrap();
    let cb = b
        .update(
            bob,
            &format!("{V1}\n## Annex\n\nAdded by Bob.\n"),
            Timestamp::from_millis(2),
            "annex",
        )
        .unwrap()
        .unwrap();
    a.apply([&cb]).unwrap();
    b.apply([&ca]).unwrap();
    let merged = a.render_markdown(None).unwrap();
    assert_eq!(merged, b.render_markdown(None).unwrap());
    assert_eq!(
        merged,
        format!(
            "{}\n## Annex\n\nAdded by Bob.\n",
            V1.replace("twenty-three", "twenty-seven")
        )
    );
    assert_eq!(a.heads(), b.heads());
    assert_eq!(a.heads().len(), 2);
    let mut fresh = Draft::empty();
    fresh.apply(&[cb, ca, c0]).unwrap();
    assert_eq!(fresh.render_markdown(None).unwrap(), merged);
    assert_eq!(fresh.log().len(), 3);
}

#[test]
fn title_follows_first_heading_unless_given() {
    let e = actor(9, b"t");
    let (mut derived, _) = Draft::import(
        e.clone(),
        "# Old name\n\nText.\n",
        None,
        Timestamp::from_millis(0),
        "v1",
    )
    .unwrap();
    derived
        .update(
            e.clone(),
            "# New name\n\nText.\n",
            Timestamp::from_millis(1),
            "rename",
        )
        .unwrap();
    assert_eq!(derived.view(None).unwrap().title, "New name");
    let (mut given, _) = Draft::import(
        e.clone(),
        "# Old name\n\nText.\n",
        Some("Chosen"),
        Timestamp::from_millis(0),
        "v1",
    )
    .unwrap();
    given
        .update(
            e,
            "# New name\n\nText.\n",
            Timestamp::from_millis(1),
            "rename",
        )
        .unwrap();
    assert_eq!(given.view(None).unwrap().title, "Chosen");
}

#[test]
fn log_lists_dependencies_first() {
    let e = actor(9, b"l");
    let (mut draft, _) =
        Draft::import(e.clone(), V1, None, Timestamp::from_millis(10), "v1").unwrap();
    draft
        .update(e.clone(), V2, Timestamp::from_millis(20), "v2")
        .unwrap();
    draft
        .update(e, V1, Timestamp::from_millis(30), "back to v1")
        .unwrap();
    let log = draft.log();
    let messages: Vec<_> = log.iter().map(|c| c.message.clone().unwrap()).collect();
    assert_eq!(messages, ["v1", "v2", "back to v1"]);
    for (i, c) in log.iter().enumerate() {
        assert!(c.deps.iter().all(|d| log[..i].iter().any(|p| p.hash == *d)));
    }
    assert_eq!(draft.render_markdown(None).unwrap(), V1);
}
