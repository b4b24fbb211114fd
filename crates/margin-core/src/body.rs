//! The kind-specific bodies of entries: what each kind of entry says.
//!
//! A body is encoded canonically (see [`crate::encoding`]) and carried as the `body`
//! bytes of the entry envelope; the envelope's `kind` byte says which body it is.
//! Field order here is wire order: never reorder fields or enum variants, add new kinds
//! or a new format version instead.

use serde::{Deserialize, Serialize};

use crate::encoding::{self, EncodingError};
use crate::entry::Kind;
use crate::id::EntryId;
use crate::key::PublicKey;
use crate::limits::{MAX_LABEL_BYTES, MAX_TEXT_BYTES};
pub use crate::link::{Consent, KeyLink, KeyUnlink, Relation};
use crate::para::ParaId;
use crate::time::Timestamp;

/// An Automerge change hash: a draft version is a set of these ("heads").
pub type ChangeHash = [u8; 32];

/// Who may comment and take stances in a space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Policy {
    /// Any key may take part.
    Open,
    /// Only keys a registrar has registered may take part.
    Registered,
}

/// A role a convener grants in a space's charter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    Convener,
    Editor,
    Registrar,
}

/// The genesis charter: the entry whose id names the space.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charter {
    pub title: String,
    pub policy: Policy,
    /// Comment period start, ms since the Unix epoch; none = open from creation.
    pub opens: Option<Timestamp>,
    /// Comment period end (exclusive), ms since the Unix epoch; none = no end set.
    pub closes: Option<Timestamp>,
    pub conveners: Vec<PublicKey>,
    pub editors: Vec<PublicKey>,
    pub registrars: Vec<PublicKey>,
    /// The stakeholder groups the space recognises (may be empty: any group).
    pub stakeholder_groups: Vec<String>,
    /// Makes two spaces created with the same title in the same millisecond distinct.
    pub nonce: u64,
}

impl Charter {
    /// An open space without a comment period that one person convenes and edits alone
    /// (no registrars, any stakeholder group).
    pub fn open(title: &str, convener: PublicKey, nonce: u64) -> Charter {
        Charter {
            title: title.to_owned(),
            policy: Policy::Open,
            opens: None,
            closes: None,
            conveners: vec![convener],
            editors: vec![convener],
            registrars: vec![],
            stakeholder_groups: vec![],
            nonce,
        }
    }
}

/// One change a convener makes to a charter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CharterChange {
    Grant {
        role: Role,
        key: PublicKey,
    },
    Revoke {
        role: Role,
        key: PublicKey,
    },
    Policy(Policy),
    Period {
        opens: Option<Timestamp>,
        closes: Option<Timestamp>,
    },
    Title(String),
}

/// A convener's amendment of the charter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CharterAmendment {
    pub changes: Vec<CharterChange>,
}

/// A participant's self-signed description of themselves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub name: String,
    pub affiliation: String,
    pub stakeholder: String,
    pub region: String,
}

/// A registrar's attestation of a participant's stakeholder group and region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub participant: PublicKey,
    pub stakeholder: String,
    pub region: String,
}

/// One or a few Automerge changes to a draft: a revision, or the draft's creation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftChange {
    /// The draft changed; none when this entry creates the draft (its id is the draft id).
    pub draft: Option<EntryId>,
    /// Raw Automerge change bytes. Each change's actor starts with the author's key.
    pub changes: Vec<serde_bytes::ByteBuf>,
    pub message: String,
}

/// A named point in a draft's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionTag {
    pub draft: EntryId,
    pub name: String,
    pub heads: Vec<ChangeHash>,
}

/// The passage a comment is about: a paragraph, optionally a quoted range in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    /// The paragraph's stable id.
    pub para: ParaId,
    /// Automerge cursor bytes for the range start (exclusive, on the character before the
    /// quote) and end (inclusive, on its last character); none for a whole paragraph or
    /// a quote at the start of the paragraph.
    pub start: Option<serde_bytes::ByteBuf>,
    pub end: Option<serde_bytes::ByteBuf>,
    pub quote: Option<Quote>,
}

