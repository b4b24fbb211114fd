//! Errors a participant can meet, each saying what went wrong and what to do.

use margin_space::Rejection;

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("no identity in {0}: run `margin init --name NAME` first")]
    NoIdentity(String),
    #[error("an identity already exists in {0}; refusing to overwrite its key")]
    IdentityExists(String),
    #[error("cannot use {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("the key file {0} is damaged (expected 64 hex characters)")]
    BadKeyFile(String),
    #[error("no data directory could be found: pass --home DIR or set MARGIN_HOME")]
    NoHome,
    #[error(transparent)]
    Store(#[from] margin_store::StoreError),
    #[error("refused: {0}")]
    Refused(#[from] Rejection),
    #[error("nothing in this node is called '{0}'")]
    NotFound(String),
    #[error("'{0}' matches several entries; give more characters of the id")]
    Ambiguous(String),
    #[error("{0} is a {1}, not a {2}")]
    WrongKind(String, &'static str, &'static str),
    #[error("the draft has no paragraph '{0}' (see `margin draft show DRAFT`)")]
    NoParagraph(String),
    #[error("the draft has no version named '{0}' (see `margin draft log DRAFT`)")]
    NoVersion(String),
    #[error("{0}")]
    Draft(#[from] margin_draft::Error),
    #[error("could not make the entry: {0}")]
    Sign(#[from] margin_core::entry::error::SignError),
    #[error("{0}")]
    Invalid(String),
    #[error("the bundle {path} is damaged: {reason}; nothing was imported")]
    BadBundle { path: String, reason: String },
    #[error("the entry stayed pending: it refers to entries this node does not have")]
    StillPending,
}

impl NodeError {
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        NodeError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
