//! One person, several keys: device links, unlinks, rotations and a convener's
//! replacement of a lost key. What counts, what is void and why, whatever the order the
//! entries came in.

use margin_core::link::{Consent, KeyLink, KeyUnlink, Relation};
use margin_core::prelude::*;
use margin_space::{Rejection, Space, Verdict};

use crate::signons::{Review, key};

const DAY: u64 = 24 * 60 * 60 * 1000;

fn at(ms: u64) -> Timestamp {
    Timestamp::from_millis(ms)
}

fn device_link(identity: &SigningKey, device: &SigningKey, time: u64) -> KeyLink {
    let consent = Consent::sign(device, at(time + DAY));
    KeyLink::sign(
        identity,
        Relation::Device {
            name: "office laptop".into(),
        },
        consent,
        at(time),
    )
    .expect("a link")
}

fn successor(old: &SigningKey, new: &SigningKey, time: u64) -> KeyLink {
    KeyLink::sign(
        old,
        Relation::Successor,
        Consent::sign(new, at(time + 1)),
        at(time),
    )
    .expect("a rotation")
}

fn profile(name: &str) -> Body {
    Body::Profile(Profile {
        name: name.into(),
        affiliation: "".into(),
        stakeholder: "civil-society".into(),
        region: "".into(),
    })
}

impl Review {
    fn stance_body(&self, value: StanceValue, reason: Option<&str>) -> Body {
        Body::Stance(Stance {
            draft: self.draft,
            para: self.para(),
            heads: self.heads.clone(),
            value,
            reason: reason.map(str::to_owned),
        })
    }

    fn stance(&mut self, who: &SigningKey, value: StanceValue, refs: Vec<EntryId>) -> EntryId {
        let body = self.stance_body(value, Some("because"));
        let mut all = vec![self.draft];
        all.extend(refs);
        self.accepted(who, all, body)
    }

    /// Every counted stance: (person, value).
    fn stances(&self) -> Vec<(PublicKey, StanceValue)> {
        self.space
            .stances()
            .map(|((_, _, who), s)| (who, s.value.value))
            .collect()
    }
}

#[test]
fn a_device_speaks_as_its_person_who_counts_once() {
    let mut r = Review::new(Policy::Open);
    let (ana, laptop) = (key(10), key(11));
    r.accepted(&ana, vec![], profile("Ana"));
    let link = r.accepted(&ana, vec![], Body::KeyLink(device_link(&ana, &laptop, 1)));
    r.stance(&laptop, StanceValue::Object, vec![link]);
    assert_eq!(r.stances(), vec![(ana.public(), StanceValue::Object)]);
    // Shown under the person's name and key.
    let view = r.space.participant(&laptop.public());
    assert_eq!(view.name, "Ana");
    assert_eq!(view.key, ana.public().to_string());
    // The person's later stance from another key replaces the device's: once.
    r.stance(&ana, StanceValue::Accept, vec![]);
    assert_eq!(r.stances(), vec![(ana.public(), StanceValue::Accept)]);
    let devices = r.space.devices();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].name, "office laptop");
    assert_eq!(devices[0].identity, ana.public());
}

#[test]
fn a_link_without_the_devices_consent_or_by_a_third_key_is_refused() {
    let mut r = Review::new(Policy::Open);
    let (ana, laptop, mallory) = (key(10), key(11), key(12));
    let mut link = device_link(&mallory, &laptop, 1);
    link.consent.key = ana.public();
    assert!(matches!(
        r.refused(&mallory, vec![], Body::KeyLink(link)),
        Rejection::BadLink(_)
    ));
    // A good certificate, published by someone it does not name.
    let good = device_link(&ana, &laptop, 1);
    assert_eq!(
        r.refused(&mallory, vec![], Body::KeyLink(good.clone())),
        Rejection::NotLinkParty
    );
    // The device itself may carry it.
    r.accepted(&laptop, vec![], Body::KeyLink(good));
    assert_eq!(r.space.person(&laptop.public()), ana.public());
}

