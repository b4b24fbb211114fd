//! Every bound the sync protocol enforces. A peer that sends more than these is refused
//! before anything is allocated for it, and penalized.

use margin_core::limits::MAX_ENTRY_BYTES;

/// The stream protocol id a transport negotiates for this protocol (one message per
/// length-delimited frame).
pub const PROTOCOL: &str = "/margin/sync/1";

/// Spaces one `Hello` may name.
pub const MAX_HELLO_SPACES: usize = 1024;

/// Ids one `Want` may ask for.
pub const MAX_WANT_IDS: usize = 512;

/// Ids one `Have` may announce.
pub const MAX_HAVE_IDS: usize = 1024;

/// Entries one `Entries` batch may carry.
pub const MAX_BATCH_ENTRIES: usize = 512;

/// A sender closes a batch once it holds this many entry bytes; a single entry larger
/// than this (a draft import) travels alone.
pub const BATCH_SOFT_BYTES: usize = 2 * 1024 * 1024;

/// The largest decompressed batch a receiver accepts: one maximal entry and its length
/// prefix, with room to spare. The compressed size is bounded by the frame.
pub const MAX_BATCH_BYTES: usize = MAX_ENTRY_BYTES + 64 * 1024;

/// The largest negentropy payload in one `Reconcile` or `ReconcileReply`.
pub const MAX_RECONCILE_BYTES: usize = 1024 * 1024;

/// The frame size negentropy is asked to stay under when it builds a payload; a
/// difference larger than this is worked through in further rounds.
pub const RECONCILE_FRAME_LIMIT: u64 = 512 * 1024;

/// Rounds one reconciliation may take before it is abandoned (and retried later).
pub const MAX_RECONCILE_ROUNDS: u32 = 1024;

/// The largest frame (one encoded [`Message`](crate::message::Message)) a node accepts:
/// a maximal batch after zstd's worst-case expansion, plus the envelope.
pub const MAX_FRAME_BYTES: usize = MAX_BATCH_BYTES + 128 * 1024;

/// Ids a node queues for fetching from one peer in one space. Reconciling against a peer
/// that claims more than this is cut short; the rest is found at the next round.
pub const MAX_QUEUED_IDS: usize = 1_000_000;

/// Ids the service remembers as waiting at the host for their refs (not fetched again
/// meanwhile): the host keeps at most 10 000 waiting per space.
pub const MAX_WAITING_IDS: usize = 100_000;
