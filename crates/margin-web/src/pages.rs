//! Whole pages: the spaces, a space, a draft, a paragraph, a comment, a diff, search
//! results, identity and login, errors.

use axum::http::StatusCode;
use margin_draft::{ParagraphChange, WordOp};
use margin_store::SearchHit;

use super::Viewer;
use super::html::{CSS_VERSION, Chrome, SyncLine, dir_attr, esc, page};
use super::model::{CommentModel, DiffModel, DraftModel, SpaceItem, SpaceModel};
use super::render::{self, Mode, draft_url, short_time};
use super::text::{Text, count, fill, text};

fn chrome<'a>(title: &'a str, viewer: &'a Viewer, sync: SyncLine) -> Chrome<'a> {
    Chrome {
        t: text(),
        title,
        viewer,
        sync,
        crumbs: vec![],
        space: None,
        body_data: String::new(),
    }
}

/// `/`: the spaces of this node and their drafts.
pub fn home(spaces: &[SpaceItem], viewer: &Viewer, sync: SyncLine) -> String {
    let t = text();
    let mut o = String::new();
    w!(o, "<h1>{}</h1>", t.spaces);
    if spaces.is_empty() {
        w!(o, "<p>{}</p>", esc(t.no_spaces));
    }
    o.push_str("<ul class=\"spaces\">");
    for s in spaces {
        w!(
            o,
            "<li><a href=\"/spaces/{}\"{}>{}</a><ul>",
            s.space,
            dir_attr(&s.title),
            esc(&s.title)
        );
        for d in &s.drafts {
            w!(
                o,
                "<li><a href=\"/drafts/{}\"{}>{}</a> <span class=\"gr\">{}</span></li>",
                d.draft,
                dir_attr(&d.title),
                esc(&d.title),
                counts(t, d.paragraphs, d.comments, d.revisions)
            );
        }
        o.push_str("</ul></li>");
    }
    o.push_str("</ul>");
    let mut c = chrome(t.spaces, viewer, sync);
    c.body_data = " data-live=\"all\"".into();
    page(&c, &o)
}

fn counts(t: &Text, paras: usize, comments: usize, revisions: usize) -> String {
    fill(
        t.draft_counts,
        &[
            ("paras", &paras.to_string()),
            ("comments", &comments.to_string()),
            ("revisions", &revisions.to_string()),
        ],
    )
}

/// `/spaces/{id}`: the charter, the drafts, and an import form for editors.
pub fn space(m: &SpaceModel, viewer: &Viewer, sync: SyncLine) -> String {
    let t = text();
    let s = &m.view;
    let mut o = String::new();
    w!(
        o,
        "<h1{}>{}</h1><dl class=\"charter\">",
        dir_attr(&s.title),
        esc(&s.title)
    );
    let policy = if s.policy == "registered" {
        t.policy_registered
    } else {
        t.policy_open
    };
    w!(o, "<dt>{}</dt><dd>{}</dd>", t.policy, policy);
    let mut period = vec![];
    if let Some(opens) = &s.opens {
        period.push(fill(t.period_from, &[("date", &short_time(opens))]));
    }
    if let Some(closes) = &s.closes {
        period.push(fill(t.period_until, &[("date", &short_time(closes))]));
    }
    if period.is_empty() {
        period.push(t.period_open.to_owned());
    }
    w!(
        o,
        "<dt>{}</dt><dd>{}</dd>",
        t.period,
        esc(&period.join(", "))
    );
    for (label, people) in [(t.conveners, &s.conveners), (t.editors, &s.editors)] {
        let names: Vec<String> = people
            .iter()
            .map(|p| {
                if p.stakeholder.is_empty() {
                    p.name.clone()
                } else {
                    format!("{} ({})", p.name, p.stakeholder)
                }
            })
            .collect();
        w!(o, "<dt>{}</dt><dd>{}</dd>", label, esc(&names.join(", ")));
    }
    w!(
        o,
        "</dl><p class=\"gr\">{}</p><h2>{}</h2>",
        fill(t.entries, &[("n", &s.entries.to_string())]),
        t.drafts
    );
    if s.drafts.is_empty() {
        w!(o, "<p>{}</p>", t.no_drafts);
    }
    o.push_str("<ul class=\"drafts\">");
    for d in &s.drafts {
        w!(
            o,
            "<li><a href=\"/drafts/{}\"{}>{}</a> <span class=\"gr\">{}</span></li>",
            d.draft,
            dir_attr(&d.title),
            esc(&d.title),
            counts(t, d.paragraphs, d.comments, d.revisions)
        );
    }
    o.push_str("</ul>");
    if m.editor {
        w!(
            o,
            "<section class=\"acts\"><form method=\"post\" action=\"/api/spaces/{sp}/drafts\">\
             <h2>{it}</h2><input type=\"hidden\" name=\"return\" value=\"/spaces/{sp}\">\
             <label for=\"impfile\">{ifl}</label> <input id=\"impfile\" type=\"file\" accept=\".md,.markdown,text/markdown,text/plain\" data-into=\"impmd\">\
             <label for=\"impmd\">{im}</label><textarea id=\"impmd\" name=\"markdown\" rows=\"8\" required></textarea>\
             <label for=\"imptitle\">{itl}</label><input id=\"imptitle\" name=\"title\">\
             <label for=\"impmsg\">{imsg}</label><input id=\"impmsg\" name=\"message\" value=\"v1\" required>\
             <button>{ib}</button></form></section>",
            sp = s.space,
            it = t.import_draft,
            ifl = t.import_file,
            im = t.import_markdown,
            itl = t.import_title,
            imsg = t.import_message,
            ib = t.import_button,
        );
    }
    let mut c = chrome(&s.title, viewer, sync);
    c.space = Some(s.space.clone());
    c.body_data = format!(" data-space=\"{}\"", s.space);
    page(&c, &o)
}

