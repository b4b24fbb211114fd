//! The state machine: entries in, verdicts out.

use std::collections::{BTreeMap, HashMap, HashSet};

use margin_core::body::*;
use margin_core::entry::{Entry, Kind};
use margin_core::id::{DraftId, EntryId, SpaceId};
use margin_core::key::PublicKey;
use margin_core::limits::CLOCK_SKEW_MS;
use margin_core::{ParaId, Timestamp};
use margin_draft::Draft;
use serde::{Deserialize, Serialize};

use crate::charter::{CharterHistory, CharterState};
use crate::comment::{CommentState, DispositionState, ErasedComment, Stamped, Wording};
use crate::draft::{DraftState, Revision};
use crate::error::Rejection;
use crate::people::{Device, People};

/// How many entries may wait for missing refs before more are turned away.
pub const MAX_PENDING: usize = 10_000;

/// How many bytes of entries may wait for missing refs in one space. A draft change may
/// be megabytes: without a bound in bytes, 10 000 of them waiting would be tens of
/// gigabytes written and reloaded at every start.
pub const MAX_PENDING_BYTES: usize = 32 * 1024 * 1024;

/// The largest entry that may wait for its refs when its author is not known in the
/// space yet (no entry of theirs accepted, no role in the charter): profiles, comments,
/// stances wait; a stranger's large entry is not kept, and sync fetches it again once
/// what it refers to is here.
pub const MAX_STRANGER_WAITING_BYTES: usize = 8 * 1024;

/// What a space made of one entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Valid and now part of the state.
    Accepted,
    /// Already part of the state (or already waiting).
    Duplicate,
    /// Waiting for these refs.
    Pending { missing: Vec<EntryId> },
    /// The pending set is full; the entry was not kept and may be offered again later.
    Dropped,
    /// Not valid, for this reason; never counted.
    Rejected(Rejection),
}

/// What is kept of an accepted entry.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Accepted {
    #[serde(with = "crate::snapshot::kind_byte")]
    pub kind: Kind,
    pub author: PublicKey,
    pub time: Timestamp,
}

/// The latest registration of a participant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationState {
    pub stakeholder: String,
    pub region: String,
}

/// Key of a stance: who, on which draft and paragraph.
pub type StanceKey = (DraftId, ParaId, PublicKey);
/// Key of a sign-on: which comment, which signer.
pub type CoSignKey = (EntryId, PublicKey);
/// Key of a membership: which coalition, which member.
pub type MembershipKey = (PublicKey, PublicKey);
/// Key of a stance on an alternative wording: which comment, who.
pub type AlternativeKey = (EntryId, PublicKey);

/// A comment an entry names: still with its text, or erased by its author.
#[derive(Clone, Copy, Debug)]
enum CommentRef<'a> {
    Live(&'a CommentState),
    Erased(&'a ErasedComment),
}

impl CommentRef<'_> {
    fn id(&self) -> EntryId {
        match self {
            CommentRef::Live(c) => c.id,
            CommentRef::Erased(e) => e.id,
        }
    }
    fn author(&self) -> PublicKey {
        match self {
            CommentRef::Live(c) => c.author,
            CommentRef::Erased(e) => e.author,
        }
    }
    fn draft(&self) -> EntryId {
        match self {
            CommentRef::Live(c) => c.body.draft,
            CommentRef::Erased(e) => e.draft,
        }
    }
    /// Whether the comment as first posted carries an alternative wording.
    fn alternative(&self) -> bool {
        match self {
            CommentRef::Live(c) => has_alternative(&c.body.suggestion),
            CommentRef::Erased(e) => e.alternative,
        }
    }
}

/// What a `Membership` entry says, kept to check the sign-ons that name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MembershipFact {
    pub coalition: PublicKey,
    pub member: PublicKey,
    pub active: bool,
}

/// The state of one review space.
///
/// It is saved whole as a snapshot ([`Space::save`], [`Space::restore`]), except for
/// what a node reads again from its store at each load: the entries waiting for their
/// refs, and refusals (a replay from the store does not have those either).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Space {
    id: SpaceId,
    pub(crate) accepted: HashMap<EntryId, Accepted>,
    /// Accepted entries in acceptance order (causes before effects).
    pub(crate) order: Vec<EntryId>,
    /// The latest date among each author's accepted entries.
    latest_by_author: HashMap<PublicKey, Timestamp>,
    pub(crate) charter: CharterHistory,
    pub(crate) profiles: BTreeMap<PublicKey, Stamped<Profile>>,
    pub(crate) registrations: BTreeMap<PublicKey, Stamped<RegistrationState>>,
    pub(crate) registration_entries: HashMap<EntryId, PublicKey>,
    pub(crate) drafts: BTreeMap<DraftId, DraftState>,
    pub(crate) comments: BTreeMap<EntryId, CommentState>,
    /// Comments whose author had their text erased: no longer among `comments`.
    pub(crate) erased: BTreeMap<EntryId, ErasedComment>,
    /// Erasures by comment, by author: an erasure may come before the comment it names,
    /// and takes effect only on a comment by its own author.
    erasures: HashMap<EntryId, BTreeMap<PublicKey, EntryId>>,
    /// Accepted entries whose text was erased since the caller last asked
    /// ([`Space::take_erased_entries`]): the store keeps only their stubs.
    to_strip: Vec<EntryId>,
    pub(crate) stances: Ledger<StanceKey, Stance>,
    pub(crate) hidden: BTreeMap<EntryId, Stamped<Moderation>>,
    /// Every accepted comment edit: the comment it edits and whether its wording carries
    /// an alternative (for stances on alternatives that name it).
    pub(crate) edits: HashMap<EntryId, (EntryId, bool)>,
    pub(crate) cosigns: Ledger<CoSignKey, CoSign>,
    pub(crate) memberships: BTreeMap<MembershipKey, Stamped<bool>>,
    pub(crate) membership_entries: HashMap<EntryId, MembershipFact>,
    pub(crate) alternative_stances: Ledger<AlternativeKey, AlternativeStance>,
    #[serde(skip)]
    pending: HashMap<EntryId, Entry>,
    /// Their bytes, together.
    #[serde(skip)]
    pending_bytes: usize,
    #[serde(skip)]
    waiting_for: HashMap<EntryId, Vec<EntryId>>,
    #[serde(skip)]
    rejected: HashMap<EntryId, Rejection>,
    /// Accepted entries that need a role, with the charter version they name: what they
    /// do is decided again when the charter's resolution changes.
    #[serde(with = "crate::snapshot::entries_with_refs")]
    role_entries: Vec<(Entry, Vec<EntryId>)>,
    /// Accepted entries that take no effect, and why (a revoked role).
    void: BTreeMap<EntryId, String>,
    /// Which keys are one person's.
    people: People,
}

