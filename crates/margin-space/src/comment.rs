//! Comments and what happened to them since: edits, retraction, disposition,
//! re-attachment, moderation.

use margin_core::Timestamp;
use margin_core::body::{Anchor, ChangeHash, Comment, DispositionValue};
use margin_core::id::EntryId;
use margin_core::key::PublicKey;
use serde::{Deserialize, Serialize};

/// A later fact about a comment: the latest one (by time, then id) wins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamped<T> {
    pub entry: EntryId,
    pub author: PublicKey,
    pub time: Timestamp,
    pub value: T,
}

impl<T> Stamped<T> {
    fn newer_than(&self, other: &Option<Stamped<T>>) -> bool {
        other
            .as_ref()
            .is_none_or(|o| (self.time, self.entry) > (o.time, o.entry))
    }

    /// Replaces `slot` if `self` is newer.
    pub fn keep_latest(self, slot: &mut Option<Stamped<T>>) {
        if self.newer_than(slot) {
            *slot = Some(self);
        }
    }
}

/// An editor's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispositionState {
    pub value: DispositionValue,
    pub note: String,
    pub revision: Option<EntryId>,
}

/// The author's latest wording.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wording {
    pub text: String,
    pub suggestion: Option<String>,
}

/// A comment whose author asked every node to erase its text: what is known of it
/// without its body, the same on a node that held the text and on one that only ever
/// received the stub.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasedComment {
    pub id: EntryId,
    pub author: PublicKey,
    pub time: Timestamp,
    /// The draft it was on, and whether it carried an alternative wording as first
    /// posted: what entries naming it are judged by (the outline its entry signs).
    pub draft: EntryId,
    pub alternative: bool,
    /// The erasure in force (the smallest id among the author's erasures of it), once
    /// it is here; a stub read back from this node's own store may come before it.
    pub erasure: Option<EntryId>,
}

/// A comment with everything that later entries said about it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CommentState {
    pub id: EntryId,
    pub author: PublicKey,
    pub time: Timestamp,
    pub body: Comment,
    pub edit: Option<Stamped<Wording>>,
    pub retracted: Option<EntryId>,
    pub disposition: Option<Stamped<DispositionState>>,
    pub reattached: Option<Stamped<(Vec<ChangeHash>, Anchor)>>,
}

impl CommentState {
    pub(crate) fn new(id: EntryId, author: PublicKey, time: Timestamp, body: Comment) -> Self {
        CommentState {
            id,
            author,
            time,
            body,
            edit: None,
            retracted: None,
            disposition: None,
            reattached: None,
        }
    }

    /// The current text and suggestion.
    pub fn wording(&self) -> Wording {
        match &self.edit {
            Some(e) => e.value.clone(),
            None => Wording {
                text: self.body.text.clone(),
                suggestion: self.body.suggestion.clone(),
            },
        }
    }

    /// The entry whose wording is current: the latest edit, or `None` for the comment as
    /// first posted (what a stance on its alternative names as `wording`).
    pub fn wording_entry(&self) -> Option<EntryId> {
        self.edit.as_ref().map(|e| e.entry)
    }

    /// The anchor in force (an editor's re-attachment replaces the original) and the
    /// version it was made at.
    pub fn anchor(&self) -> Option<(&[ChangeHash], &Anchor)> {
        match &self.reattached {
            Some(r) => Some((&r.value.0, &r.value.1)),
            None => self
                .body
                .anchor
                .as_ref()
                .map(|a| (self.body.heads.as_slice(), a)),
        }
    }
}