/// A W3C-style text quote selector.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub exact: String,
    pub prefix: String,
    pub suffix: String,
}

/// What sort of comment this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CommentKind {
    Comment,
    Question,
    Suggestion,
    Objection,
}

/// A comment on a draft, a paragraph or a passage, or a reply in a thread.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub draft: EntryId,
    /// The draft version the commenter was reading.
    pub heads: Vec<ChangeHash>,
    /// None: the comment is on the whole draft (or, for a reply, on its thread).
    pub anchor: Option<Anchor>,
    pub kind: CommentKind,
    pub text: String,
    /// Alternative wording proposed for the passage (suggestions).
    pub suggestion: Option<String>,
    /// The comment this replies to.
    pub parent: Option<EntryId>,
}

/// The author's new wording of their comment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentEdit {
    pub comment: EntryId,
    pub text: String,
    pub suggestion: Option<String>,
}

/// The author withdraws their comment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retraction {
    pub comment: EntryId,
}

/// The author withdraws their comment and asks every node to erase its text and the
/// text of its edits: what remains of them are stubs (their signed headers), so the
/// threads and answers that name them still hold together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erasure {
    pub comment: EntryId,
}

/// What stays of an erasable body (a comment's, or its edit's) when its words are
/// erased: exactly what other entries are judged by. A sealed entry signs it in its
/// header, so a node holding only the stub judges the entries that name the comment as
/// a node holding the text does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outline {
    /// A comment: its draft, and whether it carries an alternative wording.
    Comment { draft: EntryId, alternative: bool },
    /// An edit: the comment it edits, and whether its wording carries an alternative.
    CommentEdit { comment: EntryId, alternative: bool },
}

/// Whether a suggestion is an alternative wording a stance can be taken on.
pub fn carries_alternative(suggestion: &Option<String>) -> bool {
    suggestion.as_deref().is_some_and(|s| !s.trim().is_empty())
}

/// A participant's position on a paragraph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum StanceValue {
    Support,
    /// "I can live with it."
    Accept,
    Object,
    Abstain,
}

/// A participant's stance on a paragraph of a draft.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stance {
    pub draft: EntryId,
    pub para: ParaId,
    pub heads: Vec<ChangeHash>,
    pub value: StanceValue,
    pub reason: Option<String>,
}

/// An editor's answer to a comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DispositionValue {
    Accepted,
    Partly,
    Declined,
    Noted,
}

/// An editor's disposition of a comment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disposition {
    pub comment: EntryId,
    pub value: DispositionValue,
    pub note: String,
    /// The revision that carried out an accepted comment, when there is one.
    pub revision: Option<EntryId>,
}

/// An editor re-anchors an orphaned comment to a passage of the current draft.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reattach {
    pub comment: EntryId,
    pub heads: Vec<ChangeHash>,
    pub anchor: Anchor,
}

/// A convener hides (or shows again) an entry, with a visible reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moderation {
    pub target: EntryId,
    pub hidden: bool,
    pub reason: String,
}

/// A participant signs on to another participant's comment, personally or for a
/// coalition they are a member of; the latest sign-on of a signer on a comment wins, and
/// `withdrawn` takes the signature back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoSign {
    pub comment: EntryId,
    /// The coalition the signer signs for; a `Membership` entry by that coalition
    /// admitting the signer must be named in refs.
    pub coalition: Option<PublicKey>,
    pub withdrawn: bool,
}

/// A coalition (a key of its own, with its own profile) admits a member, or with
/// `active: false` removes them; members' sign-ons for the coalition count as its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub member: PublicKey,
    pub active: bool,
}