impl Space {
    /// Starts a space from its genesis charter.
    pub fn new(genesis: Entry) -> Result<Space, Rejection> {
        let Some(Body::Charter(charter)) = genesis.body() else {
            return Err(Rejection::NotGenesis(genesis.kind().name()));
        };
        if genesis.space().is_some() {
            return Err(Rejection::NotGenesis(genesis.kind().name()));
        }
        if !charter.conveners.contains(&genesis.author()) {
            return Err(Rejection::GenesisNotByConvener);
        }
        let id = genesis.id();
        let mut accepted = HashMap::new();
        accepted.insert(
            id,
            Accepted {
                kind: Kind::Charter,
                author: genesis.author(),
                time: genesis.time(),
            },
        );
        Ok(Space {
            id,
            accepted,
            order: vec![id],
            latest_by_author: HashMap::from([(genesis.author(), genesis.time())]),
            charter: CharterHistory::new(id, genesis.time(), genesis.author(), charter),
            profiles: BTreeMap::new(),
            registrations: BTreeMap::new(),
            registration_entries: HashMap::new(),
            drafts: BTreeMap::new(),
            comments: BTreeMap::new(),
            erased: BTreeMap::new(),
            erasures: HashMap::new(),
            to_strip: Vec::new(),
            stances: Ledger::default(),
            hidden: BTreeMap::new(),
            edits: HashMap::new(),
            cosigns: Ledger::default(),
            memberships: BTreeMap::new(),
            membership_entries: HashMap::new(),
            alternative_stances: Ledger::default(),
            pending: HashMap::new(),
            pending_bytes: 0,
            waiting_for: HashMap::new(),
            rejected: HashMap::new(),
            role_entries: Vec::new(),
            void: BTreeMap::new(),
            people: People::default(),
        })
    }

    pub fn id(&self) -> SpaceId {
        self.id
    }

    /// Applies an entry. The first decision is the entry's own; the rest are entries that
    /// were waiting for it and have now been decided. Each entry is handed back with its
    /// verdict, so the caller can store what was accepted.
    pub fn apply(&mut self, entry: Entry) -> Vec<(Entry, Verdict)> {
        let mut out = vec![];
        let mut queue = vec![entry];
        while let Some(entry) = queue.pop() {
            let id = entry.id();
            let verdict = self.decide(&entry);
            if matches!(verdict, Verdict::Accepted | Verdict::Rejected(_)) {
                // Release whatever was waiting for this entry.
                for waiting in self.waiting_for.remove(&id).unwrap_or_default() {
                    if let Some(e) = self.pending.remove(&waiting) {
                        self.pending_bytes -= e.bytes().len();
                        queue.push(e);
                    }
                }
            }
            out.push((entry, verdict));
        }
        out
    }

    fn decide(&mut self, entry: &Entry) -> Verdict {
        let id = entry.id();
        if self.accepted.contains_key(&id) || self.pending.contains_key(&id) {
            return Verdict::Duplicate;
        }
        if let Some(reason) = self.rejected.get(&id) {
            return Verdict::Rejected(reason.clone());
        }
        if entry.space() != Some(self.id) {
            return self.reject(id, Rejection::WrongSpace);
        }
        if let Some(bad) = entry.refs().iter().find(|r| self.rejected.contains_key(r)) {
            return self.reject(id, Rejection::RefRejected(*bad));
        }
        let missing: Vec<EntryId> = entry
            .refs()
            .iter()
            .filter(|r| !self.accepted.contains_key(r))
            .copied()
            .collect();
        if !missing.is_empty() {
            let len = entry.bytes().len();
            if self.pending.len() >= MAX_PENDING
                || self.pending_bytes + len > MAX_PENDING_BYTES
                || (len > MAX_STRANGER_WAITING_BYTES && !self.is_known(&entry.author()))
            {
                return Verdict::Dropped;
            }
            for m in &missing {
                self.waiting_for.entry(*m).or_default().push(id);
            }
            self.pending_bytes += len;
            self.pending.insert(id, entry.clone());
            return Verdict::Pending { missing };
        }
        match self.validate_and_apply(entry) {
            Ok(()) => {
                self.accepted.insert(
                    id,
                    Accepted {
                        kind: entry.kind(),
                        author: entry.author(),
                        time: entry.time(),
                    },
                );
                self.order.push(id);
                let latest = self.latest_by_author.entry(entry.author()).or_default();
                *latest = (*latest).max(entry.time());
                Verdict::Accepted
            }
            Err(reason) => self.reject(id, reason),
        }
    }

    /// Whether `key` is known in the space: an entry of theirs was accepted, or the
    /// charter gives them a role.
    fn is_known(&self, key: &PublicKey) -> bool {
        self.latest_by_author.contains_key(key)
            || Role::ALL.iter().any(|role| self.charter().has(*role, key))
    }

    fn reject(&mut self, id: EntryId, reason: Rejection) -> Verdict {
        self.rejected.insert(id, reason.clone());
        Verdict::Rejected(reason)
    }

