//! The page around every view: head, header with navigation, search, the node's sync
//! state and who is reading, and the live-news region at the foot.

use maud::{Markup, html};

use super::{DOCTYPE, Mode, SyncLine};
use crate::Viewer;
use crate::assets::{
    CSS_VERSION, ENTRY_JS_VERSION, JS_VERSION, RESPOND_JS_VERSION, VISITOR_JS_VERSION,
};
use crate::locale::{Lang, switch_link};
use crate::text::{Text, text};

/// What the script reads on `<body>`.
#[derive(Clone, Debug, Default)]
pub struct BodyData {
    /// `data-live="all"`: reload on any new entry (the spaces list).
    pub live_all: bool,
    pub space: Option<String>,
    pub draft: Option<String>,
    pub mode: Option<Mode>,
}

/// What surrounds a view.
pub struct Chrome<'a> {
    pub title: &'a str,
    pub viewer: &'a Viewer,
    pub sync: &'a SyncLine,
    /// Links leading to this page, after the home link: (href, label).
    pub crumbs: Vec<(String, String)>,
    /// The space searched from this page's search box.
    pub space: Option<String>,
    pub body: BodyData,
}

impl<'a> Chrome<'a> {
    pub fn new(title: &'a str, viewer: &'a Viewer, sync: &'a SyncLine) -> Chrome<'a> {
        Chrome {
            title,
            viewer,
            sync,
            crumbs: vec![],
            space: None,
            body: BodyData::default(),
        }
    }
}

/// A whole page around `main`, the view's content.
/// A page's head: its title, the stylesheet and, where the page uses it, the script.
/// On a site that takes part (`take_part`), also the scripts that sign with the
/// visitor's key.
pub fn head(title: &str, script: bool, take_part: bool) -> Markup {
    let t = text();
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width,initial-scale=1";
            title { (title) " · " (t.app) }
            @if crate::locale::on_public_site() {
                link rel="icon" href="/static/icon.svg" type="image/svg+xml";
                link rel="manifest" href="/manifest.webmanifest";
                meta name="theme-color" content="#1a56db";
            } @else {
                link rel="icon" href="data:,";
            }
            link rel="stylesheet" href={ "/static/margin.css?v=" (CSS_VERSION.as_str()) };
            @if script {
                script src={ "/static/margin.js?v=" (JS_VERSION.as_str()) } defer {}
            }
            @if take_part {
                script src={ "/static/entry.js?v=" (ENTRY_JS_VERSION.as_str()) } defer {}
                script src={ "/static/visitor.js?v=" (VISITOR_JS_VERSION.as_str()) } defer {}
                script src={ "/static/respond.js?v=" (RESPOND_JS_VERSION.as_str()) } defer {}
            }
        }
    }
}

pub fn page(c: &Chrome<'_>, main: Markup) -> Markup {
    let t = text();
    let b = &c.body;
    let peers = crate::live::peers_label(t, c.sync.peers);
    let state = match c.sync.in_sync {
        Some(true) => t.status_in_sync.as_str(),
        Some(false) => t.status_syncing.as_str(),
        None => "",
    };
    html! {
        (DOCTYPE)
        html lang=(t.lang.code()) dir=(t.lang.dir()) {
            (head(c.title, true, c.viewer.take_part))
            body data-live=[b.live_all.then_some("all")] data-space=[b.space.as_deref()]
                data-site=[c.viewer.public.then_some("public")]
                data-draft=[b.draft.as_deref()] data-mode=[b.mode.map(Mode::as_str)] {
                a.skip href="#main" { (t.skip) }
                header.top {
                    nav aria-label=(t.app) {
                        a href="/" { (t.app) }
                        @for (href, label) in &c.crumbs {
                            " › " a href=(href) { (label) }
                        }
                    }
                    form.find role="search" action="/search" method="get" {
                        label.vh for="q" { (t.search_label) }
                        input #q name="q" type="search" placeholder=(t.search);
                        @if let Some(space) = &c.space {
                            input type="hidden" name="space" value=(space);
                        }
                        button { (t.search) }
                    }
                    p.sync #sync role="status" aria-live="polite"
                        data-in-sync=(t.status_in_sync)
                        data-syncing=(t.status_syncing) data-offline=(t.status_offline)
                        data-live=(t.status_live) {
                        span #peers { (peers) } " " span #insync { (state) }
                    }
                    (who(c.viewer, t))
                    (languages(t))
                }
                main #main tabindex="-1" { (main) }
                @if c.viewer.take_part {
                    (signing_status(t))
                }
                div #news.vh role="status" aria-live="polite" data-msg=(t.live_news) {}
            }
        }
    }
}

