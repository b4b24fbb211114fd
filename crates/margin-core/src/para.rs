//! Paragraph ids: the stable names a draft gives its paragraphs, which comments, stances
//! and reports refer to.

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::limits::MAX_LABEL_BYTES;

/// The stable id of a paragraph of a draft. Encoded as the bare string (the canonical
/// encoding and JSON are those of a `String`), so it cannot be confused with other text
/// in code while nothing changes on the wire.
///
/// [`From`] takes an id as a draft holds it; [`FromStr`] (`"…".parse()`) is for ids
/// typed by someone and refuses what no entry could carry (longer than
/// [`MAX_LABEL_BYTES`]), as [`crate::body::Body::check_limits`] does.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ParaId(String);

impl ParaId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id's text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for ParaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for ParaId {
    fn from(id: String) -> Self {
        Self(id)
    }
}

impl From<&str> for ParaId {
    fn from(id: &str) -> Self {
        Self(id.to_owned())
    }
}

impl From<&String> for ParaId {
    fn from(id: &String) -> Self {
        Self(id.clone())
    }
}

impl From<ParaId> for String {
    fn from(id: ParaId) -> String {
        id.0
    }
}

impl FromStr for ParaId {
    type Err = ParaIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() > MAX_LABEL_BYTES {
            return Err(ParaIdError::TooLong {
                max: MAX_LABEL_BYTES,
            });
        }
        Ok(Self(s.to_owned()))
    }
}

impl AsRef<str> for ParaId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for ParaId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for ParaId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for ParaId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for ParaId {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl PartialEq<ParaId> for str {
    fn eq(&self, other: &ParaId) -> bool {
        self == other.0
    }
}

impl PartialEq<ParaId> for &str {
    fn eq(&self, other: &ParaId) -> bool {
        *self == other.0
    }
}

/// Text that cannot be a paragraph id.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ParaIdError {
    #[error("paragraph id is longer than {max} bytes")]
    TooLong { max: usize },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_as_the_bare_string() {
        let id = ParaId::from("p-3f9a");
        assert_eq!(
            crate::encoding::encode(&id).expect("a paragraph id encodes"),
            crate::encoding::encode(&"p-3f9a".to_owned()).expect("a string encodes")
        );
        assert_eq!(
            serde_json::to_string(&id).expect("a paragraph id is JSON"),
            "\"p-3f9a\""
        );
        assert_eq!(id, "p-3f9a");
        assert_eq!(id.to_string(), "p-3f9a");
    }

    #[test]
    fn parsing_refuses_what_no_entry_could_carry() {
        assert_eq!("p1".parse::<ParaId>().expect("a short id parses"), "p1");
        let long = "x".repeat(MAX_LABEL_BYTES + 1);
        assert!(long.parse::<ParaId>().is_err());
    }
}
