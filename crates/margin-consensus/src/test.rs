//! Fixtures built through the real library: signed entries applied to a [`Space`], so
//! that what the figures read is exactly what a node would hold.
//!
//! [`Fixture`] builds small spaces step by step; [`bpf`] builds the reference review of
//! `docs/consensus.md`: twelve participants in four stakeholder groups with known
//! stances, objections and one revision.

use margin_core::prelude::*;
use margin_draft::Draft;
use margin_space::view::wire_anchor;
use margin_space::{Space, Verdict};

/// A review space under construction. Participants are numbered from 0 in the order
/// they [`join`](Fixture::join); the convener (also editor and registrar) is separate.
pub struct Fixture {
    pub space: Space,
    pub draft: DraftId,
    pub convener: SigningKey,
    pub people: Vec<SigningKey>,
    /// Profiles not published yet: in a registered-only space a participant publishes
    /// theirs once registered (naming the registration).
    unpublished: Vec<Option<Body>>,
    /// Every entry accepted, in order, for replaying elsewhere.
    pub entries: Vec<Entry>,
    time: Timestamp,
    device: u32,
}

/// The Automerge actor of `key` on a device: the key bytes, then a 4-byte tag.
fn actor(key: &SigningKey, device: u32) -> automerge::ActorId {
    let mut bytes = key.public().as_bytes().to_vec();
    bytes.extend_from_slice(&device.to_le_bytes());
    automerge::ActorId::from(bytes)
}

impl Fixture {
    /// A space under `policy` whose convener imports `markdown` as its draft.
    pub fn new(policy: Policy, markdown: &str) -> Fixture {
        let convener = SigningKey::from_seed([200; 32]);
        let charter = Body::Charter(Charter {
            title: "BPF on Cyber Capacity".into(),
            policy,
            opens: None,
            closes: None,
            conveners: vec![convener.public()],
            editors: vec![convener.public()],
            registrars: vec![convener.public()],
            stakeholder_groups: vec![],
            nonce: 7,
        });
        let time = Timestamp::from_millis(1_700_000_000_000);
        let genesis =
            Entry::sign(&convener, None, time, vec![], &charter).expect("the charter signs");
        let space = Space::new(genesis.clone()).expect("a valid genesis charter");
        let mut f = Fixture {
            space,
            draft: EntryId([0; 32]),
            convener,
            people: vec![],
            unpublished: vec![],
            entries: vec![genesis],
            time,
            device: 0,
        };
        let (_, change) = Draft::import(
            actor(&f.convener, 0),
            markdown,
            None,
            Timestamp::from_millis(0),
            "v1",
        )
        .expect("the draft imports");
        let body = Body::DraftChange(DraftChange {
            draft: None,
            changes: vec![change.into()],
            message: "v1".into(),
        });
        let convener = f.convener.clone();
        f.draft = f.publish(&convener, vec![], body);
        f
    }

    /// Signs `body` by `key` naming `refs` and the charter heads, applies it, and
    /// returns its id. Panics when the space refuses it: a fixture must be valid.
    pub fn publish(&mut self, key: &SigningKey, mut refs: Vec<EntryId>, body: Body) -> EntryId {
        refs.extend(self.space.charter_heads());
        self.time = self.time.saturating_add_millis(1_000);
        let entry = Entry::sign(key, Some(self.space.id()), self.time, refs, &body)
            .expect("the entry signs");
        let id = entry.id();
        let verdict = self.space.apply(entry.clone()).remove(0).1;
        assert_eq!(verdict, Verdict::Accepted, "fixture entry {body:?} refused");
        self.entries.push(entry);
        id
    }

    /// A new participant with a self-declared profile (published at once, or, in a
    /// registered-only space, once registered); returns their number.
    pub fn join(&mut self, name: &str, stakeholder: &str, region: &str) -> usize {
        let seed = u8::try_from(self.people.len() + 1).expect("at most 199 participants");
        let key = SigningKey::from_seed([seed; 32]);
        let body = Body::Profile(Profile {
            name: name.into(),
            affiliation: String::new(),
            stakeholder: stakeholder.into(),
            region: region.into(),
        });
        if self.space.charter().policy == Policy::Registered {
            self.unpublished.push(Some(body));
        } else {
            self.publish(&key, vec![], body);
            self.unpublished.push(None);
        }
        self.people.push(key);
        self.people.len() - 1
    }

