//! Comments: one comment with where its passage is, a thread, the threads of a
//! paragraph or section, and `/comments/{id}`, a comment's page.

use maud::{Markup, html};

use margin_core::body::CommentKind;
use margin_space::view::AnchorView;

use super::forms::comment_actions;
use super::layout::{BodyData, Chrome, page};
use super::{Mode, SyncLine, dir, short_time};
use crate::Viewer;
use crate::model::{CommentModel, Item, Thread};
use crate::text::{Text, text};

/// `/comments/{id}`: the thread, then what the reader may do; `back` is where the
/// reader came from.
pub fn comment(cm: &CommentModel, viewer: &Viewer, sync: &SyncLine, back: &str) -> Markup {
    let t = text();
    let focus = cm.focus();
    let main = html! {
        h1 { (t.thread_title(focus.view.author.name.as_str())) }
        p.sub {
            a href=(back) { (t.back_to_draft) }
            " · "
            a href={ "/drafts/" (cm.draft) } { (cm.draft_title) }
        }
        (thread(&cm.thread, viewer, t))
        @if viewer.take_part {
            (super::draft::key_hint(t))
        }
        @if viewer.can_write() || viewer.take_part {
            (comment_actions(cm, focus, t, back, viewer.take_part))
        }
    };
    let mut c = Chrome::new(&cm.draft_title, viewer, sync);
    c.crumbs = vec![
        (format!("/spaces/{}", cm.space), cm.space_title.clone()),
        (format!("/drafts/{}", cm.draft), cm.draft_title.clone()),
    ];
    c.space = Some(cm.space.clone());
    c.body = BodyData {
        space: Some(cm.space.clone()),
        draft: Some(cm.draft.clone()),
        ..BodyData::default()
    };
    page(&c, main)
}

/// Threads in full, or one line each (compact pages).
pub fn threads(list: &[Thread], v: &Viewer, t: &Text, mode: Mode) -> Markup {
    html! {
        @for th in list {
            @match mode {
                Mode::Full => { (thread(th, v, t)) }
                Mode::Compact => {
                    @let i = &th.root;
                    p.c1 id={ "c-" (i.short()) } {
                        a href={ "/comments/" (i.short()) } { (i.view.author.name) }
                        " · " (t.kind(i.kind)) " · " (short_time(&i.view.time))
                        @if !th.replies.is_empty() {
                            " · " (t.replies_n(th.replies.len()))
                        }
                    }
                }
            }
        }
    }
}

/// A comment and its replies.
pub fn thread(th: &Thread, v: &Viewer, t: &Text) -> Markup {
    html! {
        div.th {
            (item(&th.root, v, t, false))
            @if !th.replies.is_empty() {
                div.re {
                    @for r in &th.replies {
                        (item(r, v, t, true))
                    }
                }
            }
        }
    }
}

/// Where the comment's passage is, as the reader needs to know it.
fn passage(i: &Item, t: &Text) -> Markup {
    let c = &i.view;
    let version = c.version.tag.as_deref().unwrap_or(&t.untagged_version);
    let commented_on = t.commented_on(version);
    match (&c.anchor, &c.quote) {
        (AnchorView::Orphaned, Some(q)) => html! {
            p.was {
                (commented_on) " " q dir=[dir(&q.exact)] { (q.exact) }
                " — " em { (t.orphaned) }
            }
        },
        (AnchorView::Orphaned, None) => html! { p.was { em { (t.orphaned) } } },
        (AnchorView::Anchored { text, exact, n, .. }, Some(q)) => {
            if *exact {
                html! { p.on { (t.on_quote) " " q dir=[dir(&q.exact)] { (q.exact) } } }
            } else {
                html! {
                    p.was {
                        (commented_on) " " q dir=[dir(&q.exact)] { del { (q.exact) } }
                        br;
                        @if let Some(n) = n { "¶" (n) " " }
                        (t.now_reads) " " q dir=[dir(text)] { ins { (text) } }
                    }
                }
            }
        }
        (AnchorView::Anchored { text, .. }, None) => match &i.paragraph_then {
            Some(then) => html! {
                p.was {
                    (commented_on) " " q dir=[dir(then)] { del { (then) } }
                    br;
                    (t.now_reads) " " q dir=[dir(text)] { ins { (text) } }
                }
            },
            None => html! {},
        },
        (AnchorView::Draft, _) => html! {},
    }
}

/// One comment; a reply leaves out its passage (its thread's).
pub fn item(i: &Item, v: &Viewer, t: &Text, reply: bool) -> Markup {
    let c = &i.view;
    let mut class = format!("c k-{}", i.kind.as_str());
    if reply {
        class.push_str(" rp");
    }
    if c.retracted || c.hidden.is_some() {
        class.push_str(" rt");
    }
    if i.open_objection {
        class.push_str(" open");
    }
    let who: Vec<&str> = [c.author.stakeholder.as_str(), c.author.region.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    let mut flags: Vec<&str> = vec![];
    if c.edited {
        flags.push(&t.edited);
    }
    if c.retracted {
        flags.push(&t.retracted);
    }
    if c.reattached {
        flags.push(&t.reattached);
    }
    html! {
        article class=(class) id={ "c-" (i.short()) } data-c=(i.short()) {
            p.by {
                b { (c.author.name) }
                @if !who.is_empty() {
                    " " span.gr { (who.join(" · ")) }
                }
                @if !reply || i.kind != CommentKind::Comment {
                    " " span.kd { (t.kind(i.kind)) }
                }
                @if i.open_objection {
                    " " span.oo { (t.open_objection) }
                }
                " " time datetime=(c.time) { (short_time(&c.time)) }
            }
            @if !reply {
                (passage(i, t))
            }
            @if let Some(reason) = &c.hidden {
                p.fl { (t.hidden(reason)) }
            } @else if c.muted {
                p.fl { (t.muted) }
            } @else if c.retracted && c.body.is_empty() {
                // Withheld on a mirror's public site: the flags say it was retracted.
            } @else {
                p.bd dir=[dir(&c.body)] { (c.body) }
                @if let Some(s) = c.suggestion.as_deref().filter(|s| !s.is_empty()) {
                    p.sg { (t.suggests) " " q dir=[dir(s)] { (s) } }
                }
            }
            @if !flags.is_empty() {
                p.fl { (flags.join(" · ")) }
            }
            @if let (Some(d), Some(value)) = (&c.disposition, i.disposition) {
                p class={ "dp d-" (value.as_str()) } {
                    b { (t.disposition) ":" } " " (t.disposition(value))
                    @if !d.note.is_empty() {
                        " — " span dir=[dir(&d.note)] { (d.note) }
                    }
                    " " span.gr { "(" (d.editor) ")" }
                }
            }
            @if v.can_write() {
                a.ca href={ "/comments/" (i.short()) } { (t.reply_link) }
            } @else if !reply {
                a href={ "/comments/" (i.short()) } { (t.thread_link) }
            }
            @if v.take_part {
                " " a.ca.kb hidden href={ "/comments/" (i.short()) } { (t.reply_link) }
            }
        }
    }
}
