//! Properties: any revision renders exactly the file it was made from, and nodes that
//! apply the same changes in any order agree.

use automerge::ActorId;
use margin_draft::{Draft, Timestamp};
use proptest::prelude::*;

const WORDS: &[&str] = &[
    "norms",
    "states",
    "[capacity]",
    "la",
    "sécurité",
    "الأمن",
    "red,",
    "IGF.",
    "a",
    "the",
    "and",
    "política",
    "should",
    "(draft)",
];

fn words() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 1..8).prop_map(|w| w.join(" "))
}

/// A block as written: a heading, a list item or a (possibly multi-line) paragraph.
fn block() -> impl Strategy<Value = String> {
    prop_oneof![
        (1..4usize, words()).prop_map(|(l, w)| format!("{} {w}", "#".repeat(l))),
        (
            prop::sample::select(&["- ", "* ", "1. ", "2) "][..]),
            words()
        )
            .prop_map(|(m, w)| format!("{m}{w}")),
        words(),
        (words(), words()).prop_map(|(a, b)| format!("{a}\n{b}")),
    ]
}

fn document() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(
            (
                block(),
                prop::sample::select(&["\n\n", "\n\n", "\n\n\n", "\n"][..]),
            ),
            0..8,
        ),
        prop::sample::select(&["", "\n", "\n\n"][..]),
    )
        .prop_map(|(blocks, tail)| {
            let mut out = String::new();
            for (i, (b, sep)) in blocks.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                out.push_str(b);
            }
            out.push_str(tail);
            out
        })
}

/// Edits of a document: some blocks changed a little, some removed, some added.
fn revision_of(doc: String) -> impl Strategy<Value = (String, String)> {
    let n = doc.split("\n\n").count();
    (prop::collection::vec((0..4u8, words()), n), Just(doc)).prop_map(|(edits, doc)| {
        let parts: Vec<String> = doc
            .split("\n\n")
            .zip(edits)
            .map(|(part, (what, w))| match what {
                0 => format!("{part} {w}"),
                1 => String::new(),
                2 => format!("{part}\n\n{w}"),
                _ => part.to_string(),
            })
            .collect();
        (doc, parts.join("\n\n"))
    })
}

fn actor(k: u8) -> ActorId {
    ActorId::from(&[k; 34][..])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn update_renders_exactly_and_applies_in_any_order(a in document(), b in document(), reverse in any::<bool>()) {
        let (mut draft, c1) = Draft::import(actor(1), &a, None, Timestamp::from_millis(0), "a").unwrap();
        prop_assert_eq!(draft.render_markdown(None).unwrap(), a.clone());
        let c2 = draft.update(actor(2), &b, Timestamp::from_millis(1), "b").unwrap();
        prop_assert_eq!(c2.is_none(), a == b);
        prop_assert_eq!(draft.render_markdown(None).unwrap(), b.clone());
        let mut changes = vec![c1];
        changes.extend(c2);
        if reverse {
            changes.reverse();
        }
        let mut other = Draft::empty();
        for c in &changes {
            other.apply([c]).unwrap();
        }
        prop_assert_eq!(other.render_markdown(None).unwrap(), b);
        prop_assert_eq!(other.view(None).unwrap(), draft.view(None).unwrap());
    }

    #[test]
    fn small_edits_keep_ids_and_render_exactly((a, b) in document().prop_flat_map(revision_of)) {
        let (mut draft, _) = Draft::import(actor(1), &a, None, Timestamp::from_millis(0), "a").unwrap();
        let before = draft.heads();
        draft.update(actor(1), &b, Timestamp::from_millis(1), "b").unwrap();
        prop_assert_eq!(draft.render_markdown(None).unwrap(), b);
        prop_assert_eq!(draft.render_markdown(Some(&before)).unwrap(), a);
        prop_assert!(draft.log().len() <= 2);
    }

    #[test]
    fn arbitrary_text_round_trips(a in "[a#1. \\-\\n\\r\\[\\]é]{0,40}", b in "[a#1. \\-\\n\\[\\]é]{0,40}") {
        let (mut draft, _) = Draft::import(actor(1), &a, None, Timestamp::from_millis(0), "a").unwrap();
        prop_assert_eq!(draft.render_markdown(None).unwrap(), a);
        draft.update(actor(1), &b, Timestamp::from_millis(1), "b").unwrap();
        prop_assert_eq!(draft.render_markdown(None).unwrap(), b);
    }

    #[test]
    fn concurrent_revisions_converge(base in document(), x in document(), y in document()) {
        let (draft, c0) = Draft::import(actor(1), &base, None, Timestamp::from_millis(0), "base").unwrap();
        let (mut left, mut right) = (draft.clone(), draft);
        let cx = left.update(actor(2), &x, Timestamp::from_millis(1), "x").unwrap();
        let cy = right.update(actor(3), &y, Timestamp::from_millis(1), "y").unwrap();
        left.apply(&cy).unwrap();
        right.apply(&cx).unwrap();
        prop_assert_eq!(left.render_markdown(None).unwrap(), right.render_markdown(None).unwrap());
        let mut fresh = Draft::empty();
        let mut all: Vec<Vec<u8>> = cy.into_iter().chain(cx).collect();
        all.push(c0);
        fresh.apply(&all).unwrap();
        prop_assert_eq!(fresh.view(None).unwrap(), left.view(None).unwrap());
    }
}
