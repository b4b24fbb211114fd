//! The node's local HTTP API (JSON). Read routes only so far; see `docs/api.md`.

use std::sync::{Arc, RwLock};

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use super::Status;
use super::worker::Worker;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    pub status: Arc<RwLock<Status>>,
    pub worker: Worker,
}

/// Every route, declared in one place.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/node", get(node))
        .route("/api/peers", get(peers))
        .with_state(state)
}

fn snapshot(state: &AppState) -> Status {
    state.status.read().map(|s| s.clone()).unwrap_or_default()
}

async fn node(State(state): State<AppState>) -> Json<Status> {
    Json(snapshot(&state))
}

async fn peers(State(state): State<AppState>) -> Json<Vec<super::PeerState>> {
    Json(snapshot(&state).peers)
}