    /// Checks an entry whose refs are all accepted, and applies it if valid. Nothing is
    /// changed when it is refused.
    fn validate_and_apply(&mut self, entry: &Entry) -> Result<(), Rejection> {
        let refs = entry.refs();
        // Dated by its author's clock, which may lag a little behind the clocks of the
        // entries it names; never by much.
        let latest = entry.time().saturating_add_millis(CLOCK_SKEW_MS);
        if refs
            .iter()
            .any(|r| self.accepted.get(r).is_some_and(|a| a.time > latest))
        {
            return Err(Rejection::OlderThanRef);
        }
        let charter_refs = self.charter.charter_refs(refs);
        if charter_refs.is_empty() {
            return Err(Rejection::NoCharter);
        }
        let charter = self.charter.version(&charter_refs);
        let author = entry.author();
        let Some(body) = entry.body() else {
            return self.apply_stub(entry);
        };
        match body {
            Body::Charter(_) => Err(Rejection::NotGenesis("charter")),
            Body::CharterAmendment(a) => {
                if !charter.has(Role::Convener, &author) {
                    return Err(Rejection::NotConvener("amend the charter"));
                }
                let mut next = charter.clone();
                next.amend(a);
                if next.conveners.is_empty() {
                    return Err(Rejection::NoConvenerLeft);
                }
                let before = self.charter.resolution().clone();
                self.charter
                    .add(entry.id(), entry.time(), author, charter_refs, a.clone());
                if *self.charter.resolution() != before {
                    // A revocation may void what was signed concurrently with it or
                    // after it: what role entries do is decided again.
                    self.redo_role_effects();
                }
                Ok(())
            }
            Body::Profile(p) => {
                self.check_registered(&charter, entry)?;
                let stamped = Stamped {
                    entry: entry.id(),
                    author,
                    time: entry.time(),
                    value: p.clone(),
                };
                keep_latest_in(&mut self.profiles, author, stamped);
                Ok(())
            }
            Body::Registration(r) => {
                if !charter.has(Role::Registrar, &author) {
                    return Err(Rejection::NotRegistrar);
                }
                // What entries may name (acceptance), whatever its effect.
                self.registration_entries.insert(entry.id(), r.participant);
                self.accept_role_entry(entry, &charter_refs);
                Ok(())
            }
            Body::DraftChange(c) => self.apply_draft_change(entry, &charter, c),
            Body::VersionTag(t) => {
                require_editor(&charter, &author, "tag a version")?;
                let draft = self.draft_in_refs(t.draft, refs)?;
                if !draft.carried_by(&t.heads, refs) {
                    return Err(Rejection::UnknownHeads);
                }
                self.accept_role_entry(entry, &charter_refs);
                Ok(())
            }
            Body::Comment(c) => {
                self.check_participation(&charter, entry)?;
                let draft = self.draft_in_refs(c.draft, refs)?;
                if !draft.carried_by(&c.heads, refs) || c.heads.is_empty() {
                    return Err(Rejection::UnknownHeads);
                }
                if let Some(anchor) = &c.anchor {
                    check_paragraph(draft, &anchor.para, &c.heads)?;
                }
                if let Some(parent) = c.parent {
                    let parent = self.comment_in_refs(parent, refs)?;
                    if parent.draft() != c.draft {
                        return Err(Rejection::OtherDraft(parent.id()));
                    }
                }
                let id = entry.id();
                if let Some(erasure) = self.erasure_by(&id, &author) {
                    // Its author asked for its text to be erased before it came here.
                    self.erased.insert(
                        id,
                        ErasedComment {
                            id,
                            author,
                            time: entry.time(),
                            draft: c.draft,
                            alternative: has_alternative(&c.suggestion),
                            erasure: Some(erasure),
                        },
                    );
                    self.to_strip.push(id);
                } else {
                    self.comments
                        .insert(id, CommentState::new(id, author, entry.time(), c.clone()));
                }
                Ok(())
            }
            Body::CommentEdit(e) => {
                let comment = self.comment_in_refs(e.comment, refs)?;
                if comment.author() != author {
                    return Err(Rejection::NotAuthor("edit"));
                }
                charter.check_period(entry.time())?;
                if let CommentRef::Erased(_) = comment {
                    // An edit of an erased comment: its text goes too.
                    self.edits
                        .insert(entry.id(), (e.comment, has_alternative(&e.suggestion)));
                    self.to_strip.push(entry.id());
                    return Ok(());
                }
                let value = Wording {
                    text: e.text.clone(),
                    suggestion: e.suggestion.clone(),
                };
                self.edits
                    .insert(entry.id(), (e.comment, has_alternative(&e.suggestion)));
                let stamped = Stamped {
                    entry: entry.id(),
                    author,
                    time: entry.time(),
                    value,
                };
                let comment = self.comment_mut(e.comment)?;
                stamped.keep_latest(&mut comment.edit);
                Ok(())
            }
            Body::Retraction(r) => {
                let comment = self.comment_in_refs(r.comment, refs)?;
                if comment.author() != author {
                    return Err(Rejection::NotAuthor("retract"));
                }
                if let CommentRef::Erased(_) = comment {
                    return Ok(());
                }
                let comment = self.comment_mut(r.comment)?;
                // Retraction is final; keep the smallest id so every node names the same one.
                comment.retracted =
                    Some(comment.retracted.map_or(entry.id(), |r| r.min(entry.id())));
                Ok(())
            }
            Body::Erasure(e) => {
                self.apply_erasure(entry.id(), author, e.comment);
                Ok(())
            }
            Body::Stance(s) => {
                self.check_participation(&charter, entry)?;
                let draft = self.draft_in_refs(s.draft, refs)?;
                if !draft.carried_by(&s.heads, refs) || s.heads.is_empty() {
                    return Err(Rejection::UnknownHeads);
                }
                check_paragraph(draft, &s.para, &s.heads)?;
                let key = (s.draft, s.para.clone(), author);
                let stamped = Stamped {
                    entry: entry.id(),
                    author,
                    time: entry.time(),
                    value: s.clone(),
                };
                self.stances.keep(key, stamped);
                Ok(())
            }
            Body::Disposition(d) => {
                require_editor(&charter, &author, "dispose of comments")?;
                self.comment_in_refs(d.comment, refs)?;
                self.accept_role_entry(entry, &charter_refs);
                Ok(())
            }
            Body::Reattach(r) => {
                require_editor(&charter, &author, "re-attach comments")?;
                let draft_id = self.comment_in_refs(r.comment, refs)?.draft();
                let draft = self.draft_in_refs(draft_id, refs)?;
                if !draft.carried_by(&r.heads, refs) || r.heads.is_empty() {
                    return Err(Rejection::UnknownHeads);
                }
                check_paragraph(draft, &r.anchor.para, &r.heads)?;
                self.accept_role_entry(entry, &charter_refs);
                Ok(())
            }
            Body::Moderation(m) => {
                if !charter.has(Role::Convener, &author) {
                    return Err(Rejection::NotConvener("hide entries"));
                }
                if !refs.contains(&m.target) {
                    return Err(Rejection::NotAComment(m.target));
                }
                self.accept_role_entry(entry, &charter_refs);
                Ok(())
            }
            Body::CoSign(c) => {
                self.check_participation(&charter, entry)?;
                let comment = self.comment_in_refs(c.comment, refs)?;
                if comment.author() == author {
                    return Err(Rejection::OwnComment);
                }
                if let Some(coalition) = c.coalition {
                    if coalition == author {
                        return Err(Rejection::SelfMembership);
                    }
                    let admitted = refs.iter().any(|r| {
                        self.membership_entries.get(r)
                            == Some(&MembershipFact {
                                coalition,
                                member: author,
                                active: true,
                            })
                    });
                    if !admitted {
                        return Err(Rejection::NotAMember(coalition));
                    }
                }
                let stamped = Stamped {
                    entry: entry.id(),
                    author,
                    time: entry.time(),
                    value: c.clone(),
                };
                self.cosigns.keep((c.comment, author), stamped);
                Ok(())
            }
            Body::Membership(m) => {
                if m.member == author {
                    return Err(Rejection::SelfMembership);
                }
                self.check_registered(&charter, entry)?;
                self.membership_entries.insert(
                    entry.id(),
                    MembershipFact {
                        coalition: author,
                        member: m.member,
                        active: m.active,
                    },
                );
                let stamped = Stamped {
                    entry: entry.id(),
                    author,
                    time: entry.time(),
                    value: m.active,
                };
                keep_latest_in(&mut self.memberships, (author, m.member), stamped);
                Ok(())
            }
            Body::KeyLink(link) => {
                link.verify()
                    .map_err(|e| Rejection::BadLink(e.to_string()))?;
                if author != link.by && author != link.key() {
                    return Err(Rejection::NotLinkParty);
                }
                self.people.add_link(entry.id(), link);
                Ok(())
            }
            Body::KeyUnlink(unlink) => {
                unlink
                    .verify()
                    .map_err(|e| Rejection::BadLink(e.to_string()))?;
                if author != unlink.by && author != unlink.key {
                    return Err(Rejection::NotLinkParty);
                }
                self.people.add_unlink(entry.id(), unlink);
                Ok(())
            }
            Body::Replacement(r) => {
                if !charter.has(Role::Convener, &author) {
                    return Err(Rejection::NotConvener("attest a replacement key"));
                }
                if r.lost == r.key {
                    return Err(Rejection::SelfReplacement);
                }
                self.accept_role_entry(entry, &charter_refs);
                Ok(())
            }
            Body::AlternativeStance(s) => {
                self.check_participation(&charter, entry)?;
                let comment = self.comment_in_refs(s.comment, refs)?;
                let carries = match s.wording {
                    None => comment.alternative(),
                    Some(edit) => {
                        if !refs.contains(&edit) {
                            return Err(Rejection::NotAnEdit(edit));
                        }
                        match self.edits.get(&edit) {
                            Some((of, carries)) if *of == s.comment => *carries,
                            _ => return Err(Rejection::NotAnEdit(edit)),
                        }
                    }
                };
                if !carries {
                    return Err(Rejection::NoAlternative(s.comment));
                }
                let stamped = Stamped {
                    entry: entry.id(),
                    author,
                    time: entry.time(),
                    value: s.clone(),
                };
                self.alternative_stances.keep((s.comment, author), stamped);
                Ok(())
            }
        }
    }

