//! The draft and comment views as HTML.
//!
//! A draft page must stay light (a draft of 200 paragraphs with 2 000 comments under
//! 300 KB), so it is rendered in one of two modes: *full*, with every thread beside its
//! paragraph, and, when that would be too heavy, *compact*, where each paragraph shows
//! its highlights, counts and tally, and its threads open on request (a link to the
//! paragraph's page, which the script loads in place). Forms are not repeated per
//! paragraph: one response panel serves the whole page (the script moves it under the
//! paragraph being answered), and comment actions live on each comment's page.

use super::Viewer;
use super::html::{dir_attr, esc, escaped};
use super::model::{Block, CommentModel, DraftModel, Highlight, Item, Thread, url_encode};
use super::text::{Text, count, fill};
use margin_space::view::{AnchorView, Tally};

/// Above this many bytes of main content, a draft page is rendered compact.
pub const FULL_PAGE_BUDGET: usize = 240 * 1024;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    Full,
    Compact,
}

/// The URL of a draft page at the version `reading`.
pub fn draft_url(draft: &str, reading: Option<&str>) -> String {
    match reading {
        Some(v) => format!("/drafts/{draft}?v={}", url_encode(v)),
        None => format!("/drafts/{draft}"),
    }
}

/// The first characters of an id, enough to find it (`/drafts/73b70670390d`): links
/// repeated on every paragraph stay short.
pub fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// The URL of a paragraph's page.
fn para_url(m: &DraftModel, pid: &str) -> String {
    let d = short(&m.draft);
    match &m.reading {
        Some(v) => format!(
            "/drafts/{d}/p/{pid}?v={}{}",
            url_encode(v),
            m.filters.query()
        ),
        None => {
            let q = m.filters.query();
            if q.is_empty() {
                format!("/drafts/{d}/p/{pid}")
            } else {
                format!("/drafts/{d}/p/{pid}?{}", &q[1..])
            }
        }
    }
}

/// RFC 3339 as `2026-11-22 12:25`.
pub fn short_time(rfc3339: &str) -> String {
    let s = rfc3339.replace('T', " ");
    s.get(..16).map(str::to_owned).unwrap_or(s)
}

/// The draft page's main content, full when it fits the budget, else compact.
pub fn draft_main(m: &DraftModel, v: &Viewer, t: &Text) -> (String, Mode) {
    let full = draft_body(m, v, t, Mode::Full);
    if full.len() <= FULL_PAGE_BUDGET {
        return (full, Mode::Full);
    }
    (draft_body(m, v, t, Mode::Compact), Mode::Compact)
}

fn draft_body(m: &DraftModel, v: &Viewer, t: &Text, mode: Mode) -> String {
    let mut o = String::with_capacity(64 * 1024);
    w!(
        o,
        "<h1{}>{}</h1><p class=\"sub\"><a href=\"/spaces/{}\">{}</a> · {}</p>",
        dir_attr(&m.title),
        esc(&m.title),
        m.space,
        esc(&m.space_title),
        esc(&count(m.comments, t.comments_n_one, t.comments_n))
    );
    if let Some(version) = &m.reading {
        w!(
            o,
            "<p class=\"notice\">{} <a href=\"{}\">{}</a></p>",
            esc(&fill(t.reading_old, &[("v", version)])),
            draft_url(&m.draft, None),
            t.current
        );
    }
    tools(&mut o, m, t);
    if mode == Mode::Compact {
        w!(o, "<p class=\"notice\">{}</p>", t.compact_note);
    }
    if m.filters.active() {
        w!(
            o,
            "<p class=\"notice\">{} <a href=\"{}\">{}</a></p>",
            esc(&fill(t.filtered, &[("n", &m.shown.to_string())])),
            draft_url(&m.draft, m.reading.as_deref()),
            t.filter_clear
        );
    }
    if !m.whole.is_empty() {
        w!(
            o,
            "<section class=\"whole\" id=\"whole\"><h2>{}</h2>",
            t.whole_draft
        );
        threads_html(&mut o, &m.whole, v, t, mode);
        o.push_str("</section>");
    }
    o.push_str("<div class=\"doc\" id=\"doc\">");
    for s in &m.sections {
        if let Some(h) = &s.heading {
            block_html(&mut o, m, h, v, t, mode);
        }
        for p in &s.paragraphs {
            block_html(&mut o, m, p, v, t, mode);
        }
    }
    o.push_str("</div>");
    for (list, id, title, help) in [
        (&m.orphans, "orphans", t.orphans, t.orphans_help),
        (&m.elsewhere, "elsewhere", t.elsewhere, t.elsewhere_help),
    ] {
        if list.is_empty() {
            continue;
        }
        w!(
            o,
            "<section class=\"orph\" id=\"{id}\"><h2>{title} ({})</h2><p>{help}</p>",
            list.len()
        );
        threads_html(&mut o, list, v, t, mode);
        o.push_str("</section>");
    }
    if v.can_write() {
        respond_panel(&mut o, m, t, None);
    }
    o
}

