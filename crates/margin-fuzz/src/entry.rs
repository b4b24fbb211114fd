//! Entries as a peer sends them: one entry's bytes, and a bundle file of many.

use margin_core::entry::{Entry, verify_batch, wire_id};
use margin_core::prelude::Body;
use margin_space::Space;

use crate::fixture::{editor, fixture};

/// One entry from a peer: decoded within its bounds, its id checked against the one a
/// node computes without decoding, its signature verified alone and in a batch. Then,
/// since any participant can sign whatever body they like, its body is signed again by
/// the fixture's editor and judged by the space's rules.
pub fn entry(data: &[u8]) {
    let id = wire_id(data);
    let Ok(entry) = Entry::decode(data) else {
        return;
    };
    assert_eq!(entry.id(), id, "the id of a decoded entry is its wire id");
    assert!(entry.bytes().len() <= data.len());
    if let Some(body) = entry.body() {
        let _ = body.check_limits();
    }
    if let Some(stub) = entry.stub() {
        let stub = Entry::decode(stub.bytes()).expect("a stub of an entry decodes");
        assert_eq!(stub.id(), id, "a stub keeps its entry's id");
    }
    let alone = entry.clone().verify().is_ok();
    let batched = verify_batch(vec![entry.clone()]);
    assert_eq!(batched.len(), 1);
    assert_eq!(
        alone,
        batched[0].is_ok(),
        "batch and single verification agree"
    );
    if let Some(body) = entry.body() {
        judge(entry.space(), &entry, body);
    }
}

/// `body` signed by the fixture's editor, with `entry`'s date and refs, offered to the
/// fixture's space (or, for a charter, made a space of its own).
fn judge(
    space: Option<margin_core::id::SpaceId>,
    entry: &Entry<margin_core::entry::Unverified>,
    body: &Body,
) {
    let fixture = fixture();
    let space_id = space.map(|_| fixture.charter);
    let Ok(signed) = Entry::sign(
        &editor(),
        space_id,
        entry.time(),
        entry.refs().to_vec(),
        body,
    ) else {
        return;
    };
    if space_id.is_none() {
        let _ = Space::new(signed);
        return;
    }
    let mut space = fixture.space.clone();
    space.apply(signed);
    let _ = space.digest();
}

/// A bundle file: read as `margin bundle import` reads it, then every entry in it
/// decoded and verified in one batch, and the verified ones applied to the space they
/// start (or to the fixture's). A file whose checksum is wrong is also read with its
/// checksum set right: the checksum would stop nearly every change a fuzzer makes before
/// the framing of the entries is read.
pub fn bundle(data: &[u8]) {
    if margin_node::bundle::decode(data).is_ok() || data.len() < 32 {
        return read_bundle(data);
    }
    let (body, _) = data.split_at(data.len() - 32);
    let mut fixed = body.to_vec();
    fixed.extend_from_slice(blake3::hash(body).as_bytes());
    read_bundle(&fixed);
}

fn read_bundle(data: &[u8]) {
    let Ok((space, entries)) = margin_node::bundle::decode(data) else {
        return;
    };
    assert_eq!(
        margin_node::bundle::encode(&space, &entries),
        data,
        "a bundle that reads is the bundle of what it read"
    );
    let decoded = entries
        .iter()
        .filter_map(|bytes| Entry::decode(bytes).ok())
        .collect::<Vec<_>>();
    let verified = verify_batch(decoded)
        .into_iter()
        .filter_map(Result::ok)
        .collect::<Vec<_>>();
    let mut state = match verified.iter().find(|e| e.id() == space) {
        Some(genesis) => match Space::new(genesis.clone()) {
            Ok(state) => state,
            Err(_) => return,
        },
        None => fixture().space.clone(),
    };
    for entry in verified {
        state.apply(entry);
    }
}
