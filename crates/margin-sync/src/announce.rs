//! What a node publishes on a space's gossip topic when it has a new entry: the entry
//! itself when it is small, else only its id (peers then fetch it with `Want`).
//!
//! Gossip reaches nodes that are not directly connected to the author within the
//! mesh's few hops, which is how a comment reaches every node of a network in well under
//! a second; reconciliation repairs whatever gossip loses.

use margin_core::id::EntryId;
use margin_core::limits::MAX_SMALL_ENTRY_BYTES;
use serde::{Deserialize, Serialize};

/// Ids one announcement may carry.
pub const MAX_ANNOUNCED_IDS: usize = 64;

/// The largest gossip message: a small entry, its length and the variant tag.
pub const MAX_ANNOUNCEMENT_BYTES: usize = MAX_SMALL_ENTRY_BYTES + 16;

/// One gossip message. Variant order is wire format: append, never reorder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Announcement {
    /// A new entry, as encoded on the wire (at most 64 KiB).
    Entry(#[serde(with = "serde_bytes")] Vec<u8>),
    /// New entries too large to gossip; fetch them from the sender.
    Ids(Vec<EntryId>),
}

impl Announcement {
    /// What to publish for a new entry of `bytes`.
    pub fn of_entry(bytes: &[u8]) -> Announcement {
        if bytes.len() <= MAX_SMALL_ENTRY_BYTES {
            Announcement::Entry(bytes.to_vec())
        } else {
            Announcement::Ids(vec![EntryId::of_entry(bytes)])
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("encoding into a Vec cannot fail")
    }

    /// Decodes a gossip message from a peer; every error is the sender's fault.
    pub fn decode(bytes: &[u8]) -> Result<Announcement, AnnouncementError> {
        if bytes.len() > MAX_ANNOUNCEMENT_BYTES {
            return Err(AnnouncementError::Oversize(bytes.len()));
        }
        let (announcement, rest) = postcard::take_from_bytes::<Announcement>(bytes)
            .map_err(|e| AnnouncementError::Malformed(e.to_string()))?;
        if !rest.is_empty() {
            return Err(AnnouncementError::Malformed(format!(
                "{} bytes after the message",
                rest.len()
            )));
        }
        match &announcement {
            Announcement::Entry(bytes) if bytes.len() > MAX_SMALL_ENTRY_BYTES => {
                Err(AnnouncementError::Oversize(bytes.len()))
            }
            Announcement::Ids(ids) if ids.len() > MAX_ANNOUNCED_IDS => {
                Err(AnnouncementError::TooManyIds(ids.len()))
            }
            _ => Ok(announcement),
        }
    }
}

/// A gossip message that is not a valid announcement.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum AnnouncementError {
    #[error("gossip message of {0} bytes is over the limit")]
    Oversize(usize),
    #[error("malformed gossip message: {0}")]
    Malformed(String),
    #[error("gossip message names {0} ids, over the limit of {MAX_ANNOUNCED_IDS}")]
    TooManyIds(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_entries_travel_whole_and_large_ones_by_id() {
        let small = vec![1u8; 100];
        let large = vec![2u8; MAX_SMALL_ENTRY_BYTES + 1];
        let a = Announcement::of_entry(&small);
        assert_eq!(Announcement::decode(&a.encode()), Ok(a));
        let b = Announcement::of_entry(&large);
        assert_eq!(b, Announcement::Ids(vec![EntryId::of_entry(&large)]));
        assert_eq!(Announcement::decode(&b.encode()), Ok(b));
    }

    #[test]
    fn garbage_and_oversize_are_refused() {
        assert!(Announcement::decode(&[9, 9, 9]).is_err());
        assert!(Announcement::decode(&vec![0u8; MAX_ANNOUNCEMENT_BYTES + 1]).is_err());
        let many = Announcement::Ids(vec![EntryId::from_bytes([1; 32]); MAX_ANNOUNCED_IDS + 1]);
        assert_eq!(
            Announcement::decode(&many.encode()),
            Err(AnnouncementError::TooManyIds(MAX_ANNOUNCED_IDS + 1))
        );
        let mut trailing = Announcement::Ids(vec![]).encode();
        trailing.push(0);
        assert!(Announcement::decode(&trailing).is_err());
    }
}
