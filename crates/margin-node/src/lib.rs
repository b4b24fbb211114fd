//! A Margin node: the home directory (identity, database), and the operations that turn
//! what a participant does into signed entries, check them against the space's rules,
//! and store them.
//!
//! The CLI, the daemon (`margin-daemon`) and the web interface (`margin-web`) are shells
//! around [`Node`]; this crate knows nothing of the network or of HTTP. The store is the
//! integration point: the CLI writes entries even when no daemon runs.

pub mod author;
pub mod behind;
pub mod brackets;
pub mod bundle;
pub mod cache;
pub mod demo;
pub mod error;
pub mod home;
pub mod identity_file;
mod index;
pub mod ingest;
pub mod news;
pub mod node;
pub mod passphrase;
pub mod people;
pub mod review;
mod snapshot;

pub use error::NodeError;
pub use home::{Home, Identity, PublicIdentity};
pub use node::{ImportReport, Node};