    /// An accepted entry that needs a role (registration, version tag, disposition,
    /// re-attachment, moderation): kept, and its effect applied when it has one.
    fn accept_role_entry(&mut self, entry: &Entry, charter_refs: &[EntryId]) {
        self.role_entries
            .push((entry.clone(), charter_refs.to_vec()));
        self.role_effect(entry, charter_refs);
    }

    /// Whether a role entry takes effect: its author holds the role in the charter
    /// version it names once the charter's history is resolved (an appointment voided by
    /// a revocation appoints nobody), and the role was not revoked at or before the
    /// entry's date. Entries other than amendments name no revocation they may have
    /// missed, so their dates are what can be judged; amendments are judged causally (see
    /// `charter`).
    fn void_reason(&mut self, entry: &Entry, charter_refs: &[EntryId]) -> Option<String> {
        let role = match entry.body() {
            Some(Body::Registration(_)) => Role::Registrar,
            Some(Body::Moderation(_) | Body::Replacement(_)) => Role::Convener,
            _ => Role::Editor,
        };
        let author = entry.author();
        if !self
            .charter
            .resolved_version(charter_refs)
            .has(role, &author)
        {
            return Some(format!(
                "signed by a key that is not {} once the charter's history is resolved",
                role.as_str()
            ));
        }
        self.charter
            .revoked_by(&author, role, entry.time())
            .map(|by| {
                format!(
                    "dated after the author's role as {} was revoked by {}",
                    role.as_str(),
                    by.short()
                )
            })
    }

    /// Applies what a role entry does, when it takes effect; otherwise records why not.
    fn role_effect(&mut self, entry: &Entry, charter_refs: &[EntryId]) {
        if let Some(reason) = self.void_reason(entry, charter_refs) {
            self.void.insert(entry.id(), reason);
            return;
        }
        let author = entry.author();
        let time = entry.time();
        let id = entry.id();
        let Some(body) = entry.body() else {
            return;
        };
        match body {
            Body::Registration(r) => {
                let value = RegistrationState {
                    stakeholder: r.stakeholder.clone(),
                    region: r.region.clone(),
                };
                let stamped = Stamped {
                    entry: id,
                    author,
                    time,
                    value,
                };
                keep_latest_in(&mut self.registrations, r.participant, stamped);
            }
            Body::VersionTag(t) => {
                let tag = crate::draft::Tag {
                    entry: id,
                    author,
                    time,
                    heads: t.heads.clone(),
                };
                if let Some(draft) = self.drafts.get_mut(&t.draft) {
                    let newer = draft
                        .tags
                        .get(&t.name)
                        .is_none_or(|old| (tag.time, tag.entry) > (old.time, old.entry));
                    if newer {
                        draft.tags.insert(t.name.clone(), tag);
                    }
                }
            }
            Body::Disposition(d) => {
                let value = DispositionState {
                    value: d.value,
                    note: d.note.clone(),
                    revision: d.revision,
                };
                let stamped = Stamped {
                    entry: id,
                    author,
                    time,
                    value,
                };
                if let Some(comment) = self.comments.get_mut(&d.comment) {
                    stamped.keep_latest(&mut comment.disposition);
                }
            }
            Body::Reattach(r) => {
                let stamped = Stamped {
                    entry: id,
                    author,
                    time,
                    value: (r.heads.clone(), r.anchor.clone()),
                };
                if let Some(comment) = self.comments.get_mut(&r.comment) {
                    stamped.keep_latest(&mut comment.reattached);
                }
            }
            Body::Moderation(m) => {
                let stamped = Stamped {
                    entry: id,
                    author,
                    time,
                    value: m.clone(),
                };
                keep_latest_in(&mut self.hidden, m.target, stamped);
            }
            Body::Replacement(r) => self.people.add_replacement(id, r.lost, r.key, time),
            _ => {}
        }
    }