#[test]
fn a_device_two_people_claim_is_nobodys() {
    let mut r = Review::new(Policy::Open);
    let (ana, bo, laptop) = (key(10), key(13), key(11));
    r.accepted(&ana, vec![], Body::KeyLink(device_link(&ana, &laptop, 1)));
    r.accepted(&bo, vec![], Body::KeyLink(device_link(&bo, &laptop, 2)));
    assert_eq!(r.space.person(&laptop.public()), laptop.public());
}

/// The same entries, offered in two orders, give the same stances.
#[test]
fn an_unlinked_devices_later_stances_are_void_in_any_order() {
    let mut first = Review::new(Policy::Open);
    let (ana, laptop) = (key(10), key(11));
    let link = first.accepted(&ana, vec![], Body::KeyLink(device_link(&ana, &laptop, 1)));
    let before = first.stance(&laptop, StanceValue::Support, vec![link]);
    // Unlinked from a date between the two stances of the device.
    let unlink_time = first.time + 500;
    let after = first.stance(&laptop, StanceValue::Object, vec![link]);
    let unlink = Body::KeyUnlink(KeyUnlink::sign(&ana, laptop.public(), at(unlink_time)));
    let unlinked = first.accepted(&ana, vec![], unlink);
    assert_eq!(first.stances(), vec![(ana.public(), StanceValue::Support)]);
    let reason = first.space.void_reason_of(&after).expect("void");
    assert!(reason.contains("unlinked"), "{reason}");
    assert_eq!(first.space.void_reason_of(&before), None);
    assert_eq!(
        first.space.devices()[0].unlinked.map(|u| u.1),
        Some(unlinked)
    );

    // Another node gets the unlink before the device's stances.
    let entries: Vec<Entry> = first
        .space
        .order()
        .iter()
        .map(|id| entry_of(&first, id))
        .collect();
    let mut second = Space::new(entries[0].clone()).expect("genesis");
    let mut rest: Vec<Entry> = entries[1..].to_vec();
    rest.sort_by_key(|e| e.kind() != Kind::KeyUnlink);
    for e in rest {
        for (_, verdict) in second.apply(e) {
            assert!(
                matches!(verdict, Verdict::Accepted | Verdict::Pending { .. }),
                "{verdict:?}"
            );
        }
    }
    let stances: Vec<(PublicKey, StanceValue)> = second
        .stances()
        .map(|((_, _, who), s)| (who, s.value.value))
        .collect();
    assert_eq!(stances, first.stances());
    assert_eq!(second.digest(), first.space.digest());
}

/// The entries a review accepted, kept as they were signed.
fn entry_of(r: &Review, id: &EntryId) -> Entry {
    r.log
        .iter()
        .find(|e| e.id() == *id)
        .cloned()
        .unwrap_or_else(|| panic!("{id} not signed by this review"))
}

#[test]
fn a_rotated_keys_earlier_entries_stay_the_persons_and_its_later_ones_are_void() {
    let mut r = Review::new(Policy::Open);
    let (old, new) = (key(10), key(14));
    r.accepted(&old, vec![], profile("Ana"));
    let early = r.stance(&old, StanceValue::Object, vec![]);
    let rotation = r.time + 500;
    r.accepted(&old, vec![], Body::KeyLink(successor(&old, &new, rotation)));
    // The old key, stolen, signs after the rotation: void.
    let stolen = r.stance(&old, StanceValue::Support, vec![]);
    assert!(r.space.void_reason_of(&stolen).is_some());
    assert_eq!(r.space.void_reason_of(&early), None);
    assert_eq!(r.stances(), vec![(old.public(), StanceValue::Object)]);
    // The new key speaks as the same person, under the same profile.
    assert_eq!(r.space.participant(&new.public()).name, "Ana");
    assert_eq!(r.space.person_key(&old.public()), new.public());
    r.stance(&new, StanceValue::Accept, vec![]);
    assert_eq!(r.stances(), vec![(old.public(), StanceValue::Accept)]);
}

