//! JSON routes about the node itself: its addresses, its peers, and the sync state per
//! space and peer. `margin peers`, `margin sync status` and `margin sync wait` use them.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use margin_core::Timestamp;
use margin_core::id::SpaceId;
use serde::{Deserialize, Serialize};

use crate::{Handle, PeerState, Status};

/// The read-only routes, for every address.
pub fn routes(handle: &Handle) -> Router {
    Router::new()
        .route("/api/node", get(node))
        .route("/api/peers", get(peers))
        .with_state(Arc::new(handle.clone()))
}

/// Routes that make the node do something (but change no data), for the local address.
pub fn control_routes(handle: &Handle) -> Router {
    Router::new()
        .route("/api/sync/reconcile", post(reconcile))
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

#[derive(Deserialize)]
struct SpaceQuery {
    space: String,
}

#[derive(Serialize)]
struct Reconciling {
    /// When the reconciliations were started (ms); a link whose `last_sync` is at or
    /// after this has finished one since.
    since: Timestamp,
}

/// Reconciles a space with every connected peer now.
async fn reconcile(
    State(state): State<Arc<Handle>>,
    Query(query): Query<SpaceQuery>,
) -> Result<Json<Reconciling>, (StatusCode, String)> {
    let space: SpaceId = query
        .space
        .parse()
        .map_err(|e| (StatusCode::BAD_REQUEST, format!("{e}")))?;
    let since = state
        .worker
        .call_engine(move |engine| engine.reconcile_now(&space))
        .await
        .map_err(|e| (StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
    Ok(Json(Reconciling { since }))
}
