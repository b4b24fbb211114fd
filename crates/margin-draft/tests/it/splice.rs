//! Accepting an alternative wording: a passage of a paragraph is replaced in one change,
//! the paragraph keeps its id, and comments elsewhere in it keep their place.

use automerge::ActorId;
use margin_draft::{AnchorState, Draft, Error, ParaId, Timestamp};

fn draft() -> (Draft, ParaId) {
    let actor = ActorId::from(&[1u8; 36][..]);
    let (draft, _) = Draft::import(
        actor,
        "# R\n\nEncryption must not be weakened [by lawful access mechanisms]. Keys stay private.\n",
        None,
        Timestamp::from_millis(0),
        "v1",
    )
    .unwrap();
    let pid = draft.view(None).unwrap().sections[0].paragraphs[0]
        .id
        .clone();
    (draft, pid)
}

#[test]
fn a_passage_is_replaced_and_anchors_elsewhere_follow() {
    let (mut d, pid) = draft();
    let v1 = d.heads();
    let keys = d.anchor(&pid, Some("Keys stay private."), &v1).unwrap();
    let change = d
        .replace_passage(
            ActorId::from(&[2u8; 36][..]),
            &pid,
            (32, 61),
            "by any means",
            Timestamp::from_millis(1),
            "accept",
        )
        .unwrap()
        .expect("the text changes");
    assert_eq!(
        d.paragraph_text(&pid, None).unwrap().as_deref(),
        Some("Encryption must not be weakened by any means. Keys stay private.")
    );
    assert_eq!(
        d.render_markdown(None).unwrap(),
        "# R\n\nEncryption must not be weakened by any means. Keys stay private.\n"
    );
    assert_eq!(
        Draft::inspect_change(&change).unwrap().message.as_deref(),
        Some("accept")
    );
    assert!(matches!(
        d.resolve(&keys, None).unwrap(),
        AnchorState::Anchored { para, text, .. } if para == pid && text == "Keys stay private."
    ));
    // Replacing with what it already reads records nothing.
    let again = d
        .replace_passage(
            ActorId::from(&[2u8; 36][..]),
            &pid,
            (32, 44),
            "by any means",
            Timestamp::from_millis(2),
            "x",
        )
        .unwrap();
    assert!(again.is_none());
}

#[test]
fn bad_replacements_are_refused() {
    let (mut d, pid) = draft();
    let actor = ActorId::from(&[2u8; 36][..]);
    assert!(matches!(
        d.replace_passage(
            actor.clone(),
            &pid,
            (10, 500),
            "x",
            Timestamp::from_millis(1),
            "m"
        ),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        d.replace_passage(
            actor.clone(),
            &pid,
            (0, 3),
            "two\n\nparagraphs",
            Timestamp::from_millis(1),
            "m"
        ),
        Err(Error::Unsplittable)
    ));
    assert!(matches!(
        d.replace_passage(
            actor,
            &ParaId::from("p-none"),
            (0, 1),
            "x",
            Timestamp::from_millis(1),
            "m"
        ),
        Err(Error::ParagraphNotFound(_))
    ));
}
