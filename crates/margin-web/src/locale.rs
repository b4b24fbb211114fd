//! Which language a page is in: the reader's choice, remembered in a cookie, else the
//! first language of the browser's `Accept-Language` that the interface speaks, else
//! English. [`scope`] decides it (and notes which address the request came to) once per request and every view of that request reads
//! it through [`crate::text::text`]; `GET /lang/{code}` records a choice and goes back
//! to the page it was made on.

use std::str::FromStr;

use axum::extract::{Path, Query, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use unic_langid::LanguageIdentifier;

/// The cookie that remembers the reader's choice.
pub const COOKIE: &str = "margin_lang";

/// A language of the interface.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    En,
    Fr,
    Es,
    Ar,
}

impl Lang {
    pub const ALL: [Lang; 4] = [Lang::En, Lang::Fr, Lang::Es, Lang::Ar];

    /// The BCP 47 code, as in `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::Es => "es",
            Lang::Ar => "ar",
        }
    }

    /// The language's name in itself, as the switch shows it.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "Français",
            Lang::Es => "Español",
            Lang::Ar => "العربية",
        }
    }

    /// The direction of the whole page, as in `<html dir>`.
    pub fn dir(self) -> &'static str {
        match self {
            Lang::Ar => "rtl",
            _ => "ltr",
        }
    }

    pub fn id(self) -> LanguageIdentifier {
        LanguageIdentifier::from_str(self.code()).unwrap_or_default()
    }

    /// The language of a code or a language tag (`fr`, `fr-CA`, `AR`); only the
    /// primary subtag counts.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// The language for a request: the remembered choice, else the browser's.
    pub fn for_request(headers: &HeaderMap) -> Lang {
        chosen(headers)
            .or_else(|| from_accept_language(headers))
            .unwrap_or_default()
    }
}

/// The language remembered in the cookie, if it is one the interface speaks.
fn chosen(headers: &HeaderMap) -> Option<Lang> {
    crate::auth::cookie_value(headers, COOKIE).and_then(|v| Lang::from_tag(&v))
}

/// The most preferred language of `Accept-Language` that the interface speaks
/// (RFC 9110 §12.5.4: quality values; equal ones keep their order; `q=0` means "not
/// this one").
fn from_accept_language(headers: &HeaderMap) -> Option<Lang> {
    let value = headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
    let mut offered: Vec<(u16, usize, Lang)> = value
        .split(',')
        .enumerate()
        .filter_map(|(order, item)| {
            let mut parts = item.split(';');
            let lang = Lang::from_tag(parts.next()?)?;
            let quality = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .next()
                .map_or(Some(1000), quality)?;
            (quality > 0).then_some((quality, order, lang))
        })
        .collect();
    offered.sort_by_key(|(quality, order, _)| (std::cmp::Reverse(*quality), *order));
    offered.first().map(|(_, _, lang)| *lang)
}

/// A quality value in thousandths; `None` when it is not one.
fn quality(q: &str) -> Option<u16> {
    let value: f32 = q.trim().parse().ok()?;
    (0.0..=1.0)
        .contains(&value)
        .then(|| (value * 1000.0).round() as u16)
}

/// What the views of one request need to know about it.
#[derive(Clone, Debug)]
struct Current {
    lang: Lang,
    /// Answered on a mirror's public address.
    public: bool,
    /// The path and query of the page, for the language switch to come back to.
    path: String,
}

tokio::task_local! {
    static CURRENT: Current;
}

/// The language of the request being answered (English outside of one).
pub fn current() -> Lang {
    CURRENT.try_with(|c| c.lang).unwrap_or_default()
}

/// Whether the request being answered came to a mirror's public address.
pub fn on_public_site() -> bool {
    CURRENT.try_with(|c| c.public).unwrap_or(false)
}

/// The page being answered, for links that come back to it (`/` outside of a request).
pub fn current_path() -> String {
    CURRENT
        .try_with(|c| c.path.clone())
        .unwrap_or_else(|_| "/".to_owned())
}

/// Middleware: answers the request in its language, and tells caches that the answer
/// depends on the headers that chose it.
pub async fn scope(request: Request, next: Next) -> Response {
    let current = Current {
        lang: Lang::for_request(request.headers()),
        public: request.extensions().get::<crate::read::Surface>()
            == Some(&crate::read::Surface::Public),
        path: request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned(),
    };
    let mut response = CURRENT.scope(current, next.run(request)).await;
    response.headers_mut().append(
        header::VARY,
        HeaderValue::from_static("accept-language, cookie"),
    );
    response
}

#[derive(Deserialize)]
pub struct Back {
    back: Option<String>,
}

/// `GET /lang/{code}?back=PATH`: remembers the language for a year and goes back to
/// the page (only a path on this site; anything else goes to `/`).
pub async fn switch(Path(code): Path<String>, Query(back): Query<Back>) -> Response {
    let Some(lang) = Lang::from_tag(&code) else {
        return (
            StatusCode::NOT_FOUND,
            format!(
                "no interface in {code:?}; languages: {}",
                Lang::ALL.map(Lang::code).join(", ")
            ),
        )
            .into_response();
    };
    let target = back
        .back
        .filter(|b| local_path(b))
        .unwrap_or_else(|| "/".into());
    let cookie = format!(
        "{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.code()
    );
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, target), (header::SET_COOKIE, cookie)],
    )
        .into_response()
}

/// A path on this site: starts with one `/` (`//host` and `/\host` lead elsewhere) and
/// holds no control characters.
fn local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.chars().any(char::is_control)
}

/// The link that switches to `lang` and comes back to the current page.
pub fn switch_link(lang: Lang) -> String {
    let back: String = url_encode(&current_path());
    format!("/lang/{}?back={back}", lang.code())
}

fn url_encode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|s| s.trim_start_matches('=').to_owned())
        .unwrap_or_else(|_| "%2F".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Lang {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_str(value).expect("a header value"),
        );
        Lang::for_request(&headers)
    }

    #[test]
    fn the_browsers_most_preferred_language_that_margin_speaks_is_chosen() {
        assert_eq!(accept("fr-CH, fr;q=0.9, en;q=0.8"), Lang::Fr);
        assert_eq!(accept("de-DE, es;q=0.7, en;q=0.5"), Lang::Es);
        assert_eq!(accept("en;q=0.4, ar-EG;q=0.9"), Lang::Ar);
        assert_eq!(accept("de, ja"), Lang::En);
        assert_eq!(accept("fr;q=0, es"), Lang::Es);
        assert_eq!(accept("*"), Lang::En);
        assert_eq!(accept("fr;q=banana, es;q=0.1"), Lang::Es);
    }

    #[test]
    fn a_remembered_choice_wins_over_the_browser() {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("fr"));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("margin_token_8080=x; margin_lang=ar"),
        );
        assert_eq!(Lang::for_request(&headers), Lang::Ar);
        headers.insert(header::COOKIE, HeaderValue::from_static("margin_lang=xx"));
        assert_eq!(Lang::for_request(&headers), Lang::Fr);
    }

    #[test]
    fn the_switch_only_goes_back_to_pages_of_this_site() {
        assert!(local_path("/drafts/abc?v=v1"));
        for elsewhere in [
            "//evil.example/",
            "/\\evil.example",
            "https://evil.example/",
            "",
            "/a\nb",
        ] {
            assert!(!local_path(elsewhere), "{elsewhere:?}");
        }
    }
}
