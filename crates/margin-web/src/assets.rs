//! The stylesheet and the scripts, embedded in the binary. Asked for with the content
//! hash the pages link (`?v=…`), they may be cached for good; otherwise they are
//! revalidated.

use axum::extract::Query;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Deserialize;
use std::sync::LazyLock;

/// The stylesheet and script, embedded in the binary.
pub const CSS: &str = include_str!("static/margin.css");
pub const JS: &str = include_str!("static/margin.js");
/// Entries built and signed in the browser (taking part through a mirror).
pub const ENTRY_JS: &str = include_str!("static/entry.js");
/// The page where visitors of a mirror take part.
pub const PARTICIPATE_JS: &str = include_str!("static/participate.js");

/// Short content hashes naming the current CSS and JS, so browsers may cache them for
/// good (`/static/margin.css?v=HASH`).
pub static CSS_VERSION: LazyLock<String> = LazyLock::new(|| short_hash(CSS));
pub static JS_VERSION: LazyLock<String> = LazyLock::new(|| short_hash(JS));
pub static ENTRY_JS_VERSION: LazyLock<String> = LazyLock::new(|| short_hash(ENTRY_JS));
pub static PARTICIPATE_JS_VERSION: LazyLock<String> = LazyLock::new(|| short_hash(PARTICIPATE_JS));

fn short_hash(s: &str) -> String {
    let mut h = blake3::hash(s.as_bytes()).to_hex().to_string();
    h.truncate(10);
    h
}

#[derive(Debug, Default, Deserialize)]
pub struct Version {
    pub v: Option<String>,
}

fn cache(asked: Option<&str>, current: &str) -> &'static str {
    if asked == Some(current) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

pub async fn css(Query(q): Query<Version>) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, cache(q.v.as_deref(), &CSS_VERSION)),
        ],
        CSS,
    )
}

pub async fn js(Query(q): Query<Version>) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, cache(q.v.as_deref(), &JS_VERSION)),
        ],
        JS,
    )
}

pub async fn entry_js(Query(q): Query<Version>) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (
                header::CACHE_CONTROL,
                cache(q.v.as_deref(), &ENTRY_JS_VERSION),
            ),
        ],
        ENTRY_JS,
    )
}

pub async fn participate_js(Query(q): Query<Version>) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (
                header::CACHE_CONTROL,
                cache(q.v.as_deref(), &PARTICIPATE_JS_VERSION),
            ),
        ],
        PARTICIPATE_JS,
    )
}
