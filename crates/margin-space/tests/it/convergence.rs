//! Whatever order entries arrive in, and however often, every node reaches the same
//! space state: a property test over generated review histories.

use margin_core::prelude::*;
use margin_draft::Draft;
use margin_space::{Space, Verdict};
use proptest::prelude::*;

const V1: &str = "# Report\n\nAlpha beta gamma delta.\n\nEpsilon zeta eta theta.\n\n- Iota kappa.\n- Lambda mu.\n";

/// One thing a participant does.
#[derive(Clone, Debug)]
enum Action {
    Comment {
        who: usize,
        para: usize,
        quote: bool,
        kind: u8,
    },
    Reply {
        who: usize,
        to: usize,
    },
    Stance {
        who: usize,
        para: usize,
        value: u8,
    },
    Edit {
        of: usize,
    },
    Retract {
        of: usize,
    },
    /// The author (or, `forged`, someone else) asks for a comment's text to be erased.
    Erase {
        of: usize,
        forged: bool,
    },
    Dispose {
        of: usize,
        value: u8,
    },
    Revise {
        editor: usize,
        para: usize,
        word: usize,
        stale: bool,
    },
    Tag {
        name: u8,
    },
    GrantEditor,
    /// A participant signs on to a comment (for coalition key 3 when `coalition`).
    CoSign {
        who: usize,
        of: usize,
        coalition: bool,
        withdrawn: bool,
    },
    /// Key 3, as a coalition, admits or removes a member.
    Member {
        member: usize,
        active: bool,
    },
    /// A stance on the alternative a comment carries, at its current wording or (`stale`)
    /// as first posted.
    AlternativeStance {
        who: usize,
        of: usize,
        value: u8,
        stale: bool,
    },
    /// A participant tries to revise the draft (always refused).
    Forbidden {
        who: usize,
    },
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => (1..4usize, 0..4usize, any::<bool>(), 0..4u8).prop_map(|(who, para, quote, kind)| Action::Comment { who, para, quote, kind }),
        2 => (0..4usize, 0..8usize).prop_map(|(who, to)| Action::Reply { who, to }),
        3 => (1..4usize, 0..4usize, 0..4u8).prop_map(|(who, para, value)| Action::Stance { who, para, value }),
        1 => (0..8usize).prop_map(|of| Action::Edit { of }),
        1 => (0..8usize).prop_map(|of| Action::Retract { of }),
        1 => (0..8usize, any::<bool>()).prop_map(|(of, forged)| Action::Erase { of, forged }),
        2 => (0..8usize, 0..4u8).prop_map(|(of, value)| Action::Dispose { of, value }),
        3 => (0..2usize, 0..4usize, 0..5usize, any::<bool>()).prop_map(|(editor, para, word, stale)| Action::Revise { editor, para, word, stale }),
        1 => (0..3u8).prop_map(|name| Action::Tag { name }),
        1 => Just(Action::GrantEditor),
        1 => (1..4usize).prop_map(|who| Action::Forbidden { who }),
        2 => (0..4usize, 0..8usize, any::<bool>(), any::<bool>()).prop_map(|(who, of, coalition, withdrawn)| Action::CoSign { who, of, coalition, withdrawn }),
        1 => (0..3usize, any::<bool>()).prop_map(|(member, active)| Action::Member { member, active }),
        2 => (0..4usize, 0..8usize, 0..4u8, any::<bool>()).prop_map(|(who, of, value, stale)| Action::AlternativeStance { who, of, value, stale }),
    ]
}

struct Builder {
    keys: Vec<SigningKey>,
    space: Space,
    entries: Vec<Entry>,
    draft: EntryId,
    comments: Vec<(EntryId, usize)>,
    /// Draft heads seen earlier, for concurrent (stale) revisions.
    old_heads: Vec<Vec<[u8; 32]>>,
    time: u64,
}

/// An actor id for `key`. Each revision here gets its own device tag: a home never makes
/// two changes with the same actor and sequence number, as these forks would.
fn actor(key: &SigningKey, device: u64) -> automerge::ActorId {
    let mut bytes = key.public().as_bytes().to_vec();
    bytes.extend_from_slice(&device.to_le_bytes());
    automerge::ActorId::from(bytes)
}

