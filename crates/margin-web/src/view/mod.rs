//! The pages as HTML, built with [`maud`]: every value spliced into a page is escaped,
//! and markup is only ever made by the `html!` macro, never from strings. One module per
//! page, each a function from a typed model (see [`crate::model`]) to [`Markup`]; the
//! page chrome (head, header, navigation, footer) is in [`layout`]. Every interface
//! string comes from [`crate::text`].
//!
//! Views run on the async side, after the store thread computed their model.

pub mod comment;
pub mod diff;
pub mod draft;
pub mod error;
pub mod forms;
pub mod identity;
pub mod index;
pub mod layout;
pub mod news;
pub mod paragraph;
pub mod participate;
pub mod search;
pub mod space;

use maud::{Markup, PreEscaped, html};

pub use crate::model::SyncLine;
pub use comment::comment;
pub use diff::diff;
pub use draft::draft;
pub use error::error_page;
pub use identity::{identity, login};
pub use index::home;
pub use news::news;
pub use paragraph::paragraph;
pub use participate::participate;
pub use search::search;
pub use space::space;

/// The doctype that opens every page.
// PreEscaped is safe here: a constant string of this crate, with nothing from an entry.
pub const DOCTYPE: PreEscaped<&str> = PreEscaped("<!doctype html>");

/// Above this many bytes of main content, a draft page is rendered compact.
pub const FULL_PAGE_BUDGET: usize = 240 * 1024;

/// How a draft page shows its threads.
///
/// A draft page must stay light (a draft of 200 paragraphs with 2 000 comments under
/// 300 KB), so it is rendered in one of two modes: *full*, with every thread beside its
/// paragraph, and, when that would be too heavy, *compact*, where each paragraph shows
/// its highlights, counts and tally, and its threads open on request (a link to the
/// paragraph's page, which the script loads in place). Forms are not repeated per
/// paragraph: one response panel serves the whole page (the script moves it under the
/// paragraph being answered), and comment actions live on each comment's page.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    Full,
    Compact,
}

impl Mode {
    /// The word the script reads in `data-mode`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::Compact => "compact",
        }
    }
}

/// Whether a text is right-to-left, from its first strong character: Arabic, Hebrew
/// and the other right-to-left scripts.
pub fn rtl(text: &str) -> bool {
    for c in text.chars() {
        let u = c as u32;
        let is_rtl = matches!(u,
            0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF | 0x10800..=0x10FFF
            | 0x1E800..=0x1EFFF);
        if is_rtl {
            return true;
        }
        if c.is_alphabetic() {
            return false;
        }
    }
    false
}

/// The `dir` attribute for a text that participants wrote: its direction where it is not
/// the page's (an Arabic paragraph on an English page, an English one on an Arabic
/// page), else none. Used as `dir=[dir(text)]`.
pub fn dir(text: &str) -> Option<&'static str> {
    let own = if rtl(text) { "rtl" } else { "ltr" };
    (own != crate::locale::current().dir()).then_some(own)
}

/// The first characters of an id, enough to find it (`/drafts/73b70670390d`): links
/// repeated on every paragraph stay short.
pub fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// RFC 3339 as `2026-11-22 12:25`.
pub fn short_time(rfc3339: &str) -> String {
    let s = rfc3339.replace('T', " ");
    s.get(..16).map(str::to_owned).unwrap_or(s)
}

/// The URL of a draft page at the version `reading`.
pub fn draft_url(draft: &str, reading: Option<&str>) -> String {
    match reading {
        Some(v) => format!("/drafts/{draft}?{}", crate::model::query(&[("v", v)])),
        None => format!("/drafts/{draft}"),
    }
}

/// A heading of level `level` (1 to 6, clamped), with its class, id and direction.
pub fn heading(
    level: u8,
    class: &str,
    id: Option<&str>,
    dir: Option<&str>,
    content: Markup,
) -> Markup {
    match level.clamp(1, 6) {
        1 => html! { h1 class=(class) id=[id] dir=[dir] { (content) } },
        2 => html! { h2 class=(class) id=[id] dir=[dir] { (content) } },
        3 => html! { h3 class=(class) id=[id] dir=[dir] { (content) } },
        4 => html! { h4 class=(class) id=[id] dir=[dir] { (content) } },
        5 => html! { h5 class=(class) id=[id] dir=[dir] { (content) } },
        _ => html! { h6 class=(class) id=[id] dir=[dir] { (content) } },
    }
}