fn draft_chrome<'a>(
    m: &'a DraftModel,
    viewer: &'a Viewer,
    sync: SyncLine,
    mode: Mode,
) -> Chrome<'a> {
    let mut c = chrome(&m.title, viewer, sync);
    c.crumbs = vec![(format!("/spaces/{}", m.space), m.space_title.clone())];
    c.space = Some(m.space.clone());
    c.body_data = format!(
        " data-space=\"{}\" data-draft=\"{}\" data-mode=\"{}\"",
        m.space,
        m.draft,
        if mode == Mode::Full {
            "full"
        } else {
            "compact"
        }
    );
    c
}

/// `/drafts/{id}`.
pub fn draft(m: &DraftModel, viewer: &Viewer, sync: SyncLine) -> String {
    let (main, mode) = render::draft_main(m, viewer, text());
    page(&draft_chrome(m, viewer, sync, mode), &main)
}

/// `/drafts/{id}/p/{para}`: one paragraph with all its threads, and the response form.
pub fn paragraph(m: &DraftModel, viewer: &Viewer, sync: SyncLine) -> String {
    let t = text();
    let mut o = String::new();
    w!(
        o,
        "<p class=\"sub\"><a href=\"{}\">{}</a></p>",
        esc(&draft_url(&m.draft, m.reading.as_deref())),
        esc(&m.title)
    );
    let block = m.blocks().next();
    o.push_str("<div class=\"doc\" id=\"doc\">");
    if let Some(b) = block {
        render::block_html(&mut o, m, b, viewer, t, Mode::Full);
    }
    o.push_str("</div>");
    if viewer.can_write() {
        render::respond_panel(&mut o, m, t, block);
    }
    let mut c = draft_chrome(m, viewer, sync, Mode::Full);
    c.crumbs
        .push((draft_url(&m.draft, m.reading.as_deref()), m.title.clone()));
    page(&c, &o)
}

/// `/comments/{id}`.
pub fn comment(cm: &CommentModel, viewer: &Viewer, sync: SyncLine, back: &str) -> String {
    let t = text();
    let main = render::comment_main(cm, viewer, t, back);
    let mut c = chrome(&cm.draft_title, viewer, sync);
    c.crumbs = vec![
        (format!("/spaces/{}", cm.space), cm.space_title.clone()),
        (format!("/drafts/{}", cm.draft), cm.draft_title.clone()),
    ];
    c.space = Some(cm.space.clone());
    c.body_data = format!(" data-space=\"{}\" data-draft=\"{}\"", cm.space, cm.draft);
    page(&c, &main)
}