impl Builder {
    fn new() -> Builder {
        let keys: Vec<SigningKey> = (1..=4).map(|i| SigningKey::from_seed([i; 32])).collect();
        let charter = Body::Charter(Charter {
            title: "Convergence".into(),
            policy: Policy::Open,
            opens: None,
            closes: None,
            conveners: vec![keys[0].public()],
            editors: vec![keys[0].public()],
            registrars: vec![],
            stakeholder_groups: vec![],
            nonce: 0,
        });
        let genesis =
            Entry::sign(&keys[0], None, Timestamp::from_millis(1), vec![], &charter).unwrap();
        let space = Space::new(genesis.clone()).unwrap();
        let mut b = Builder {
            keys,
            space,
            entries: vec![genesis],
            draft: EntryId([0; 32]),
            comments: vec![],
            old_heads: vec![],
            time: 2,
        };
        let (_, change) = Draft::import(
            actor(&b.keys[0], 0),
            V1,
            None,
            Timestamp::from_millis(2),
            "v1",
        )
        .unwrap();
        let body = Body::DraftChange(DraftChange {
            draft: None,
            changes: vec![change.into()],
            message: "v1".into(),
        });
        b.draft = b.publish(0, vec![], body).expect("import is valid");
        b
    }

    fn publish(&mut self, who: usize, mut refs: Vec<EntryId>, body: Body) -> Option<EntryId> {
        refs.extend(self.space.charter_heads());
        self.time += 1;
        let entry = Entry::sign(
            &self.keys[who],
            Some(self.space.id()),
            Timestamp::from_millis(self.time),
            refs,
            &body,
        )
        .unwrap();
        let id = entry.id();
        let verdict = self.space.apply(entry.clone()).remove(0).1;
        self.entries.push(entry);
        (verdict == Verdict::Accepted).then_some(id)
    }

    fn paras(&self) -> Vec<ParaId> {
        let d = self.space.draft(&self.draft).unwrap();
        d.doc
            .view(None)
            .unwrap()
            .sections
            .into_iter()
            .flat_map(|s| s.paragraphs)
            .map(|p| p.id)
            .collect()
    }

    fn draft_refs(&self, heads: &[[u8; 32]]) -> Vec<EntryId> {
        let d = self.space.draft(&self.draft).unwrap();
        let mut refs = vec![self.draft];
        refs.extend(d.entries_carrying(heads));
        refs
    }