/// Version picker, comparison, filters and the editors' tools.
fn tools(o: &mut String, m: &DraftModel, t: &Text) {
    let options = |o: &mut String, selected: Option<&str>, current_first: bool| {
        let cur = |o: &mut String| {
            w!(
                o,
                "<option value=\"\"{}>{}</option>",
                if selected.is_none() { " selected" } else { "" },
                t.current
            )
        };
        if current_first {
            cur(o);
        }
        for ver in &m.versions {
            w!(
                o,
                "<option{}>{}</option>",
                if selected == Some(ver.name.as_str()) {
                    " selected"
                } else {
                    ""
                },
                esc(&ver.name)
            );
        }
        if !current_first {
            cur(o);
        }
    };
    o.push_str("<div class=\"tools\">");
    w!(
        o,
        "<form method=\"get\" action=\"/drafts/{d}\"><label for=\"ver\">{lv}</label> \
         <select id=\"ver\" name=\"v\">",
        d = m.draft,
        lv = t.version
    );
    options(o, m.reading.as_deref(), true);
    w!(o, "</select> <button>{}</button></form>", t.read);
    if !m.versions.is_empty() {
        let from = m.versions.last().map(|v| v.name.as_str());
        w!(
            o,
            "<form method=\"get\" action=\"/drafts/{d}/diff\"><span>{c}:</span> \
             <label for=\"from\">{f}</label> <select id=\"from\" name=\"from\">",
            d = m.draft,
            c = t.compare,
            f = t.compare_from
        );
        options(o, from, false);
        w!(
            o,
            "</select> <label for=\"to\">{}</label> <select id=\"to\" name=\"to\">",
            t.compare_to
        );
        options(o, None, false);
        w!(o, "</select> <button>{}</button></form>", t.compare_button);
    }
    // Filters.
    let f = &m.filters;
    w!(
        o,
        "<details class=\"flt\"{}><summary>{}</summary><form method=\"get\" action=\"/drafts/{}\">",
        if f.active() { " open" } else { "" },
        t.filters,
        m.draft
    );
    if let Some(version) = &m.reading {
        w!(
            o,
            "<input type=\"hidden\" name=\"v\" value=\"{}\">",
            esc(version)
        );
    }
    w!(
        o,
        "<label for=\"fk\">{}</label><select id=\"fk\" name=\"kind\"><option value=\"\">{}</option>",
        t.filter_kind,
        t.filter_any
    );
    for k in ["comment", "question", "suggestion", "objection"] {
        w!(
            o,
            "<option value=\"{k}\"{}>{}</option>",
            if f.kind == Some(k) { " selected" } else { "" },
            t.kind(k)
        );
    }
    o.push_str("</select>");
    for (id, name, label, list, chosen) in [
        ("fg", "group", t.filter_group, &m.groups, &f.group),
        ("fr", "region", t.filter_region, &m.regions, &f.region),
    ] {
        w!(
            o,
            "<label for=\"{id}\">{label}</label><select id=\"{id}\" name=\"{name}\"><option value=\"\">{}</option>",
            t.filter_any
        );
        for g in list.iter().filter(|g| !g.is_empty()) {
            w!(
                o,
                "<option{}>{}</option>",
                if chosen.as_ref() == Some(g) {
                    " selected"
                } else {
                    ""
                },
                esc(g)
            );
        }
        o.push_str("</select>");
    }
    for (id, name, label, on) in [
        ("fo", "open", t.filter_open, f.open),
        ("fu", "undisposed", t.filter_undisposed, f.undisposed),
    ] {
        w!(
            o,
            "<span class=\"ck\"><input type=\"checkbox\" id=\"{id}\" name=\"{name}\" value=\"1\"{}> \
             <label for=\"{id}\">{label}</label></span>",
            if on { " checked" } else { "" }
        );
    }
    w!(o, "<button>{}</button></form></details>", t.filter_apply);
    if m.editor {
        w!(
            o,
            "<details class=\"ed\"><summary>{et}</summary>\
             <form method=\"post\" action=\"/api/drafts/{d}/tags\"><input type=\"hidden\" name=\"return\" value=\"/drafts/{d}\">\
             <label for=\"tagname\">{tn}</label> <input id=\"tagname\" name=\"name\" required size=\"12\"> \
             <button>{tb}</button></form>\
             <form method=\"post\" action=\"/api/drafts/{d}/revisions\" class=\"upd\"><input type=\"hidden\" name=\"return\" value=\"/drafts/{d}\">\
             <h3>{ut}</h3><label for=\"updfile\">{ifl}</label> <input id=\"updfile\" type=\"file\" accept=\".md,.markdown,text/markdown,text/plain\" data-into=\"updmd\">\
             <label for=\"updmd\">{im}</label><textarea id=\"updmd\" name=\"markdown\" rows=\"6\" required></textarea>\
             <label for=\"updmsg\">{um}</label> <input id=\"updmsg\" name=\"message\" required> \
             <button>{ub}</button></form></details>",
            et = t.editor_tools,
            d = m.draft,
            tn = t.tag_name,
            tb = t.tag_button,
            ut = t.update_title,
            ifl = t.import_file,
            im = t.import_markdown,
            um = t.update_message,
            ub = t.update_button,
        );
    }
    o.push_str("</div>");
}

