//! The stylesheet and the script, embedded in the binary. Asked for with the content
//! hash the pages link (`?v=…`), they may be cached for good; otherwise they are
//! revalidated.

use axum::extract::Query;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Deserialize;

use super::html::{CSS, CSS_VERSION, JS, JS_VERSION};

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
