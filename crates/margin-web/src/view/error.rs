//! A failure, for browsers: a page of its own, without the node's state (it may be
//! what failed).

use axum::http::StatusCode;
use maud::{Markup, html};

use super::DOCTYPE;
use super::layout::head;
use crate::text::text;

pub fn error_page(status: StatusCode, message: &str) -> Markup {
    let t = text();
    html! {
        (DOCTYPE)
        html lang=(t.lang.code()) dir=(t.lang.dir()) {
            (head(&t.error_title, false, false))
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
