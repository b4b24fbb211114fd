//! `GET /events`: server-sent events telling open pages what happened — an entry
//! stored (written here or received from a peer), the sync state changed — so they
//! refresh what changed without a reload.
//!
//! On a public address at most [`crate::PUBLIC_MAX_LISTENERS`] streams are open at once;
//! one more is answered `503 Service Unavailable`.
//!
//! Events: `status` once on connecting (`{"peers": N, "in_sync": bool or null,
//! "peers_label": "3 peers"}`), then `entry` and `sync` as the daemon publishes them
//! (the JSON of [`Event`]; `sync` with `peers_label` added), and `reload` when this
//! listener fell behind and missed some. `peers_label` is the count in words, in the
//! page's language, so that the script needs no plural rules of its own.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use futures::stream;
use tokio::sync::OwnedSemaphorePermit;
use tokio::sync::broadcast::error::RecvError;

use crate::Context;
use crate::text::{Text, text};
use margin_daemon::events::Event;

pub async fn events(State(state): State<Arc<Context>>) -> Response {
    // The permit is held by the stream, so until the page closes the connection.
    let permit = match &state.listeners {
        None => None,
        Some(listeners) => match listeners.clone().try_acquire_owned() {
            Ok(permit) => Some(permit),
            Err(_) => {
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(header::RETRY_AFTER, "60")],
                    "too many pages follow this mirror's live updates; reload later",
                )
                    .into_response();
            }
        },
    };
    // The stream outlives the handler, so it takes the request's language with it.
    stream(&state, permit, text()).into_response()
}

fn stream(
    state: &Context,
    permit: Option<OwnedSemaphorePermit>,
    t: &'static Text,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>> + use<>> {
    let receiver = state.events.subscribe();
    let line = super::read::sync_line(&state.status, None);
    let hello = SseEvent::default().event("status").data(
        serde_json::json!({
            "peers": line.peers,
            "in_sync": line.in_sync,
            "peers_label": peers_label(t, line.peers),
        })
        .to_string(),
    );
    let updates = stream::unfold(
        (receiver, permit),
        move |(mut receiver, permit)| async move {
            let event = match receiver.recv().await {
                Ok(event) => to_sse(&event, t),
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(target: "http", "an event listener missed {missed} events");
                    SseEvent::default().event("reload").data(missed.to_string())
                }
                Err(RecvError::Closed) => return None,
            };
            Some((Ok(event), (receiver, permit)))
        },
    );
    let stream = futures::StreamExt::chain(stream::once(async { Ok(hello) }), updates);
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

fn to_sse(event: &Event, t: &Text) -> SseEvent {
    let (name, data) = match event {
        Event::Entry { .. } => ("entry", serde_json::to_value(event)),
        Event::Sync { peers, .. } => (
            "sync",
            serde_json::to_value(event).map(|mut data| {
                data["peers_label"] = peers_label(t, *peers).into();
                data
            }),
        ),
    };
    SseEvent::default()
        .event(name)
        .data(data.unwrap_or_default().to_string())
}

/// The number of peers in words, as the page's header says it.
pub fn peers_label(t: &Text, peers: usize) -> String {
    if peers == 0 {
        t.status_no_peers.clone()
    } else {
        t.status_peers(peers)
    }
}
