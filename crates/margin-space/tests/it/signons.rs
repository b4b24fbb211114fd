//! Sign-ons, coalitions and stances on alternative wordings: what a space accepts, and
//! what it refuses with which reason.

use margin_core::prelude::*;
use margin_draft::Draft;
use margin_space::{Rejection, Space, Verdict};

const DRAFT: &str = "# Report\n\nStates should publish strategies.\n";

pub(crate) struct Review {
    pub space: Space,
    pub draft: EntryId,
    pub heads: Vec<[u8; 32]>,
    pub convener: SigningKey,
    pub time: u64,
    /// Every entry signed for this review, the genesis first.
    pub log: Vec<Entry>,
}

pub(crate) fn key(seed: u8) -> SigningKey {
    SigningKey::from_seed([seed; 32])
}

impl Review {
    pub(crate) fn new(policy: Policy) -> Review {
        let convener = key(1);
        let charter = Body::Charter(Charter {
            title: "Sign-ons".into(),
            policy,
            opens: None,
            closes: None,
            conveners: vec![convener.public()],
            editors: vec![convener.public()],
            registrars: vec![convener.public()],
            stakeholder_groups: vec![],
            nonce: 3,
        });
        let genesis = Entry::sign(
            &convener,
            None,
            Timestamp::from_millis(1_000),
            vec![],
            &charter,
        )
        .unwrap();
        let space = Space::new(genesis.clone()).unwrap();
        let mut actor = convener.public().as_bytes().to_vec();
        actor.extend_from_slice(&[0; 4]);
        let (draft, change) = Draft::import(
            automerge::ActorId::from(actor),
            DRAFT,
            None,
            Timestamp::from_millis(0),
            "v1",
        )
        .unwrap();
        let mut r = Review {
            space,
            draft: EntryId([0; 32]),
            heads: draft.heads(),
            convener: convener.clone(),
            time: 2_000,
            log: vec![genesis],
        };
        let body = Body::DraftChange(DraftChange {
            draft: None,
            changes: vec![change.into()],
            message: "v1".into(),
        });
        r.draft = r.accepted(&convener, vec![], body);
        r
    }

    pub(crate) fn offer(
        &mut self,
        key: &SigningKey,
        mut refs: Vec<EntryId>,
        body: Body,
    ) -> (EntryId, Verdict) {
        refs.extend(self.space.charter_heads());
        self.time += 1_000;
        let entry = Entry::sign(
            key,
            Some(self.space.id()),
            Timestamp::from_millis(self.time),
            refs,
            &body,
        )
        .unwrap();
        let id = entry.id();
        self.log.push(entry.clone());
        (id, self.space.apply(entry).remove(0).1)
    }

    pub(crate) fn accepted(&mut self, key: &SigningKey, refs: Vec<EntryId>, body: Body) -> EntryId {
        let (id, verdict) = self.offer(key, refs, body);
        assert_eq!(verdict, Verdict::Accepted);
        id
    }

