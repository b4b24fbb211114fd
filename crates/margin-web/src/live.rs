//! `GET /events`: server-sent events telling open pages what happened — an entry
//! stored (written here or received from a peer), the sync state changed — so they
//! refresh what changed without a reload.
//!
//! Events: `status` once on connecting (`{"peers": N, "in_sync": bool or null}`), then `entry` and `sync` as the
//! daemon publishes them (the JSON of [`Event`]), and `reload` when this listener fell
//! behind and missed some.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::Stream;
use futures::stream;
use tokio::sync::broadcast::error::RecvError;

use crate::Context;
use margin_daemon::events::Event;

pub async fn events(
    State(state): State<Arc<Context>>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let receiver = state.events.subscribe();
    let line = super::read::sync_line(&state.status, None);
    let hello = SseEvent::default()
        .event("status")
        .data(serde_json::json!({ "peers": line.peers, "in_sync": line.in_sync }).to_string());
    let updates = stream::unfold(receiver, |mut receiver| async move {
        let event = match receiver.recv().await {
            Ok(event) => to_sse(&event),
            Err(RecvError::Lagged(missed)) => {
                tracing::debug!(target: "http", "an event listener missed {missed} events");
                SseEvent::default().event("reload").data(missed.to_string())
            }
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(event), receiver))
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
