//! The node's HTTP side: the local API and web UI on 127.0.0.1 (reads and, with the
//! token, writes), and a mirror's public read-only view. Routes are declared here, in
//! one place; the sync and peer status routes come from the daemon
//! ([`margin_daemon::api`]). `docs/api.md` documents every route.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Extension, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn, from_fn_with_state, map_response};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use margin_core::limits::MAX_ENTRY_BYTES;
use tokio::sync::Semaphore;

use margin_daemon::{Handle, api};

use crate::read::Surface;
use crate::{Context, assets, auth, live, locale, participate, read, wire, write};

/// Pages, JSON reads, live events and assets: served on both addresses.
fn reads() -> Router<Arc<Context>> {
    Router::new()
        .route("/", get(read::home))
        .route("/spaces/{space}", get(read::space))
        .route("/spaces/{space}/feed.atom", get(read::space_feed))
        .route("/drafts/{draft}", get(read::draft))
        .route("/drafts/{draft}/feed.atom", get(read::draft_feed))
        .route("/drafts/{draft}/p/{para}", get(read::paragraph))
        .route("/drafts/{draft}/diff", get(read::diff))
        .route("/comments/{comment}", get(read::comment))
        .route("/search", get(read::search))
        .route("/events", get(live::events))
        .route("/lang/{code}", get(locale::switch))
        .route("/static/margin.css", get(assets::css))
        .route("/static/margin.js", get(assets::js))
        .route("/static/entry.js", get(assets::entry_js))
        .route("/static/participate.js", get(assets::participate_js))
        .route("/api/me", get(read::api_me))
        .route("/api/spaces", get(read::api_spaces))
        .route("/api/spaces/{space}", get(read::api_space))
        .route("/api/drafts/{draft}", get(read::api_draft))
        .route("/api/drafts/{draft}/comments", get(read::api_comments))
        .route("/api/drafts/{draft}/stances", get(read::api_stances))
        .route("/api/drafts/{draft}/diff", get(read::api_diff))
        .route("/api/comments/{comment}", get(read::api_comment))
        .route("/api/search", get(read::api_search))
}

/// Logging in, and every write: the local address only. Each write handler takes the
/// proof of the token ([`auth::Writer`]).
fn writes() -> Router<Arc<Context>> {
    Router::new()
        .route("/login", get(write::login).post(write::login_form))
        .route("/logout", post(write::logout))
        .route("/identity", get(read::identity))
        .route("/news", get(read::news))
        .route("/api/news", get(read::api_news))
        .route("/api/news/read", post(write::news_read))
        .route("/api/identity", post(write::create_identity))
        .route("/api/spaces/{space}/drafts", post(write::import_draft))
        .route("/api/drafts/{draft}/comments", post(write::post_comment))
        .route("/api/drafts/{draft}/stances", post(write::stance))
        .route("/api/drafts/{draft}/tags", post(write::tag))
        .route("/api/drafts/{draft}/revisions", post(write::update_draft))
        .route("/api/comments/{comment}/edit", post(write::edit_comment))
        .route(
            "/api/comments/{comment}/retract",
            post(write::retract_comment),
        )
        .route("/api/comments/{comment}/dispose", post(write::dispose))
        .route("/api/comments/{comment}/reattach", post(write::reattach))
        .route("/api/comments/{comment}/moderation", post(write::moderate))
        .route("/api/participants/{key}/mute", post(write::mute))
        .route("/api/sync/reconcile", post(write::reconcile))
}

/// The local address: API, web UI, writes with the token. Creates the token if the
/// home has none, and prints the login link once the address is known.
pub fn local_router(handle: &Handle) -> Router {
    let state = Context::new(handle);
    match auth::ensure_token(&state.home) {
        Ok(token) => announce_login(state.clone(), token),
        Err(e) => tracing::error!(target: "http", "no API token, so no writes over HTTP: {e}"),
    }
    Router::new()
        .merge(reads())
        .merge(writes())
        .with_state(state.clone())
        .merge(api::routes(handle))
        .layer(from_fn(locale::scope))
        .layer(map_response(protect))
        .layer(from_fn_with_state(state.clone(), auth::local_hosts_only))
        .layer(Extension(Surface::Local))
        // A draft import is the largest thing one may send.
        .layer(DefaultBodyLimit::max(2 * MAX_ENTRY_BYTES))
        .layer(from_fn(wire::revalidate))
        .layer(wire::compression())
}

/// The public address of a mirror: read-only; no write route exists on it.
pub fn public_router(handle: &Handle) -> Router {
    public_router_with(handle, false)
}