/// A participant's stance on an alternative wording: the suggestion a comment carries,
/// at the wording named (`None`: as first posted; else the `CommentEdit` entry).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlternativeStance {
    pub comment: EntryId,
    pub wording: Option<EntryId>,
    pub value: StanceValue,
    pub reason: Option<String>,
}

/// A convener attests, for their space, that `key` replaces a participant's lost key:
/// what `key` signs counts as that person's, and what `lost` signs after the
/// attestation counts for nothing there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replacement {
    pub lost: PublicKey,
    pub key: PublicKey,
    pub reason: String,
}

/// Every body, tagged by kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    Charter(Charter),
    CharterAmendment(CharterAmendment),
    Profile(Profile),
    Registration(Registration),
    DraftChange(DraftChange),
    VersionTag(VersionTag),
    Comment(Comment),
    CommentEdit(CommentEdit),
    Retraction(Retraction),
    Erasure(Erasure),
    Stance(Stance),
    Disposition(Disposition),
    Reattach(Reattach),
    Moderation(Moderation),
    CoSign(CoSign),
    Membership(Membership),
    AlternativeStance(AlternativeStance),
    KeyLink(KeyLink),
    KeyUnlink(KeyUnlink),
    Replacement(Replacement),
}

impl Body {
    /// The kind byte the envelope carries for this body.
    pub fn kind(&self) -> Kind {
        match self {
            Body::Charter(_) => Kind::Charter,
            Body::CharterAmendment(_) => Kind::CharterAmendment,
            Body::Profile(_) => Kind::Profile,
            Body::Registration(_) => Kind::Registration,
            Body::DraftChange(_) => Kind::DraftChange,
            Body::VersionTag(_) => Kind::VersionTag,
            Body::Comment(_) => Kind::Comment,
            Body::CommentEdit(_) => Kind::CommentEdit,
            Body::Retraction(_) => Kind::Retraction,
            Body::Erasure(_) => Kind::Erasure,
            Body::Stance(_) => Kind::Stance,
            Body::Disposition(_) => Kind::Disposition,
            Body::Reattach(_) => Kind::Reattach,
            Body::Moderation(_) => Kind::Moderation,
            Body::CoSign(_) => Kind::CoSign,
            Body::Membership(_) => Kind::Membership,
            Body::AlternativeStance(_) => Kind::AlternativeStance,
            Body::KeyLink(_) => Kind::KeyLink,
            Body::KeyUnlink(_) => Kind::KeyUnlink,
            Body::Replacement(_) => Kind::Replacement,
        }
    }

    /// The outline of an erasable body (see [`Outline`]); none for other kinds.
    pub fn outline(&self) -> Option<Outline> {
        match self {
            Body::Comment(c) => Some(Outline::Comment {
                draft: c.draft,
                alternative: carries_alternative(&c.suggestion),
            }),
            Body::CommentEdit(e) => Some(Outline::CommentEdit {
                comment: e.comment,
                alternative: carries_alternative(&e.suggestion),
            }),
            _ => None,
        }
    }

    /// The canonical body bytes.
    pub fn encode(&self) -> Result<Vec<u8>, EncodingError> {
        match self {
            Body::Charter(b) => encoding::encode(b),
            Body::CharterAmendment(b) => encoding::encode(b),
            Body::Profile(b) => encoding::encode(b),
            Body::Registration(b) => encoding::encode(b),
            Body::DraftChange(b) => encoding::encode(b),
            Body::VersionTag(b) => encoding::encode(b),
            Body::Comment(b) => encoding::encode(b),
            Body::CommentEdit(b) => encoding::encode(b),
            Body::Retraction(b) => encoding::encode(b),
            Body::Erasure(b) => encoding::encode(b),
            Body::Stance(b) => encoding::encode(b),
            Body::Disposition(b) => encoding::encode(b),
            Body::Reattach(b) => encoding::encode(b),
            Body::Moderation(b) => encoding::encode(b),
            Body::CoSign(b) => encoding::encode(b),
            Body::Membership(b) => encoding::encode(b),
            Body::AlternativeStance(b) => encoding::encode(b),
            Body::KeyLink(b) => encoding::encode(b),
            Body::KeyUnlink(b) => encoding::encode(b),
            Body::Replacement(b) => encoding::encode(b),
        }
    }

