//! Content addresses: every entry is named by the BLAKE3 hash of its signed bytes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The id of an entry: BLAKE3 over its canonical encoding followed by its signature.
/// Shown as 64 lowercase hex characters.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EntryId(pub [u8; 32]);

/// A space is named by the id of its genesis charter entry.
pub type SpaceId = EntryId;
/// A draft is named by the id of the entry that created it.
pub type DraftId = EntryId;
/// A comment is named by the id of its entry.
pub type CommentId = EntryId;

impl EntryId {
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The BLAKE3 hash of `signed_bytes`: the id of a format 1 entry's wire bytes. For
    /// any entry's wire bytes (a sealed entry is not named by its body), use
    /// [`EntryId::of_entry`].
    pub fn of(signed_bytes: &[u8]) -> Self {
        Self(*blake3::hash(signed_bytes).as_bytes())
    }

    /// The id of an entry as encoded on the wire, without decoding it.
    pub fn of_entry(bytes: &[u8]) -> Self {
        crate::entry::wire_id(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The hex form, as printed everywhere.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The first `n` hex characters, for compact human display.
    pub fn short(&self) -> String {
        let mut hex = self.to_hex();
        hex.truncate(12);
        hex
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EntryId({})", self.short())
    }
}

impl FromStr for EntryId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = hex::decode(s).map_err(|_| IdError(s.to_owned()))?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| IdError(s.to_owned()))?;
        Ok(Self(bytes))
    }
}

/// Text that is not a full 64-character hex id.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("'{0}' is not an entry id (64 hex characters)")]
pub struct IdError(pub String);

/// The first 12 characters of an id (or key) shown as text: enough to tell entries apart
/// on a screen. Shorter text is returned whole.
pub fn short(text: &str) -> &str {
    text.get(..12).unwrap_or(text)
}
