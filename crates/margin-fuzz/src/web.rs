//! The bodies of the HTTP API's write requests: read by the handlers' own extractor
//! ([`Input`]: JSON or a form, by the request's content type) into each route's fields,
//! then checked by [`Fields::check`], the function every handler calls before it asks
//! the node for anything.

use axum::body::Body;
use axum::extract::FromRequest;
use axum::http::{Request, header};
use margin_web::write::*;

/// The content type a body is sent with.
const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

/// The routes' fields, in the order a body's first byte names them.
pub const ROUTES: &[&str] = &[
    "comment",
    "edit",
    "retract",
    "dispose",
    "moderate",
    "mute",
    "reattach",
    "stance",
    "tag",
    "revision",
    "import",
    "identity",
    "reconcile",
];

/// A JSON body: the first byte names the route (see [`ROUTES`]), the rest is the body.
pub fn web_json(data: &[u8]) {
    body(JSON, data);
}

/// A form body: the first byte names the route (see [`ROUTES`]), the rest is the body.
pub fn web_form(data: &[u8]) {
    body(FORM, data);
}

fn body(content_type: &str, data: &[u8]) {
    let Some((&route, body)) = data.split_first() else {
        return;
    };
    match usize::from(route) % ROUTES.len() {
        0 => read::<CommentForm>(content_type, body),
        1 => read::<EditForm>(content_type, body),
        2 => read::<RetractForm>(content_type, body),
        3 => read::<DisposeForm>(content_type, body),
        4 => read::<ModerationForm>(content_type, body),
        5 => read::<MuteForm>(content_type, body),
        6 => read::<ReattachForm>(content_type, body),
        7 => read::<StanceForm>(content_type, body),
        8 => read::<TagForm>(content_type, body),
        9 => read::<RevisionForm>(content_type, body),
        10 => read::<ImportForm>(content_type, body),
        11 => read::<IdentityForm>(content_type, body),
        _ => {
            // The reconcile route reads its space from the query string, which is a form.
            if let Ok(query) = axum::extract::Query::<SpaceQuery>::try_from_uri(
                &format!("/api/reconcile?{}", String::from_utf8_lossy(body))
                    .parse()
                    .unwrap_or_default(),
            ) {
                let _ = query.0.check();
            }
        }
    }
}

/// `body` read by the handlers' extractor as `F`'s fields, then checked.
fn read<F: Fields>(content_type: &str, body: &[u8]) {
    let request = Request::builder()
        .method("POST")
        .uri("/")
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body.to_vec()))
        .expect("a request with a body and a content type");
    let read = futures::executor::block_on(Input::<F>::from_request(request, &()));
    if let Ok(Input(fields)) = read {
        let _ = fields.check();
    }
}