    fn act(&mut self, a: &Action) {
        let draft = self.space.draft(&self.draft).unwrap();
        let heads = draft.doc.heads();
        let paras = self.paras();
        let comment = |i: usize, c: &Vec<(EntryId, usize)>| (!c.is_empty()).then(|| c[i % c.len()]);
        match *a {
            Action::Comment {
                who,
                para,
                quote,
                kind,
            } => {
                let pid = &paras[para % paras.len()];
                let text = draft.doc.paragraph_text(pid, None).unwrap().unwrap();
                let q = quote.then(|| text.split(' ').next().unwrap().to_owned());
                let anchor = draft.doc.anchor(pid, q.as_deref(), &heads).unwrap();
                let body = Body::Comment(Comment {
                    draft: self.draft,
                    heads: heads.clone(),
                    anchor: Some(margin_space::view::wire_anchor(&anchor)),
                    kind: [
                        CommentKind::Comment,
                        CommentKind::Question,
                        CommentKind::Suggestion,
                        CommentKind::Objection,
                    ][kind as usize],
                    text: format!("comment {}", self.time),
                    suggestion: (kind == 2).then(|| format!("alternative {}", self.time)),
                    parent: None,
                });
                if let Some(id) = self.publish(who, self.draft_refs(&heads), body) {
                    self.comments.push((id, who));
                }
            }
            Action::Reply { who, to } => {
                if let Some((parent, _)) = comment(to, &self.comments) {
                    let mut refs = self.draft_refs(&heads);
                    refs.push(parent);
                    let body = Body::Comment(Comment {
                        draft: self.draft,
                        heads,
                        anchor: None,
                        kind: CommentKind::Comment,
                        text: format!("reply {}", self.time),
                        suggestion: None,
                        parent: Some(parent),
                    });
                    if let Some(id) = self.publish(who, refs, body) {
                        self.comments.push((id, who));
                    }
                }
            }
            Action::Stance { who, para, value } => {
                let body = Body::Stance(Stance {
                    draft: self.draft,
                    para: paras[para % paras.len()].clone(),
                    heads: heads.clone(),
                    value: [
                        StanceValue::Support,
                        StanceValue::Accept,
                        StanceValue::Object,
                        StanceValue::Abstain,
                    ][value as usize],
                    reason: None,
                });
                self.publish(who, self.draft_refs(&heads), body);
            }
            Action::Edit { of } => {
                if let Some((id, author)) = comment(of, &self.comments) {
                    let body = Body::CommentEdit(CommentEdit {
                        comment: id,
                        text: format!("edited {}", self.time),
                        suggestion: self
                            .time
                            .is_multiple_of(2)
                            .then(|| format!("reworded {}", self.time)),
                    });
                    self.publish(author, vec![id], body);
                }
            }
            Action::Retract { of } => {
                if let Some((id, author)) = comment(of, &self.comments) {
                    self.publish(
                        author,
                        vec![id],
                        Body::Retraction(Retraction { comment: id }),
                    );
                }
            }
            Action::Erase { of, forged } => {
                if let Some((id, author)) = comment(of, &self.comments) {
                    let who = if forged { (author + 1) % 4 } else { author };
                    self.publish(who, vec![], Body::Erasure(Erasure { comment: id }));
                }
            }
            Action::Dispose { of, value } => {
                if let Some((id, _)) = comment(of, &self.comments) {
                    let value = [
                        DispositionValue::Accepted,
                        DispositionValue::Partly,
                        DispositionValue::Declined,
                        DispositionValue::Noted,
                    ][value as usize];
                    let body = Body::Disposition(Disposition {
                        comment: id,
                        value,
                        note: format!("n{}", self.time),
                        revision: None,
                    });
                    self.publish(0, vec![id], body);
                }
            }
            Action::Revise {
                editor,
                para,
                word,
                stale,
            } => {
                let base = if stale && !self.old_heads.is_empty() {
                    self.old_heads[0].clone()
                } else {
                    heads.clone()
                };
                // Revise a copy of the draft as it was at `base`: a stale base makes the
                // revision concurrent with the ones made since.
                let doc = &draft.doc;
                let at_base: Vec<Vec<u8>> = doc
                    .log()
                    .into_iter()
                    .filter(|i| is_ancestor(doc, &base, &i.hash))
                    .map(|i| doc.change_bytes(&i.hash).unwrap())
                    .collect();
                let mut fork = Draft::empty();
                fork.apply(&at_base).unwrap();
                let md = fork.render_markdown(None).unwrap();
                let lines: Vec<&str> = md
                    .lines()
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .collect();
                let line = lines[para % lines.len()].to_owned();
                let mut words: Vec<String> = line.split(' ').map(str::to_owned).collect();
                let w = word % words.len();
                words[w] = format!("w{}", self.time);
                let new_md = md.replacen(&line, &words.join(" "), 1);
                let can_edit = self
                    .space
                    .clone()
                    .charter()
                    .has(Role::Editor, &self.keys[1].public());
                let who = if editor == 1 && can_edit { 1 } else { 0 };
                let Some(change) = fork
                    .update(
                        actor(&self.keys[who], self.time),
                        &new_md,
                        Timestamp::from_millis(self.time),
                        "rev",
                    )
                    .unwrap()
                else {
                    return;
                };
                let body = Body::DraftChange(DraftChange {
                    draft: Some(self.draft),
                    changes: vec![change.into()],
                    message: "rev".into(),
                });
                self.old_heads.push(heads);
                self.publish(who, self.draft_refs(&base), body);
            }
            Action::Tag { name } => {
                let body = Body::VersionTag(VersionTag {
                    draft: self.draft,
                    name: format!("v{name}"),
                    heads: heads.clone(),
                });
                self.publish(0, self.draft_refs(&heads), body);
            }
            Action::GrantEditor => {
                let body = Body::CharterAmendment(CharterAmendment {
                    changes: vec![CharterChange::Grant {
                        role: Role::Editor,
                        key: self.keys[1].public(),
                    }],
                });
                self.publish(0, vec![], body);
            }
            Action::CoSign {
                who,
                of,
                coalition,
                withdrawn,
            } => {
                if let Some((id, _)) = comment(of, &self.comments) {
                    let coalition_key = self.keys[3].public();
                    let me = self.keys[who].public();
                    let mut refs = vec![id];
                    refs.extend(
                        coalition
                            .then(|| self.space.membership_entry(&coalition_key, &me))
                            .flatten(),
                    );
                    let body = Body::CoSign(CoSign {
                        comment: id,
                        coalition: coalition.then_some(coalition_key),
                        withdrawn,
                    });
                    // Refused when signing one's own comment, or for a coalition one is
                    // not an active member of.
                    self.publish(who, refs, body);
                }
            }
            Action::Member { member, active } => {
                let body = Body::Membership(Membership {
                    member: self.keys[member].public(),
                    active,
                });
                self.publish(3, vec![], body);
            }
            Action::AlternativeStance {
                who,
                of,
                value,
                stale,
            } => {
                if let Some((id, _)) = comment(of, &self.comments) {
                    let wording = if stale {
                        None
                    } else {
                        self.space.comment(&id).and_then(|c| c.wording_entry())
                    };
                    let mut refs = vec![id];
                    refs.extend(wording);
                    let body = Body::AlternativeStance(AlternativeStance {
                        comment: id,
                        wording,
                        value: [
                            StanceValue::Support,
                            StanceValue::Accept,
                            StanceValue::Object,
                            StanceValue::Abstain,
                        ][value as usize],
                        reason: None,
                    });
                    // Refused when that wording carries no alternative.
                    self.publish(who, refs, body);
                }
            }
            Action::Forbidden { who } => {
                let mut doc = draft.doc.clone();
                if let Some(change) = doc
                    .update(
                        actor(&self.keys[who], self.time),
                        "# Hijacked\n\nNew text here.\n",
                        Timestamp::from_millis(self.time),
                        "x",
                    )
                    .unwrap()
                {
                    let body = Body::DraftChange(DraftChange {
                        draft: Some(self.draft),
                        changes: vec![change.into()],
                        message: "x".into(),
                    });
                    let accepted = self.publish(who, self.draft_refs(&heads), body);
                    let is_editor = self
                        .space
                        .clone()
                        .charter()
                        .has(Role::Editor, &self.keys[who].public());
                    assert_eq!(accepted.is_some(), is_editor);
                }
            }
        }
    }
}