/// `/drafts/{id}/diff`: added and removed words marked.
pub fn diff(m: &DiffModel, viewer: &Viewer, sync: SyncLine) -> String {
    let t = text();
    let name = |v: &str| {
        if v == "current" {
            t.current.to_owned()
        } else {
            v.to_owned()
        }
    };
    let title = fill(
        t.diff_title,
        &[("from", &name(&m.from)), ("to", &name(&m.to))],
    );
    let mut o = String::new();
    w!(o, "<h1>{}</h1>", esc(&title));
    w!(
        o,
        "<div class=\"tools\"><form method=\"get\" action=\"/drafts/{d}/diff\">\
         <label for=\"from\">{f}</label> <select id=\"from\" name=\"from\">",
        d = m.draft,
        f = t.compare_from
    );
    let options = |o: &mut String, selected: &str| {
        for v in m.versions.iter().map(String::as_str).chain(["current"]) {
            w!(
                o,
                "<option value=\"{}\"{}>{}</option>",
                esc(v),
                if v == selected { " selected" } else { "" },
                esc(&name(v))
            );
        }
    };
    options(&mut o, &m.from);
    w!(
        o,
        "</select> <label for=\"to\">{}</label> <select id=\"to\" name=\"to\">",
        t.compare_to
    );
    options(&mut o, &m.to);
    w!(
        o,
        "</select> <button>{}</button></form></div><div class=\"doc diff\">",
        t.compare_button
    );
    let mut unchanged = 0;
    for p in &m.diff.paragraphs {
        let (class, label) = match p.change {
            ParagraphChange::Unchanged => {
                unchanged += 1;
                continue;
            }
            ParagraphChange::Added => ("add", t.diff_added),
            ParagraphChange::Removed => ("rem", t.diff_removed),
            ParagraphChange::Changed => ("chg", t.diff_changed),
        };
        let number = match (p.n_from, p.n_to) {
            (Some(a), Some(b)) if a != b => format!("¶{a} → ¶{b}"),
            (_, Some(n)) | (Some(n), None) => format!("¶{n}"),
            (None, None) => "§".to_owned(),
        };
        let text: String = p.words.iter().map(|w| w.text.as_str()).collect();
        w!(
            o,
            "<article class=\"p {class}\" id=\"p-{id}\"><div class=\"tx\"><span class=\"n\">{number}</span>\
             <p class=\"t\"{dir}><span class=\"vh\">{label}: </span>",
            id = esc(p.id.as_str()),
            dir = dir_attr(&text)
        );
        for word in &p.words {
            match (p.change, word.op) {
                (ParagraphChange::Changed, WordOp::Delete) | (ParagraphChange::Removed, _) => {
                    w!(o, "<del>{}</del>", esc(&word.text))
                }
                (ParagraphChange::Changed, WordOp::Insert) | (ParagraphChange::Added, _) => {
                    w!(o, "<ins>{}</ins>", esc(&word.text))
                }
                _ => w!(o, "{}", esc(&word.text)),
            }
        }
        w!(o, "</p></div><p class=\"meta\">{label}</p></article>");
    }
    if unchanged == m.diff.paragraphs.len() {
        w!(o, "<p>{}</p>", t.diff_none);
    }
    w!(
        o,
        "</div><p class=\"gr\">{}</p>",
        count(unchanged, t.diff_unchanged_n_one, t.diff_unchanged_n)
    );
    let mut c = chrome(&title, viewer, sync);
    c.crumbs = vec![
        (format!("/spaces/{}", m.space), m.space_title.clone()),
        (format!("/drafts/{}", m.draft), m.title.clone()),
    ];
    c.space = Some(m.space.clone());
    page(&c, &o)
}

/// Where the search index marks matched words in snippets.
pub const MARKS: (&str, &str) = ("\u{2}", "\u{3}");

