//! The one error type of this crate.

use automerge::{AutomergeError, LoadChangeError};
use margin_core::ParaId;

/// Everything that can go wrong when reading, changing or anchoring into a draft.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Automerge refused an operation (usually a malformed or inconsistent document).
    #[error("automerge: {0}")]
    Automerge(#[from] AutomergeError),
    /// Bytes handed in as an Automerge change do not decode as one.
    #[error("invalid Automerge change: {0}")]
    InvalidChange(#[from] LoadChangeError),
    /// A set of heads names changes this draft does not have (yet).
    #[error("unknown heads {}: apply the missing changes first", hex_list(.0))]
    UnknownHeads(Vec<[u8; 32]>),
    /// No paragraph with this id exists at the requested version.
    #[error("paragraph {0} not found in this version of the draft")]
    ParagraphNotFound(ParaId),
    /// A quote to anchor a comment on does not occur in its paragraph.
    #[error("the quote {quote:?} does not occur in paragraph {para}")]
    QuoteNotFound {
        /// The paragraph that was searched.
        para: ParaId,
        /// The quote that was not found.
        quote: String,
    },
    /// An empty quote cannot be anchored; anchor the whole paragraph instead.
    #[error("cannot anchor an empty quote; anchor the whole paragraph instead")]
    EmptyQuote,
    /// A passage to replace lies outside its paragraph's text.
    #[error("characters {start}..{end} are not in paragraph {para} ({len} characters)")]
    OutOfRange {
        /// The paragraph.
        para: ParaId,
        /// Start of the passage, in code points.
        start: usize,
        /// End of the passage (exclusive).
        end: usize,
        /// The paragraph's length.
        len: usize,
    },
    /// A replacement with a blank line would split a paragraph in two.
    #[error("the new wording contains a blank line; a paragraph's wording must stay one paragraph")]
    Unsplittable,
    /// Automerge failed on a change it had decoded (it panicked where it should have
    /// refused the change): a malformed change, refused like any other.
    #[error("Automerge failed on the change (a malformed change): {0}")]
    AutomergeFailed(String),
    /// A change larger than a change may be once inflated, or with more operations.
    #[error("{0}")]
    ChangeTooLarge(String),
    /// A Word or OpenDocument file could not be read as a draft.
    #[error("{0}")]
    Import(String),
}

impl Error {
    /// True when the error means "no such paragraph, quote or version", as opposed to
    /// a broken document or change: callers can answer such requests with 404.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            Error::UnknownHeads(_) | Error::ParagraphNotFound(_) | Error::QuoteNotFound { .. }
        )
    }
}

fn hex_list(heads: &[[u8; 32]]) -> String {
    heads.iter().map(hex::encode).collect::<Vec<_>>().join(", ")
}
