//! What can go wrong when making or reading an export.

/// Why an export could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The figures could not be computed (an unknown draft, an unreadable version).
    #[error(transparent)]
    Consensus(#[from] margin_consensus::Error),
    /// The draft document could not be read.
    #[error("cannot read the draft: {0}")]
    Draft(#[from] margin_draft::Error),
    /// The file is not an export Margin can check.
    #[error("{0}")]
    NotAnExport(String),
    /// JSON could not be written or read.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl Error {
    /// Whether the draft asked for does not exist (a user error, not a damaged space).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Consensus(e) if e.is_not_found())
    }
}
