//! Test vectors for `docs/protocol.md`: fixed keys, times and bodies, so another
//! implementation can check its encoding, signatures and ids against ours.

use crate::body::*;
use crate::entry::Entry;
use crate::id::EntryId;
use crate::key::SigningKey;
use crate::time::Timestamp;

/// One vector: a name, the signing key's seed, and the entry it yields.
pub struct Vector {
    pub name: &'static str,
    pub seed: [u8; 32],
    pub entry: Entry,
}

/// The vectors, in the order `docs/protocol.md` lists them.
pub fn vectors() -> Vec<Vector> {
    let convener = [1u8; 32];
    let participant = [2u8; 32];
    let convener_key = SigningKey::from_seed(convener);
    let charter = Body::Charter(Charter {
        title: "BPF Cybersecurity 2026".into(),
        policy: Policy::Open,
        opens: None,
        closes: Some(Timestamp::from_millis(1_798_761_600_000)),
        conveners: vec![convener_key.public()],
        editors: vec![convener_key.public()],
        registrars: vec![],
        stakeholder_groups: vec![],
        nonce: 42,
    });
    let genesis = Entry::sign(
        &convener_key,
        None,
        Timestamp::from_millis(1_767_225_600_000),
        vec![],
        &charter,
    )
    .expect("vector charter is within limits");
    let space = genesis.id();
    let profile = Body::Profile(Profile {
        name: "Amina Diallo".into(),
        affiliation: "Réseau Numérique".into(),
        stakeholder: "civil-society".into(),
        region: "Africa".into(),
    });
    let profile_entry = Entry::sign(
        &SigningKey::from_seed(participant),
        Some(space),
        Timestamp::from_millis(1_767_225_660_000),
        vec![space],
        &profile,
    )
    .expect("vector profile is within limits");
    let stance = Body::Stance(Stance {
        draft: EntryId([9; 32]),
        para: "p0123456789".into(),
        heads: vec![[7; 32]],
        value: StanceValue::Object,
        reason: Some("Too weak".into()),
    });
    let stance_entry = Entry::sign(
        &SigningKey::from_seed(participant),
        Some(space),
        Timestamp::from_millis(1_767_225_720_000),
        vec![profile_entry.id(), space],
        &stance,
    )
    .expect("vector stance is within limits");
    let coalition = [3u8; 32];
    let coalition_key = SigningKey::from_seed(coalition);
    let membership = Body::Membership(Membership {
        member: SigningKey::from_seed(participant).public(),
        active: true,
    });
    let membership_entry = Entry::sign(
        &coalition_key,
        Some(space),
        Timestamp::from_millis(1_767_225_780_000),
        vec![space],
        &membership,
    )
    .expect("vector membership is within limits");
    let cosign = Body::CoSign(CoSign {
        comment: EntryId([5; 32]),
        coalition: Some(coalition_key.public()),
        withdrawn: false,
    });
    let cosign_entry = Entry::sign(
        &SigningKey::from_seed(participant),
        Some(space),
        Timestamp::from_millis(1_767_225_840_000),
        vec![membership_entry.id(), space],
        &cosign,
    )
    .expect("vector co-sign is within limits");
    let alternative = Body::AlternativeStance(AlternativeStance {
        comment: EntryId([5; 32]),
        wording: None,
        value: StanceValue::Accept,
        reason: None,
    });
    let alternative_entry = Entry::sign(
        &SigningKey::from_seed(participant),
        Some(space),
        Timestamp::from_millis(1_767_225_900_000),
        vec![space],
        &alternative,
    )
    .expect("vector alternative stance is within limits");
    let comment = Body::Comment(Comment {
        draft: EntryId([9; 32]),
        heads: vec![[7; 32]],
        anchor: None,
        kind: CommentKind::Objection,
        text: "Too weak".into(),
        suggestion: None,
        parent: None,
    });
    let comment_entry = Entry::sign(
        &SigningKey::from_seed(participant),
        Some(space),
        Timestamp::from_millis(1_767_225_960_000),
        vec![space],
        &comment,
    )
    .expect("vector comment is within limits");
    let comment_stub = comment_entry
        .stub()
        .expect("a comment is sealed, so it has a stub");
    let erasure = Body::Erasure(Erasure {
        comment: comment_entry.id(),
    });
    let erasure_entry = Entry::sign(
        &SigningKey::from_seed(participant),
        Some(space),
        Timestamp::from_millis(1_767_226_020_000),
        vec![space],
        &erasure,
    )
    .expect("vector erasure is within limits");
    vec![
        Vector {
            name: "charter",
            seed: convener,
            entry: genesis,
        },
        Vector {
            name: "profile",
            seed: participant,
            entry: profile_entry,
        },
        Vector {
            name: "stance",
            seed: participant,
            entry: stance_entry,
        },
        Vector {
            name: "membership",
            seed: coalition,
            entry: membership_entry,
        },
        Vector {
            name: "co-sign",
            seed: participant,
            entry: cosign_entry,
        },
        Vector {
            name: "alternative-stance",
            seed: participant,
            entry: alternative_entry,
        },
        Vector {
            name: "comment",
            seed: participant,
            entry: comment_entry,
        },
        Vector {
            name: "comment-stub",
            seed: participant,
            entry: comment_stub,
        },
        Vector {
            name: "erasure",
            seed: participant,
            entry: erasure_entry,
        },
    ]
}