    /// Decides again what every role entry does, after the charter's resolution changed.
    fn redo_role_effects(&mut self) {
        self.registrations.clear();
        self.hidden.clear();
        self.void.clear();
        self.people.clear_replacements();
        for draft in self.drafts.values_mut() {
            draft.tags.clear();
        }
        for comment in self.comments.values_mut() {
            comment.disposition = None;
            comment.reattached = None;
        }
        let entries = std::mem::take(&mut self.role_entries);
        for (entry, refs) in &entries {
            self.role_effect(entry, refs);
        }
        self.role_entries = entries;
    }

    fn apply_draft_change(
        &mut self,
        entry: &Entry,
        charter: &CharterState,
        change: &DraftChange,
    ) -> Result<(), Rejection> {
        require_editor(charter, &entry.author(), "change a draft")?;
        let mut infos = Vec::with_capacity(change.changes.len());
        for bytes in &change.changes {
            let info =
                Draft::inspect_change(bytes).map_err(|e| Rejection::BadChange(e.to_string()))?;
            if margin_draft::actor_key(&info.actor) != Some(*entry.author().as_bytes()) {
                return Err(Rejection::ActorMismatch);
            }
            infos.push(info);
        }
        let own: HashSet<ChangeHash> = infos.iter().map(|i| i.hash).collect();
        let refs = entry.refs();
        let draft_id = match change.draft {
            None => {
                if infos
                    .iter()
                    .any(|i| i.deps.iter().any(|d| !own.contains(d)))
                {
                    return Err(Rejection::MissingDependency);
                }
                entry.id()
            }
            Some(draft_id) => {
                let draft = self.draft_in_refs(draft_id, refs)?;
                let external: Vec<ChangeHash> = infos
                    .iter()
                    .flat_map(|i| i.deps.iter().copied())
                    .filter(|d| !own.contains(d))
                    .collect();
                if !draft.carried_by(&external, refs) {
                    return Err(Rejection::MissingDependency);
                }
                draft_id
            }
        };
        // Apply to a copy first, so a change Automerge refuses leaves the draft untouched.
        let mut doc = match self.drafts.get(&draft_id) {
            Some(d) => d.doc.clone(),
            None => Draft::empty(),
        };
        let raw: Vec<Vec<u8>> = change.changes.iter().map(|c| c.to_vec()).collect();
        doc.apply(&raw)
            .map_err(|e| Rejection::BadChange(e.to_string()))?;
        let draft = self
            .drafts
            .entry(draft_id)
            .or_insert_with(|| DraftState::new(draft_id));
        draft.doc = doc;
        draft.add_revision(Revision {
            entry: entry.id(),
            author: entry.author(),
            time: entry.time(),
            message: change.message.clone(),
            changes: own.into_iter().collect(),
        });
        Ok(())
    }

    fn check_participation(&self, charter: &CharterState, entry: &Entry) -> Result<(), Rejection> {
        if charter.policy == Policy::Registered && !self.registered_in_refs(entry) {
            return Err(Rejection::NotRegistered);
        }
        charter.check_period(entry.time())
    }

    /// Under a registered-only policy, only registered participants (named in refs) and
    /// the space's conveners, editors and registrars may publish anything of their own
    /// (a profile, a coalition's membership): an unregistered key can write nothing but
    /// what its registration needs, which a registrar signs.
    fn check_registered(&self, charter: &CharterState, entry: &Entry) -> Result<(), Rejection> {
        let author = entry.author();
        if charter.policy != Policy::Registered
            || [Role::Convener, Role::Editor, Role::Registrar]
                .iter()
                .any(|role| charter.has(*role, &author))
        {
            return Ok(());
        }
        if self.registered_in_refs(entry) {
            Ok(())
        } else {
            Err(Rejection::NotRegisteredToPublish)
        }
    }

    /// Whether the entry names, in its refs, a registration of its author, or of a key
    /// its author stands for (a device's identity, a rotated or replaced key) together
    /// with the link or replacement that says so.
    fn registered_in_refs(&self, entry: &Entry) -> bool {
        let author = entry.author();
        let refs = entry.refs();
        refs.iter().any(|r| {
            self.registration_entries
                .get(r)
                .is_some_and(|registered| self.people.stands_for(&author, registered, refs))
        })
    }

    fn draft_in_refs(&self, id: DraftId, refs: &[EntryId]) -> Result<&DraftState, Rejection> {
        if !refs.contains(&id) {
            return Err(Rejection::DraftNotInRefs(id));
        }
        self.drafts.get(&id).ok_or(Rejection::NotADraft(id))
    }