/// What the scripts that sign in the browser say: signing, posted, refused, waiting for
/// the connection; the words for each in its `data-` attributes.
fn signing_status(t: &Text) -> Markup {
    html! {
        p #pstatus.pst role="status" aria-live="polite" data-signing=(t.take_part_signing)
            data-posted=(t.take_part_posted) data-refused=(t.take_part_refused)
            data-created=(t.take_part_created) data-waiting-text=(t.take_part_waiting)
            data-sent=(t.take_part_sent) data-offline=(t.take_part_offline)
            data-moved=(t.take_part_moved) data-working=(t.take_part_working)
            data-differ=(t.take_part_differ) data-saved=(t.take_part_saved)
            data-restored=(t.take_part_restored) data-linkcode=(t.take_part_link_made) {}
    }
}

/// The switch between the languages of the interface: each name in its own language,
/// a plain link (it works without the script), the current one marked.
fn languages(t: &Text) -> Markup {
    html! {
        nav.langs aria-label=(t.language) {
            ul {
                @for lang in Lang::ALL {
                    li {
                        @if lang == t.lang {
                            a href=(switch_link(lang)) lang=(lang.code()) hreflang=(lang.code())
                                aria-current="true" { (lang.name()) }
                        } @else {
                            a href=(switch_link(lang)) lang=(lang.code()) hreflang=(lang.code())
                                rel="alternate" { (lang.name()) }
                        }
                    }
                }
            }
        }
    }
}

/// Who is reading, and what they can do here.
fn who(v: &Viewer, t: &Text) -> Markup {
    if v.public {
        return html! { p.who { (t.read_only_public) } };
    }
    match (&v.me, v.logged_in) {
        (Some(me), true) => html! {
            form.who method="post" action="/logout" {
                (t.you_are(me.name.as_str())) " · "
                a href="/news" { (t.news_link) } " · "
                button.link { (t.logout) }
            }
        },
        (None, true) => html! {
            p."who notice" { (t.no_identity) " " a href="/identity" { (t.identity_title) } }
        },
        (_, false) => html! {
            form."who notice" method="post" action="/login" {
                (t.read_only_login) " "
                label.vh for="token" { (t.login_token) }
                input #token name="token" type="password" autocomplete="off" size="12";
                button { (t.login_button) }
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Me;

    #[test]
    fn what_a_peer_wrote_is_escaped_in_the_chrome() {
        let viewer = Viewer {
            public: false,
            logged_in: true,
            me: Some(Me {
                key: margin_core::key::PublicKey([7; 32]),
                name: "<script>alert(1)</script>".into(),
            }),
            muted: Default::default(),
            take_part: false,
        };
        let sync = SyncLine::default();
        let mut c = Chrome::new("\"><img src=x>", &viewer, &sync);
        c.crumbs = vec![("/spaces/x\"y".into(), "<i>title</i>".into())];
        c.body.space = Some("a\"b".into());
        let page = page(&c, html! { "main" }).into_string();
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(!page.contains("<i>"), "{page}");
        assert!(page.contains("data-space=\"a&quot;b\""), "{page}");
        assert!(page.contains("href=\"/spaces/x&quot;y\""), "{page}");
    }
}