#[test]
fn conveners_attest_a_replacement_for_a_lost_key_and_nobody_else_can() {
    let mut r = Review::new(Policy::Registered);
    let convener = r.convener.clone();
    let (lost, replacement, mallory) = (key(10), key(15), key(12));
    let registration = r.accepted(
        &convener,
        vec![],
        Body::Registration(Registration {
            participant: lost.public(),
            stakeholder: "government".into(),
            region: "".into(),
        }),
    );
    r.stance(&lost, StanceValue::Object, vec![registration]);
    let body = Body::Replacement(Replacement {
        lost: lost.public(),
        key: replacement.public(),
        reason: "laptop stolen at the airport".into(),
    });
    assert!(matches!(
        r.refused(&mallory, vec![], body.clone()),
        Rejection::NotConvener(_)
    ));
    // Without the attestation in its refs, the new key is not registered.
    let stance = r.stance_body(StanceValue::Support, None);
    assert_eq!(
        r.refused(&replacement, vec![r.draft, registration], stance),
        Rejection::NotRegistered
    );
    let attested = r.accepted(&convener, vec![], body);
    assert_eq!(
        r.space.standing_refs(&replacement.public()),
        vec![attested, registration]
    );
    r.stance(
        &replacement,
        StanceValue::Support,
        vec![attested, registration],
    );
    assert_eq!(r.stances(), vec![(lost.public(), StanceValue::Support)]);
    assert!(r.space.participant(&replacement.public()).registered);
    // The lost key, in a thief's hands, counts for nothing from the attestation on.
    let thief = r.stance(&lost, StanceValue::Object, vec![registration]);
    assert!(r.space.void_reason_of(&thief).is_some());
    assert_eq!(r.stances(), vec![(lost.public(), StanceValue::Support)]);
}

#[test]
fn a_device_of_a_registered_person_takes_part_naming_its_link() {
    let mut r = Review::new(Policy::Registered);
    let convener = r.convener.clone();
    let (ana, laptop) = (key(10), key(11));
    let registration = r.accepted(
        &convener,
        vec![],
        Body::Registration(Registration {
            participant: ana.public(),
            stakeholder: "academia".into(),
            region: "".into(),
        }),
    );
    let link = r.accepted(
        &ana,
        vec![registration],
        Body::KeyLink(device_link(&ana, &laptop, 1)),
    );
    let stance = r.stance_body(StanceValue::Support, None);
    assert_eq!(
        r.refused(&laptop, vec![r.draft, registration], stance),
        Rejection::NotRegistered
    );
    assert_eq!(
        r.space.standing_refs(&laptop.public()),
        vec![link, registration]
    );
    r.stance(&laptop, StanceValue::Support, vec![link, registration]);
    assert_eq!(r.stances(), vec![(ana.public(), StanceValue::Support)]);
}

/// A key generator rotating one key into the next, over and over, cannot make a chain
/// without end: a person's succession holds at most 64 keys.
#[test]
fn a_chain_of_rotations_longer_than_a_person_needs_is_cut() {
    let mut r = Review::new(Policy::Open);
    let keys: Vec<SigningKey> = (0..100u8).map(|i| key(100 + i)).collect();
    for (i, pair) in keys.windows(2).enumerate() {
        let link = successor(&pair[0], &pair[1], 10 + i as u64);
        r.accepted(&pair[0], vec![], Body::KeyLink(link));
    }
    let first = keys[0].public();
    assert_eq!(r.space.person(&keys[10].public()), first);
    assert_eq!(r.space.person(&keys[63].public()), first);
    assert_ne!(r.space.person(&keys[99].public()), first);
}
