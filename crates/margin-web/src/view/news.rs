//! `/news`: what is new for the node's participant since they last looked, by kind,
//! each piece linking to where it happened, and the button that marks it all read.

use maud::{Markup, html};

use margin_core::body::CommentKind;
use margin_node::news::{News, NewsItem, Section};
use margin_space::view::ParticipantView;

use super::layout::{Chrome, page};
use super::{SyncLine, dir, short_time};
use crate::Viewer;
use crate::model::query;
use crate::text::{Text, text};

pub fn news(news: Option<&News>, viewer: &Viewer, sync: &SyncLine) -> Markup {
    let t = text();
    let main = html! {
        h1 { (t.news_title) }
        @match news {
            None => p.notice { (t.news_no_identity) " " a href="/identity" { (t.identity_title) } },
            Some(n) => (content(n, viewer, t)),
        }
    };
    page(&Chrome::new(&t.news_title, viewer, sync), main)
}

fn content(n: &News, viewer: &Viewer, t: &Text) -> Markup {
    let date = n.since["date"].as_str();
    let since = match (date, n.since["mark"].as_i64()) {
        (Some(date), _) => t.news_since_date(short_time(date)),
        (None, Some(0)) => t.news_since_never.clone(),
        _ => t.news_since_mark.clone(),
    };
    html! {
        p.gr { (since) }
        form.tools method="get" action="/news" {
            label for="since" { (t.news_since_label) }
            input #since type="date" name="since" value=[date.and_then(|d| d.get(..10))];
            button { (t.news_since_button) }
        }
        @if n.items.is_empty() {
            p { (t.news_nothing) }
        }
        @for section in Section::ALL {
            @let items = n.in_section(section);
            @if !items.is_empty() {
                section.news {
                    h2 { (heading(section, t)) }
                    ul {
                        @for item in items {
                            li { (item_line(item, t)) }
                        }
                    }
                }
            }
        }
        @if n.more > 0 {
            p.gr { (t.news_more(n.more)) }
        }
        @if !n.closing.is_empty() {
            section.news {
                h2 { (t.news_closing) }
                ul {
                    @for c in &n.closing {
                        li {
                            a href={ "/spaces/" (c.space) } {
                                (t.news_closes(c.days, c.title.as_str(), short_time(&c.closes)))
                            }
                        }
                    }
                }
            }
        }
        @if viewer.can_write() && date.is_none() {
            form method="post" action="/api/news/read" {
                input type="hidden" name="return" value="/news";
                button { (t.news_mark_read) }
            }
        }
    }
}

fn item_line(item: &NewsItem, t: &Text) -> Markup {
    let name = |p: &ParticipantView| format!("{} ({})", p.name, p.stakeholder);
    let para = |n: &Option<usize>| n.map_or_else(|| t.news_para_gone.clone(), |n| format!("¶{n}"));
    match item {
        NewsItem::Reply { reply, .. } => html! {
            span.gr { (short_time(&reply.time)) } " "
            (t.news_replied(name(&reply.author))) " "
            q dir=[dir(&reply.body)] { (reply.body) } " "
            a href={ "/comments/" (reply.id) } { (t.thread_link) }
        },
        NewsItem::Disposition {
            comment,
            value,
            note,
            by,
            time,
            ..
        } => html! {
            span.gr { (short_time(time)) } " "
            (t.news_disposed(name(by), t.disposition(*value))) " "
            @if !note.is_empty() {
                q dir=[dir(note)] { (note) } " "
            }
            a href={ "/comments/" (comment) } { (t.thread_link) }
        },
        NewsItem::Revision {
            draft,
            title,
            revisions,
            message,
            by,
            time,
            since_read,
            ..
        } => html! {
            span.gr { (short_time(time)) } " "
            a href={ "/drafts/" (draft) } dir=[dir(title)] { (title) } ": "
            (t.news_revised(*revisions, name(by))) " "
            q dir=[dir(message)] { (message) }
            br;
            @match since_read {
                Some(d) if d.changed + d.added + d.removed == 0 => span.gr { (t.news_read_current) },
                Some(d) => {
                    (t.news_since_read(d.changed, d.added, d.removed)) " "
                    a href={ "/drafts/" (draft) "/diff?" (query(&[("from", &d.from), ("to", "current")])) } {
                        (t.news_show_changes)
                    }
                }
                None => span.gr { (t.news_not_read) },
            }
        },
        NewsItem::Comment { n, comment, .. } => html! {
            span.gr { (short_time(&comment.time)) } " "
            (t.news_commented(name(&comment.author), t.kind(kind(comment.kind)), para(n))) " "
            q dir=[dir(&comment.body)] { (comment.body) } " "
            a href={ "/comments/" (comment.id) } { (t.thread_link) }
        },
        NewsItem::Objection {
            draft,
            para: pid,
            n,
            by,
            reason,
            time,
            ..
        } => html! {
            span.gr { (short_time(time)) } " "
            (t.news_objects(name(by), para(n))) " "
            q dir=[dir(reason)] { (reason) } " "
            a href={ "/drafts/" (draft) "/p/" (pid) } { (t.read) }
        },
    }
}

fn heading(section: Section, t: &Text) -> &str {
    match section {
        Section::Replies => &t.news_replies,
        Section::Dispositions => &t.news_dispositions,
        Section::Revisions => &t.news_revisions,
        Section::WhereYouTookPart => &t.news_where_you_took_part,
    }
}

/// A comment kind by its word, as the views name it.
fn kind(word: &str) -> CommentKind {
    word.parse().unwrap_or(CommentKind::Comment)
}
