//! Margin's signed entries.
//!
//! Every fact in Margin — a charter, a profile, a draft revision, a comment, a stance, a
//! disposition — is an [`Entry`]: signed by its author with Ed25519, canonically encoded,
//! and addressed by the BLAKE3 hash of its bytes. This crate owns keys, ids, the entry
//! envelope and the kind-specific bodies, their canonical encoding, signing, verification
//! and the size limits that keep decoding bounded. It knows nothing of what entries mean
//! together; that is `margin-space`'s job.
//!
//! ```
//! use margin_core::prelude::*;
//!
//! let key = SigningKey::from_seed([7; 32]);
//! let body = Body::Profile(Profile {
//!     name: "Amina".into(),
//!     affiliation: "Civil Society Network".into(),
//!     stakeholder: "civil-society".into(),
//!     region: "Africa".into(),
//! });
//! let entry = Entry::sign(&key, None, Timestamp::from_millis(1_700_000_000_000), vec![], &body)?;
//! let received = Entry::decode(entry.bytes())?;
//! let verified = received.verify()?;
//! assert_eq!(verified.id(), entry.id());
//! assert_eq!(verified.body(), Some(&body));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod body;
pub mod encoding;
pub mod entry;
pub mod id;
pub mod key;
pub mod limits;
pub mod link;
pub mod para;
pub mod time;
#[cfg(any(test, feature = "test"))]
pub mod vectors;
pub mod vocabulary;

pub use para::{ParaId, ParaIdError};
pub use time::Timestamp;

/// The names most users of this crate need.
pub mod prelude {
    pub use crate::body::*;
    pub use crate::entry::{Entry, Kind, Unverified, Verified};
    pub use crate::id::{DraftId, EntryId, SpaceId};
    pub use crate::key::{PublicKey, SigningKey};
    pub use crate::para::ParaId;
    pub use crate::time::Timestamp;
    pub use crate::vocabulary::BlockTarget;
}
