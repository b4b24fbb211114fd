//! Light on slow links. Every answer travels compressed when the browser accepts it
//! (brotli, else gzip; live updates excepted, so each event leaves at once), and pages
//! and JSON carry a validator: a browser that already holds a page asks again with
//! `If-None-Match` and gets `304 Not Modified`, a few hundred bytes, when nothing
//! changed. The stylesheet and script are cached for good under their content hash
//! ([`crate::assets`]).
//!
//! At 64 kbit/s the busiest draft page of the tests (200 paragraphs, 2 000 comments,
//! 190 KB) took 24 s to arrive; with brotli it is 10.6 KB, 1.3 s (docs/api.md).

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::compression::{CompressionLayer, CompressionLevel};

/// Pages and JSON larger than this are passed on without a validator (none is: the
/// largest page is about 300 KB).
const MAX_VALIDATED_BYTES: usize = 16 * 1024 * 1024;

/// Brotli for browsers that accept it, else gzip, at a level that costs a few
/// milliseconds for the largest page: the link is slow, not the node.
pub fn compression() -> CompressionLayer {
    CompressionLayer::new()
        .br(true)
        .gzip(true)
        .quality(CompressionLevel::Precise(5))
}

/// Gives a successful `GET` answer a validator (a weak `ETag`: the same content,
/// compressed or not) and `Cache-Control: no-cache` (pages change as peers sync: the
/// browser asks each time, and is answered `304` when it holds the current page).
/// Live updates and answers that name their own caching are left as they are.
pub async fn revalidate(request: Request, next: Next) -> Response {
    let asked = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let get = matches!(*request.method(), Method::GET | Method::HEAD);
    let response = next.run(request).await;
    if !get || response.status() != StatusCode::OK || !validated(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match to_bytes(body, MAX_VALIDATED_BYTES).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::warn!(target: "http", "an answer could not be read for its validator: {e}");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let tag = etag(&bytes);
    let value = HeaderValue::from_str(&tag).expect("a hex tag is a header value");
    parts.headers.insert(header::ETAG, value.clone());
    parts
        .headers
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if asked.is_some_and(|asked| matches_tag(&asked, &tag)) {
        let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
        for name in [header::ETAG, header::CACHE_CONTROL, header::VARY] {
            if let Some(v) = parts.headers.get(&name) {
                not_modified.headers_mut().insert(name, v.clone());
            }
        }
        return not_modified;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Whether an answer gets a validator: not a live stream, not one that says how to cache
/// it.
fn validated(response: &Response) -> bool {
    let headers = response.headers();
    let streaming = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/event-stream"));
    !streaming
        && !headers.contains_key(header::CACHE_CONTROL)
        && !headers.contains_key(header::ETAG)
}

/// A weak validator naming the content.
fn etag(bytes: &[u8]) -> String {
    let hash = blake3::hash(bytes).to_hex();
    format!("W/\"{}\"", &hash[..20])
}

/// Whether an `If-None-Match` list names `tag` (weak comparison, as for `GET`).
fn matches_tag(asked: &str, tag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    asked.trim() == "*" || asked.split(',').any(|t| bare(t) == bare(tag))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::middleware::from_fn;
    use axum::routing::get;
    use tower::ServiceExt;

    fn router() -> Router {
        Router::new()
            .route("/page", get(|| async { "<p>a page</p>".repeat(100) }))
            .route(
                "/events",
                get(|| async { ([(header::CONTENT_TYPE, "text/event-stream")], "data: x\n\n") }),
            )
            .route(
                "/asset",
                get(|| async { ([(header::CACHE_CONTROL, "public, max-age=60")], "body") }),
            )
            .layer(from_fn(revalidate))
            .layer(compression())
    }

    async fn call(path: &str, headers: &[(header::HeaderName, &str)]) -> Response {
        let mut request = Request::get(path);
        for (name, value) in headers {
            request = request.header(name, *value);
        }
        router()
            .oneshot(request.body(Body::empty()).expect("a request"))
            .await
            .expect("an answer")
    }

    fn header_of(response: &Response, name: header::HeaderName) -> Option<&str> {
        response.headers().get(name).and_then(|v| v.to_str().ok())
    }

    #[tokio::test]
    async fn a_page_gets_a_validator_and_is_not_sent_again_while_it_holds() {
        let first = call("/page", &[]).await;
        assert_eq!(first.status(), StatusCode::OK);
        let tag = header_of(&first, header::ETAG)
            .expect("a validator")
            .to_owned();
        assert!(tag.starts_with("W/\""), "{tag}");
        assert_eq!(header_of(&first, header::CACHE_CONTROL), Some("no-cache"));

        let again = call("/page", &[(header::IF_NONE_MATCH, &tag)]).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(header_of(&again, header::ETAG), Some(tag.as_str()));
        let body = to_bytes(again.into_body(), 1024).await.expect("a body");
        assert!(body.is_empty());

        let other = call("/page", &[(header::IF_NONE_MATCH, "W/\"0123\", \"4567\"")]).await;
        assert_eq!(
            other.status(),
            StatusCode::OK,
            "another version is sent whole"
        );
        // The same validator whether the page travels compressed or not.
        let compressed = call("/page", &[(header::ACCEPT_ENCODING, "br")]).await;
        assert_eq!(header_of(&compressed, header::ETAG), Some(tag.as_str()));
    }

    #[tokio::test]
    async fn pages_travel_compressed_as_the_browser_accepts() {
        for (accepts, expected) in [
            ("br, gzip", Some("br")),
            ("gzip", Some("gzip")),
            ("identity", None),
        ] {
            let response = call("/page", &[(header::ACCEPT_ENCODING, accepts)]).await;
            assert_eq!(
                header_of(&response, header::CONTENT_ENCODING),
                expected,
                "{accepts}"
            );
            let body = to_bytes(response.into_body(), 1 << 20)
                .await
                .expect("a body");
            if expected.is_some() {
                assert!(
                    body.len() < 200,
                    "{accepts}: {} bytes for 1 300",
                    body.len()
                );
            } else {
                assert_eq!(body.len(), 1_300);
            }
        }
    }

    #[tokio::test]
    async fn live_updates_and_answers_that_name_their_caching_are_left_alone() {
        let events = call("/events", &[(header::ACCEPT_ENCODING, "br, gzip")]).await;
        assert_eq!(header_of(&events, header::ETAG), None);
        assert_eq!(
            header_of(&events, header::CONTENT_ENCODING),
            None,
            "each event leaves at once"
        );
        let asset = call("/asset", &[]).await;
        assert_eq!(header_of(&asset, header::ETAG), None);
        assert_eq!(
            header_of(&asset, header::CACHE_CONTROL),
            Some("public, max-age=60")
        );
    }
}
