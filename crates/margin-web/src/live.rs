//! `GET /events`: server-sent events telling open pages what happened — an entry
//! stored (written here or received from a peer), the sync state changed — so they
//! refresh what changed without a reload.
//!
//! On a public address at most [`crate::PUBLIC_MAX_LISTENERS`] streams are open at once;
//! one more is answered `503 Service Unavailable`.
//!
//! Events: `status` once on connecting (`{"peers": N, "in_sync": bool or null}`), then `entry` and `sync` as the
//! daemon publishes them (the JSON of [`Event`]), and `reload` when this listener fell
//! behind and missed some.

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
    stream(&state, permit).into_response()
}

fn stream(
    state: &Context,
    permit: Option<OwnedSemaphorePermit>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>> + use<>> {
    let receiver = state.events.subscribe();
    let line = super::read::sync_line(&state.status, None);
    let hello = SseEvent::default()
        .event("status")
        .data(serde_json::json!({ "peers": line.peers, "in_sync": line.in_sync }).to_string());
    let updates = stream::unfold((receiver, permit), |(mut receiver, permit)| async move {
        let event = match receiver.recv().await {
            Ok(event) => to_sse(&event),
            Err(RecvError::Lagged(missed)) => {
                tracing::debug!(target: "http", "an event listener missed {missed} events");
                SseEvent::default().event("reload").data(missed.to_string())
            }
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(event), (receiver, permit)))
    });
    let stream = futures::StreamExt::chain(stream::once(async { Ok(hello) }), updates);
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

fn to_sse(event: &Event) -> SseEvent {
    let name = match event {
        Event::Entry { .. } => "entry",
        Event::Sync { .. } => "sync",
    };
    SseEvent::default()
        .event(name)
        .data(serde_json::to_string(event).unwrap_or_default())
}
