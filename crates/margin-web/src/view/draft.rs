//! `/drafts/{id}`: a draft at the version read, its paragraphs with their highlighted
//! passages, counts, tallies and threads; the version picker, comparison, filters and
//! the editors' tools.

use maud::{Markup, html};

use margin_core::body::{CommentKind, StanceValue};
use margin_space::view::Tally;

use super::comment::threads;
use super::forms::respond_panel;
use super::layout::{BodyData, Chrome, page};
use super::{FULL_PAGE_BUDGET, Mode, SyncLine, dir, draft_url, heading, short};
use crate::Viewer;
use crate::model::{Block, DraftModel, Highlight};
use crate::text::{Text, text};

/// The chrome of a draft's pages (the draft and one paragraph).
pub fn draft_chrome<'a>(
    m: &'a DraftModel,
    viewer: &'a Viewer,
    sync: &'a SyncLine,
    mode: Mode,
) -> Chrome<'a> {
    let mut c = Chrome::new(&m.title, viewer, sync);
    c.crumbs = vec![(format!("/spaces/{}", m.space), m.space_title.clone())];
    c.space = Some(m.space.clone());
    c.body = BodyData {
        space: Some(m.space.clone()),
        draft: Some(m.draft.clone()),
        mode: Some(mode),
        ..BodyData::default()
    };
    c
}

/// The draft page, full when its main content fits the budget, else compact.
pub fn draft(m: &DraftModel, viewer: &Viewer, sync: &SyncLine) -> Markup {
    let (main, mode) = draft_main(m, viewer);
    page(&draft_chrome(m, viewer, sync, mode), main)
}

/// The draft page's main content, full when it fits the budget, else compact.
pub fn draft_main(m: &DraftModel, v: &Viewer) -> (Markup, Mode) {
    let t = text();
    let full = draft_body(m, v, t, Mode::Full);
    if full.0.len() <= FULL_PAGE_BUDGET {
        return (full, Mode::Full);
    }
    (draft_body(m, v, t, Mode::Compact), Mode::Compact)
}

/// The URL of a paragraph's page, keeping the version read and the filters.
pub fn para_url(m: &DraftModel, pid: &str) -> String {
    let d = short(&m.draft);
    let mut q = m.filters.query();
    if let Some(v) = &m.reading {
        let version = crate::model::query(&[("v", v)]);
        q = if q.is_empty() {
            version
        } else {
            format!("{version}&{q}")
        };
    }
    if q.is_empty() {
        format!("/drafts/{d}/p/{pid}")
    } else {
        format!("/drafts/{d}/p/{pid}?{q}")
    }
}

fn draft_body(m: &DraftModel, v: &Viewer, t: &Text, mode: Mode) -> Markup {
    let sections: [(&[crate::model::Thread], &str, &str, &str); 2] = [
        (&m.orphans, "orphans", &t.orphans, &t.orphans_help),
        (&m.elsewhere, "elsewhere", &t.elsewhere, &t.elsewhere_help),
    ];
    html! {
        h1 dir=[dir(&m.title)] { (m.title) }
        p.sub {
            a href={ "/spaces/" (m.space) } { (m.space_title) }
            " · " (t.comments_n(m.comments))
        }
        @if let Some(version) = &m.reading {
            p.notice {
                (t.reading_old(version)) " "
                a href=(draft_url(&m.draft, None)) { (t.current) }
            }
        }
        (tools(m, t))
        @if mode == Mode::Compact {
            p.notice { (t.compact_note) }
        }
        @if m.filters.active() {
            p.notice {
                (t.filtered(m.shown)) " "
                a href=(draft_url(&m.draft, m.reading.as_deref())) { (t.filter_clear) }
            }
        }
        @if !m.whole.is_empty() {
            section.whole #whole {
                h2 { (t.whole_draft) }
                (threads(&m.whole, v, t, mode))
            }
        }
        @if mode == Mode::Full {
            (highlight_help(t))
        }
        div.doc #doc {
            @for s in &m.sections {
                @if let Some(h) = &s.heading {
                    (block(m, h, v, t, mode))
                }
                @for p in &s.paragraphs {
                    (block(m, p, v, t, mode))
                }
            }
        }
        @for (list, id, title, help) in sections {
            @if !list.is_empty() {
                section.orph id=(id) {
                    h2 { (title) " (" (list.len()) ")" }
                    p { (help) }
                    (threads(list, v, t, mode))
                }
            }
        }
        @if v.take_part {
            (key_hint(t))
        }
        @if v.can_write() || v.take_part {
            (respond_panel(m, t, None, v.take_part))
        }
    }
}

