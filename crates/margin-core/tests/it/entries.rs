//! Entries as a receiver sees them: what is accepted, what is refused and why.

use margin_core::entry::error::{DecodeError, VerifyError};
use margin_core::entry::verify_batch;
use margin_core::prelude::*;
use proptest::prelude::*;

fn profile(name: &str) -> Body {
    Body::Profile(Profile {
        name: name.into(),
        affiliation: "ISOC chapter".into(),
        stakeholder: "technical-community".into(),
        region: "Asia-Pacific".into(),
    })
}

fn signed(seed: u8, body: &Body) -> Entry {
    Entry::sign(
        &SigningKey::from_seed([seed; 32]),
        None,
        Timestamp::from_millis(1_000),
        vec![],
        body,
    )
    .unwrap()
}

#[test]
fn a_signed_entry_decodes_and_verifies_with_the_same_id() {
    let entry = signed(1, &profile("Kenji"));
    let verified = Entry::decode(entry.bytes()).unwrap().verify().unwrap();
    assert_eq!(verified.id(), entry.id());
    assert_eq!(verified.author(), SigningKey::from_seed([1; 32]).public());
    assert_eq!(verified.body(), Some(&profile("Kenji")));
}

#[test]
fn a_flipped_byte_anywhere_is_refused() {
    let entry = signed(1, &profile("Kenji"));
    for i in 0..entry.bytes().len() {
        let mut bytes = entry.bytes().to_vec();
        bytes[i] ^= 0x01;
        let outcome = Entry::decode(&bytes).map(|e| e.verify());
        assert!(
            !matches!(outcome, Ok(Ok(_))),
            "flipping byte {i} still gave a valid entry"
        );
    }
}

#[test]
fn another_signature_is_refused_as_bad_signature() {
    let a = signed(1, &profile("Kenji"));
    let b = signed(2, &profile("Kenji"));
    // Graft b's signature onto a's header.
    let mut bytes = a.bytes()[..a.bytes().len() - 64].to_vec();
    bytes.extend_from_slice(&b.bytes()[b.bytes().len() - 64..]);
    let err = Entry::decode(&bytes).unwrap().verify().unwrap_err();
    assert_eq!(err, VerifyError::BadSignature);
}

#[test]
fn truncated_and_oversized_entries_are_refused() {
    let entry = signed(1, &profile("Kenji"));
    for len in 0..entry.bytes().len() {
        assert!(
            Entry::decode(&entry.bytes()[..len]).is_err(),
            "prefix of {len} bytes decoded"
        );
    }
    let huge = vec![0u8; margin_core::limits::MAX_ENTRY_BYTES + 1];
    assert!(matches!(
        Entry::decode(&huge),
        Err(DecodeError::TooLarge { .. })
    ));
}

#[test]
fn trailing_bytes_are_refused() {
    let entry = signed(1, &profile("Kenji"));
    let mut bytes = entry.bytes().to_vec();
    bytes.insert(bytes.len() - 64, 0);
    assert!(Entry::decode(&bytes).is_err());
}

#[test]
fn batch_verification_isolates_the_bad_entry() {
    let good: Vec<_> = (1..=5).map(|i| signed(i, &profile("P"))).collect();
    let mut forged = good[2].bytes().to_vec();
    let n = forged.len();
    forged[n - 1] ^= 0x80;
    let mut batch: Vec<_> = good
        .iter()
        .map(|e| Entry::decode(e.bytes()).unwrap())
        .collect();
    batch[2] = Entry::decode(&forged).unwrap();
    let results = verify_batch(batch);
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 4);
    assert!(matches!(&results[2], Err((_, VerifyError::BadSignature))));
}

#[test]
fn limits_are_checked_when_signing_and_when_decoding() {
    let long = "x".repeat(margin_core::limits::MAX_LABEL_BYTES + 1);
    let err = Entry::sign(
        &SigningKey::from_seed([1; 32]),
        None,
        Timestamp::EPOCH,
        vec![],
        &profile(&long),
    );
    assert!(err.is_err());
}

#[test]
fn a_stance_needs_its_space() {
    let stance = Body::Stance(Stance {
        draft: EntryId([1; 32]),
        para: "p1".into(),
        heads: vec![],
        value: StanceValue::Support,
        reason: None,
    });
    let err = Entry::sign(
        &SigningKey::from_seed([1; 32]),
        None,
        Timestamp::EPOCH,
        vec![],
        &stance,
    );
    assert!(err.is_err());
}

/// `docs/protocol.md` lists vectors; this checks each one, byte for byte, against the code.
#[test]
fn protocol_document_vectors_match() {
    let doc = include_str!("../../../../docs/protocol.md");
    let vectors = margin_core::vectors::vectors();
    let mut checked = 0;
    for v in &vectors {
        let marker = format!("vector: {}\n", v.name);
        let start = doc
            .find(&marker)
            .unwrap_or_else(|| panic!("vector {} not in protocol.md", v.name));
        let block: Vec<&str> = doc[start..].lines().take(5).collect();
        let field = |name: &str| -> String {
            block
                .iter()
                .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                .unwrap_or_else(|| panic!("vector {} lacks {name}", v.name))
                .to_string()
        };
        assert_eq!(field("seed"), hex::encode(v.seed));
        assert_eq!(field("public"), v.entry.author().to_string());
        assert_eq!(
            field("entry"),
            hex::encode(v.entry.bytes()),
            "vector {}",
            v.name
        );
        assert_eq!(field("id"), v.entry.id().to_string());
        // And the bytes in the document are a valid entry on their own.
        let bytes = hex::decode(field("entry")).unwrap();
        let entry = Entry::decode(&bytes).unwrap().verify().unwrap();
        assert_eq!(entry.id().to_string(), field("id"));
        checked += 1;
    }
    assert_eq!(checked, vectors.len());
}

