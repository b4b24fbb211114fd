//! The deterministic state of a Margin review space.
//!
//! A [`Space`] takes verified entries in any order and decides, for each, whether it is
//! valid: authorized by the charter version it names, consistent with the draft
//! versions and comments it refers to. The decision reads only the entry and the entries
//! it names, so every node holding the same entries reaches the same state, whatever
//! order they arrived in; entries whose refs are missing wait in a bounded pending set.
//!
//! This crate does no I/O and reads no clock: time is what entries say, and the caller
//! supplies the current time where a view needs it.
//!
//! ```
//! use margin_core::prelude::*;
//! use margin_space::{Space, Verdict};
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
//! let mut space = Space::new(genesis.clone())?;
//! assert_eq!(space.charter().title, "BPF on Cybersecurity");
//! assert_eq!(space.apply(genesis)[0].1, Verdict::Duplicate);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod charter;
pub mod comment;
pub mod digest;
pub mod draft;
pub mod error;
pub mod people;
pub mod snapshot;
pub mod space;
pub mod view;

pub use error::Rejection;
pub use snapshot::SnapshotError;
pub use space::{MAX_PENDING, MAX_PENDING_BYTES, MAX_STRANGER_WAITING_BYTES, Space, Verdict};