    /// The convener attests participant `who`'s group and region.
    pub fn register(&mut self, who: usize, stakeholder: &str, region: &str) -> EntryId {
        let body = Body::Registration(Registration {
            participant: self.key(who),
            stakeholder: stakeholder.into(),
            region: region.into(),
        });
        let convener = self.convener.clone();
        let registration = self.publish(&convener, vec![], body);
        if let Some(profile) = self.unpublished.get_mut(who).and_then(Option::take) {
            let key = self.people[who].clone();
            self.publish(&key, vec![registration], profile);
        }
        registration
    }

    pub fn key(&self, who: usize) -> PublicKey {
        self.people[who].public()
    }

    /// The id of paragraph number `n` (from 1) of the current version.
    pub fn para(&self, n: usize) -> ParaId {
        self.doc()
            .view(None)
            .expect("the draft reads")
            .sections
            .into_iter()
            .flat_map(|s| s.paragraphs)
            .find(|p| p.n == n)
            .map(|p| p.id)
            .expect("no such paragraph number")
    }

    fn doc(&self) -> &Draft {
        &self
            .space
            .draft(&self.draft)
            .expect("the fixture has its draft")
            .doc
    }

    /// The draft and the revisions carrying the current version, plus `who`'s
    /// registration if any: what a comment or stance names.
    fn reading_refs(&self, who: usize) -> (Vec<[u8; 32]>, Vec<EntryId>) {
        let state = self
            .space
            .draft(&self.draft)
            .expect("the fixture has its draft");
        let heads = state.doc.heads();
        let mut refs = vec![self.draft];
        refs.extend(state.entries_carrying(&heads));
        refs.extend(self.space.registration_entry(&self.key(who)));
        (heads, refs)
    }

    /// `who` takes a stance on paragraph `n` of the current version.
    pub fn stance(
        &mut self,
        who: usize,
        n: usize,
        value: StanceValue,
        reason: Option<&str>,
    ) -> EntryId {
        let (heads, refs) = self.reading_refs(who);
        let body = Body::Stance(Stance {
            draft: self.draft,
            para: self.para(n),
            heads,
            value,
            reason: reason.map(str::to_owned),
        });
        let key = self.people[who].clone();
        self.publish(&key, refs, body)
    }

    /// `who` comments on paragraph `n` (on the passage `quote`, if given).
    pub fn comment(
        &mut self,
        who: usize,
        n: usize,
        kind: CommentKind,
        quote: Option<&str>,
        text: &str,
    ) -> EntryId {
        let (heads, refs) = self.reading_refs(who);
        let anchor = self
            .doc()
            .anchor(&self.para(n), quote, &heads)
            .expect("the passage is in the paragraph");
        let body = Body::Comment(Comment {
            draft: self.draft,
            heads,
            anchor: Some(wire_anchor(&anchor)),
            kind,
            text: text.into(),
            suggestion: None,
            parent: None,
        });
        let key = self.people[who].clone();
        self.publish(&key, refs, body)
    }

    /// `who` objects to paragraph `n` as a whole.
    pub fn objection(&mut self, who: usize, n: usize, text: &str) -> EntryId {
        self.comment(who, n, CommentKind::Objection, None, text)
    }

    /// `who` objects to the whole draft (no anchor).
    pub fn draft_objection(&mut self, who: usize, text: &str) -> EntryId {
        self.unanchored(who, None, CommentKind::Objection, text)
    }

    /// `who` replies to `parent`.
    pub fn reply(&mut self, who: usize, parent: EntryId, kind: CommentKind, text: &str) -> EntryId {
        self.unanchored(who, Some(parent), kind, text)
    }

    fn unanchored(
        &mut self,
        who: usize,
        parent: Option<EntryId>,
        kind: CommentKind,
        text: &str,
    ) -> EntryId {
        let (heads, mut refs) = self.reading_refs(who);
        refs.extend(parent);
        let body = Body::Comment(Comment {
            draft: self.draft,
            heads,
            anchor: None,
            kind,
            text: text.into(),
            suggestion: None,
            parent,
        });
        let key = self.people[who].clone();
        self.publish(&key, refs, body)
    }