proptest! {
    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = Entry::decode(&bytes).map(|e| e.verify());
    }

    #[test]
    fn comments_round_trip(text in "\\PC{1,200}", para in "p[0-9a-f]{10}", seed in any::<[u8; 32]>(), time in any::<u64>()) {
        let body = Body::Comment(Comment {
            draft: EntryId([3; 32]),
            heads: vec![[4; 32]],
            anchor: Some(Anchor { para: para.into(), start: None, end: None, quote: None }),
            kind: CommentKind::Question,
            text,
            suggestion: None,
            parent: None,
        });
        let entry = Entry::sign(&SigningKey::from_seed(seed), Some(EntryId([5; 32])), Timestamp::from_millis(time), vec![EntryId([5; 32])], &body).unwrap();
        let back = Entry::decode(entry.bytes()).unwrap().verify().unwrap();
        prop_assert_eq!(back.body(), Some(&body));
        prop_assert_eq!(back.time().as_millis(), time);
    }
}

fn comment(text: &str) -> Body {
    Body::Comment(Comment {
        draft: EntryId([9; 32]),
        heads: vec![[7; 32]],
        anchor: None,
        kind: CommentKind::Objection,
        text: text.into(),
        suggestion: None,
        parent: None,
    })
}

fn comment_entry(text: &str) -> Entry {
    Entry::sign(
        &SigningKey::from_seed([3; 32]),
        Some(EntryId([8; 32])),
        Timestamp::from_millis(2_000),
        vec![EntryId([8; 32])],
        &comment(text),
    )
    .unwrap()
}

#[test]
fn a_comment_is_sealed_and_its_stub_keeps_the_id_and_the_signature() {
    let entry = comment_entry("My number is 555-0199.");
    assert_eq!(entry.format(), 2);
    assert_eq!(signed(1, &profile("Kenji")).format(), 1);
    let stub = entry.stub().expect("a sealed entry has a stub");
    assert!(stub.bytes().len() < entry.bytes().len());
    assert!(
        !stub
            .bytes()
            .windows(b"555-0199".len())
            .any(|w| w == b"555-0199"),
        "the stub carries no text"
    );
    let received = Entry::decode(stub.bytes()).unwrap().verify().unwrap();
    assert_eq!(received.id(), entry.id());
    assert_eq!(received.author(), entry.author());
    assert_eq!(received.refs(), entry.refs());
    assert!(received.is_stub());
    assert_eq!(received.body(), None);
    // A format 1 entry signs its body: it has no stub.
    assert!(signed(1, &profile("Kenji")).stub().is_none());
}

#[test]
fn a_sealed_body_that_is_not_the_signed_one_is_refused() {
    let entry = comment_entry("Original words.");
    let other = comment_entry("Other words here.");
    // The stub of one with the body of the other: its length and hash do not match.
    let mut bytes = entry.stub().unwrap().bytes().to_vec();
    let body_start = other.stub().unwrap().bytes().len();
    bytes.extend_from_slice(&other.bytes()[body_start..]);
    let err = Entry::decode(&bytes).unwrap_err();
    assert!(
        matches!(err, DecodeError::BodyLength { .. } | DecodeError::BodyHash),
        "{err}"
    );
    // Same length, different words: the hash does not match.
    let same_len = comment_entry("Original wordz.");
    let mut bytes = entry.stub().unwrap().bytes().to_vec();
    bytes.extend_from_slice(&same_len.bytes()[entry.stub().unwrap().bytes().len()..]);
    assert_eq!(Entry::decode(&bytes).unwrap_err(), DecodeError::BodyHash);
    // Every flipped byte of a sealed entry is caught too.
    for i in 0..entry.bytes().len() {
        let mut bytes = entry.bytes().to_vec();
        bytes[i] ^= 0x01;
        let outcome = Entry::decode(&bytes).map(|e| e.verify());
        assert!(
            !matches!(outcome, Ok(Ok(_))),
            "flipping byte {i} still gave a valid entry"
        );
    }
}

#[test]
fn only_comments_and_their_edits_may_be_sealed() {
    let entry = comment_entry("Words.");
    let mut bytes = entry.bytes().to_vec();
    // The kind byte follows the format byte and the space (a `Some` tag and 32 bytes).
    assert_eq!(bytes[34], Kind::Comment as u8);
    bytes[34] = Kind::Stance as u8;
    assert_eq!(
        Entry::decode(&bytes).unwrap_err(),
        DecodeError::NotSealable("stance")
    );
}

#[test]
fn the_wire_id_of_any_entry_is_its_id() {
    let sealed = comment_entry("Words.");
    let plain = signed(1, &profile("Kenji"));
    for entry in [&sealed, &sealed.stub().unwrap(), &plain] {
        assert_eq!(EntryId::of_entry(entry.bytes()), entry.id());
    }
    // Bytes that are no entry are still named, by their hash.
    assert_eq!(
        EntryId::of_entry(b"\x02garbage"),
        EntryId::of(b"\x02garbage")
    );
}