    /// Decodes the body of an entry of `kind`; it must be canonical and within limits.
    pub fn decode(kind: Kind, bytes: &[u8]) -> Result<Self, BodyError> {
        use encoding::decode_canonical as d;
        let body = match kind {
            Kind::Charter => Body::Charter(d(bytes)?),
            Kind::CharterAmendment => Body::CharterAmendment(d(bytes)?),
            Kind::Profile => Body::Profile(d(bytes)?),
            Kind::Registration => Body::Registration(d(bytes)?),
            Kind::DraftChange => Body::DraftChange(d(bytes)?),
            Kind::VersionTag => Body::VersionTag(d(bytes)?),
            Kind::Comment => Body::Comment(d(bytes)?),
            Kind::CommentEdit => Body::CommentEdit(d(bytes)?),
            Kind::Retraction => Body::Retraction(d(bytes)?),
            Kind::Erasure => Body::Erasure(d(bytes)?),
            Kind::Stance => Body::Stance(d(bytes)?),
            Kind::Disposition => Body::Disposition(d(bytes)?),
            Kind::Reattach => Body::Reattach(d(bytes)?),
            Kind::Moderation => Body::Moderation(d(bytes)?),
            Kind::CoSign => Body::CoSign(d(bytes)?),
            Kind::Membership => Body::Membership(d(bytes)?),
            Kind::AlternativeStance => Body::AlternativeStance(d(bytes)?),
            Kind::KeyLink => Body::KeyLink(d(bytes)?),
            Kind::KeyUnlink => Body::KeyUnlink(d(bytes)?),
            Kind::Replacement => Body::Replacement(d(bytes)?),
        };
        body.check_limits()?;
        Ok(body)
    }

