//! Writing HTML: escaping, text direction, and the page around every view (head,
//! header with navigation, search and the node's sync state).

use std::fmt::{self, Write as _};
use std::sync::LazyLock;

use super::Viewer;
use super::text::{Text, count, fill};

/// Text made safe for HTML content and quoted attribute values.
pub struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let mut last = 0;
        for (i, c) in s.char_indices() {
            let rep = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => continue,
            };
            f.write_str(&s[last..i])?;
            f.write_str(rep)?;
            last = i + 1;
        }
        f.write_str(&s[last..])
    }
}

pub fn esc(s: &str) -> Esc<'_> {
    Esc(s)
}

/// Escapes into a new string.
pub fn escaped(s: &str) -> String {
    esc(s).to_string()
}

/// The direction of a text from its first strong character: `Some("rtl")` for Arabic,
/// Hebrew and the other right-to-left scripts, `None` when left-to-right or unknown.
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

/// ` dir="rtl"` for right-to-left text, else nothing (the page is left-to-right).
pub fn dir_attr(text: &str) -> &'static str {
    if rtl(text) { " dir=\"rtl\"" } else { "" }
}

/// The stylesheet and script, embedded in the binary.
pub const CSS: &str = include_str!("static/margin.css");
pub const JS: &str = include_str!("static/margin.js");

/// Short content hashes naming the current CSS and JS, so browsers may cache them for
/// good (`/static/margin.css?v=HASH`).
pub static CSS_VERSION: LazyLock<String> = LazyLock::new(|| short_hash(CSS));
pub static JS_VERSION: LazyLock<String> = LazyLock::new(|| short_hash(JS));

fn short_hash(s: &str) -> String {
    let mut h = blake3::hash(s.as_bytes()).to_hex().to_string();
    h.truncate(10);
    h
}

/// The node's sync state as the header shows it.
#[derive(Clone, Debug, Default)]
pub struct SyncLine {
    pub peers: usize,
    /// Whether the spaces shown are in sync with their peers; `None` when no peer
    /// shares them.
    pub in_sync: Option<bool>,
}

/// What surrounds a view.
pub struct Chrome<'a> {
    pub t: &'static Text,
    pub title: &'a str,
    pub viewer: &'a Viewer,
    pub sync: SyncLine,
    /// Links leading to this page, after the home link.
    pub crumbs: Vec<(String, String)>,
    /// The space searched from this page's search box.
    pub space: Option<String>,
    /// What to put on `<body>` for the script (`data-draft`, `data-space`).
    pub body_data: String,
}

/// A whole page: `main` is the view's HTML.
pub fn page(c: &Chrome<'_>, main: &str) -> String {
    let t = c.t;
    let mut out = String::with_capacity(main.len() + 4096);
    let _ = write!(
        out,
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title} · {app}</title><link rel=\"icon\" href=\"data:,\">\
         <link rel=\"stylesheet\" href=\"/static/margin.css?v={css}\">\
         <script src=\"/static/margin.js?v={js}\" defer></script></head>\
         <body{data}><a class=\"skip\" href=\"#main\">{skip}</a><header class=\"top\"><nav aria-label=\"{app}\">\
         <a href=\"/\">{app}</a>",
        lang = t.lang,
        title = esc(c.title),
        app = t.app,
        css = *CSS_VERSION,
        js = *JS_VERSION,
        data = c.body_data,
        skip = t.skip,
    );
    for (href, label) in &c.crumbs {
        let _ = write!(out, " › <a href=\"{}\">{}</a>", esc(href), esc(label));
    }
    out.push_str("</nav>");
    let _ = write!(
        out,
        "<form class=\"find\" role=\"search\" action=\"/search\" method=\"get\">\
         <label for=\"q\" class=\"vh\">{label}</label>\
         <input id=\"q\" name=\"q\" type=\"search\" placeholder=\"{search}\">",
        label = t.search_label,
        search = t.search,
    );
    if let Some(space) = &c.space {
        let _ = write!(
            out,
            "<input type=\"hidden\" name=\"space\" value=\"{}\">",
            esc(space)
        );
    }
    let _ = write!(out, "<button>{}</button></form>", t.search);
    let peers = if c.sync.peers == 0 {
        t.status_no_peers.to_owned()
    } else {
        count(c.sync.peers, t.status_peers_one, t.status_peers)
    };
    let _ = write!(
        out,
        "<p class=\"sync\" id=\"sync\" role=\"status\" aria-live=\"polite\" \
         data-peers-label=\"{pl}\" data-peer-one=\"{p1}\" data-no-peers=\"{np}\" data-in-sync=\"{is}\" \
         data-syncing=\"{sy}\" data-offline=\"{off}\" data-live=\"{live}\">\
         <span id=\"peers\">{peers}</span> <span id=\"insync\">{state}</span></p>",
        pl = esc(t.status_peers),
        p1 = t.status_peers_one,
        np = t.status_no_peers,
        is = t.status_in_sync,
        sy = t.status_syncing,
        off = t.status_offline,
        live = t.status_live,
        state = match c.sync.in_sync {
            Some(true) => t.status_in_sync,
            Some(false) => t.status_syncing,
            None => "",
        },
    );
    who(&mut out, c);
    out.push_str("</header><main id=\"main\" tabindex=\"-1\">");
    out.push_str(main);
    let _ = write!(
        out,
        "</main><div id=\"news\" class=\"vh\" role=\"status\" aria-live=\"polite\" \
         data-msg=\"{}\"></div></body></html>",
        t.live_news
    );
    out
}

/// Who is reading, and what they can do here.
fn who(out: &mut String, c: &Chrome<'_>) {
    let t = c.t;
    let v = c.viewer;
    if v.public {
        let _ = write!(out, "<p class=\"who\">{}</p>", t.read_only_public);
        return;
    }
    match (&v.me, v.logged_in) {
        (Some(me), true) => {
            let _ = write!(
                out,
                "<form class=\"who\" method=\"post\" action=\"/logout\">{} \
                 <button class=\"link\">{}</button></form>",
                esc(&fill(t.you_are, &[("name", &me.name)])),
                t.logout
            );
        }
        (None, true) => {
            let _ = write!(
                out,
                "<p class=\"who notice\">{} <a href=\"/identity\">{}</a></p>",
                t.no_identity, t.identity_title
            );
        }
        (_, false) => {
            let _ = write!(
                out,
                "<form class=\"who notice\" method=\"post\" action=\"/login\">{} \
                 <label for=\"token\" class=\"vh\">{}</label>\
                 <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\" size=\"12\">\
                 <button>{}</button></form>",
                t.read_only_login, t.login_token, t.login_button
            );
        }
    }
}