/// Every segment boundary of a paragraph's text: highlights and bracketed spans, in
/// code points.
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

/// The text with highlighted passages (`<mark>`, naming their comments when `ids`)
/// and bracketed text (`class="b"`).
pub fn marked(o: &mut String, text: &str, highlights: &[Highlight], ids: bool) {
    let union;
    let highlights = if ids {
        highlights
    } else {
        union = merged(highlights);
        &union[..]
    };
    let brackets = bracket_spans(text);
    if highlights.is_empty() && brackets.is_empty() {
        w!(o, "{}", esc(text));
        return;
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
    for pair in cuts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if a >= b {
            continue;
        }
        let seg = esc(&text[bytes[a]..bytes[b]]);
        let covering: Vec<&Highlight> = highlights
            .iter()
            .filter(|h| h.start <= a && h.end >= b)
            .collect();
        let bracket = brackets.iter().any(|(s, e)| *s <= a && *e >= b);
        let class = match (bracket, covering.len()) {
            (true, 0 | 1) => " class=\"b\"",
            (true, _) => " class=\"b m2\"",
            (false, 0 | 1) => "",
            (false, _) => " class=\"m2\"",
        };
        if covering.is_empty() {
            if bracket {
                w!(o, "<span class=\"b\">{seg}</span>");
            } else {
                w!(o, "{seg}");
            }
        } else if ids {
            o.push_str("<mark");
            o.push_str(class);
            o.push_str(" data-c=\"");
            for (i, h) in covering.iter().enumerate() {
                if i > 0 {
                    o.push(' ');
                }
                o.push_str(&h.comment);
            }
            w!(o, "\">{seg}</mark>");
        } else {
            w!(o, "<mark{class}>{seg}</mark>");
        }
    }
}

fn tally_html(o: &mut String, tally: &Tally, t: &Text) {
    let mut first = true;
    for (n, label) in [
        (tally.support, t.stance_support),
        (tally.accept, t.stance_accept),
        (tally.object, t.stance_object),
        (tally.abstain, t.stance_abstain),
    ] {
        if n == 0 {
            continue;
        }
        o.push_str(if first {
            " · <span class=\"ty\">"
        } else {
            ", "
        });
        first = false;
        if label == t.stance_object {
            w!(o, "<b>{label} {n}</b>");
        } else {
            w!(o, "{label} {n}");
        }
    }
    if !first {
        o.push_str("</span>");
    }
}