    pub(crate) fn refused(
        &mut self,
        key: &SigningKey,
        refs: Vec<EntryId>,
        body: Body,
    ) -> Rejection {
        match self.offer(key, refs, body).1 {
            Verdict::Rejected(reason) => reason,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    pub(crate) fn para(&self) -> ParaId {
        let d = self.space.draft(&self.draft).unwrap();
        d.doc.view(None).unwrap().sections[0].paragraphs[0]
            .id
            .clone()
    }

    pub(crate) fn comment(&mut self, who: &SigningKey, suggestion: Option<&str>) -> EntryId {
        let body = Body::Comment(Comment {
            draft: self.draft,
            heads: self.heads.clone(),
            anchor: Some(Anchor {
                para: self.para(),
                start: None,
                end: None,
                quote: None,
            }),
            kind: if suggestion.is_some() {
                CommentKind::Suggestion
            } else {
                CommentKind::Objection
            },
            text: "Publication can expose weaknesses.".into(),
            suggestion: suggestion.map(str::to_owned),
            parent: None,
        });
        let draft = self.draft;
        let extra = self.registration(who);
        let mut refs = vec![draft];
        refs.extend(extra);
        self.accepted(who, refs, body)
    }

    pub(crate) fn registration(&self, who: &SigningKey) -> Option<EntryId> {
        self.space.registration_entry(&who.public())
    }

    pub(crate) fn cosign(
        &self,
        comment: EntryId,
        coalition: Option<&SigningKey>,
        withdrawn: bool,
    ) -> Body {
        Body::CoSign(CoSign {
            comment,
            coalition: coalition.map(SigningKey::public),
            withdrawn,
        })
    }

    pub(crate) fn membership(&self, member: &SigningKey, active: bool) -> Body {
        Body::Membership(Membership {
            member: member.public(),
            active,
        })
    }

    pub(crate) fn alternative(
        &self,
        comment: EntryId,
        wording: Option<EntryId>,
        value: StanceValue,
    ) -> Body {
        Body::AlternativeStance(AlternativeStance {
            comment,
            wording,
            value,
            reason: None,
        })
    }
}

#[test]
fn a_participant_signs_on_to_another_comment_and_can_withdraw() {
    let mut r = Review::new(Policy::Open);
    let (amina, bruno) = (key(2), key(3));
    let c = r.comment(&amina, None);
    r.accepted(&bruno, vec![c], r.cosign(c, None, false));
    let signed: Vec<_> = r
        .space
        .cosigns_on(&c)
        .map(|(k, s)| (k, s.value.withdrawn))
        .collect();
    assert_eq!(signed, [(bruno.public(), false)]);
    r.accepted(&bruno, vec![c], r.cosign(c, None, true));
    let signed: Vec<_> = r
        .space
        .cosigns_on(&c)
        .map(|(k, s)| (k, s.value.withdrawn))
        .collect();
    assert_eq!(signed, [(bruno.public(), true)], "the latest sign-on wins");
}

#[test]
fn nobody_co_signs_their_own_comment() {
    let mut r = Review::new(Policy::Open);
    let amina = key(2);
    let c = r.comment(&amina, None);
    assert_eq!(
        r.refused(&amina, vec![c], r.cosign(c, None, false)),
        Rejection::OwnComment
    );
}

#[test]
fn a_sign_on_names_its_comment() {
    let mut r = Review::new(Policy::Open);
    let c = r.comment(&key(2), None);
    assert_eq!(
        r.refused(&key(3), vec![], r.cosign(c, None, false)),
        Rejection::NotAComment(c)
    );
}

#[test]
fn a_coalition_sign_on_needs_the_coalitions_membership_in_refs() {
    let mut r = Review::new(Policy::Open);
    let (amina, bruno, coalition) = (key(2), key(3), key(9));
    let c = r.comment(&amina, None);
    // No membership named.
    assert_eq!(
        r.refused(&bruno, vec![c], r.cosign(c, Some(&coalition), false)),
        Rejection::NotAMember(coalition.public())
    );
    // A membership signed by someone else than the coalition does not count.
    let forged = r.accepted(&amina, vec![], r.membership(&bruno, true));
    assert_eq!(
        r.refused(
            &bruno,
            vec![c, forged],
            r.cosign(c, Some(&coalition), false)
        ),
        Rejection::NotAMember(coalition.public())
    );
    let admitted = r.accepted(&coalition, vec![], r.membership(&bruno, true));
    assert!(r.space.is_member(&coalition.public(), &bruno.public()));
    r.accepted(
        &bruno,
        vec![c, admitted],
        r.cosign(c, Some(&coalition), false),
    );
    // Once removed, the removal cannot be named to sign for the coalition.
    let removed = r.accepted(&coalition, vec![], r.membership(&bruno, false));
    assert!(!r.space.is_member(&coalition.public(), &bruno.public()));
    assert_eq!(
        r.refused(
            &bruno,
            vec![c, removed],
            r.cosign(c, Some(&coalition), false)
        ),
        Rejection::NotAMember(coalition.public())
    );
}

#[test]
fn a_key_is_not_its_own_member_nor_its_own_coalition() {
    let mut r = Review::new(Policy::Open);
    let (amina, bruno) = (key(2), key(3));
    assert_eq!(
        r.refused(&bruno, vec![], r.membership(&bruno, true)),
        Rejection::SelfMembership
    );
    let c = r.comment(&amina, None);
    assert_eq!(
        r.refused(&bruno, vec![c], r.cosign(c, Some(&bruno), false)),
        Rejection::SelfMembership
    );
}

#[test]
fn sign_ons_follow_the_registered_policy() {
    let mut r = Review::new(Policy::Registered);
    let (amina, bruno) = (key(2), key(3));
    let convener = r.convener.clone();
    for who in [&amina, &bruno] {
        r.accepted(
            &convener,
            vec![],
            Body::Registration(Registration {
                participant: who.public(),
                stakeholder: "civil-society".into(),
                region: "Africa".into(),
            }),
        );
    }
    let c = r.comment(&amina, None);
    assert_eq!(
        r.refused(&bruno, vec![c], r.cosign(c, None, false)),
        Rejection::NotRegistered
    );
    let registration = r.registration(&bruno).unwrap();
    r.accepted(&bruno, vec![c, registration], r.cosign(c, None, false));
}

#[test]
fn stances_on_an_alternative_name_the_wording_they_are_about() {
    let mut r = Review::new(Policy::Open);
    let (amina, bruno) = (key(2), key(3));
    let plain = r.comment(&amina, None);
    assert_eq!(
        r.refused(
            &bruno,
            vec![plain],
            r.alternative(plain, None, StanceValue::Support)
        ),
        Rejection::NoAlternative(plain)
    );
    let s = r.comment(
        &amina,
        Some("States should consider publishing strategies."),
    );
    r.accepted(
        &bruno,
        vec![s],
        r.alternative(s, None, StanceValue::Support),
    );
    // The author rewords the alternative: a stance names the edit it is about.
    let edit = r.accepted(
        &amina,
        vec![s],
        Body::CommentEdit(CommentEdit {
            comment: s,
            text: "Publication can expose weaknesses.".into(),
            suggestion: Some("States are encouraged to publish strategies.".into()),
        }),
    );
    assert_eq!(r.space.comment(&s).unwrap().wording_entry(), Some(edit));
    assert_eq!(
        r.refused(
            &bruno,
            vec![s],
            r.alternative(s, Some(edit), StanceValue::Accept)
        ),
        Rejection::NotAnEdit(edit),
        "the edit must be in refs"
    );
    r.accepted(
        &bruno,
        vec![s, edit],
        r.alternative(s, Some(edit), StanceValue::Accept),
    );
    let latest: Vec<_> = r
        .space
        .alternative_stances_on(&s)
        .map(|(k, st)| (k, st.value.wording, st.value.value))
        .collect();
    assert_eq!(latest, [(bruno.public(), Some(edit), StanceValue::Accept)]);
    // An edit of another comment is not a wording of this one.
    let other = r.comment(&bruno, Some("Another wording."));
    let other_edit = r.accepted(
        &bruno,
        vec![other],
        Body::CommentEdit(CommentEdit {
            comment: other,
            text: "Reworded.".into(),
            suggestion: Some("Yet another wording.".into()),
        }),
    );
    assert_eq!(
        r.refused(
            &amina,
            vec![s, other_edit],
            r.alternative(s, Some(other_edit), StanceValue::Object)
        ),
        Rejection::NotAnEdit(other_edit)
    );
    // An edit that drops the alternative carries none to take a stance on.
    let dropped = r.accepted(
        &amina,
        vec![s],
        Body::CommentEdit(CommentEdit {
            comment: s,
            text: "Withdrawn wording.".into(),
            suggestion: None,
        }),
    );
    assert_eq!(
        r.refused(
            &bruno,
            vec![s, dropped],
            r.alternative(s, Some(dropped), StanceValue::Support)
        ),
        Rejection::NoAlternative(s)
    );
}