    /// `who` retracts their comment.
    pub fn retract(&mut self, who: usize, comment: EntryId) -> EntryId {
        let key = self.people[who].clone();
        self.publish(
            &key,
            vec![comment],
            Body::Retraction(Retraction { comment }),
        )
    }

    /// The editor answers a comment.
    pub fn dispose(
        &mut self,
        comment: EntryId,
        value: DispositionValue,
        note: &str,
        revision: Option<EntryId>,
    ) -> EntryId {
        let mut refs = vec![comment];
        refs.extend(revision);
        let body = Body::Disposition(Disposition {
            comment,
            value,
            note: note.into(),
            revision,
        });
        let convener = self.convener.clone();
        self.publish(&convener, refs, body)
    }

    /// `who` proposes `suggestion` for the passage `quote` of paragraph `n` (or, with
    /// `None`, for the whole paragraph).
    pub fn suggest(
        &mut self,
        who: usize,
        n: usize,
        quote: Option<&str>,
        text: &str,
        suggestion: &str,
    ) -> EntryId {
        let (heads, refs) = self.reading_refs(who);
        let anchor = self
            .doc()
            .anchor(&self.para(n), quote, &heads)
            .expect("the passage is in the paragraph");
        let body = Body::Comment(Comment {
            draft: self.draft,
            heads,
            anchor: Some(wire_anchor(&anchor)),
            kind: CommentKind::Suggestion,
            text: text.into(),
            suggestion: Some(suggestion.into()),
            parent: None,
        });
        let key = self.people[who].clone();
        self.publish(&key, refs, body)
    }

    /// `who` rewords their comment (and its suggestion).
    pub fn edit(
        &mut self,
        who: usize,
        comment: EntryId,
        text: &str,
        suggestion: Option<&str>,
    ) -> EntryId {
        let body = Body::CommentEdit(CommentEdit {
            comment,
            text: text.into(),
            suggestion: suggestion.map(str::to_owned),
        });
        let key = self.people[who].clone();
        self.publish(&key, vec![comment], body)
    }

    /// `who` takes a stance on the alternative `comment` carries, at its current wording.
    pub fn alternative_stance(
        &mut self,
        who: usize,
        comment: EntryId,
        value: StanceValue,
        reason: Option<&str>,
    ) -> EntryId {
        let wording = self
            .space
            .comment(&comment)
            .expect("the comment exists")
            .wording_entry();
        let mut refs = vec![comment];
        refs.extend(wording);
        refs.extend(self.space.registration_entry(&self.key(who)));
        let body = Body::AlternativeStance(AlternativeStance {
            comment,
            wording,
            value,
            reason: reason.map(str::to_owned),
        });
        let key = self.people[who].clone();
        self.publish(&key, refs, body)
    }

    /// `who` signs on to `comment`, for themselves or (`coalition`) for the coalition
    /// participant `coalition`, whose latest membership entry about `who` is named.
    pub fn cosign(&mut self, who: usize, comment: EntryId, coalition: Option<usize>) -> EntryId {
        self.sign_on(who, comment, coalition, false)
    }

    /// `who` takes back their sign-on.
    pub fn withdraw_sign_on(&mut self, who: usize, comment: EntryId) -> EntryId {
        self.sign_on(who, comment, None, true)
    }

    fn sign_on(
        &mut self,
        who: usize,
        comment: EntryId,
        coalition: Option<usize>,
        withdrawn: bool,
    ) -> EntryId {
        let me = self.key(who);
        let coalition = coalition.map(|c| self.key(c));
        let mut refs = vec![comment];
        refs.extend(coalition.and_then(|c| self.space.membership_entry(&c, &me)));
        refs.extend(self.space.registration_entry(&me));
        let body = Body::CoSign(CoSign {
            comment,
            coalition,
            withdrawn,
        });
        let key = self.people[who].clone();
        self.publish(&key, refs, body)
    }