    /// A comment that an entry names, which it must also refer to.
    fn comment_in_refs(&self, id: EntryId, refs: &[EntryId]) -> Result<CommentRef<'_>, Rejection> {
        if !refs.contains(&id) {
            return Err(Rejection::NotAComment(id));
        }
        if let Some(live) = self.comments.get(&id) {
            return Ok(CommentRef::Live(live));
        }
        self.erased
            .get(&id)
            .map(CommentRef::Erased)
            .ok_or(Rejection::NotAComment(id))
    }

    /// The erasure of `comment` by `author`, if one is here.
    fn erasure_by(&self, comment: &EntryId, author: &PublicKey) -> Option<EntryId> {
        self.erasures.get(comment)?.get(author).copied()
    }

    /// Whether an erasure by `author` names `comment`, or the comment a stub of an edit
    /// refers to: what a node asks before it takes a stub from the network instead of
    /// the full entry.
    pub fn erasure_covers(&self, stub: &Entry) -> bool {
        let author = stub.author();
        std::iter::once(stub.id())
            .chain(stub.refs().iter().copied())
            .any(|c| {
                self.erasure_by(&c, &author).is_some()
                    || self.erased.get(&c).is_some_and(|e| e.author == author)
            })
    }

    /// Records an erasure and applies it to the comment it names, when that comment is
    /// here and by the same author. An erasure is never refused for naming someone
    /// else's comment (the comment may not be here yet, and a verdict must not depend on
    /// arrival order); it takes no effect, and says why.
    fn apply_erasure(&mut self, erasure: EntryId, author: PublicKey, comment: EntryId) {
        let requests = self.erasures.entry(comment).or_default();
        let kept = requests.entry(author).or_insert(erasure);
        *kept = (*kept).min(erasure);
        let kept = *kept;
        let comment_author = self
            .comments
            .get(&comment)
            .map(|c| c.author)
            .or_else(|| self.erased.get(&comment).map(|e| e.author));
        match comment_author {
            Some(a) if a != author => {}
            Some(_) => {
                if let Some(live) = self.comments.remove(&comment) {
                    self.erased.insert(
                        comment,
                        ErasedComment {
                            id: comment,
                            author,
                            time: live.time,
                            draft: live.body.draft,
                            alternative: has_alternative(&live.body.suggestion),
                            erasure: Some(kept),
                        },
                    );
                    self.to_strip.push(comment);
                    let edits = self
                        .edits
                        .iter()
                        .filter(|(_, (of, _))| *of == comment)
                        .map(|(edit, _)| *edit);
                    self.to_strip.extend(edits);
                } else if let Some(e) = self.erased.get_mut(&comment) {
                    e.erasure = Some(e.erasure.map_or(kept, |old| old.min(kept)));
                }
            }
            None => {}
        }
    }

    /// A stub: an entry whose body its author had erased. Only comments and their edits
    /// can be stubs (the envelope refuses others). What it refers to was checked by the
    /// nodes that held its text; here it stands for the erased comment, or for an edit of
    /// one.
    fn apply_stub(&mut self, entry: &Entry) -> Result<(), Rejection> {
        let id = entry.id();
        let author = entry.author();
        match entry.outline() {
            Some(Outline::Comment { draft, alternative }) => {
                let erasure = self.erasure_by(&id, &author);
                self.erased.insert(
                    id,
                    ErasedComment {
                        id,
                        author,
                        time: entry.time(),
                        draft: *draft,
                        alternative: *alternative,
                        erasure,
                    },
                );
                Ok(())
            }
            Some(Outline::CommentEdit {
                comment,
                alternative,
            }) => {
                self.edits.insert(id, (*comment, *alternative));
                Ok(())
            }
            None => Err(Rejection::Internal("stub of a kind that cannot be erased")),
        }
    }

    /// The accepted entries whose text was erased since the last call: their stored
    /// bytes are to be replaced by their stubs.
    pub fn take_erased_entries(&mut self) -> Vec<EntryId> {
        std::mem::take(&mut self.to_strip)
    }

    /// Comments whose text their authors had erased.
    pub fn erased_comments(&self) -> impl Iterator<Item = &ErasedComment> {
        self.erased.values()
    }

    fn comment_mut(&mut self, id: EntryId) -> Result<&mut CommentState, Rejection> {
        self.comments
            .get_mut(&id)
            .ok_or(Rejection::Internal("comment"))
    }

    // ---- reading the state --------------------------------------------------------

    /// The charter in force now.
    pub fn charter(&self) -> &CharterState {
        self.charter.current()
    }

    /// The charter entries a new entry should name.
    pub fn charter_heads(&self) -> Vec<EntryId> {
        self.charter.heads()
    }

    pub fn contains(&self, id: &EntryId) -> bool {
        self.accepted.contains_key(id)
    }

    pub fn accepted(&self, id: &EntryId) -> Option<&Accepted> {
        self.accepted.get(id)
    }

    /// Accepted entry ids in acceptance order (causes before effects).
    pub fn order(&self) -> &[EntryId] {
        &self.order
    }

    /// The latest date among the author's accepted entries here.
    pub fn latest_of(&self, author: &PublicKey) -> Option<Timestamp> {
        self.latest_by_author.get(author).copied()
    }

    pub fn pending_count(&self) -> usize {
        self.pending.len()
    }

    /// The bytes of the entries waiting for their refs.
    pub fn pending_bytes(&self) -> usize {
        self.pending_bytes
    }

    /// Whether the entry waits here for entries it refers to.
    pub fn is_pending(&self, id: &EntryId) -> bool {
        self.pending.contains_key(id)
    }

    /// Stops keeping waiting entries (their refs never came, or their deliverer is over
    /// its share): they are forgotten as if never received, and may be offered again.
    /// Returns those that were waiting.
    pub fn forget_pending(&mut self, ids: &[EntryId]) -> Vec<EntryId> {
        let mut forgotten = vec![];
        for id in ids {
            let Some(entry) = self.pending.remove(id) else {
                continue;
            };
            self.pending_bytes -= entry.bytes().len();
            for r in entry.refs() {
                if let Some(waiting) = self.waiting_for.get_mut(r) {
                    waiting.retain(|w| w != id);
                    if waiting.is_empty() {
                        self.waiting_for.remove(r);
                    }
                }
            }
            forgotten.push(*id);
        }
        forgotten
    }

    /// Entries waiting for refs, with what they wait for.
    pub fn pending(&self) -> impl Iterator<Item = &Entry> {
        self.pending.values()
    }

    /// Why an accepted entry takes no effect, if it does not: an amendment or role entry
    /// signed by a key whose role was revoked, or never held once the charter's history
    /// is resolved; an erasure of someone else's comment.
    pub fn void_reason_of(&self, id: &EntryId) -> Option<String> {
        if let Some(reason) = self.void.get(id) {
            return Some(reason.clone());
        }
        if let Some(a) = self.accepted.get(id)
            && !matches!(a.kind, Kind::KeyLink | Kind::KeyUnlink)
            && let Some(reason) = self.people.void(&a.author, a.time)
        {
            return Some(reason);
        }
        if self
            .accepted
            .get(id)
            .is_some_and(|a| a.kind == Kind::Erasure)
        {
            let foreign = self.erasures.iter().any(|(comment, by)| {
                let owner = self
                    .comments
                    .get(comment)
                    .map(|c| c.author)
                    .or_else(|| self.erased.get(comment).map(|e| e.author));
                by.iter()
                    .any(|(author, e)| e == id && owner.is_some_and(|o| o != *author))
            });
            if foreign {
                return Some("names a comment by someone else".to_owned());
            }
        }
        self.charter.resolution().void.get(id).cloned()
    }

    pub fn rejection(&self, id: &EntryId) -> Option<&Rejection> {
        self.rejected.get(id)
    }

    pub fn drafts(&self) -> impl Iterator<Item = &DraftState> {
        self.drafts.values()
    }

    pub fn draft(&self, id: &DraftId) -> Option<&DraftState> {
        self.drafts.get(id)
    }

    pub fn comment(&self, id: &EntryId) -> Option<&CommentState> {
        self.comments.get(id)
    }

    /// Every comment that counts (not signed by a key after it stopped counting).
    pub fn comments(&self) -> impl Iterator<Item = &CommentState> {
        self.comments
            .values()
            .filter(|c| self.counts(&c.author, c.time))
    }

    /// Every comment, in an order that depends only on the set of entries (not on the
    /// order they arrived in): by date, then id, a reply always after what it answers.
    /// Two nodes holding the same entries list comments alike.
    pub fn comments_in_order(&self) -> Vec<&CommentState> {
        use std::collections::BTreeSet;
        let mut replies: HashMap<EntryId, Vec<&CommentState>> = HashMap::new();
        let mut ready: BTreeSet<(Timestamp, EntryId)> = BTreeSet::new();
        for c in self.comments() {
            match c.body.parent.filter(|p| self.comments.contains_key(p)) {
                Some(parent) => replies.entry(parent).or_default().push(c),
                None => {
                    ready.insert((c.time, c.id));
                }
            }
        }
        let mut out = Vec::with_capacity(self.comments.len());
        while let Some((_, id)) = ready.pop_first() {
            if let Some(c) = self.comments.get(&id) {
                out.push(c);
            }
            for reply in replies.remove(&id).unwrap_or_default() {
                ready.insert((reply.time, reply.id));
            }
        }
        out
    }

    // ---- people ----------------------------------------------------------------------

    /// Whether what `author` signed at `time` counts: not after the key was unlinked,
    /// rotated or replaced.
    pub fn counts(&self, author: &PublicKey, time: Timestamp) -> bool {
        self.people.is_empty() || self.people.void(author, time).is_none()
    }

    /// Why what `author` signed at `time` counts for nothing, if it does not.
    pub fn void_signer(&self, author: &PublicKey, time: Timestamp) -> Option<String> {
        self.people.void(author, time)
    }

    /// The person `key` signs for, named by their first key: `key` itself unless it is
    /// a linked device or a successor of another key.
    pub fn person(&self, key: &PublicKey) -> PublicKey {
        if self.people.is_empty() {
            *key
        } else {
            self.people.person(key)
        }
    }

    /// The key that speaks for `key`'s person now: their latest identity key.
    pub fn person_key(&self, key: &PublicKey) -> PublicKey {
        if self.people.is_empty() {
            return *key;
        }
        self.people
            .identity_keys(key)
            .last()
            .copied()
            .unwrap_or(*key)
    }

    /// The identity key a device is linked to, if it is a linked device.
    pub fn identity_of(&self, device: &PublicKey) -> Option<PublicKey> {
        self.people.identity_of(device)
    }

    /// The key that replaced `key` (a rotation or a convener's replacement), if any.
    pub fn successor(&self, key: &PublicKey) -> Option<PublicKey> {
        self.people.successor(key)
    }

    /// Every device linked in this space.
    pub fn devices(&self) -> Vec<Device> {
        self.people.devices()
    }

    /// The entry that carries `by`'s link of `key` in this space, if one does.
    pub fn link_entry(&self, by: &PublicKey, key: &PublicKey) -> Option<EntryId> {
        self.people.link_entry(by, key)
    }

    /// The entry that carries `by`'s unlink of `key` in this space, if one does.
    pub fn unlink_entry(&self, by: &PublicKey, key: &PublicKey) -> Option<EntryId> {
        self.people.unlink_entry(by, key)
    }

    /// What a new entry by `key` names so that it takes part as its person: its own
    /// registration, or a link or replacement to a registered key and that key's
    /// registration.
    pub fn standing_refs(&self, key: &PublicKey) -> Vec<EntryId> {
        if let Some(own) = self.registration_entry(key) {
            return vec![own];
        }
        self.people
            .continuation_entries_to(key)
            .into_iter()
            .find_map(|(link, from)| {
                self.registrations
                    .get(&from)
                    .map(|registration| vec![link, registration.entry])
            })
            .unwrap_or_default()
    }

    /// The latest of what `ledger` holds per person: entries of a person's several keys
    /// count once (the latest wins), and what a key signed after it stopped counting is
    /// left out (so an earlier entry of that key may count instead). `rekey` names the
    /// person in a map key.
    fn per_person<'a, K: Ord + Clone, T>(
        &'a self,
        ledger: &'a Ledger<K, T>,
        rekey: impl Fn(&K, PublicKey) -> K,
    ) -> Vec<(K, &'a Stamped<T>)> {
        if self.people.is_empty() {
            return ledger.latest.iter().map(|(k, s)| (k.clone(), s)).collect();
        }
        let mut out: BTreeMap<K, &Stamped<T>> = BTreeMap::new();
        for (k, s) in ledger.all() {
            if !self.counts(&s.author, s.time) {
                continue;
            }
            let key = rekey(k, self.people.person(&s.author));
            let newer = out
                .get(&key)
                .is_none_or(|o| (s.time, s.entry) > (o.time, o.entry));
            if newer {
                out.insert(key, s);
            }
        }
        out.into_iter().collect()
    }

    /// The latest of a person's profiles, by any of their identity keys.
    fn person_latest<'a, T>(
        &'a self,
        map: &'a BTreeMap<PublicKey, Stamped<T>>,
        key: &PublicKey,
    ) -> Option<&'a Stamped<T>> {
        if self.people.is_empty() {
            return map.get(key);
        }
        self.people
            .identity_keys(key)
            .iter()
            .filter_map(|k| map.get(k))
            .max_by_key(|s| (s.time, s.entry))
    }

    /// Everyone who published a profile in this space.
    pub fn profiled(&self) -> impl Iterator<Item = &PublicKey> {
        self.profiles.keys()
    }

    /// Everyone a registrar registered in this space.
    pub fn registered(&self) -> impl Iterator<Item = &PublicKey> {
        self.registrations.keys()
    }

    /// The profile of `key`'s person: the latest by any of their identity keys (a
    /// linked device speaks under its person's profile).
    pub fn profile(&self, key: &PublicKey) -> Option<&Profile> {
        self.person_latest(&self.profiles, key).map(|s| &s.value)
    }

    /// The entry id of a participant's latest profile in this space.
    pub fn profile_entry(&self, key: &PublicKey) -> Option<EntryId> {
        self.profiles.get(key).map(|s| s.entry)
    }

    /// The registration of `key`'s person: the latest of any of their identity keys.
    pub fn registration(&self, key: &PublicKey) -> Option<&RegistrationState> {
        self.person_latest(&self.registrations, key)
            .map(|s| &s.value)
    }

    /// The entry id of a participant's latest registration, for naming it in refs.
    pub fn registration_entry(&self, key: &PublicKey) -> Option<EntryId> {
        self.registrations.get(key).map(|s| s.entry)
    }

    /// Every person's latest stance on every paragraph, keyed by the person's first
    /// key (see [`Space::person`]).
    pub fn stances(&self) -> impl Iterator<Item = (StanceKey, &Stamped<Stance>)> {
        self.per_person(&self.stances, |(d, p, _), person| (*d, p.clone(), person))
            .into_iter()
    }

    /// Every person's latest sign-on on every comment (withdrawn ones included).
    pub fn cosigns(&self) -> impl Iterator<Item = (CoSignKey, &Stamped<CoSign>)> {
        self.per_person(&self.cosigns, |(c, _), person| (*c, person))
            .into_iter()
    }

    /// The latest sign-ons on one comment, by signer (withdrawn ones included).
    pub fn cosigns_on(
        &self,
        comment: &EntryId,
    ) -> impl Iterator<Item = (PublicKey, &Stamped<CoSign>)> {
        self.cosigns()
            .filter(move |((c, _), _)| c == comment)
            .map(|((_, signer), s)| (signer, s))
    }

    /// Whether `member` is, by the coalition's latest membership entry, its member.
    pub fn is_member(&self, coalition: &PublicKey, member: &PublicKey) -> bool {
        self.memberships
            .get(&(*coalition, *member))
            .is_some_and(|m| m.value)
    }

    /// The latest membership entry by `coalition` about `member`, active or not.
    pub fn membership_entry(&self, coalition: &PublicKey, member: &PublicKey) -> Option<EntryId> {
        self.memberships
            .get(&(*coalition, *member))
            .map(|m| m.entry)
    }

    /// Every coalition's latest membership facts: (coalition, member) → active.
    pub fn memberships(&self) -> impl Iterator<Item = (&MembershipKey, &Stamped<bool>)> {
        self.memberships.iter()
    }

    /// Every participant's latest stance on every alternative wording.
    pub fn alternative_stances(
        &self,
    ) -> impl Iterator<Item = (AlternativeKey, &Stamped<AlternativeStance>)> {
        self.per_person(&self.alternative_stances, |(c, _), person| (*c, person))
            .into_iter()
    }

    /// The latest stances on the alternative a comment carries, by person.
    pub fn alternative_stances_on(
        &self,
        comment: &EntryId,
    ) -> impl Iterator<Item = (PublicKey, &Stamped<AlternativeStance>)> {
        self.alternative_stances()
            .filter(move |((c, _), _)| c == comment)
            .map(|((_, who), s)| (who, s))
    }

    /// Why an entry was hidden by a convener, if it is.
    pub fn hidden(&self, id: &EntryId) -> Option<&str> {
        self.hidden
            .get(id)
            .filter(|m| m.value.hidden)
            .map(|m| m.value.reason.as_str())
    }
}

