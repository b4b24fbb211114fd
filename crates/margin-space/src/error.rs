//! Why an entry is refused by a space. Each reason is specific, so a participant sees
//! what to fix and the network layer can penalize the peer that sent it.

use margin_core::ParaId;
use margin_core::id::EntryId;

/// A specific reason an entry is not valid in a space.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum Rejection {
    #[error("the entry belongs to another space")]
    WrongSpace,
    #[error("ref {0} is not part of this space")]
    RefOutsideSpace(EntryId),
    #[error("ref {0} was itself refused")]
    RefRejected(EntryId),
    #[error("the entry is dated more than five minutes before an entry it refers to")]
    OlderThanRef,
    #[error("the entry names no charter version of the space")]
    NoCharter,
    #[error("only a convener may {0}")]
    NotConvener(&'static str),
    #[error("only an editor may {0}")]
    NotEditor(&'static str),
    #[error("only a registrar may register participants")]
    NotRegistrar,
    #[error(
        "this space accepts comments and stances from registered participants only, and the author is not registered"
    )]
    NotRegistered,
    #[error(
        "this space accepts entries from registered participants only, and the author is not registered"
    )]
    NotRegisteredToPublish,
    #[error("the comment period {0}")]
    OutsidePeriod(String),
    #[error("only the comment's author may {0} it")]
    NotAuthor(&'static str),
    #[error("the charter would leave the space without a convener")]
    NoConvenerLeft,
    #[error("the genesis charter must be signed by one of its conveners")]
    GenesisNotByConvener,
    #[error("a {0} entry cannot start a space")]
    NotGenesis(&'static str),
    #[error("the draft {0} is not named in the entry's refs")]
    DraftNotInRefs(EntryId),
    #[error("{0} is not a draft of this space")]
    NotADraft(EntryId),
    #[error("{0} is not a comment of this space")]
    NotAComment(EntryId),
    #[error("the comment {0} is not on the same draft")]
    OtherDraft(EntryId),
    #[error("an Automerge change is by another actor than the entry's author")]
    ActorMismatch,
    #[error("an Automerge change depends on a change the entry does not name")]
    MissingDependency,
    #[error("an Automerge change is malformed: {0}")]
    BadChange(String),
    #[error("the draft version is not carried by entries the entry names")]
    UnknownHeads,
    #[error("the draft has no paragraph {0} in that version")]
    UnknownParagraph(ParaId),
    #[error("one cannot co-sign one's own comment")]
    OwnComment,
    #[error(
        "the signer is not an active member of coalition {0} in the membership the entry names"
    )]
    NotAMember(margin_core::key::PublicKey),
    #[error("a key cannot be a member of itself, nor sign on for itself as a coalition")]
    SelfMembership,
    #[error("the comment {0} carries no alternative wording at the wording named")]
    NoAlternative(EntryId),
    #[error("the comment edit {0} is not an edit of the comment named, or not in refs")]
    NotAnEdit(EntryId),
    #[error("the key link is not good: {0}")]
    BadLink(String),
    #[error("a key link or unlink is published by one of the two keys it names")]
    NotLinkParty,
    #[error("a key cannot replace itself")]
    SelfReplacement,
    #[error("{0} entries cannot be applied to a space")]
    Unsupported(&'static str),
    #[error("the {0} entry was applied to the wrong handler")]
    Internal(&'static str),
}

impl Rejection {
    /// Whether the sender of this entry should be penalized for it. Every rejection but
    /// an internal error (a bug of ours) is a property of the entry itself.
    pub fn is_misbehaviour(&self) -> bool {
        !matches!(self, Rejection::Internal(_))
    }
}