/// On a site that takes part, for a browser without a key: where to make one.
pub fn key_hint(t: &Text) -> Markup {
    html! {
        p.notice.nokey hidden {
            (t.take_part_hint) " " a href="/participate" { (t.take_part_hint_link) }
        }
    }
}

/// The versions as options, the current text first or last.
fn version_options(
    m: &DraftModel,
    t: &Text,
    selected: Option<&str>,
    current_first: bool,
) -> Markup {
    let current = html! { option value="" selected[selected.is_none()] { (t.current) } };
    html! {
        @if current_first { (current) }
        @for ver in &m.versions {
            option selected[selected == Some(ver.name.as_str())] { (ver.name) }
        }
        @if !current_first { (current) }
    }
}

/// A filter chosen from a list: element id, field name, label, the choices, the choice.
type ListFilter<'a> = (&'a str, &'a str, &'a str, &'a [String], &'a Option<String>);

/// Version picker, comparison, filters and the editors' tools.
fn tools(m: &DraftModel, t: &Text) -> Markup {
    let f = &m.filters;
    let lists: [ListFilter<'_>; 2] = [
        ("fg", "group", &t.filter_group, &m.groups, &f.group),
        ("fr", "region", &t.filter_region, &m.regions, &f.region),
    ];
    let checks = [
        ("fo", "open", &t.filter_open, f.open),
        ("fu", "undisposed", &t.filter_undisposed, f.undisposed),
    ];
    html! {
        div.tools {
            form method="get" action={ "/drafts/" (m.draft) } {
                label for="ver" { (t.version) } " "
                select #ver name="v" { (version_options(m, t, m.reading.as_deref(), true)) }
                " " button { (t.read) }
            }
            @if !m.versions.is_empty() {
                form method="get" action={ "/drafts/" (m.draft) "/diff" } {
                    span { (t.compare) ":" } " "
                    label for="from" { (t.compare_from) } " "
                    select #from name="from" {
                        (version_options(m, t, m.versions.last().map(|v| v.name.as_str()), false))
                    }
                    " " label for="to" { (t.compare_to) } " "
                    select #to name="to" { (version_options(m, t, None, false)) }
                    " " button { (t.compare_button) }
                }
            }
            details.flt open[f.active()] {
                summary { (t.filters) }
                form method="get" action={ "/drafts/" (m.draft) } {
                    @if let Some(version) = &m.reading {
                        input type="hidden" name="v" value=(version);
                    }
                    label for="fk" { (t.filter_kind) }
                    select #fk name="kind" {
                        option value="" { (t.filter_any) }
                        @for k in CommentKind::ALL {
                            option value=(k.as_str()) selected[f.kind == Some(*k)] { (t.kind(*k)) }
                        }
                    }
                    @for (id, name, label, list, chosen) in lists {
                        label for=(id) { (label) }
                        select id=(id) name=(name) {
                            option value="" { (t.filter_any) }
                            @for g in list.iter().filter(|g| !g.is_empty()) {
                                option selected[chosen.as_ref() == Some(g)] { (g) }
                            }
                        }
                    }
                    @for (id, name, label, on) in checks {
                        span.ck {
                            input type="checkbox" id=(id) name=(name) value="1" checked[on];
                            " " label for=(id) { (label) }
                        }
                    }
                    button { (t.filter_apply) }
                }
            }
            @if m.editor {
                (editor_tools(m, t))
            }
        }
    }
}

/// Naming a version and importing a new revision.
fn editor_tools(m: &DraftModel, t: &Text) -> Markup {
    let back = format!("/drafts/{}", m.draft);
    html! {
        details.ed {
            summary { (t.editor_tools) }
            form method="post" action={ "/api/drafts/" (m.draft) "/tags" } {
                input type="hidden" name="return" value=(back);
                label for="tagname" { (t.tag_name) } " "
                input #tagname name="name" required size="12";
                " " button { (t.tag_button) }
            }
            form.upd method="post" enctype="multipart/form-data" action={ "/api/drafts/" (m.draft) "/revisions" } {
                input type="hidden" name="return" value=(back);
                h3 { (t.update_title) }
                label for="updfile" { (t.import_file) } " "
                input #updfile type="file" name="file" accept=".md,.markdown,.txt,.docx,.odt,.fodt,text/markdown,text/plain" data-into="updmd";
                label for="updmd" { (t.import_markdown) }
                textarea #updmd name="markdown" rows="6" {}
                label for="updmsg" { (t.update_message) } " "
                input #updmsg name="message" required;
                " " button { (t.update_button) }
            }
        }
    }
}