/// One heading or paragraph with its highlights, counts, tally and threads.
pub fn block_html(o: &mut String, m: &DraftModel, b: &Block, v: &Viewer, t: &Text, mode: Mode) {
    let heading = b.level.is_some();
    if heading && b.comments == 0 && b.tally == Tally::default() {
        let level = b.level.unwrap_or(1).saturating_add(1).min(6);
        w!(
            o,
            "<h{level} class=\"h\" id=\"p-{id}\"{dir}>",
            id = esc(&b.id),
            dir = dir_attr(&b.text)
        );
        marked(o, &b.text, &[], false);
        w!(o, "</h{level}>");
        return;
    }
    w!(
        o,
        "<article class=\"{cls}\" id=\"p-{id}\">",
        cls = if heading { "p hd" } else { "p" },
        id = esc(&b.id),
    );
    let dir = dir_attr(&b.text);
    match (b.level, b.n) {
        (Some(level), _) => {
            let level = level.saturating_add(1).min(6);
            w!(o, "<h{level} class=\"t\"{dir}>");
            marked(o, &b.text, &b.highlights, mode == Mode::Full);
            w!(o, "</h{level}>");
        }
        (None, n) => {
            let n = n.unwrap_or(0);
            // The number leads to the paragraph's own page: all its threads, and the
            // form to answer it.
            w!(
                o,
                "<div class=\"tx\"><a class=\"n\" href=\"{href}\" aria-label=\"{label}\">¶{n}</a>",
                href = esc(&para_url(m, &b.id)),
                label = esc(&fill(t.paragraph, &[("n", &n.to_string())]))
            );
            if !b.marker.is_empty() {
                w!(o, "<span class=\"mk\">{}</span>", esc(b.marker.trim()));
            }
            w!(o, "<p class=\"t\"{dir}>");
            marked(o, &b.text, &b.highlights, mode == Mode::Full);
            o.push_str("</p></div>");
        }
    }
    // Counts, tally and the reader's stance (the script adds a button to respond).
    o.push_str("<p class=\"meta\">");
    if b.bracketed {
        w!(
            o,
            "<span class=\"bk\" title=\"{0}\">[…]</span> <span class=\"vh\">{0}</span> · ",
            t.bracketed
        );
    }
    if b.comments == 0 {
        o.push_str(t.no_comments);
    } else if mode == Mode::Compact && !b.threads.is_empty() {
        // The threads open on request: the paragraph's page, loaded in place by the script.
        w!(
            o,
            "<a class=\"sc\" href=\"{}\">{}</a>",
            esc(&para_url(m, &b.id)),
            count(b.comments, t.comments_n_one, t.comments_n)
        );
    } else {
        w!(o, "{}", count(b.comments, t.comments_n_one, t.comments_n));
    }
    if b.open_objections > 0 {
        w!(
            o,
            " · <span class=\"oo\">{}</span>",
            count(
                b.open_objections,
                t.open_objections_n_one,
                t.open_objections_n
            )
        );
    }
    tally_html(o, &b.tally, t);
    if let Some(s) = b.my_stance {
        w!(
            o,
            " · <span class=\"my\">{}</span>",
            esc(&fill(t.your_stance, &[("stance", t.stance(s))]))
        );
    }
    o.push_str("</p>");
    if !b.threads.is_empty() && mode == Mode::Full {
        o.push_str("<div class=\"cm\">");
        threads_html(o, &b.threads, v, t, mode);
        o.push_str("</div>");
    }
    o.push_str("</article>");
}

fn threads_html(o: &mut String, threads: &[Thread], v: &Viewer, t: &Text, mode: Mode) {
    for th in threads {
        match mode {
            Mode::Full => thread_html(o, th, v, t),
            Mode::Compact => {
                // Orphans and whole-draft comments in compact mode: one line each.
                let i = &th.root;
                w!(
                    o,
                    "<p class=\"c1\" id=\"c-{s}\"><a href=\"/comments/{s}\">{name}</a> · {kind} · {time}",
                    s = i.short(),
                    name = esc(&i.view.author.name),
                    kind = t.kind(i.view.kind),
                    time = short_time(&i.view.time)
                );
                if !th.replies.is_empty() {
                    w!(
                        o,
                        " · {}",
                        count(th.replies.len(), t.replies_n_one, t.replies_n)
                    );
                }
                o.push_str("</p>");
            }
        }
    }
}

