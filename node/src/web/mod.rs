//! The web interface and HTTP API of a node: server-rendered pages that work without
//! JavaScript for reading, a small script for selecting passages and live updates, and
//! JSON for scripts. Routes are declared in [`crate::daemon::http`]; this module holds
//! the handlers and everything they render.
//!
//! - [`model`]: what a page shows, computed on the store thread from a space's state;
//! - [`render`] and [`pages`]: that model as HTML, with every interface string taken
//!   from [`text`];
//! - [`read`] and [`write`]: the handlers; writes take an [`auth::Writer`], the proof
//!   that the request carries the node's token and comes from its own pages;
//! - [`live`]: server-sent events for new entries and sync changes;
//! - [`assets`]: the embedded stylesheet and script.
//!
//! The web layer only uses the store through the worker and the events channel, so it
//! runs the same with or without the network.

/// `write!` into a `String`, which cannot fail.
macro_rules! w {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = write!($out, $($arg)*);
    }};
}

pub mod assets;
pub mod auth;
pub mod error;
pub mod html;
pub mod live;
pub mod model;
pub mod pages;
pub mod read;
pub mod render;
#[cfg(any(test, feature = "test"))]
pub mod test;
pub mod text;
pub mod write;

use std::sync::Arc;

use margin_core::key::PublicKey;

pub use error::{ApiError, PageError, WebError};

use crate::daemon::http::AppState;
use crate::node::Node;

/// Who reads a page, and what they may do there.
#[derive(Clone, Debug, Default)]
pub struct Viewer {
    /// Served on a mirror's public address: read-only, no identity shown.
    pub public: bool,
    /// The browser carries the node's token.
    pub logged_in: bool,
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
    state: &Arc<AppState>,
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
    node.identity().ok().map(|i| Me {
        key: i.key.public(),
        name: i.profile.name,
    })
}