/// What a highlighted passage does, said to whoever reaches it with the keyboard: the
/// script makes each passage naming its comments a button described by this text.
pub fn highlight_help(t: &Text) -> Markup {
    html! { p #hlhelp hidden { (t.highlight_help) } }
}

/// Every bracketed span of a paragraph's text, in code points.
fn bracket_spans(text: &str) -> Vec<(usize, usize)> {
    let mut out = vec![];
    let mut open = None;
    for (i, c) in text.chars().enumerate() {
        match c {
            '[' if open.is_none() => open = Some(i),
            ']' => {
                if let Some(s) = open.take() {
                    out.push((s, i + 1));
                }
            }
            _ => {}
        }
    }
    out
}

/// Overlapping and touching highlights as one, without naming comments (compact pages).
fn merged(highlights: &[Highlight]) -> Vec<Highlight> {
    let mut ranges: Vec<(usize, usize)> = highlights.iter().map(|h| (h.start, h.end)).collect();
    ranges.sort_unstable();
    let mut out: Vec<Highlight> = vec![];
    for (start, end) in ranges {
        match out.last_mut() {
            Some(last) if start <= last.end => last.end = last.end.max(end),
            _ => out.push(Highlight {
                start,
                end,
                comment: String::new(),
            }),
        }
    }
    out
}

/// A run of a paragraph's text between two boundaries of highlights or brackets.
pub struct Segment<'a> {
    pub text: &'a str,
    /// The comments whose passage covers it (empty names when not naming them).
    pub covering: Vec<&'a str>,
    pub bracket: bool,
}

