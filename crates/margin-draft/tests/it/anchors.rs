//! How comment anchors move when the text around and inside them is edited.

use automerge::ActorId;
use margin_draft::{AnchorState, Draft, ParaId, Timestamp};

fn editor() -> ActorId {
    ActorId::from(&[8u8; 33][..])
}

/// Anchors `quote` in the only paragraph of `before`, updates to `after`, resolves.
fn follow(before: &str, quote: &str, after: &str) -> AnchorState {
    let (mut draft, _) =
        Draft::import(editor(), before, None, Timestamp::from_millis(0), "v1").unwrap();
    let pid = draft.view(None).unwrap().sections[0].paragraphs[0]
        .id
        .clone();
    let anchor = draft.anchor(&pid, Some(quote), &draft.heads()).unwrap();
    draft
        .update(editor(), after, Timestamp::from_millis(1), "v2")
        .unwrap();
    draft.resolve(&anchor, None).unwrap()
}

fn text_of(state: AnchorState) -> Option<String> {
    match state {
        AnchorState::Anchored { text, .. } => Some(text),
        AnchorState::Orphaned => None,
    }
}

#[test]
fn word_replaced_at_start_of_quote_is_included() {
    assert_eq!(
        text_of(follow(
            "one two three four\n",
            "two three",
            "one deux three four\n"
        ))
        .as_deref(),
        Some("deux three")
    );
    assert_eq!(
        text_of(follow("two three four\n", "two three", "deux three four\n")).as_deref(),
        Some("deux three")
    );
}

#[test]
fn deleted_last_word_shrinks_range() {
    assert_eq!(
        text_of(follow(
            "one two three four\n",
            "two three",
            "one two four\n"
        ))
        .as_deref(),
        Some("two ")
    );
}

#[test]
fn text_inserted_inside_is_included_and_around_is_not() {
    assert_eq!(
        text_of(follow(
            "one two three four\n",
            "two three",
            "zero one two and a half three four five\n"
        ))
        .as_deref(),
        Some("two and a half three")
    );
}

#[test]
fn everything_before_deleted() {
    // The start cursor's character and all before it are gone: the range starts at 0.
    assert_eq!(
        text_of(follow(
            "one two three four\n",
            "two three",
            "two three four\n"
        ))
        .as_deref(),
        Some("two three")
    );
    assert_eq!(
        text_of(follow("one two three four\n", "two three", "three four\n")).as_deref(),
        Some("three")
    );
}

#[test]
fn quote_deleted_falls_back_or_orphans() {
    // The passage is gone from where it was but the paragraph still contains it later.
    // The passage is deleted from its paragraph but another paragraph has it.
    let (mut draft, _) = Draft::import(
        editor(),
        "alpha beta gamma delta\n\nsee beta gamma\n",
        None,
        Timestamp::from_millis(0),
        "v1",
    )
    .unwrap();
    let ids: Vec<ParaId> = draft.view(None).unwrap().sections[0]
        .paragraphs
        .iter()
        .map(|p| p.id.clone())
        .collect();
    let anchor = draft
        .anchor(&ids[0], Some("beta gamma"), &draft.heads())
        .unwrap();
    draft
        .update(
            editor(),
            "alpha delta\n\nsee beta gamma\n",
            Timestamp::from_millis(1),
            "v2",
        )
        .unwrap();
    assert_eq!(
        draft.resolve(&anchor, None).unwrap(),
        AnchorState::Anchored {
            para: ids[1].clone(),
            start: 4,
            end: 14,
            text: "beta gamma".into(),
            exact: true
        }
    );
    assert_eq!(
        follow("alpha beta gamma delta\n", "beta gamma", "alpha delta\n"),
        AnchorState::Orphaned
    );
}

#[test]
fn positions_are_code_points() {
    let before = "تم استلام مساهمات باللغة العربية وتُرجمت إلى الإنكليزية.\n";
    let after = "تم استلام عدة مساهمات باللغة العربية وتُرجمت إلى الإنكليزية.\n";
    match follow(before, "باللغة العربية", after) {
        AnchorState::Anchored {
            start,
            end,
            text,
            exact,
            ..
        } => {
            assert_eq!(text, "باللغة العربية");
            assert!(exact);
            assert_eq!(end - start, text.chars().count());
            assert_eq!(
                after
                    .chars()
                    .skip(start)
                    .take(end - start)
                    .collect::<String>(),
                text
            );
        }
        AnchorState::Orphaned => panic!("still there"),
    }
}

#[test]
fn quote_records_context() {
    let (draft, _) = Draft::import(
        editor(),
        "Les contributions reçues.\n",
        None,
        Timestamp::from_millis(0),
        "v1",
    )
    .unwrap();
    let pid = draft.view(None).unwrap().sections[0].paragraphs[0]
        .id
        .clone();
    let anchor = draft.anchor(&pid, Some("reçues"), &draft.heads()).unwrap();
    let q = anchor.quote.as_ref().unwrap();
    assert_eq!(
        (q.prefix.as_str(), q.suffix.as_str()),
        ("Les contributions ", ".")
    );
    assert!(format!("{anchor:?}").contains("reçues"));
}