    /// Checks text lengths and counts against [`crate::limits`].
    pub fn check_limits(&self) -> Result<(), BodyError> {
        let label = |field: &'static str, s: &str| check(field, s, MAX_LABEL_BYTES);
        let text = |field: &'static str, s: &str| check(field, s, MAX_TEXT_BYTES);
        let heads = |h: &[ChangeHash]| {
            if h.len() > 64 {
                Err(BodyError::TooMany {
                    field: "heads",
                    max: 64,
                })
            } else {
                Ok(())
            }
        };
        let anchor = |a: &Anchor| -> Result<(), BodyError> {
            label("paragraph id", a.para.as_str())?;
            for cursor in [&a.start, &a.end].into_iter().flatten() {
                if cursor.len() > MAX_LABEL_BYTES {
                    return Err(BodyError::TooLong {
                        field: "cursor",
                        max: MAX_LABEL_BYTES,
                    });
                }
            }
            if let Some(q) = &a.quote {
                text("quote", &q.exact)?;
                label("quote prefix", &q.prefix)?;
                label("quote suffix", &q.suffix)?;
                if q.exact.is_empty() {
                    return Err(BodyError::Empty("quote"));
                }
            }
            Ok(())
        };
        match self {
            Body::Charter(c) => {
                label("title", &c.title)?;
                nonempty("title", &c.title)?;
                for g in &c.stakeholder_groups {
                    label("stakeholder group", g)?;
                }
                let keys = c.conveners.len() + c.editors.len() + c.registrars.len();
                if keys > 1024 || c.stakeholder_groups.len() > 64 {
                    return Err(BodyError::TooMany {
                        field: "charter roles",
                        max: 1024,
                    });
                }
                if c.conveners.is_empty() {
                    return Err(BodyError::Empty("conveners"));
                }
            }
            Body::CharterAmendment(a) => {
                if a.changes.is_empty() {
                    return Err(BodyError::Empty("changes"));
                }
                if a.changes.len() > 256 {
                    return Err(BodyError::TooMany {
                        field: "changes",
                        max: 256,
                    });
                }
                for change in &a.changes {
                    if let CharterChange::Title(t) = change {
                        label("title", t)?;
                        nonempty("title", t)?;
                    }
                }
            }
            Body::Profile(p) => {
                label("name", &p.name)?;
                nonempty("name", &p.name)?;
                label("affiliation", &p.affiliation)?;
                label("stakeholder group", &p.stakeholder)?;
                label("region", &p.region)?;
            }
            Body::Registration(r) => {
                label("stakeholder group", &r.stakeholder)?;
                nonempty("stakeholder group", &r.stakeholder)?;
                label("region", &r.region)?;
            }
            Body::DraftChange(c) => {
                text("message", &c.message)?;
                if c.changes.is_empty() {
                    return Err(BodyError::Empty("changes"));
                }
                if c.changes.len() > 1024 {
                    return Err(BodyError::TooMany {
                        field: "changes",
                        max: 1024,
                    });
                }
            }
            Body::VersionTag(t) => {
                label("version name", &t.name)?;
                nonempty("version name", &t.name)?;
                heads(&t.heads)?;
                if t.heads.is_empty() {
                    return Err(BodyError::Empty("heads"));
                }
            }
            Body::Comment(c) => {
                heads(&c.heads)?;
                text("comment", &c.text)?;
                nonempty("comment", &c.text)?;
                if let Some(s) = &c.suggestion {
                    text("suggestion", s)?;
                }
                if let Some(a) = &c.anchor {
                    anchor(a)?;
                }
            }
            Body::CommentEdit(e) => {
                text("comment", &e.text)?;
                nonempty("comment", &e.text)?;
                if let Some(s) = &e.suggestion {
                    text("suggestion", s)?;
                }
            }
            Body::Retraction(_) | Body::Erasure(_) => {}
            Body::Stance(s) => {
                label("paragraph id", s.para.as_str())?;
                heads(&s.heads)?;
                if let Some(r) = &s.reason {
                    text("reason", r)?;
                }
            }
            Body::Disposition(d) => text("note", &d.note)?,
            Body::Reattach(r) => {
                heads(&r.heads)?;
                anchor(&r.anchor)?;
            }
            Body::Moderation(m) => {
                text("reason", &m.reason)?;
                nonempty("reason", &m.reason)?;
            }
            Body::CoSign(_) | Body::Membership(_) => {}
            Body::AlternativeStance(s) => {
                if let Some(r) = &s.reason {
                    text("reason", r)?;
                }
            }
            Body::KeyLink(l) => {
                if let Relation::Device { name } = &l.relation {
                    label("device name", name)?;
                }
            }
            Body::KeyUnlink(_) => {}
            Body::Replacement(r) => {
                text("reason", &r.reason)?;
                nonempty("reason", &r.reason)?;
            }
        }
        Ok(())
    }
}

fn check(field: &'static str, s: &str, max: usize) -> Result<(), BodyError> {
    if s.len() > max {
        Err(BodyError::TooLong { field, max })
    } else {
        Ok(())
    }
}

fn nonempty(field: &'static str, s: &str) -> Result<(), BodyError> {
    if s.trim().is_empty() {
        Err(BodyError::Empty(field))
    } else {
        Ok(())
    }
}

/// Why a body was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum BodyError {
    #[error(transparent)]
    Encoding(#[from] EncodingError),
    #[error("{field} is longer than {max} bytes")]
    TooLong { field: &'static str, max: usize },
    #[error("too many {field} (at most {max})")]
    TooMany { field: &'static str, max: usize },
    #[error("{0} must not be empty")]
    Empty(&'static str),
}