/// The public address of a mirror; with `participation`, visitors take part with keys
/// held in their browsers: `/participate`, and the entries their browsers sign (see
/// [`crate::participate`]). The node's own writes never exist here.
pub fn public_router_with(handle: &Handle, participation: bool) -> Router {
    let in_flight = Arc::new(Semaphore::new(crate::PUBLIC_MAX_IN_FLIGHT));
    let context = Context::public(handle, participation);
    if let Some(limits) = &context.participation {
        forget_idle_senders(limits.clone());
    }
    // An installable app that reads offline: the public site only (the local one is
    // the node itself, always there).
    let mut routes = reads()
        .route("/sw.js", get(assets::service_worker))
        .route("/manifest.webmanifest", get(assets::manifest))
        .route("/static/icon.svg", get(assets::icon));
    if participation {
        routes = routes
            .route("/participate", get(read::participate))
            .route("/api/spaces/{space}/context", get(participate::context))
            .route("/api/drafts/{draft}/anchor", get(participate::anchor))
            .route("/static/visitor.js", get(assets::visitor_js))
            .route("/static/respond.js", get(assets::respond_js))
            .route("/static/backup.js", get(assets::backup_js))
            .route("/static/vendor/age.js", get(assets::age_js))
            .route("/static/vendor/age.LICENSE.txt", get(assets::age_license))
            .route(
                "/api/entries",
                post(participate::post_entry)
                    .layer(DefaultBodyLimit::max(participate::MAX_POSTED_BYTES)),
            );
    }
    Router::new()
        .merge(routes)
        .with_state(context)
        .merge(api::public_routes(handle))
        .layer(from_fn(locale::scope))
        .layer(map_response(protect))
        .layer(Extension(Surface::Public))
        .layer(from_fn(wire::revalidate))
        .layer(wire::compression())
        .layer(from_fn_with_state(in_flight, shed_load))
}

/// Every minute, forgets the senders whose budget is whole again.
fn forget_idle_senders(limits: Arc<participate::Limits>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            limits.forget_idle();
        }
    });
}

/// Refuses a request at once when the public address already handles as many as it
/// may (see [`crate::PUBLIC_MAX_IN_FLIGHT`]).
async fn shed_load(
    State(in_flight): State<Arc<Semaphore>>,
    request: Request,
    next: Next,
) -> Response {
    match in_flight.try_acquire() {
        Ok(_permit) => next.run(request).await,
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "1")],
            "this mirror is busy; try again in a moment",
        )
            .into_response(),
    }
}

/// Headers on every answer: no framing by other sites (a framed page could be tricked
/// into clicks), no other origins for scripts, forms posting only here, no referrer to
/// other sites (the login link carries the token). Not `no-referrer`: with it browsers
/// send `Origin: null` on form posts, which the origin check must refuse.
async fn protect(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// Rebuilds every space from the store once, in the background, so that the first page
/// a participant opens does not wait for it (a space of a few thousand entries takes a
/// second or two).
async fn warm_up(state: &Context) {
    let started = std::time::Instant::now();
    match state.worker.call(|node| node.warm_spaces()).await {
        Ok(Ok(n)) => {
            tracing::debug!(target: "http", "{n} spaces ready in {} ms", started.elapsed().as_millis())
        }
        Ok(Err(e)) | Err(e) => tracing::warn!(target: "http", "could not read the spaces: {e}"),
    }
}

/// Prints the login link once the daemon knows its HTTP address, then warms the spaces.
fn announce_login(state: Arc<Context>, token: String) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        // The daemon fills in its address as soon as it starts serving.
        for _ in 0..600 {
            let http = state
                .status
                .read()
                .map(|s| s.http.clone())
                .unwrap_or_default();
            if !http.is_empty() {
                let address = http
                    .replace("0.0.0.0:", "127.0.0.1:")
                    .replace("[::]:", "[::1]:");
                println!("Web interface: http://{address}/login?token={token}");
                tracing::info!(target: "http", "web interface on http://{address}/");
                warm_up(&state).await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tracing::debug!(target: "http", "no HTTP address to announce");
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    /// A router whose one page waits until `gate` has a permit for it, behind
    /// `shed_load` with `in_flight` as its room.
    fn waiting_router(in_flight: Arc<Semaphore>, gate: Arc<Semaphore>) -> Router {
        Router::new()
            .route(
                "/",
                get(move || {
                    let gate = gate.clone();
                    async move {
                        let _passed = gate.acquire().await.expect("the gate stays open");
                        "done"
                    }
                }),
            )
            .layer(from_fn_with_state(in_flight, shed_load))
    }

    fn request() -> Request {
        Request::builder()
            .uri("/")
            .body(Body::empty())
            .expect("a request")
    }

    #[tokio::test]
    async fn requests_past_the_limit_in_flight_are_refused_at_once_not_queued() {
        let in_flight = Arc::new(Semaphore::new(2));
        let gate = Arc::new(Semaphore::new(0));
        let router = waiting_router(in_flight.clone(), gate.clone());
        let first = tokio::spawn(router.clone().oneshot(request()));
        let second = tokio::spawn(router.clone().oneshot(request()));
        while in_flight.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        // Two in flight: a third is refused at once.
        let third = router.clone().oneshot(request()).await.expect("an answer");
        assert_eq!(third.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(third.headers()[header::RETRY_AFTER], "1");
        // Once they are answered, there is room again.
        gate.add_permits(2);
        for answer in [first, second] {
            let answer = answer.await.expect("the task").expect("an answer");
            assert_eq!(answer.status(), StatusCode::OK);
        }
        assert_eq!(in_flight.available_permits(), 2);
    }
}
