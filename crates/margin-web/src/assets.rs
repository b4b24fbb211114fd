//! The stylesheet and the scripts, embedded in the binary. Asked for with the content
//! hash the pages link (`?v=…`), they may be cached for good; otherwise they are
//! revalidated.

use axum::extract::Query;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::sync::LazyLock;

/// The stylesheet and script, embedded in the binary.
pub const CSS: &str = include_str!("static/margin.css");
pub const JS: &str = include_str!("static/margin.js");
/// Entries built and signed in the browser (taking part through a mirror).
pub const ENTRY_JS: &str = include_str!("static/entry.js");
/// The service worker of a mirror's public site (offline reading).
pub const SW_JS: &str = include_str!("static/sw.js");
/// The icon of the installed web app.
pub const ICON_SVG: &str = include_str!("static/icon.svg");
/// The page where visitors of a mirror take part.
pub const PARTICIPATE_JS: &str = include_str!("static/participate.js");
/// The visitor's key in the browser, and posting what it signs (every page of a site
/// that takes part).
pub const VISITOR_JS: &str = include_str!("static/visitor.js");
/// The forms of a draft's pages, signed in the browser.
pub const RESPOND_JS: &str = include_str!("static/respond.js");
/// Saving and restoring the browser's key, loaded only when asked for.
pub const BACKUP_JS: &str = include_str!("static/backup.js");
/// typage (the npm package `age-encryption`) and the libraries it uses, bundled by
/// `vendor/age/build.sh`, for [`BACKUP_JS`]; its licenses in [`AGE_LICENSE`].
pub const AGE_JS: &str = include_str!("static/vendor/age.js");
pub const AGE_LICENSE: &str = include_str!("static/vendor/age.LICENSE.txt");

/// Short content hashes naming the current CSS and JS, so browsers may cache them for
/// good (`/static/margin.css?v=HASH`).
pub static CSS_VERSION: LazyLock<String> = LazyLock::new(|| short_hash(CSS));
pub static JS_VERSION: LazyLock<String> = LazyLock::new(|| short_hash(JS));
pub static ENTRY_JS_VERSION: LazyLock<String> = LazyLock::new(|| short_hash(ENTRY_JS));
pub static PARTICIPATE_JS_VERSION: LazyLock<String> = LazyLock::new(|| short_hash(PARTICIPATE_JS));
pub static VISITOR_JS_VERSION: LazyLock<String> = LazyLock::new(|| short_hash(VISITOR_JS));
pub static RESPOND_JS_VERSION: LazyLock<String> = LazyLock::new(|| short_hash(RESPOND_JS));
pub static BACKUP_JS_VERSION: LazyLock<String> = LazyLock::new(|| short_hash(BACKUP_JS));

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

/// A script, cacheable for good when asked for by its current hash.
fn script(asked: Option<&str>, version: &str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, cache(asked, version)),
        ],
        body,
    )
        .into_response()
}

pub async fn js(Query(q): Query<Version>) -> Response {
    script(q.v.as_deref(), &JS_VERSION, JS)
}

pub async fn entry_js(Query(q): Query<Version>) -> Response {
    script(q.v.as_deref(), &ENTRY_JS_VERSION, ENTRY_JS)
}

pub async fn participate_js(Query(q): Query<Version>) -> Response {
    script(q.v.as_deref(), &PARTICIPATE_JS_VERSION, PARTICIPATE_JS)
}

pub async fn visitor_js(Query(q): Query<Version>) -> Response {
    script(q.v.as_deref(), &VISITOR_JS_VERSION, VISITOR_JS)
}

pub async fn respond_js(Query(q): Query<Version>) -> Response {
    script(q.v.as_deref(), &RESPOND_JS_VERSION, RESPOND_JS)
}

pub async fn backup_js(Query(q): Query<Version>) -> Response {
    script(q.v.as_deref(), &BACKUP_JS_VERSION, BACKUP_JS)
}

/// `/static/vendor/age.js`, imported by [`BACKUP_JS`] without a hash: revalidated.
pub async fn age_js() -> Response {
    script(None, "", AGE_JS)
}

pub async fn age_license() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        AGE_LICENSE,
    )
}

/// `/sw.js`: served from the root so that it may look after every page of the site;
/// always revalidated, so that a new version takes over at the next visit.
pub async fn service_worker() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SW_JS,
    )
}

pub async fn icon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        ICON_SVG,
    )
}

/// `/manifest.webmanifest`: what a browser needs to install the site as an app.
pub async fn manifest() -> impl IntoResponse {
    let manifest = serde_json::json!({
        "name": "Margin",
        "short_name": "Margin",
        "description": "Review drafts together: read, comment and take stances, also offline.",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1a56db",
        "icons": [{ "src": "/static/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any" }],
    });
    (
        [
            (header::CONTENT_TYPE, "application/manifest+json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        manifest.to_string(),
    )
}
