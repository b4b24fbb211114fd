//! Who may write through the local HTTP address.
//!
//! The node keeps a random token in `api.token` (mode 0600) in its home. A write needs
//! it, either as `Authorization: Bearer TOKEN` (scripts) or as the HttpOnly,
//! SameSite=Strict cookie that `/login?token=…` sets (browsers; `margin node` prints
//! that link once). Browser writes must also come from the node's own pages: a request
//! whose `Origin` is another site, or whose `Sec-Fetch-Site` says cross-site, is
//! refused, and a cookie without either header is not trusted. The local address
//! answers only to IP addresses and `localhost`, so a page on some other site cannot
//! reach it by rebinding its own domain name to 127.0.0.1.
//!
//! The public address of a mirror has no write routes at all: nothing here applies.

use std::fs;
use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, header, request::Parts};
use axum::middleware::Next;
use axum::response::Response;

use super::WebError;
use crate::Context;
use margin_node::error::NodeError;
use margin_node::home::Home;

/// The token's file in the node's home.
pub const TOKEN_FILE: &str = "api.token";
/// The cookie's name; the HTTP port is appended, because browsers share cookies across
/// the ports of one host and two nodes may run on one machine.
pub const COOKIE: &str = "margin_token";

/// The node's API token, created on first use.
pub fn ensure_token(home: &Home) -> Result<String, NodeError> {
    if let Some(token) = read_token(home) {
        return Ok(token);
    }
    fs::create_dir_all(home.dir()).map_err(|e| NodeError::io(home.dir(), e))?;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| NodeError::Invalid(e.to_string()))?;
    let token = hex::encode(bytes);
    let path = home.dir().join(TOKEN_FILE);
    margin_node::home::write_secret(&path, format!("{token}\n").as_bytes())?;
    Ok(token)
}

/// The node's API token, if it has one.
pub fn read_token(home: &Home) -> Option<String> {
    let text = fs::read_to_string(home.dir().join(TOKEN_FILE)).ok()?;
    let token = text.trim();
    (!token.is_empty()).then(|| token.to_owned())
}

/// Compares without leaking where two tokens first differ.
pub fn same_token(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The token a request carries, and how.
enum Carried {
    Bearer(String),
    Cookie(String),
}

fn carried(headers: &HeaderMap) -> Option<Carried> {
    if let Some(value) = headers.get(header::AUTHORIZATION)
        && let Ok(value) = value.to_str()
        && let Some(token) = value.strip_prefix("Bearer ")
    {
        return Some(Carried::Bearer(token.trim().to_owned()));
    }
    cookie_token(headers).map(Carried::Cookie)
}

/// The token from this node's cookie, if the request has one. Only the cookie named for
/// this port counts: a browser sends the cookies of every node on the same host.
fn cookie_token(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, &cookie_name(headers))
}

/// The value of the request's cookie `name`, if it has one.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().trim().to_owned())
}

/// Whether a browser request to read a page carries a valid cookie (to show the
/// forms, or the login box).
pub fn logged_in(home: &Home, headers: &HeaderMap) -> bool {
    match (cookie_token(headers), read_token(home)) {
        (Some(given), Some(token)) => same_token(&given, &token),
        _ => false,
    }
}

/// Refuses requests that a page of another site made the browser send.
pub fn same_origin(headers: &HeaderMap, by_cookie: bool) -> Result<(), WebError> {
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if let Some(site) = site
        && site != "same-origin"
        && site != "none"
    {
        return Err(WebError::CrossOrigin(
            "the browser says the request comes from another site",
        ));
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    match origin {
        Some(origin) => {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let expected = format!("http://{host}");
            if !origin.eq_ignore_ascii_case(&expected) {
                return Err(WebError::CrossOrigin(
                    "the request's Origin is another site",
                ));
            }
        }
        None if by_cookie && site.is_none() => {
            return Err(WebError::CrossOrigin(
                "a request authenticated by cookie must say where it comes from (Origin)",
            ));
        }
        None => {}
    }
    Ok(())
}

/// Proof that a request may write: it carries the node's token and, from a browser,
/// comes from the node's own pages. Write handlers take it as an argument, so a write
/// route without the check does not compile.
pub struct Writer;

impl FromRequestParts<Arc<Context>> for Writer {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<Context>,
    ) -> Result<Self, Self::Rejection> {
        let (given, by_cookie) = match carried(&parts.headers) {
            Some(Carried::Bearer(t)) => (t, false),
            Some(Carried::Cookie(t)) => (t, true),
            None => return Err(WebError::NoToken),
        };
        same_origin(&parts.headers, by_cookie)?;
        match read_token(&state.home) {
            Some(token) if same_token(&given, &token) => Ok(Writer),
            Some(_) => Err(WebError::WrongToken),
            None => Err(WebError::NoToken),
        }
    }
}

/// The `Set-Cookie` value that logs a browser in on this port.
pub fn login_cookie(headers: &HeaderMap, token: &str) -> String {
    format!(
        "{}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=31536000",
        cookie_name(headers)
    )
}

/// The `Set-Cookie` value that logs a browser out.
pub fn logout_cookie(headers: &HeaderMap) -> String {
    format!(
        "{}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0",
        cookie_name(headers)
    )
}

fn cookie_name(headers: &HeaderMap) -> String {
    let port = host(headers)
        .and_then(|h| h.rsplit_once(':').map(|(_, p)| p.to_owned()))
        .filter(|p| p.chars().all(|c| c.is_ascii_digit()))
        .unwrap_or_default();
    format!("{COOKIE}{port}")
}

fn host(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::HOST).and_then(|v| v.to_str().ok())
}

/// Whether a `Host` header names this machine by address or as `localhost`: a DNS
/// name could be rebound to 127.0.0.1 by a hostile site.
pub fn local_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, port)| {
            if port.chars().all(|c| c.is_ascii_digit()) {
                name
            } else {
                host
            }
        }),
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<IpAddr>().is_ok()
}

/// Middleware for the local address: refuses requests for other host names.
pub async fn local_hosts_only(
    State(_): State<Arc<Context>>,
    request: Request,
    next: Next,
) -> Result<Response, WebError> {
    let host = host(request.headers()).unwrap_or_default().to_owned();
    if !host.is_empty() && !local_host(&host) {
        return Err(WebError::BadHost(host));
    }
    Ok(next.run(request).await)
}
