//! What the daemon tells its listeners (the web UI's server-sent events, `margin sync
//! wait`): entries newly stored, whoever wrote them, and changes of the sync state.

use margin_core::body::Body;
use margin_core::entry::Entry;
use margin_core::id::EntryId;
use serde::Serialize;
use tokio::sync::broadcast;

/// How many events a slow listener may fall behind before it misses some (it is told so
/// by `RecvError::Lagged` and should reload what it shows).
pub const CAPACITY: usize = 1024;

/// Something that happened in the node.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Event {
    /// An entry was stored as valid: written here (CLI, web) or received from a peer.
    Entry {
        space: String,
        entry: String,
        kind: &'static str,
        /// The draft it is about, when it is about one.
        draft: Option<String>,
    },
    /// The sync state changed: peers came or went, or a space got in or out of sync.
    Sync { peers: usize, in_sync: bool },
}

impl Event {
    /// The event for a newly stored entry.
    pub fn stored(entry: &Entry) -> Event {
        Event::Entry {
            space: entry.space_or_self().to_hex(),
            entry: entry.id().to_hex(),
            kind: entry.kind().name(),
            draft: draft_of(entry).map(|d| d.to_hex()),
        }
    }
}

/// The draft an entry is about, when its body names it (edits, retractions and
/// dispositions name a comment, not a draft).
fn draft_of(entry: &Entry) -> Option<EntryId> {
    match entry.body()? {
        Body::DraftChange(c) => Some(c.draft.unwrap_or(entry.id())),
        Body::VersionTag(t) => Some(t.draft),
        Body::Comment(c) => Some(c.draft),
        Body::Stance(s) => Some(s.draft),
        _ => None,
    }
}

/// The sending side; clone it to publish from several places.
pub type Events = broadcast::Sender<Event>;

/// A new channel with no listeners yet.
pub fn channel() -> Events {
    broadcast::channel(CAPACITY).0
}
