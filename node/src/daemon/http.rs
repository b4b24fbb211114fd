//! The node's HTTP side: the local API and web UI on 127.0.0.1 (reads and, with the
//! token, writes), and a mirror's public read-only view. Routes are declared here, in
//! one place; the sync and peer status routes come from [`super::api`].

use std::sync::{Arc, RwLock};

use axum::Router;

use super::Status;
use super::events::Events;
use super::worker::Worker;
use crate::home::Home;

/// What every handler shares.
pub struct AppState {
    pub home: Home,
    /// Runs store and Automerge work off the async reactor.
    pub worker: Worker,
    /// The daemon's latest network and sync snapshot.
    pub status: Arc<RwLock<Status>>,
    /// Entries stored and sync changes, as they happen.
    pub events: Events,
}

/// The local address: API, web UI, writes with the token.
pub fn local_router(state: Arc<AppState>) -> Router {
    Router::new()
        .merge(super::api::routes())
        .merge(super::api::control_routes())
        .with_state(state)
}

/// The public address of a mirror: read-only; no write route exists on it.
pub fn public_router(state: Arc<AppState>) -> Router {
    Router::new().merge(super::api::routes()).with_state(state)
}