/// A comment and its replies.
pub fn thread_html(o: &mut String, th: &Thread, v: &Viewer, t: &Text) {
    o.push_str("<div class=\"th\">");
    item_html(o, &th.root, v, t, false);
    if !th.replies.is_empty() {
        o.push_str("<div class=\"re\">");
        for r in &th.replies {
            item_html(o, r, v, t, true);
        }
        o.push_str("</div>");
    }
    o.push_str("</div>");
}

/// Where the comment's passage is, as the reader needs to know it.
fn passage_html(o: &mut String, i: &Item, t: &Text) {
    let c = &i.view;
    let version = c.version.tag.as_deref().unwrap_or(t.untagged_version);
    match (&c.anchor, &c.quote) {
        (AnchorView::Orphaned, Some(q)) => {
            w!(
                o,
                "<p class=\"was\">{} <q{}>{}</q> — <em>{}</em></p>",
                esc(&fill(t.commented_on, &[("v", version)])),
                dir_attr(&q.exact),
                esc(&q.exact),
                t.orphaned
            );
        }
        (AnchorView::Orphaned, None) => {
            w!(o, "<p class=\"was\"><em>{}</em></p>", t.orphaned);
        }
        (AnchorView::Anchored { text, exact, n, .. }, Some(q)) => {
            if *exact {
                w!(
                    o,
                    "<p class=\"on\">{} <q{}>{}</q></p>",
                    t.on_quote,
                    dir_attr(&q.exact),
                    esc(&q.exact)
                );
            } else {
                w!(
                    o,
                    "<p class=\"was\">{} <q{}><del>{}</del></q><br>{}{} <q{}><ins>{}</ins></q></p>",
                    esc(&fill(t.commented_on, &[("v", version)])),
                    dir_attr(&q.exact),
                    esc(&q.exact),
                    n.map(|n| format!("¶{n} ")).unwrap_or_default(),
                    t.now_reads,
                    dir_attr(text),
                    esc(text)
                );
            }
        }
        (AnchorView::Anchored { text, .. }, None) => {
            if let Some(then) = &i.paragraph_then {
                w!(
                    o,
                    "<p class=\"was\">{} <q{}><del>{}</del></q><br>{} <q{}><ins>{}</ins></q></p>",
                    esc(&fill(t.commented_on, &[("v", version)])),
                    dir_attr(then),
                    esc(then),
                    t.now_reads,
                    dir_attr(text),
                    esc(text)
                );
            }
        }
        (AnchorView::Draft, _) => {}
    }
}

