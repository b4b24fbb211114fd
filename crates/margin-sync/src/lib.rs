//! Margin's sync protocol, without I/O.
//!
//! Nodes replicate *spaces*: sets of signed, content-addressed entries. For every space
//! two connected nodes both hold, they reconcile the sets with
//! [negentropy](https://github.com/hoytech/negentropy) over `(time, id)` items — a few
//! hundred bytes when the sets are equal, whatever their size — then fetch what they lack
//! in zstd-compressed batches. New entries are announced with their ids.
//!
//! This crate is the protocol's state machine ([`service::Service`]), its wire messages
//! ([`message::Message`], spoken on the [`PROTOCOL`] stream) and a deterministic
//! many-node simulator (`sim`, behind the `sim` feature). It is **not** a network stack:
//! it opens no socket and reads no clock — the host passes `now` in and carries out the
//! [`service::Output`]s — and it does **not** verify entries: it hands the bytes it was
//! sent to the host, which decodes, verifies, authorizes and stores them, and reports a
//! [`service::Verdict`] per entry so the sender of a bad one is penalized.
//!
//! ```
//! use std::collections::VecDeque;
//!
//! use margin_core::Timestamp;
//! use margin_core::id::{EntryId, SpaceId};
//! use margin_sync::prelude::*;
//!
//! /// The host's store: entries as opaque bytes, all written at the same time.
//! struct Memory(Vec<Vec<u8>>);
//!
//! impl Store for Memory {
//!     fn items(&self, _space: &SpaceId) -> Vec<(Timestamp, EntryId)> {
//!         let time = Timestamp::from_millis(1_700_000_000_000);
//!         self.0.iter().map(|bytes| (time, EntryId::of_entry(bytes))).collect()
//!     }
//!     fn entries(&self, _space: &SpaceId, ids: &[EntryId]) -> Vec<Vec<u8>> {
//!         self.0.iter().filter(|bytes| ids.contains(&EntryId::of_entry(bytes))).cloned().collect()
//!     }
//! }
//!
//! let space = SpaceId::from_bytes([1; 32]);
//! let stores = [Memory(vec![b"an entry".to_vec()]), Memory(Vec::new())];
//! let mut nodes = [Service::new(0u8, Config::default()), Service::new(1u8, Config::default())];
//! let (start, later) = (Timestamp::from_millis(0), Timestamp::from_millis(1));
//! nodes[0].join(start, space, &stores[0]);
//! nodes[1].join(start, space, &stores[1]);
//!
//! // The driver's loop: carry every output out until both nodes are quiet.
//! let mut work: VecDeque<(usize, Output<u8>)> = VecDeque::new();
//! work.extend(nodes[0].connected(start, 1).into_iter().map(|output| (0, output)));
//! work.extend(nodes[1].connected(start, 0).into_iter().map(|output| (1, output)));
//! let mut delivered = Vec::new();
//! while let Some((at, output)) = work.pop_front() {
//!     let next = match output {
//!         Output::Send(to, message) => {
//!             let from = at as u8;
//!             let to = usize::from(to);
//!             let outputs = nodes[to].received(later, &from, &message.encode(), &stores[to]);
//!             outputs.into_iter().map(|output| (to, output)).collect()
//!         }
//!         Output::Deliver { from, space, entries } => {
//!             // Here a node decodes, verifies and stores; this one accepts everything.
//!             let verdicts: Vec<_> = entries
//!                 .iter()
//!                 .map(|bytes| (EntryId::of_entry(bytes), Verdict::Accepted { time: Timestamp::from_millis(1_700_000_000_000) }))
//!                 .collect();
//!             delivered.extend(entries);
//!             let outputs = nodes[at].verdicts(later, &from, &space, &verdicts);
//!             outputs.into_iter().map(|output| (at, output)).collect()
//!         }
//!         Output::Penalize(..) | Output::Disconnect(..) | Output::Offered(..) => Vec::new(),
//!     };
//!     work.extend(next);
//! }
//! assert_eq!(delivered, [b"an entry".to_vec()]);
//! ```

pub mod announce;
pub mod batch;
mod fetch;
pub mod items;
pub mod limits;
pub mod message;
pub mod penalty;
pub mod service;
#[cfg(any(test, feature = "sim"))]
pub mod sim;

pub use limits::PROTOCOL;

/// The names a host needs.
pub mod prelude {
    pub use crate::announce::Announcement;
    pub use crate::limits::PROTOCOL;
    pub use crate::message::{DecodeError, Message};
    pub use crate::penalty::{Offence, Penalty, Severity};
    pub use crate::service::{Config, DisconnectReason, Output, Service, Status, Store, Verdict};
}
