//! A space's state saved whole, so that a node can start from it instead of applying
//! every entry again: the drafts as saved Automerge documents, everything else as the
//! state holds it. A snapshot is derived data: whoever keeps one also keeps the entries it
//! was made from, and checks it against them before trusting it (the node does, by the
//! digest of the entry set, [`crate::digest::entry_set_digest`]).
//!
//! What a snapshot leaves out is what a replay from a store would not have either, or
//! reads again at every load: entries waiting for their refs (read from the store's
//! waiting set), refusals, and caches (rebuilt when first needed).
//!
//! ```
//! use margin_core::prelude::*;
//! use margin_space::Space;
//!
//! let convener = SigningKey::from_seed([1; 32]);
//! let charter = Body::Charter(Charter {
//!     title: "BPF on Cybersecurity".into(),
//!     policy: Policy::Open,
//!     opens: None,
//!     closes: None,
//!     conveners: vec![convener.public()],
//!     editors: vec![convener.public()],
//!     registrars: vec![],
//!     stakeholder_groups: vec![],
//!     nonce: 1,
//! });
//! let genesis = Entry::sign(&convener, None, Timestamp::from_millis(1_000), vec![], &charter)?;
//! let space = Space::new(genesis)?;
//! let restored = Space::restore(&space.save()?)?;
//! assert_eq!(restored.digest(), space.digest());
//! assert_eq!(restored.entry_set_digest(), space.entry_set_digest());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::space::Space;

/// The layout and rules a snapshot was made with. A snapshot of another format is not
/// read (its space is rebuilt from its entries): change this number whenever what
/// [`Space`] keeps, or what it makes of an entry, changes.
pub const FORMAT: u32 = 1;

/// Why a snapshot could not be made or read back.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("the state could not be encoded: {0}")]
    Encode(postcard::Error),
    #[error("the snapshot does not decode: {0}")]
    Decode(postcard::Error),
    #[error("the snapshot has {0} bytes left over after the state")]
    Trailing(usize),
}

impl Space {
    /// The state as bytes, to read back with [`Space::restore`] (same [`FORMAT`] only).
    pub fn save(&self) -> Result<Vec<u8>, SnapshotError> {
        postcard::to_allocvec(self).map_err(SnapshotError::Encode)
    }

    /// A state saved by [`Space::save`]. The bytes are trusted as far as decoding goes
    /// (the entries inside are not verified again): the caller checks that they are
    /// what it saved, and that they match the entries it holds.
    pub fn restore(bytes: &[u8]) -> Result<Space, SnapshotError> {
        let (space, rest) =
            postcard::take_from_bytes::<Space>(bytes).map_err(SnapshotError::Decode)?;
        if !rest.is_empty() {
            return Err(SnapshotError::Trailing(rest.len()));
        }
        Ok(space)
    }
}

/// A draft as its saved Automerge document.
pub(crate) mod saved_draft {
    use margin_draft::Draft;
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(draft: &Draft, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&draft.save())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Draft, D::Error> {
        let bytes = serde_bytes::ByteBuf::deserialize(deserializer)?;
        Draft::load(&bytes).map_err(D::Error::custom)
    }
}

/// An entry kind as its envelope byte.
pub(crate) mod kind_byte {
    use margin_core::entry::Kind;
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(kind: &Kind, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(*kind as u8)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Kind, D::Error> {
        let byte = u8::deserialize(deserializer)?;
        Kind::from_byte(byte).ok_or_else(|| D::Error::custom(format!("no entry kind {byte}")))
    }
}

/// Entries as their stored bytes, each with the entry ids it was judged against.
pub(crate) mod entries_with_refs {
    use margin_core::entry::Entry;
    use margin_core::id::EntryId;
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};
    use serde_bytes::{ByteBuf, Bytes};

    pub fn serialize<S: Serializer>(
        entries: &[(Entry, Vec<EntryId>)],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(
            entries
                .iter()
                .map(|(entry, refs)| (Bytes::new(entry.bytes()), refs)),
        )
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<(Entry, Vec<EntryId>)>, D::Error> {
        let saved = Vec::<(ByteBuf, Vec<EntryId>)>::deserialize(deserializer)?;
        saved
            .into_iter()
            .map(|(bytes, refs)| {
                Entry::from_trusted_store(&bytes)
                    .map(|entry| (entry, refs))
                    .map_err(D::Error::custom)
            })
            .collect()
    }
}