/// A paragraph's text cut where highlights and bracketed spans begin and end.
pub fn segments<'a>(text: &'a str, highlights: &'a [Highlight]) -> Vec<Segment<'a>> {
    let brackets = bracket_spans(text);
    if highlights.is_empty() && brackets.is_empty() {
        return vec![Segment {
            text,
            covering: vec![],
            bracket: false,
        }];
    }
    let bytes: Vec<usize> = text
        .char_indices()
        .map(|(b, _)| b)
        .chain(std::iter::once(text.len()))
        .collect();
    let len = bytes.len() - 1;
    let mut cuts: Vec<usize> = vec![0, len];
    for h in highlights {
        cuts.push(h.start.min(len));
        cuts.push(h.end.min(len));
    }
    for (s, e) in &brackets {
        cuts.push(*s);
        cuts.push(*e);
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts.windows(2)
        .filter(|pair| pair[0] < pair[1])
        .map(|pair| {
            let (a, b) = (pair[0], pair[1]);
            Segment {
                text: &text[bytes[a]..bytes[b]],
                covering: highlights
                    .iter()
                    .filter(|h| h.start <= a && h.end >= b)
                    .map(|h| h.comment.as_str())
                    .collect(),
                bracket: brackets.iter().any(|(s, e)| *s <= a && *e >= b),
            }
        })
        .collect()
}

/// The text with highlighted passages (`mark`, naming their comments in `data-c` when
/// `ids`) and bracketed text (`class="b"`).
pub fn marked(text: &str, highlights: &[Highlight], ids: bool) -> Markup {
    let union;
    let highlights = if ids {
        highlights
    } else {
        union = merged(highlights);
        &union[..]
    };
    html! {
        @for seg in segments(text, highlights) {
            @let class = match (seg.bracket, seg.covering.len()) {
                (true, 0 | 1) => Some("b"),
                (true, _) => Some("b m2"),
                (false, 0 | 1) => None,
                (false, _) => Some("m2"),
            };
            @if seg.covering.is_empty() {
                @if seg.bracket {
                    span.b { (seg.text) }
                } @else {
                    (seg.text)
                }
            } @else if ids {
                mark class=[class] data-c=(seg.covering.join(" ")) { (seg.text) }
            } @else {
                mark class=[class] { (seg.text) }
            }
        }
    }
}

/// The stances taken on a paragraph, objections in bold.
fn tally(tally: &Tally, t: &Text) -> Markup {
    let counts: Vec<(StanceValue, usize)> = StanceValue::ALL
        .iter()
        .map(|s| {
            let n = match s {
                StanceValue::Support => tally.support,
                StanceValue::Accept => tally.accept,
                StanceValue::Object => tally.object,
                StanceValue::Abstain => tally.abstain,
            };
            (*s, n)
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    html! {
        @if !counts.is_empty() {
            " · "
            span.ty {
                @for (i, (stance, n)) in counts.iter().enumerate() {
                    @if i > 0 { ", " }
                    @if *stance == StanceValue::Object {
                        b { (t.stance(*stance)) " " (n) }
                    } @else {
                        (t.stance(*stance)) " " (n)
                    }
                }
            }
        }
    }
}

/// One heading or paragraph with its highlights, counts, tally and threads.
pub fn block(m: &DraftModel, b: &Block, v: &Viewer, t: &Text, mode: Mode) -> Markup {
    let id = format!("p-{}", b.id);
    let is_heading = b.level.is_some();
    if is_heading && b.comments == 0 && b.tally == Tally::default() {
        let level = b.level.unwrap_or(1).saturating_add(1);
        return heading(
            level,
            "h",
            Some(&id),
            dir(&b.text),
            marked(&b.text, &[], false),
        );
    }
    let full = mode == Mode::Full;
    html! {
        article class=(if is_heading { "p hd" } else { "p" }) id=(id) {
            @match (b.level, b.n) {
                (Some(level), _) => {
                    (heading(level.saturating_add(1), "t", None, dir(&b.text), marked(&b.text, &b.highlights, full)))
                }
                (None, n) => {
                    @let n = n.unwrap_or(0);
                    div.tx {
                        // The number leads to the paragraph's own page: all its threads,
                        // and the form to answer it.
                        a.n href=(para_url(m, &b.id)) aria-label=(t.paragraph(n.to_string())) {
                            "¶" (n)
                        }
                        @if !b.marker.is_empty() {
                            span.mk { (b.marker.trim()) }
                        }
                        p.t dir=[dir(&b.text)] { (marked(&b.text, &b.highlights, full)) }
                    }
                }
            }
            // Counts, tally and the reader's stance (the script adds a button to respond).
            p.meta {
                @if b.bracketed {
                    span.bk title=(t.bracketed) { "[…]" } " " span.vh { (t.bracketed) } " · "
                }
                @if b.comments == 0 {
                    (t.no_comments)
                } @else if mode == Mode::Compact && !b.threads.is_empty() {
                    // The threads open on request: the paragraph's page, loaded in place
                    // by the script.
                    a.sc href=(para_url(m, &b.id)) { (t.comments_n(b.comments)) }
                } @else {
                    (t.comments_n(b.comments))
                }
                @if b.open_objections > 0 {
                    " · "
                    span.oo { (t.open_objections_n(b.open_objections)) }
                }
                (tally(&b.tally, t))
                @if let Some(s) = b.my_stance {
                    " · " span.my { (t.your_stance(t.stance(s))) }
                }
            }
            @if !b.threads.is_empty() && full {
                div.cm { (threads(&b.threads, v, t, mode)) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(start: usize, end: usize, comment: &str) -> Highlight {
        Highlight {
            start,
            end,
            comment: comment.into(),
        }
    }

    #[test]
    fn highlighted_text_is_escaped_and_marked() {
        let text = "<b>x</b> & [y]";
        let out = marked(text, &[h(0, 3, "c1"), h(1, 3, "c2")], true).into_string();
        assert_eq!(
            out,
            "<mark data-c=\"c1\">&lt;</mark><mark class=\"m2\" data-c=\"c1 c2\">b&gt;</mark>\
             x&lt;/b&gt; &amp; <span class=\"b\">[y]</span>"
        );
        // Without ids, overlapping passages are one mark naming no comment.
        let out = marked(text, &[h(0, 3, "c1"), h(1, 3, "c2")], false).into_string();
        assert!(out.starts_with("<mark>&lt;b&gt;</mark>"), "{out}");
    }
}
