//! The web interface and HTTP API of a node: server-rendered pages that work without
//! JavaScript for reading, a small script for selecting passages and live updates, and
//! JSON for scripts. The daemon (`margin-daemon`) serves what [`router`] builds on its
//! [`Handle`](margin_daemon::Handle); this crate holds the routes, the handlers and
//! everything they render.
//!
//! - [`router`]: every route, in one place, and the headers every answer carries;
//! - [`model`]: what a page shows, computed on the store thread from a space read in
//!   place, as plain data;
//! - [`view`]: that model as HTML, one module per page, built with `maud` (every value
//!   escaped), rendered on the async side after the store thread is done, with every
//!   interface string taken from [`text`] in the language [`locale`] chose;
//! - [`read`] and [`write`]: the handlers; writes take an [`auth::Writer`], the proof
//!   that the request carries the node's token and comes from its own pages;
//! - [`live`]: server-sent events for new entries and sync changes;
//! - [`assets`]: the embedded stylesheet and script.
//!
//! The web layer only uses the store through the worker and the events channel, so it
//! runs the same with or without the network.

pub mod assets;
pub mod auth;
pub mod error;
pub mod feed;
pub mod live;
pub mod locale;
pub mod model;
pub mod participate;
pub mod read;
pub mod router;
#[cfg(any(test, feature = "test"))]
pub mod test;
pub mod text;
pub mod view;
pub mod wire;
pub mod write;

use std::sync::{Arc, RwLock};

use margin_core::key::PublicKey;
use margin_daemon::events::Events;
use margin_daemon::worker::Worker;
use margin_daemon::{Handle, Status};
use margin_node::home::Home;
use margin_node::node::Node;

pub use error::{ApiError, PageError, WebError};
pub use router::{local_router, public_router};

/// Live-update streams a public address keeps open at once; one more is refused with
/// `503 Service Unavailable` (its page still reads, without live updates).
pub const PUBLIC_MAX_LISTENERS: usize = 256;

/// Requests a public address handles at once; one more is refused at once with `503
/// Service Unavailable` and `Retry-After`, so that a flood of requests cannot queue
/// work on the store thread that the node's own sync and pages wait behind.
pub const PUBLIC_MAX_IN_FLIGHT: usize = 64;

/// What every handler shares: the node's home, its store thread, the daemon's status
/// and its events.
pub struct Context {
    pub home: Home,
    /// Runs store and Automerge work off the async reactor.
    pub worker: Worker,
    /// The daemon's latest network and sync snapshot.
    pub status: Arc<RwLock<Status>>,
    /// Entries stored and sync changes, as they happen.
    pub events: Events,
    /// On a public address, the live-update streams that may be open at once (each
    /// holds a connection and a task for as long as the page stays open); none on the
    /// local address.
    pub listeners: Option<Arc<tokio::sync::Semaphore>>,
    /// On a public address that takes part (`--public-participation`), the budgets of the
    /// addresses and keys that post entries; none elsewhere.
    pub participation: Option<Arc<participate::Limits>>,
}

impl Context {
    pub fn new(handle: &Handle) -> Arc<Context> {
        Arc::new(Context {
            home: handle.home.clone(),
            worker: handle.worker.clone(),
            status: handle.status.clone(),
            events: handle.events.clone(),
            listeners: None,
            participation: None,
        })
    }

    /// The context of a public address, whose live-update streams are bounded; with
    /// `participation`, visitors may post the entries their browsers sign.
    pub fn public(handle: &Handle, participation: bool) -> Arc<Context> {
        Arc::new(Context {
            home: handle.home.clone(),
            worker: handle.worker.clone(),
            status: handle.status.clone(),
            events: handle.events.clone(),
            listeners: Some(Arc::new(tokio::sync::Semaphore::new(PUBLIC_MAX_LISTENERS))),
            participation: participation.then(|| Arc::new(participate::Limits::default())),
        })
    }
}

/// Who reads a page, and what they may do there.
#[derive(Clone, Debug, Default)]
pub struct Viewer {
    /// Served on a mirror's public address: read-only, no identity shown.
    pub public: bool,
    /// The browser carries the node's token.
    pub logged_in: bool,
    /// On a mirror's public site that takes part (`--public-participation`): the pages
    /// carry the forms, shown only to a browser that holds a key, and signed there.
    pub take_part: bool,
    /// The node's participant, when it has one.
    pub me: Option<Me>,
    /// Keys the node's participant muted: their comments are shown without their words.
    pub muted: std::collections::BTreeSet<String>,
}

#[derive(Clone, Debug)]
pub struct Me {
    pub key: PublicKey,
    pub name: String,
}

impl Viewer {
    /// May post comments, stances and, as an editor, dispositions.
    pub fn can_write(&self) -> bool {
        !self.public && self.logged_in && self.me.is_some()
    }

    pub fn key(&self) -> Option<PublicKey> {
        self.me.as_ref().map(|m| m.key)
    }
}

/// Runs `f` on the store thread.
pub async fn on_store<T: Send + 'static>(
    state: &Arc<Context>,
    f: impl FnOnce(&mut Node) -> Result<T, WebError> + Send + 'static,
) -> Result<T, WebError> {
    state
        .worker
        .call(f)
        .await
        .map_err(|e| WebError::Unavailable(e.to_string()))?
}

/// The node's participant as a viewer sees them (on the store thread).
pub fn me(node: &Node) -> Option<Me> {
    node.public_identity().ok().map(|i| Me {
        key: i.key,
        name: i.profile.name,
    })
}