/// `/search?q=…`.
pub fn search(
    query: &str,
    hits: &[SearchHit],
    viewer: &Viewer,
    sync: SyncLine,
    space: Option<&str>,
) -> String {
    let t = text();
    let mut o = String::new();
    w!(
        o,
        "<h1>{}</h1><form class=\"tools\" method=\"get\" action=\"/search\" role=\"search\">\
         <label for=\"sq\">{}</label> <input id=\"sq\" name=\"q\" type=\"search\" value=\"{}\">",
        t.search,
        t.search_label,
        esc(query)
    );
    if let Some(space) = space {
        w!(
            o,
            " <span class=\"ck\"><input type=\"checkbox\" id=\"ss\" name=\"space\" value=\"{}\" checked> \
             <label for=\"ss\">{}</label></span>",
            esc(space),
            t.search_in_space
        );
    }
    w!(o, " <button>{}</button></form>", t.search);
    if !query.trim().is_empty() {
        if hits.is_empty() {
            w!(o, "<p>{}</p>", t.no_matches);
        } else {
            w!(
                o,
                "<p class=\"gr\">{}</p>",
                count(hits.len(), t.hits_one, t.hits)
            );
        }
    }
    o.push_str("<ol class=\"hits\">");
    for h in hits {
        let (href, label) = if h.kind == "comment" {
            (format!("/comments/{}", h.target), t.match_comment)
        } else {
            (
                format!("/drafts/{}#p-{}", h.draft, h.target),
                t.match_paragraph,
            )
        };
        let snippet = esc(&h.snippet)
            .to_string()
            .replace(MARKS.0, "<mark>")
            .replace(MARKS.1, "</mark>");
        w!(
            o,
            "<li><a href=\"{}\">{}</a> <span{}>{}</span></li>",
            esc(&href),
            label,
            dir_attr(&h.snippet),
            snippet
        );
    }
    o.push_str("</ol>");
    let mut c = chrome(t.search, viewer, sync);
    c.space = space.map(str::to_owned);
    page(&c, &o)
}

/// `/identity`: creating the node's participant.
pub fn identity(viewer: &Viewer, sync: SyncLine) -> String {
    let t = text();
    let mut o = String::new();
    w!(o, "<h1>{}</h1><p>{}</p>", t.identity_title, t.no_identity);
    if viewer.logged_in && viewer.me.is_none() {
        w!(
            o,
            "<form class=\"acts\" method=\"post\" action=\"/api/identity\">\
             <input type=\"hidden\" name=\"return\" value=\"/\">\
             <label for=\"in\">{n}</label><input id=\"in\" name=\"name\" required autocomplete=\"name\">\
             <label for=\"ia\">{a}</label><input id=\"ia\" name=\"affiliation\" autocomplete=\"organization\">\
             <label for=\"ig\">{g}</label><select id=\"ig\" name=\"stakeholder\"><option value=\"\"></option>",
            n = t.identity_name,
            a = t.identity_affiliation,
            g = t.identity_stakeholder,
        );
        for g in margin_consensus::options::IGF_STAKEHOLDER_GROUPS {
            w!(o, "<option>{g}</option>");
        }
        w!(
            o,
            "</select><label for=\"ir\">{r}</label><input id=\"ir\" name=\"region\">\
             <button>{c}</button></form>",
            r = t.identity_region,
            c = t.identity_create
        );
    }
    w!(
        o,
        "<p class=\"gr\"><code>{}</code></p>",
        esc(t.identity_cli)
    );
    page(&chrome(t.identity_title, viewer, sync), &o)
}

/// `/login` without a token: a form to paste it.
pub fn login(viewer: &Viewer, sync: SyncLine) -> String {
    let t = text();
    let o = format!(
        "<h1>{title}</h1><form class=\"acts\" method=\"post\" action=\"/login\">\
         <label for=\"lt\">{token}</label><input id=\"lt\" name=\"token\" type=\"password\" required autocomplete=\"off\">\
         <button>{button}</button></form>",
        title = t.login_title,
        token = t.login_token,
        button = t.login_button
    );
    page(&chrome(t.login_title, viewer, sync), &o)
}

/// A failure, for browsers.
pub fn error_page(status: StatusCode, message: &str) -> String {
    let t = text();
    format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title} · {app}</title><link rel=\"stylesheet\" href=\"/static/margin.css?v={css}\"></head>\
         <body><header class=\"top\"><nav><a href=\"/\">{app}</a></nav></header><main id=\"main\">\
         <h1>{title}</h1><p class=\"notice err\" role=\"alert\">{status}: {message}</p>\
         <p><a href=\"/\">{back}</a></p></main></body></html>",
        lang = t.lang,
        title = t.error_title,
        app = t.app,
        css = *CSS_VERSION,
        status = status.as_u16(),
        message = esc(message),
        back = t.go_back,
    )
}
