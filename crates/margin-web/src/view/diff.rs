//! `/drafts/{id}/diff`: added and removed words marked.

use maud::{Markup, html};

use margin_draft::{ParagraphChange, WordOp};

use super::layout::{Chrome, page};
use super::{SyncLine, dir};
use crate::Viewer;
use crate::model::DiffModel;
use crate::text::text;

pub fn diff(m: &DiffModel, viewer: &Viewer, sync: &SyncLine) -> Markup {
    let t = text();
    let name = |v: &str| {
        if v == "current" {
            t.current.to_owned()
        } else if v.starts_with('@') {
            // A version named by its heads: the one last read, from the news.
            t.untagged_version.to_owned()
        } else {
            v.to_owned()
        }
    };
    let title = t.diff_title(name(&m.from), name(&m.to));
    let options = |selected: &str| {
        html! {
            @for v in m.versions.iter().map(String::as_str).chain(["current"]) {
                option value=(v) selected[v == selected] { (name(v)) }
            }
        }
    };
    let unchanged = m
        .diff
        .paragraphs
        .iter()
        .filter(|p| p.change == ParagraphChange::Unchanged)
        .count();
    let main = html! {
        h1 { (title) }
        div.tools {
            form method="get" action={ "/drafts/" (m.draft) "/diff" } {
                label for="from" { (t.compare_from) } " "
                select #from name="from" { (options(&m.from)) }
                " " label for="to" { (t.compare_to) } " "
                select #to name="to" { (options(&m.to)) }
                " " button { (t.compare_button) }
            }
        }
        div."doc diff" {
            @for p in &m.diff.paragraphs {
                @let (class, label) = match p.change {
                    ParagraphChange::Unchanged => continue,
                    ParagraphChange::Added => ("add", &t.diff_added),
                    ParagraphChange::Removed => ("rem", &t.diff_removed),
                    ParagraphChange::Changed => ("chg", &t.diff_changed),
                };
                @let number = match (p.n_from, p.n_to) {
                    (Some(a), Some(b)) if a != b => format!("¶{a} → ¶{b}"),
                    (_, Some(n)) | (Some(n), None) => format!("¶{n}"),
                    (None, None) => "§".to_owned(),
                };
                @let text: String = p.words.iter().map(|w| w.text.as_str()).collect();
                article class={ "p " (class) } id={ "p-" (p.id) } {
                    div.tx {
                        span.n { (number) }
                        p.t dir=[dir(&text)] {
                            span.vh { (label) ": " }
                            @for word in &p.words {
                                @match (p.change, word.op) {
                                    (ParagraphChange::Changed, WordOp::Delete) | (ParagraphChange::Removed, _) => {
                                        del { (word.text) }
                                    }
                                    (ParagraphChange::Changed, WordOp::Insert) | (ParagraphChange::Added, _) => {
                                        ins { (word.text) }
                                    }
                                    _ => { (word.text) }
                                }
                            }
                        }
                    }
                    p.meta { (label) }
                }
            }
            @if unchanged == m.diff.paragraphs.len() {
                p { (t.diff_none) }
            }
        }
        p.gr { (t.diff_unchanged_n(unchanged)) }
    };
    let mut c = Chrome::new(&title, viewer, sync);
    c.crumbs = vec![
        (format!("/spaces/{}", m.space), m.space_title.clone()),
        (format!("/drafts/{}", m.draft), m.title.clone()),
    ];
    c.space = Some(m.space.clone());
    page(&c, main)
}