/// One comment.
pub fn item_html(o: &mut String, i: &Item, v: &Viewer, t: &Text, reply: bool) {
    let c = &i.view;
    w!(
        o,
        "<article class=\"c k-{kind}{re}{rt}{oo}\" id=\"c-{s}\" data-c=\"{s}\">\
         <p class=\"by\"><b>{name}</b>",
        kind = c.kind,
        re = if reply { " rp" } else { "" },
        rt = if c.retracted || c.hidden.is_some() {
            " rt"
        } else {
            ""
        },
        oo = if i.open_objection { " open" } else { "" },
        s = i.short(),
        name = esc(&c.author.name)
    );
    let who: Vec<&str> = [c.author.stakeholder.as_str(), c.author.region.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    if !who.is_empty() {
        w!(o, " <span class=\"gr\">{}</span>", esc(&who.join(" · ")));
    }
    if !reply || c.kind != "comment" {
        w!(o, " <span class=\"kd\">{}</span>", t.kind(c.kind));
    }
    if i.open_objection {
        w!(o, " <span class=\"oo\">{}</span>", t.open_objection);
    }
    w!(
        o,
        " <time datetime=\"{}\">{}</time></p>",
        esc(&c.time),
        short_time(&c.time)
    );
    if !reply {
        passage_html(o, i, t);
    }
    if let Some(reason) = &c.hidden {
        w!(
            o,
            "<p class=\"fl\">{}</p>",
            esc(&fill(t.hidden, &[("reason", reason)]))
        );
    } else if c.muted {
        w!(o, "<p class=\"fl\">{}</p>", esc(t.muted));
    } else {
        w!(
            o,
            "<p class=\"bd\"{}>{}</p>",
            dir_attr(&c.body),
            esc(&c.body)
        );
        if let Some(s) = c.suggestion.as_deref().filter(|s| !s.is_empty()) {
            w!(
                o,
                "<p class=\"sg\">{} <q{}>{}</q></p>",
                t.suggests,
                dir_attr(s),
                esc(s)
            );
        }
    }
    let mut flags = vec![];
    if c.edited {
        flags.push(t.edited);
    }
    if c.retracted {
        flags.push(t.retracted);
    }
    if c.reattached {
        flags.push(t.reattached);
    }
    if !flags.is_empty() {
        w!(o, "<p class=\"fl\">{}</p>", flags.join(" · "));
    }
    if let Some(d) = &c.disposition {
        w!(
            o,
            "<p class=\"dp d-{}\"><b>{}:</b> {}",
            d.value,
            t.disposition,
            t.disposition(d.value)
        );
        if !d.note.is_empty() {
            w!(o, " — <span{}>{}</span>", dir_attr(&d.note), esc(&d.note));
        }
        w!(o, " <span class=\"gr\">({})</span></p>", esc(&d.editor));
    }
    if v.can_write() {
        w!(
            o,
            "<a class=\"ca\" href=\"/comments/{}\">{}</a>",
            i.short(),
            t.reply_link
        );
    } else if !reply {
        w!(
            o,
            "<a href=\"/comments/{}\">{}</a>",
            i.short(),
            t.thread_link
        );
    }
    o.push_str("</article>");
}

/// The one form for commenting on, and taking a stance on, a paragraph; the script
/// moves it under the paragraph being answered and fills in the selected passage.
pub fn respond_panel(o: &mut String, m: &DraftModel, t: &Text, para: Option<&Block>) {
    let here = match para {
        Some(b) => para_url(m, &b.id),
        None => draft_url(&m.draft, m.reading.as_deref()),
    };
    w!(
        o,
        "<section class=\"panel\" id=\"respond\" aria-labelledby=\"rh\" data-sel=\"{sel}\" data-respond=\"{respond}\"><h2 id=\"rh\">{}</h2>\
         <form method=\"post\" action=\"/api/drafts/{d}/comments\" id=\"rf\">\
         <input type=\"hidden\" name=\"v\" value=\"{v}\">\
         <input type=\"hidden\" name=\"start\" id=\"rstart\" value=\"\">\
         <input type=\"hidden\" name=\"return\" id=\"rret\" value=\"{ret}\">\
         <label for=\"rp\">{lp}</label><select id=\"rp\" name=\"para\">\
         <option value=\"\">{whole}</option>",
        t.respond_title,
        sel = t.selection_button,
        respond = esc(t.respond),
        d = m.draft,
        v = esc(m.reading.as_deref().unwrap_or("")),
        ret = esc(&here),
        lp = t.para_select,
        whole = t.whole_draft,
    );
    for b in m.blocks() {
        let selected = if para.is_some_and(|p| p.id == b.id) {
            " selected"
        } else {
            ""
        };
        let label = match b.n {
            Some(n) => format!("¶{n}"),
            None => "§".to_owned(),
        };
        let start: String = b.text.chars().take(20).collect();
        w!(
            o,
            "<option value=\"{}\"{selected}>{label} {}…</option>",
            esc(&b.id),
            esc(&start)
        );
    }
    let n = para
        .and_then(|b| b.n)
        .map(|n| n.to_string())
        .unwrap_or_else(|| "…".into());
    w!(
        o,
        "</select>\
         <label for=\"rq\">{passage}</label><input id=\"rq\" name=\"quote\" aria-describedby=\"rqh\">\
         <small id=\"rqh\">{ph}</small>\
         <label for=\"rk\">{kind}</label><select id=\"rk\" name=\"kind\">",
        passage = t.passage,
        ph = t.passage_help,
        kind = t.kind,
    );
    for k in ["comment", "question", "suggestion", "objection"] {
        w!(o, "<option value=\"{k}\">{}</option>", t.kind(k));
    }
    w!(
        o,
        "</select><label for=\"rb\">{body}</label><textarea id=\"rb\" name=\"body\" rows=\"4\" required></textarea>\
         <label for=\"rsg\">{sug}</label><textarea id=\"rsg\" name=\"suggestion\" rows=\"2\"></textarea>\
         <button>{post}</button>\
         <fieldset class=\"st\"><legend id=\"rsl\" data-template=\"{legend_t}\">{legend}</legend>\
         <label for=\"rr\">{reason}</label><input id=\"rr\" name=\"reason\">",
        body = t.body,
        sug = t.suggestion,
        post = t.post_comment,
        legend_t = esc(t.stance_title),
        legend = esc(&fill(t.stance_title, &[("n", &n)])),
        reason = t.stance_reason,
    );
    for (value, label) in [
        ("support", t.stance_support),
        ("accept", t.stance_accept),
        ("object", t.stance_object),
        ("abstain", t.stance_abstain),
    ] {
        w!(
            o,
            " <button class=\"sb s-{value}\" formaction=\"/api/drafts/{}/stances\" formnovalidate name=\"value\" value=\"{value}\">{label}</button>",
            m.draft
        );
    }
    w!(
        o,
        "</fieldset><button type=\"button\" class=\"link x\" hidden>{}</button></form></section>",
        t.cancel
    );
}

/// A comment's page: its thread, then what the reader may do.
pub fn comment_main(cm: &CommentModel, v: &Viewer, t: &Text, back: &str) -> String {
    let mut o = String::new();
    let focus = cm.focus();
    w!(
        o,
        "<h1>{}</h1><p class=\"sub\"><a href=\"{}\">{}</a> · <a href=\"/drafts/{}\">{}</a></p>",
        esc(&fill(t.thread_title, &[("name", &focus.view.author.name)])),
        esc(back),
        t.back_to_draft,
        cm.draft,
        esc(&cm.draft_title)
    );
    thread_html(&mut o, &cm.thread, v, t);
    if v.can_write() {
        actions_html(&mut o, cm, focus, t, back);
    }
    o
}

/// The forms acting on one comment: reply; edit and retract for its author;
/// disposition and re-attachment for editors.
fn actions_html(o: &mut String, cm: &CommentModel, i: &Item, t: &Text, back: &str) {
    let id = i.id();
    let ret = format!(
        "<input type=\"hidden\" name=\"return\" value=\"{}\">",
        esc(back)
    );
    w!(
        o,
        "<section id=\"actions\" class=\"acts\" data-c=\"{s}\">\
         <form method=\"post\" action=\"/api/drafts/{d}/comments\"><h2>{rt}</h2>{ret}\
         <input type=\"hidden\" name=\"reply\" value=\"{id}\">\
         <label for=\"k-{s}\">{kind}</label><select id=\"k-{s}\" name=\"kind\">",
        s = i.short(),
        d = cm.draft,
        rt = t.reply_title,
        kind = t.kind,
    );
    for k in ["comment", "question", "suggestion", "objection"] {
        w!(o, "<option value=\"{k}\">{}</option>", t.kind(k));
    }
    w!(
        o,
        "</select><label for=\"b-{s}\">{body}</label><textarea id=\"b-{s}\" name=\"body\" rows=\"3\" required></textarea>\
         <label for=\"g-{s}\">{sug}</label><textarea id=\"g-{s}\" name=\"suggestion\" rows=\"2\"></textarea>\
         <button>{post}</button></form>",
        s = i.short(),
        body = t.body,
        sug = t.suggestion,
        post = t.post_reply,
    );
    if i.mine && !i.view.retracted {
        w!(
            o,
            "<form method=\"post\" action=\"/api/comments/{id}/edit\"><h2>{et}</h2>{ret}\
             <label for=\"e-{s}\">{body}</label><textarea id=\"e-{s}\" name=\"body\" rows=\"3\" required>{text}</textarea>\
             <label for=\"es-{s}\">{sug}</label><textarea id=\"es-{s}\" name=\"suggestion\" rows=\"2\">{stext}</textarea>\
             <button>{save}</button></form>\
             <form method=\"post\" action=\"/api/comments/{id}/retract\"><h2>{rtt}</h2>{ret}\
             <label><input type=\"checkbox\" name=\"erase\" value=\"1\"> {re}</label>\
             <button class=\"warn\">{rb}</button></form>",
            s = i.short(),
            et = t.edit_title,
            body = t.body,
            text = esc(&i.view.body),
            sug = t.suggestion,
            stext = esc(i.view.suggestion.as_deref().unwrap_or("")),
            save = t.save_edit,
            rtt = t.retract_title,
            rb = t.retract_button,
            re = t.retract_erase,
        );
    }
    if !i.mine {
        let (action, button) = if i.view.muted {
            ("unmute", t.unmute_button)
        } else {
            ("mute", t.mute_button)
        };
        w!(
            o,
            "<form method=\"post\" action=\"/api/participants/{key}/mute\"><h2>{mt}</h2>{ret}\
             <input type=\"hidden\" name=\"action\" value=\"{action}\">\
             <button>{button}</button></form>",
            key = esc(&i.view.author.key),
            mt = t.mute_title,
        );
    }
    if cm.convener {
        let (action, button) = if i.view.hidden.is_some() {
            ("show", t.unhide_button)
        } else {
            ("hide", t.hide_button)
        };
        w!(
            o,
            "<form method=\"post\" action=\"/api/comments/{id}/moderation\"><h2>{ht}</h2>{ret}\
             <input type=\"hidden\" name=\"action\" value=\"{action}\">\
             <label for=\"hr-{s}\">{hr}</label><input id=\"hr-{s}\" name=\"reason\" required>\
             <button class=\"warn\">{button}</button></form>",
            s = i.short(),
            ht = t.hide_title,
            hr = t.hide_reason,
        );
    }
    if cm.editor {
        w!(
            o,
            "<form method=\"post\" action=\"/api/comments/{id}/dispose\"><h2>{dt}</h2>{ret}\
             <label for=\"dv-{s}\">{dv}</label><select id=\"dv-{s}\" name=\"value\">",
            s = i.short(),
            dt = t.dispose_title,
            dv = t.dispose_value,
        );
        let current = i.view.disposition.as_ref().map(|d| d.value);
        for value in ["accepted", "partly", "declined", "noted"] {
            w!(
                o,
                "<option value=\"{value}\"{}>{}</option>",
                if current == Some(value) {
                    " selected"
                } else {
                    ""
                },
                t.disposition(value)
            );
        }
        w!(
            o,
            "</select><label for=\"dn-{s}\">{dn}</label><textarea id=\"dn-{s}\" name=\"note\" rows=\"2\"></textarea>\
             <label for=\"dr-{s}\">{dr}</label><select id=\"dr-{s}\" name=\"revision\"><option value=\"\">{none}</option>",
            s = i.short(),
            dn = t.dispose_note,
            dr = t.dispose_revision,
            none = t.dispose_no_revision,
        );
        for r in cm.revisions.iter().take(20) {
            w!(
                o,
                "<option value=\"{}\">{} — {}</option>",
                r.id,
                short_time(&r.time),
                esc(&r.message)
            );
        }
        w!(o, "</select><button>{}</button></form>", t.dispose_button);
        if i.view.parent.is_none() {
            w!(
                o,
                "<form method=\"post\" action=\"/api/comments/{id}/reattach\"><h2>{rt}</h2>{ret}\
                 <label for=\"ap-{s}\">{rp}</label> <input id=\"ap-{s}\" name=\"para\" required size=\"6\" inputmode=\"numeric\">\
                 <label for=\"aq-{s}\">{pq}</label><input id=\"aq-{s}\" name=\"quote\" value=\"{q}\">\
                 <button>{rb}</button></form>",
                s = i.short(),
                rt = t.reattach_title,
                rp = t.reattach_para,
                pq = t.passage,
                q = esc(i
                    .view
                    .quote
                    .as_ref()
                    .map(|q| q.exact.as_str())
                    .unwrap_or("")),
                rb = t.reattach_button,
            );
        }
    }
    o.push_str("</section>");
}

/// Escaped text for use in attribute values built elsewhere.
pub fn attr(s: &str) -> String {
    escaped(s)
}