    /// Participant `coalition`, as a coalition, admits (or removes) `member`.
    pub fn membership(&mut self, coalition: usize, member: usize, active: bool) -> EntryId {
        let body = Body::Membership(Membership {
            member: self.key(member),
            active,
        });
        let key = self.people[coalition].clone();
        self.publish(&key, vec![], body)
    }

    /// The convener hides a comment.
    pub fn hide(&mut self, comment: EntryId, reason: &str) -> EntryId {
        let body = Body::Moderation(Moderation {
            target: comment,
            hidden: true,
            reason: reason.into(),
        });
        let convener = self.convener.clone();
        self.publish(&convener, vec![comment], body)
    }

    /// The editor records `markdown` as the next revision; returns its entry id.
    pub fn revise(&mut self, markdown: &str) -> EntryId {
        self.device += 1;
        let state = self
            .space
            .draft(&self.draft)
            .expect("the fixture has its draft");
        let heads = state.doc.heads();
        let mut refs = vec![self.draft];
        refs.extend(state.entries_carrying(&heads));
        let mut doc = state.doc.clone();
        let change = doc
            .update(
                actor(&self.convener, self.device),
                markdown,
                Timestamp::from_millis(0),
                "revision",
            )
            .expect("the draft updates")
            .expect("the revision changes the text");
        let body = Body::DraftChange(DraftChange {
            draft: Some(self.draft),
            changes: vec![change.into()],
            message: "revision".into(),
        });
        let convener = self.convener.clone();
        self.publish(&convener, refs, body)
    }
}

/// The reference draft: six paragraphs, the fourth bracketed.
pub const BPF_DRAFT: &str = "# Draft report on cyber capacity

## Findings

Capacity building is a shared responsibility of all stakeholders.

Governments should publish national cybersecurity strategies.

Platforms should be liable for all content their users post.

Encryption must not be weakened [by lawful access mechanisms].

Further research is needed on measuring cyber capacity.

The forum should meet again next year.
";

/// The reference draft after the one revision (paragraph 5 reworded).
pub const BPF_REVISED: &str = "# Draft report on cyber capacity

## Findings

Capacity building is a shared responsibility of all stakeholders.

Governments should publish national cybersecurity strategies.

Platforms should be liable for all content their users post.

Encryption must not be weakened [by lawful access mechanisms].

Further research is needed on measuring and comparing cyber capacity across regions.

The forum should meet again next year.
";

/// Participant numbers of the reference review.
pub mod who {
    pub const G1: usize = 0;
    pub const G2: usize = 1;
    pub const G3: usize = 2;
    pub const C1: usize = 3;
    pub const C2: usize = 4;
    pub const C3: usize = 5;
    pub const R1: usize = 6;
    pub const R2: usize = 7;
    pub const R3: usize = 8;
    pub const T1: usize = 9;
    pub const T2: usize = 10;
    pub const T3: usize = 11;
}

/// The reference review, with the ids the expectations name.
pub struct Bpf {
    pub fixture: Fixture,
    /// The revision that rewords paragraph 5.
    pub revision: EntryId,
    /// R3's objection to ¶1, then "can live with it".
    pub r3_on_1: EntryId,
    /// G3's objection to ¶2, then support.
    pub g3_on_2: EntryId,
    /// R1's objection to ¶2: open.
    pub r1_on_2: EntryId,
    /// R2's "object" stance with a reason on ¶2: open.
    pub r2_stance_on_2: EntryId,
    /// C1's objection to ¶3, declined with a reason: addressed.
    pub c1_on_3: EntryId,
    /// T1's objection to ¶4, retracted.
    pub t1_on_4: EntryId,
    /// G1's objection to a passage of ¶5, accepted with the revision: accommodated.
    pub g1_on_5: EntryId,
    /// G2's "object" stance with a reason on ¶5, before the revision: accommodated.
    pub g2_stance_on_5: EntryId,
}

