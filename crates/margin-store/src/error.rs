//! Store errors.

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database at {path} could not be opened: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error(
        "the database is from a newer version of Margin (schema {found}, this version knows {known}); upgrade Margin"
    )]
    TooNew { found: i64, known: i64 },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("a stored entry is damaged: {0}")]
    Damaged(String),
    #[error("the search query is not valid: {0}")]
    BadQuery(String),
}
