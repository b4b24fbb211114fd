//! A large revision is published as several changes of bounded size, applied one after
//! the other, and reads exactly as the same revision made as one change: same text, same
//! paragraph ids, same anchors.

use automerge::ActorId;
use margin_draft::{Draft, OPS_PER_CHANGE, Timestamp};

fn editor() -> ActorId {
    ActorId::from(&[7u8; 34][..])
}

/// About `chars` characters of Markdown in paragraphs of about 400.
fn long_markdown(chars: usize, salt: &str) -> String {
    let mut text = String::from("# A long report\n\n");
    let mut n = 0;
    while text.len() < chars {
        n += 1;
        text.push_str(&format!("Paragraph {n} {salt}: "));
        for w in 0..60 {
            text.push_str(["policy ", "review ", "access ", "the ", "open "][(n + w) % 5]);
        }
        text.push_str("end.\n\n");
    }
    text
}

fn ops(change: &[u8]) -> usize {
    automerge::Change::try_from(change).expect("a change").len()
}

fn applied(changes: &[Vec<u8>]) -> Draft {
    let mut draft = Draft::empty();
    for change in changes {
        draft.apply([change]).expect("each part applies");
    }
    draft
}

#[test]
fn a_large_import_is_cut_into_changes_of_bounded_size_that_read_as_one() {
    let markdown = long_markdown(200_000, "first");
    let at = Timestamp::from_millis(1_000);
    let (whole, one) = Draft::import(editor(), &markdown, None, at, "v1").expect("imports");
    let (parted, parts) =
        Draft::import_in_parts(editor(), &markdown, None, at, "v1").expect("imports");
    assert!(ops(&one) > 10 * OPS_PER_CHANGE, "{} operations", ops(&one));
    assert!(parts.len() >= 10, "{} parts", parts.len());
    for part in &parts {
        // A part ends before the block that would take it past the bound.
        assert!(
            ops(part) <= OPS_PER_CHANGE + 500,
            "{} operations",
            ops(part)
        );
    }
    let total: usize = parts.iter().map(|p| ops(p)).sum();
    assert_eq!(total, ops(&one), "the same operations, cut");
    let received = applied(&parts);
    for draft in [&parted, &received] {
        assert_eq!(draft.render_markdown(None).expect("renders"), markdown);
        assert_eq!(
            draft.view(None).expect("a view"),
            whole.view(None).expect("a view"),
            "the same paragraphs under the same ids"
        );
    }
}

#[test]
fn a_large_revision_is_cut_too_and_anchors_follow_it_as_they_follow_one_change() {
    let v1 = long_markdown(100_000, "first");
    let v2 = long_markdown(150_000, "second").replace("Paragraph 3 second", "Paragraph 3 first");
    let at = Timestamp::from_millis(1_000);
    let (base, _) = Draft::import(editor(), &v1, None, at, "v1").expect("imports");
    let heads = base.heads();
    let pid = base.view(None).expect("a view").sections[0].paragraphs[2]
        .id
        .clone();
    let anchor = base
        .anchor(&pid, Some("Paragraph 3 first"), &heads)
        .expect("anchors");

    let mut whole = base.clone();
    let one = whole
        .update(editor(), &v2, Timestamp::from_millis(2_000), "v2")
        .expect("updates")
        .expect("changed");
    let mut parted = base.clone();
    let parts = parted
        .update_in_parts(editor(), &v2, Timestamp::from_millis(2_000), "v2")
        .expect("updates")
        .expect("changed");
    assert!(parts.len() > 1, "{} parts", parts.len());
    assert!(parts.iter().all(|p| ops(p) <= OPS_PER_CHANGE + 500));
    let mut received = base.clone();
    for part in &parts {
        received.apply([part]).expect("each part applies");
    }
    assert!(ops(&one) > OPS_PER_CHANGE);
    for draft in [&parted, &received] {
        assert_eq!(draft.render_markdown(None).expect("renders"), v2);
        assert_eq!(
            draft.view(None).expect("a view"),
            whole.view(None).expect("a view")
        );
        assert_eq!(
            draft.resolve(&anchor, None).expect("resolves"),
            whole.resolve(&anchor, None).expect("resolves")
        );
    }
}

#[test]
fn a_small_revision_stays_one_change() {
    let at = Timestamp::from_millis(1_000);
    let (mut draft, parts) =
        Draft::import_in_parts(editor(), "# T\n\nOne short paragraph.\n", None, at, "v1")
            .expect("imports");
    assert_eq!(parts.len(), 1);
    let parts = draft
        .update_in_parts(editor(), "# T\n\nOne shorter paragraph.\n", at, "v2")
        .expect("updates")
        .expect("changed");
    assert_eq!(parts.len(), 1);
    assert_eq!(
        draft
            .update_in_parts(editor(), "# T\n\nOne shorter paragraph.\n", at, "v3")
            .expect("updates"),
        None,
        "no change, no part"
    );
}
