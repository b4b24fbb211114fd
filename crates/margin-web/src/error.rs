//! What can go wrong answering a web or API request, and how each failure is answered:
//! an HTTP status with a message saying what to do, as an HTML page for browsers and as
//! `{"error": "…"}` for API clients.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use margin_node::error::NodeError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{}", describe(.0))]
    Node(#[from] NodeError),
    /// The request is malformed or incomplete.
    #[error("{0}")]
    BadRequest(String),
    /// A version, paragraph or page that does not exist.
    #[error("{0}")]
    NotFound(String),
    #[error(
        "this call writes, so it needs the node's token: open the login link that \
         `margin node` printed (or send `Authorization: Bearer TOKEN`, the token being in \
         the file api.token of the node's home)"
    )]
    NoToken,
    #[error("the token is wrong: use the one in the file api.token of the node's home")]
    WrongToken,
    #[error("cross-origin writes are refused: {0}")]
    CrossOrigin(&'static str),
    #[error(
        "this address answers to 127.0.0.1, localhost or an IP address only, not '{0}' \
         (a page on another site may be trying to reach your node)"
    )]
    BadHost(String),
    #[error("send the fields as application/json or application/x-www-form-urlencoded")]
    ContentType,
    #[error("the node is shutting down: {0}")]
    Unavailable(String),
}

/// A node's error as the web interface says it: the node's words, with what to do on
/// these pages.
fn describe(err: &NodeError) -> String {
    match err {
        NodeError::NoIdentity(_) => format!("{err}: create your identity on the Identity page"),
        NodeError::QuoteWithoutParagraph => {
            "a quoted passage needs its paragraph: select the passage in the draft".into()
        }
        NodeError::ObjectionWithoutReason => {
            format!("{err}: say in the reason what you object to and why")
        }
        NodeError::DeclineWithoutNote => format!("{err}: write it in the note"),
        _ => err.to_string(),
    }
}

impl WebError {
    /// The HTTP status that answers this failure.
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::NoToken | WebError::WrongToken => StatusCode::UNAUTHORIZED,
            WebError::CrossOrigin(_) | WebError::BadHost(_) => StatusCode::FORBIDDEN,
            WebError::ContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Node(e) => match e {
                NodeError::NotFound(_) | NodeError::NoParagraph(_) | NodeError::NoVersion(_) => {
                    StatusCode::NOT_FOUND
                }
                NodeError::Draft(d) if d.is_not_found() => StatusCode::UNPROCESSABLE_ENTITY,
                NodeError::Ambiguous(_)
                | NodeError::QuoteWithoutParagraph
                | NodeError::ObjectionWithoutReason
                | NodeError::DeclineWithoutNote
                | NodeError::ModerationWithoutReason
                | NodeError::NotAuthor(_)
                | NodeError::WrongKind(..)
                | NodeError::Invalid(_)
                | NodeError::Draft(_)
                | NodeError::BadBundle { .. }
                | NodeError::BadIdentityFile { .. }
                | NodeError::Sign(_) => StatusCode::BAD_REQUEST,
                NodeError::Refused(_) => StatusCode::FORBIDDEN,
                NodeError::NoIdentity(_)
                | NodeError::IdentityExists(_)
                | NodeError::PassphraseNeeded(_)
                | NodeError::StillPending => StatusCode::CONFLICT,
                NodeError::Io { .. }
                | NodeError::BadKeyFile(_)
                | NodeError::KeyFileDamaged { .. }
                | NodeError::WrongPassphrase(_)
                | NodeError::NoHome
                | NodeError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }

    fn log(&self) {
        if self.status().is_server_error() {
            tracing::error!(target: "http", "{self}");
        } else {
            tracing::debug!(target: "http", "refused a request: {self}");
        }
    }
}

/// A failure answered as an HTML page (browsers, forms).
#[derive(Debug)]
pub struct PageError(pub WebError);

/// A failure answered as JSON (API clients).
#[derive(Debug)]
pub struct ApiError(pub WebError);

impl<E: Into<WebError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl<E: Into<WebError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.0.log();
        let status = self.0.status();
        let body = crate::view::error_page(status, &self.0.to_string());
        (status, Html(body.into_string())).into_response()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.log();
        let body = serde_json::json!({ "error": self.0.to_string() });
        (self.0.status(), Json(body)).into_response()
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        ApiError(self).into_response()
    }
}
