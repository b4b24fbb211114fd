//! Changes are decoded within bounds: a compressed change that would inflate past
//! `MAX_CHANGE_BYTES` is refused before Automerge inflates it, while compressed changes
//! within the bound load as before.

use std::io::Write;

use automerge::ActorId;
use margin_draft::{Draft, Error, MAX_CHANGE_BYTES, Timestamp};

/// A compressed change chunk (magic, checksum, type 2, LEB128 length) around `deflated`.
fn compressed_chunk(deflated: &[u8]) -> Vec<u8> {
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 2];
    let mut len = deflated.len();
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            chunk.push(byte);
            break;
        }
        chunk.push(byte | 0x80);
    }
    chunk.extend_from_slice(deflated);
    chunk
}

#[test]
fn a_change_that_would_inflate_past_the_bound_is_refused_before_it_is_inflated() {
    let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    deflate
        .write_all(&vec![0u8; MAX_CHANGE_BYTES + 1024])
        .expect("deflates");
    let deflated = deflate.finish().expect("deflates");
    assert!(deflated.len() < 64 * 1024, "{} bytes", deflated.len());
    let bomb = compressed_chunk(&deflated);
    let refused = Draft::inspect_change(&bomb).expect_err("refused");
    assert!(matches!(refused, Error::ChangeTooLarge(_)), "{refused}");
    assert_eq!(
        refused.to_string(),
        "the change inflates to more than 8 MiB"
    );
    let mut draft = Draft::empty();
    assert!(matches!(
        draft.apply([&bomb]),
        Err(Error::ChangeTooLarge(_))
    ));
}

#[test]
fn compressed_changes_within_the_bound_load_as_before() {
    let editor = ActorId::from(&[7u8; 34][..]);
    let text: String = (0..2_000)
        .map(|n| format!("Paragraph {n} says something about item {}.\n\n", n * 7))
        .collect();
    let (draft, raw) =
        Draft::import(editor, &text, None, Timestamp::from_millis(1), "v1").expect("imports");
    let mut change = automerge::Change::try_from(raw.as_slice()).expect("a change");
    let compressed = change.bytes().to_vec();
    assert_eq!(compressed[8], 2, "Automerge compresses a change this large");
    assert!(compressed.len() < raw.len());
    let info = Draft::inspect_change(&compressed).expect("within the bounds");
    assert_eq!(info.hash, Draft::inspect_change(&raw).expect("raw").hash);
    let mut copy = Draft::empty();
    copy.apply([&compressed]).expect("applies");
    assert_eq!(
        copy.render_markdown(None).expect("renders"),
        draft.render_markdown(None).expect("renders")
    );
}

/// Found by fuzzing (`fuzz/regressions/draft_change/`): a change of 8 KiB whose column
/// of map keys declares a string of 267 MB. It is refused, but Automerge 0.12 allocates
/// the declared length (up to 1 GB) before it finds the bytes missing; see
/// docs/security.md, "Fuzzing".
#[test]
fn a_change_whose_string_column_claims_more_than_it_holds_is_refused() {
    let change =
        include_bytes!("../../../../fuzz/regressions/draft_change/automerge-string-column-length");
    assert!(Draft::inspect_change(change).is_err());
    let mut draft = Draft::empty();
    assert!(draft.apply([change]).is_err());
}

/// Found by fuzzing (`fuzz/regressions/draft_change/`): a revision of 161 bytes that
/// Automerge 0.12 decodes, then panics on while applying it. It is refused like any
/// malformed change, and the draft it was applied to (a copy, as a space applies
/// changes) is left for the caller to drop.
#[test]
fn a_change_automerge_fails_on_is_refused_not_a_crash() {
    let editor = margin_core::key::SigningKey::from_seed([1; 32]);
    let mut actor = editor.public().as_bytes().to_vec();
    actor.extend_from_slice(&[0xd1, 0xd2]);
    let markdown = "# Best Practice Forum on Cybersecurity

## Findings

1. Capacity building is a shared responsibility of all stakeholders.
2. Governments should publish national cybersecurity strategies.

Encryption must not be weakened [by lawful access mechanisms].

- Regional CERTs share incident data.
";
    let time = Timestamp::from_millis(1_700_000_000_001);
    let (draft, _) =
        Draft::import(ActorId::from(actor), markdown, None, time, "v1").expect("imports");
    let change = include_bytes!("../../../../fuzz/regressions/draft_change/automerge-unwrap-none");
    let mut copy = draft.clone();
    let refused = copy.apply([change]).expect_err("refused");
    assert!(matches!(refused, Error::AutomergeFailed(_)), "{refused}");
    assert!(draft.view(None).is_ok(), "the draft itself is untouched");
}

/// Found by fuzzing (`fuzz/regressions/draft_change/`): a change on whose operation
/// counter Automerge 0.12 panics (an overflow) while decoding it. Refused, not a crash.
#[test]
fn a_change_automerge_fails_to_decode_is_refused_not_a_crash() {
    let change =
        include_bytes!("../../../../fuzz/regressions/draft_change/automerge-op-counter-overflow");
    let refused = Draft::inspect_change(change).expect_err("refused");
    assert!(matches!(refused, Error::AutomergeFailed(_)), "{refused}");
}
