//! JSON routes about the node itself: its addresses, its peers, and the sync state per
//! space and peer. `margin peers`, `margin sync status` and `margin sync wait` use them.
//! (`POST /api/sync/reconcile`, which makes the node work, needs the node's token: the
//! web crate serves it with its other token-guarded routes.)

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use crate::{Handle, PeerState, Status};

/// The read-only routes, for the local address.
pub fn routes(handle: &Handle) -> Router {
    Router::new()
        .route("/api/node", get(node))
        .route("/api/peers", get(peers))
        .with_state(Arc::new(handle.clone()))
}

/// The same routes for a mirror's public address, where anyone may ask: peers are
/// listed without their network addresses (participants' IP addresses), and the bans
/// this node holds are not listed.
pub fn public_routes(handle: &Handle) -> Router {
    Router::new()
        .route("/api/node", get(public_node))
        .route("/api/peers", get(public_peers))
        .with_state(Arc::new(handle.clone()))
}

fn snapshot(state: &Handle) -> Status {
    state.status.read().map(|s| s.clone()).unwrap_or_default()
}

async fn node(State(state): State<Arc<Handle>>) -> Json<Status> {
    Json(snapshot(&state))
}

async fn peers(State(state): State<Arc<Handle>>) -> Json<Vec<PeerState>> {
    Json(snapshot(&state).peers)
}

async fn public_node(State(state): State<Arc<Handle>>) -> Json<Status> {
    Json(snapshot(&state).public())
}

async fn public_peers(State(state): State<Arc<Handle>>) -> Json<Vec<PeerState>> {
    Json(snapshot(&state).public().peers)
}