/// The reference review of `docs/consensus.md` (open policy).
///
/// Twelve participants, three in each of four stakeholder groups — government G1–G3,
/// civil society C1–C3, private sector R1–R3, technical community T1–T3 (T2 declares
/// "academia"; the registrar registers T2 as technical community). Nine are registered;
/// C3, R3 and T3 are not. Their stances fall into three blocs:
///
/// | bloc | members | ¶1 | ¶2 | ¶3 | ¶4 | ¶5 | ¶6 |
/// |---|---|---|---|---|---|---|---|
/// | A | C1 C2 C3 T1 G3 | support | support | object | support | support | — |
/// | B | R1 R2 R3 T2 | accept | object | support | object | support | — |
/// | C | G1 G2 T3 | support | support | support | accept | object | abstain |
pub fn bpf() -> Bpf {
    use who::*;
    let mut f = Fixture::new(Policy::Open, BPF_DRAFT);
    let people = [
        ("Gabriela", "government", "Latin America"),
        ("Gunnar", "government", "Europe"),
        ("Grace", "government", "Africa"),
        ("Chidi", "civil-society", "Africa"),
        ("Chen", "civil-society", "Asia-Pacific"),
        ("Clara", "civil-society", "Europe"),
        ("Rahul", "private-sector", "Asia-Pacific"),
        ("Rosa", "private-sector", "Europe"),
        ("Ryan", "private-sector", "North America"),
        ("Tariq", "technical-community", "Africa"),
        ("Tomoko", "academia", "Asia-Pacific"),
        ("Tiago", "technical-community", "Latin America"),
    ];
    for (name, group, region) in people {
        f.join(name, group, region);
    }
    for w in [G1, G2, G3, C1, C2, R1, R2, T1] {
        let (_, group, region) = people[w];
        f.register(w, group, region);
    }
    f.register(T2, "technical-community", "Asia-Pacific");

    // Objections come first, so that later stances can settle them.
    let r3_on_1 = f.objection(R3, 1, "Too broad: who pays?");
    let g3_on_2 = f.objection(G3, 2, "Not every state can publish its strategy.");
    let r1_on_2 = f.objection(R1, 2, "Strategies are a national prerogative.");
    let c1_on_3 = f.objection(C1, 3, "Liability for all content leads to over-removal.");
    let t1_on_4 = f.objection(T1, 4, "Brackets should go.");
    let g1_on_5 = f.comment(
        G1,
        5,
        CommentKind::Objection,
        Some("measuring cyber capacity"),
        "Measuring is not enough; compare across regions.",
    );

    use StanceValue::{Abstain as B, Accept as A, Object as O, Support as S};
    let bloc_a = [S, S, O, S, S];
    let bloc_b = [A, O, S, O, S];
    let bloc_c = [S, S, S, A, O];
    let mut r2_stance_on_2 = None;
    let mut g2_stance_on_5 = None;
    for (members, stances) in [
        (&[C1, C2, C3, T1, G3][..], bloc_a),
        (&[R1, R2, R3, T2][..], bloc_b),
        (&[G1, G2, T3][..], bloc_c),
    ] {
        for &w in members {
            for (i, &value) in stances.iter().enumerate() {
                let n = i + 1;
                let reason = match (w, n) {
                    (R2, 2) => Some("Publication could expose vulnerabilities."),
                    (G2, 5) => Some("Research without comparison is of little use."),
                    _ => None,
                };
                let id = f.stance(w, n, value, reason);
                match (w, n) {
                    (R2, 2) => r2_stance_on_2 = Some(id),
                    (G2, 5) => g2_stance_on_5 = Some(id),
                    _ => {}
                }
            }
        }
    }
    for w in [G1, G2, T3] {
        f.stance(w, 6, B, None);
    }
    f.retract(T1, t1_on_4);
    let revision = f.revise(BPF_REVISED);
    f.dispose(
        g1_on_5,
        DispositionValue::Accepted,
        "Reworded.",
        Some(revision),
    );
    f.dispose(
        c1_on_3,
        DispositionValue::Declined,
        "The report describes proposals heard; liability is attributed to its proponents.",
        None,
    );
    Bpf {
        fixture: f,
        revision,
        r3_on_1,
        g3_on_2,
        r1_on_2,
        r2_stance_on_2: r2_stance_on_2.expect("R2 takes a stance on ¶2"),
        c1_on_3,
        t1_on_4,
        g1_on_5,
        g2_stance_on_5: g2_stance_on_5.expect("G2 takes a stance on ¶5"),
    }
}
