//! A failure, for browsers: a page of its own, without the node's state (it may be
//! what failed).

use axum::http::StatusCode;
use maud::{Markup, html};

use super::DOCTYPE;
use crate::assets::CSS_VERSION;
use crate::text::text;

pub fn error_page(status: StatusCode, message: &str) -> Markup {
    let t = text();
    html! {
        (DOCTYPE)
        html lang=(t.lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                title { (t.error_title) " · " (t.app) }
                link rel="stylesheet" href={ "/static/margin.css?v=" (CSS_VERSION.as_str()) };
            }
            body {
                header.top { nav { a href="/" { (t.app) } } }
                main #main {
                    h1 { (t.error_title) }
                    p."notice err" role="alert" { (status.as_u16()) ": " (message) }
                    p { a href="/" { (t.go_back) } }
                }
            }
        }
    }
}
