//! Every bound the sync protocol enforces. A peer that sends more than these is refused
//! before anything is allocated for it, and penalized.

use margin_core::limits::MAX_ENTRY_BYTES;

/// The stream protocol id a transport negotiates for this protocol (one message per
/// length-delimited frame; the transport compresses each direction of the stream as one
/// zstd stream, flushed at every frame).
pub const PROTOCOL: &str = "/margin/sync/3";

/// Spaces one `Hello` may name.
pub const MAX_HELLO_SPACES: usize = 1024;

/// Ids one `Want` may ask for.
pub const MAX_WANT_IDS: usize = 512;

/// Ids one `Have` may announce.
pub const MAX_HAVE_IDS: usize = 1024;

/// Entries one `Entries` batch may carry.
pub const MAX_BATCH_ENTRIES: usize = 512;

/// A sender closes a part of an answer (one `Entries` frame) once it holds this many
/// entry bytes; a single entry larger than this (a draft import) travels alone. Small
/// parts keep a slow link's frames arriving every few seconds, which is how the
/// requester sees that its request is still being answered.
pub const BATCH_SOFT_BYTES: usize = 32 * 1024;

/// A sender whose host packs entries ([`Store::pack`](crate::service::Store::pack)) puts
/// up to this many bytes of entries in one packed part: a draft's revisions pack to a
/// fraction of their size, the more of them together the smaller, so a part of this
/// size takes about as long on the link as an unpacked one of [`BATCH_SOFT_BYTES`].
pub const PACK_SOFT_BYTES: usize = 256 * 1024;

/// The largest batch a receiver accepts: one maximal entry and its length prefix, with
/// room to spare.
pub const MAX_BATCH_BYTES: usize = MAX_ENTRY_BYTES + 64 * 1024;

/// The largest negentropy payload in one `Reconcile` or `ReconcileReply`.
pub const MAX_RECONCILE_BYTES: usize = 1024 * 1024;

/// The frame size negentropy is asked to stay under when it builds a payload; a
/// difference larger than this is worked through in further rounds.
pub const RECONCILE_FRAME_LIMIT: u64 = 512 * 1024;

/// Rounds one reconciliation may take before it is abandoned (and retried later).
pub const MAX_RECONCILE_ROUNDS: u32 = 1024;

/// The largest frame (one encoded [`Message`](crate::message::Message)) a node accepts:
/// a maximal batch plus the envelope, with room to spare.
pub const MAX_FRAME_BYTES: usize = MAX_BATCH_BYTES + 128 * 1024;

/// Ids a node queues for fetching from one peer in one space (3.2 MB), and ids one
/// reconciliation collects on each side. Reconciling against a peer that claims more
/// than this is cut short; the rest is found at the next round. (A node that holds
/// nothing of a space fetches it whole, by range, without queuing ids.)
pub const MAX_QUEUED_IDS: usize = 100_000;

/// Ids a node queues for fetching from one peer in all the spaces they share (6.4 MB):
/// a peer sharing many spaces with a node cannot make it queue [`MAX_QUEUED_IDS`] in
/// each. What does not fit is found again when the peer's queue has drained.
pub const MAX_QUEUED_IDS_PER_PEER: usize = 2 * MAX_QUEUED_IDS;

/// Ids the service remembers as waiting at the host for their refs (not fetched again
/// meanwhile): the host keeps at most 10 000 waiting per space.
pub const MAX_WAITING_IDS: usize = 100_000;

/// The fewest and most bytes of entries one request asks for (a `WantRange` page, or the
/// expected answer to a `Want`): between them, a request is sized to what the link
/// carries in [`REQUEST_TARGET_MS`].
pub const MIN_REQUEST_BYTES: usize = 16 * 1024;
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// How long, at the rate a peer's answers arrived so far, one request's answer should
/// take: long enough that the round trip between requests is small beside it, short
/// enough that a stalled peer is noticed.
pub const REQUEST_TARGET_MS: u64 = 4_000;