/// Whether `hash` is `base` or one of its ancestors in `doc`.
fn is_ancestor(doc: &Draft, base: &[[u8; 32]], hash: &[u8; 32]) -> bool {
    let log = doc.log();
    let mut stack: Vec<[u8; 32]> = base.to_vec();
    let mut seen = std::collections::HashSet::new();
    while let Some(h) = stack.pop() {
        if &h == hash {
            return true;
        }
        if seen.insert(h)
            && let Some(info) = log.iter().find(|i| i.hash == h)
        {
            stack.extend(info.deps.iter().copied());
        }
    }
    false
}

fn replay(entries: &[Entry], order: &[usize]) -> (String, Vec<EntryId>) {
    let mut space = Space::new(entries[0].clone()).unwrap();
    for &i in order {
        space.apply(entries[i].clone());
    }
    assert_eq!(space.pending_count(), 0, "nothing is left waiting");
    let mut accepted = space.order().to_vec();
    accepted.sort();
    (space.digest(), accepted)
}

fn scenario() -> impl Strategy<Value = (Vec<Action>, Vec<usize>, Vec<usize>)> {
    proptest::collection::vec(action(), 5..30).prop_flat_map(|actions| {
        // Up to 2 entries per action plus the import: generous bounds for the order.
        let n = actions.len() + 2;
        let order = Just((0..64usize).collect::<Vec<_>>()).prop_shuffle();
        let dups = proptest::collection::vec(0..n, 0..10);
        (Just(actions), order, dups)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn any_order_with_duplicates_gives_the_same_state((actions, order, dups) in scenario()) {
        let mut b = Builder::new();
        for a in &actions {
            b.act(a);
        }
        let reference = (b.space.digest(), {
            let mut ids = b.space.order().to_vec();
            ids.sort();
            ids
        });
        let n = b.entries.len();
        let mut shuffled: Vec<usize> = order.into_iter().filter(|&i| i < n).collect();
        // Indices past 64 (long histories) keep their place at the end.
        shuffled.extend(64..n);
        for d in dups {
            let at = d % (shuffled.len() + 1);
            shuffled.insert(at, d % n);
        }
        let replayed = replay(&b.entries, &shuffled);
        prop_assert_eq!(&replayed.1, &reference.1, "different entries accepted");
        prop_assert_eq!(&replayed.0, &reference.0, "different state digest");
        // A newcomer that receives only the stubs of what was erased reaches the same
        // state as a node that held the text.
        let erased: std::collections::HashSet<EntryId> =
            b.space.take_erased_entries().into_iter().collect();
        let with_stubs: Vec<Entry> = b
            .entries
            .iter()
            .map(|e| match e.stub() {
                Some(stub) if erased.contains(&e.id()) => stub,
                _ => e.clone(),
            })
            .collect();
        let from_stubs = replay(&with_stubs, &shuffled);
        prop_assert_eq!(&from_stubs.1, &reference.1, "different entries accepted from stubs");
        prop_assert_eq!(&from_stubs.0, &reference.0, "different state digest from stubs");
    }
}