/// The latest value per key (by time, then id), and the values it replaced: a key's
/// latest value may turn out not to count (signed after the key was unlinked), and then
/// its earlier one does.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound(
    serialize = "K: Serialize, T: Serialize",
    deserialize = "K: Ord + Deserialize<'de>, T: Deserialize<'de>"
))]
pub(crate) struct Ledger<K, T> {
    latest: BTreeMap<K, Stamped<T>>,
    earlier: BTreeMap<K, Vec<Stamped<T>>>,
}

impl<K, T> Default for Ledger<K, T> {
    fn default() -> Self {
        Ledger {
            latest: BTreeMap::new(),
            earlier: BTreeMap::new(),
        }
    }
}

impl<K: Ord + Clone, T> Ledger<K, T> {
    fn keep(&mut self, key: K, stamped: Stamped<T>) {
        let replaced = match self.latest.remove(&key) {
            Some(old) if (old.time, old.entry) > (stamped.time, stamped.entry) => {
                self.latest.insert(key.clone(), old);
                stamped
            }
            Some(old) => {
                self.latest.insert(key.clone(), stamped);
                old
            }
            None => {
                self.latest.insert(key, stamped);
                return;
            }
        };
        self.earlier.entry(key).or_default().push(replaced);
    }

    /// Every value ever kept, latest or replaced.
    fn all(&self) -> impl Iterator<Item = (&K, &Stamped<T>)> {
        self.latest.iter().chain(
            self.earlier
                .iter()
                .flat_map(|(k, values)| values.iter().map(move |v| (k, v))),
        )
    }
}

/// Keeps the newer of `stamped` and what `map` holds for `key`.
fn keep_latest_in<K: Ord, T>(map: &mut BTreeMap<K, Stamped<T>>, key: K, stamped: Stamped<T>) {
    let mut slot = map.remove(&key);
    stamped.keep_latest(&mut slot);
    if let Some(s) = slot {
        map.insert(key, s);
    }
}

/// Whether a suggestion is there and says something.
fn has_alternative(suggestion: &Option<String>) -> bool {
    margin_core::body::carries_alternative(suggestion)
}

fn require_editor(
    charter: &CharterState,
    author: &PublicKey,
    what: &'static str,
) -> Result<(), Rejection> {
    if charter.has(Role::Editor, author) {
        Ok(())
    } else {
        Err(Rejection::NotEditor(what))
    }
}

fn check_paragraph(
    draft: &DraftState,
    para: &ParaId,
    heads: &[ChangeHash],
) -> Result<(), Rejection> {
    if draft.has_paragraph(para, heads) {
        Ok(())
    } else {
        Err(Rejection::UnknownParagraph(para.clone()))
    }
}
