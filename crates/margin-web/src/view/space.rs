//! `/spaces/{id}`: the charter, the drafts, and an import form for editors.

use maud::{Markup, html};

use margin_core::body::Policy;

use super::index::draft_item;
use super::layout::{BodyData, Chrome, page};
use super::{SyncLine, dir, short_time};
use crate::Viewer;
use crate::model::SpaceModel;
use crate::text::text;
use margin_consensus::{Balance, Participation, People};
use std::collections::BTreeMap;

pub fn space(m: &SpaceModel, viewer: &Viewer, sync: &SyncLine) -> Markup {
    let t = text();
    let s = &m.view;
    let policy = match m.policy {
        Policy::Registered => &t.policy_registered,
        Policy::Open => &t.policy_open,
    };
    let mut period = vec![];
    if let Some(opens) = &s.opens {
        period.push(t.period_from(short_time(opens)));
    }
    if let Some(closes) = &s.closes {
        period.push(t.period_until(short_time(closes)));
    }
    if period.is_empty() {
        period.push(t.period_open.to_owned());
    }
    let people = [(&t.conveners, &s.conveners), (&t.editors, &s.editors)].map(|(label, people)| {
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
        (label, names.join(", "))
    });
    let back = format!("/spaces/{}", s.space);
    let main = html! {
        h1 dir=[dir(&s.title)] { (s.title) }
        dl.charter {
            dt { (t.policy) } dd { (policy) }
            dt { (t.period) } dd { (period.join(", ")) }
            @for (label, names) in &people {
                dt { (label) } dd { (names) }
            }
        }
        p.gr { (t.entries(s.entries)) }
        h2 { (t.drafts) }
        @if s.drafts.is_empty() {
            p { (t.no_drafts) }
        }
        ul.drafts {
            @for d in &s.drafts {
                (draft_item(d, t))
            }
        }
        (balance(&m.balance))
        @if m.editor {
            section.acts {
                form method="post" enctype="multipart/form-data" action={ "/api/spaces/" (s.space) "/drafts" } {
                    h2 { (t.import_draft) }
                    input type="hidden" name="return" value=(back);
                    label for="impfile" { (t.import_file) } " "
                    input #impfile type="file" name="file" accept=".md,.markdown,.txt,.docx,.odt,.fodt,text/markdown,text/plain" data-into="impmd";
                    label for="impmd" { (t.import_markdown) }
                    textarea #impmd name="markdown" rows="8" {}
                    label for="imptitle" { (t.import_title) }
                    input #imptitle name="title";
                    label for="impmsg" { (t.import_message) }
                    input #impmsg name="message" value="v1" required;
                    button { (t.import_button) }
                }
            }
        }
    };
    let mut c = Chrome::new(&s.title, viewer, sync);
    c.space = Some(s.space.clone());
    c.body = BodyData {
        space: Some(s.space.clone()),
        ..BodyData::default()
    };
    page(&c, main)
}

/// Who took part, by stakeholder group and by region, beside their share of the
/// people; the groups and regions without a voice, and those whose voice is faint.
fn balance(b: &Balance) -> Markup {
    let t = text();
    let percent = |x: f64| format!("{:.0} %", x * 100.0);
    let table = |first: &str, rows: &BTreeMap<String, Participation>| {
        html! {
            table.balance {
                thead { tr {
                    th scope="col" { (first) }
                    th scope="col" { (t.balance_people) }
                    th scope="col" { (t.balance_participants) }
                    th scope="col" { (t.balance_comments) }
                    th scope="col" { (t.balance_stances) }
                    th scope="col" { (t.balance_shares) }
                } }
                tbody {
                    @for (name, p) in rows.iter().filter(|(_, p)| p.people + p.participants > 0) {
                        tr {
                            th scope="row" dir=[dir(name)] { (name) }
                            td { (p.people) }
                            td { (p.participants) }
                            td { (p.comments) }
                            td { (p.stances) }
                            td { (percent(p.share_of_people)) " / " (percent(p.share_of_comments)) " / " (percent(p.share_of_stances)) }
                        }
                    }
                }
            }
        }
    };
    let names = |list: &[String]| list.join(", ");
    let faint = [b.faint_groups.clone(), b.faint_regions.clone()].concat();
    html! {
        section #balance {
            h2 { (t.balance) }
            @if b.total.people + b.total.participants > 0 {
                (table(&t.balance_group, &b.by_group))
                (table(&t.balance_region, &b.by_region))
                p.gr {
                    (match b.people {
                        People::Registered => &t.balance_among_registered,
                        People::SoFar => &t.balance_among_so_far,
                    })
                }
            }
            @if !b.missing_groups.is_empty() {
                p { (t.balance_no_voice(names(&b.missing_groups))) }
            }
            @if !b.missing_regions.is_empty() {
                p { (t.balance_no_voice_regions(names(&b.missing_regions))) }
            }
            @if !faint.is_empty() {
                p { (t.balance_faint(names(&faint))) }
            }
        }
    }
}
