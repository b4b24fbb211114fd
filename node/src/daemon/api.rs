//! Read-only JSON routes about the node itself: its addresses, its peers, and the sync
//! state per space and peer. `margin peers`, `margin sync status` and `margin sync wait`
//! read these.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use super::http::AppState;
use super::{PeerState, Status};

/// The routes, for [`super::http`] to mount.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/node", get(node))
        .route("/api/peers", get(peers))
}

fn snapshot(state: &AppState) -> Status {
    state.status.read().map(|s| s.clone()).unwrap_or_default()
}

async fn node(State(state): State<Arc<AppState>>) -> Json<Status> {
    Json(snapshot(&state))
}

async fn peers(State(state): State<Arc<AppState>>) -> Json<Vec<PeerState>> {
    Json(snapshot(&state).peers)
}
