//! What can go wrong when computing figures for a draft.

use margin_core::id::DraftId;

/// Why a report could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The space holds no draft with this id.
    #[error("no draft {0} in this space; `margin space show SPACE` lists its drafts")]
    UnknownDraft(DraftId),
    /// The draft document could not be read at a version it should have.
    #[error("cannot read the draft: {0}")]
    Draft(#[from] margin_draft::Error),
}

impl Error {
    /// Whether the draft asked for does not exist (a user error, not a damaged space).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::UnknownDraft(_))
    }
}
