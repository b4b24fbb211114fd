//! Margin's store: one SQLite database per node.
//!
//! Entries are kept exactly as received; everything else (the list of spaces, the
//! full-text index, the snapshots of spaces' states) is an index that
//! [`Store::clear_indexes`] drops and the node rebuilds from the entries. Writes of
//! entries happen in one transaction per batch. The database runs in WAL mode so the CLI
//! and a running node can share it.

mod checkpoint;
pub mod error;
pub mod migrations;
pub mod network;
pub mod snapshot;
pub mod store;

pub use error::StoreError;
pub use network::{Blocked, Follow, FollowMode, KnownPeer};
pub use snapshot::Snapshot;
pub use store::{Batch, SearchDoc, SearchHit, SpaceMark, Store};
