//! Errors a participant can meet, each saying what went wrong in the words of the
//! domain. What to do about it in a given front end (a command to run, a page to open)
//! is that front end's to say: the CLI adds its hints (`margin-cli`'s `output`), the web
//! interface its own.

use margin_core::ParaId;
use margin_space::Rejection;

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("no identity in {0}")]
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
    #[error("the key file {path} is damaged: {reason}")]
    KeyFileDamaged { path: String, reason: String },
    /// What (`the key in DIR`, an identity file) needs a passphrase that was not given.
    #[error("{0} is protected by a passphrase, and none was given")]
    PassphraseNeeded(String),
    #[error("wrong passphrase for {0}")]
    WrongPassphrase(String),
    #[error("{path} is not an identity file Margin can read: {reason}; nothing was imported")]
    BadIdentityFile { path: String, reason: String },
    #[error("no data directory could be found")]
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
    #[error("the draft has no paragraph '{0}'")]
    NoParagraph(ParaId),
    #[error("the draft has no version named '{0}'")]
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
    #[error("a quoted passage needs its paragraph: say which paragraph the passage is in")]
    QuoteWithoutParagraph,
    #[error("an objection needs a reason: say what you object to and why")]
    ObjectionWithoutReason,
    #[error("declining a comment needs a note saying why")]
    DeclineWithoutNote,
    #[error("hiding or showing an entry needs a reason everyone will see")]
    ModerationWithoutReason,
    #[error("only its author can {0} a comment")]
    NotAuthor(&'static str),
}

impl NodeError {
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        NodeError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
