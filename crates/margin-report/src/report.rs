//! The report: the draft at its current version with each paragraph's status, tallies by
//! group, open objections, alternative wordings and divergent views side by side; then
//! convergence across groups, participation, the objection register and the record of
//! every comment.

use std::collections::BTreeMap;

use margin_consensus::objection::{Objection, ObjectionState};
use margin_consensus::views::ParagraphViews;
use margin_consensus::{Status, Tally};
use margin_core::ParaId;

use crate::document::Document;
use crate::export::{Export, Format};
use crate::matrix::signatory_list;

pub(crate) fn document(e: &Export, format: Format) -> Document {
    let p = e.provenance(format);
    let mut d = Document::new(format!("Report: {}", p.draft_title), p);
    origin(&mut d, e);

    d.heading(2, "Summary");
    let rows: Vec<Vec<String>> = e
        .report
        .statuses
        .iter()
        .map(|(s, n)| vec![s.name().to_owned(), n.to_string()])
        .collect();
    d.table(&["Status", "Paragraphs"], rows);
    let s = &e.register.summary;
    d.text(format!(
        "{} objections: {} open, {} accommodated, {} addressed, {} withdrawn, {} can live with it.",
        e.register.objections.len(),
        s.open,
        s.accommodated,
        s.addressed,
        s.withdrawn,
        s.can_live_with_it
    ));
    if e.report.open_draft_objections > 0 {
        d.text(format!(
            "{} open objection(s) to the whole draft.",
            e.report.open_draft_objections
        ));
    }
    participation(&mut d, e);

    d.heading(2, "The draft, paragraph by paragraph");
    let views: BTreeMap<&str, &ParagraphViews> =
        e.views.iter().map(|v| (v.para.as_str(), v)).collect();
    for section in &e.view.sections {
        // The draft's own title is the document's; other headings are its sections.
        if let Some(h) = section
            .heading
            .as_ref()
            .filter(|h| !(h.level == 1 && h.text == e.view.title))
        {
            d.heading(3, h.text.clone());
        }
        for para in &section.paragraphs {
            let Some(r) = e.report.paragraphs.iter().find(|r| r.para == para.id) else {
                continue;
            };
            d.heading(4, format!("¶{} — {}", r.n, r.status.name()));
            d.quote(para.text.clone());
            let rows: Vec<Vec<String>> = r
                .by_group
                .iter()
                .map(|(g, pos)| {
                    let t = &pos.tally;
                    vec![
                        g.clone(),
                        t.support.to_string(),
                        t.accept.to_string(),
                        t.object.to_string(),
                        t.abstain.to_string(),
                        pos.open_objections.to_string(),
                    ]
                })
                .collect();
            d.table(
                &[
                    "Stakeholder group",
                    "Support",
                    "Can live with it",
                    "Object",
                    "Abstain",
                    "Open objections",
                ],
                rows,
            );
            d.text(format!(
                "Group-informed consensus: {:.3} over stakeholder groups, {:.3} over opinion groups.",
                r.stakeholder_consensus, r.opinion_consensus
            ));
            if !r.in_the_rough.is_empty() {
                d.text(format!("In the rough: {}.", r.in_the_rough.join(", ")));
            }
            let open: Vec<&Objection> = e
                .register
                .objections
                .iter()
                .filter(|o| o.para.as_ref() == Some(&para.id) && o.state.is_open())
                .collect();
            if !open.is_empty() {
                d.text("Open objections:");
                d.table(
                    &["Objector", "Group", "Objection", "Also held by", "Entry"],
                    open.iter().map(|o| objection_row(o)).collect(),
                );
            }
            alternatives(&mut d, e, &para.id);
            if let Some(v) = views.get(para.id.as_str()).filter(|v| v.divergent) {
                d.text("Divergent views:");
                d.table(&["View", "Held by", "Reasons given"], view_rows(v));
            }
        }
    }

    d.heading(2, "Convergence across groups");
    convergence(&mut d, e);

    d.heading(2, "Objection register");
    let rows: Vec<Vec<String>> = e
        .register
        .objections
        .iter()
        .map(|o| {
            let mut row = vec![place(o), state_text(&o.state)];
            row.extend(objection_row(o));
            row
        })
        .collect();
    if rows.is_empty() {
        d.text("No objections.");
    }
    d.table(
        &[
            "Paragraph",
            "State",
            "Objector",
            "Group",
            "Objection",
            "Also held by",
            "Entry",
        ],
        rows,
    );

    d.heading(2, "Comment record");
    d.text("Every comment, as in the comment-resolution matrix.");
    let rows: Vec<Vec<String>> = e
        .rows
        .iter()
        .map(|r| {
            [
                "Row",
                "Paragraph",
                "Author",
                "Stakeholder group",
                "Kind",
                "Comment",
                "Proposed text",
                "Signatories",
                "Disposition",
                "Editor's note",
                "Entry id",
            ]
            .iter()
            .map(|c| r.cell(c).to_owned())
            .collect()
        })
        .collect();
    if rows.is_empty() {
        d.text("No comments.");
    }
    d.table(
        &[
            "Row",
            "¶",
            "Author",
            "Group",
            "Kind",
            "Comment",
            "Proposed text",
            "Signatories",
            "Disposition",
            "Editor's note",
            "Entry",
        ],
        rows,
    );
    d
}

/// Where the export comes from, in words.
pub(crate) fn origin(d: &mut Document, e: &Export) {
    let p = &e.provenance;
    d.text(format!(
        "Space \"{}\" ({}); draft {}, version {}.",
        p.space_title,
        p.space,
        p.draft,
        p.version.as_deref().unwrap_or("current (untagged)")
    ));
    d.text(format!(
        "Made from {} signed entries dated up to {} (entry set {}), counting {}.",
        p.entries,
        p.until_text(),
        p.entry_set,
        if p.registered_only {
            "registered participants only"
        } else {
            "all participants"
        }
    ));
}

pub(crate) fn participation(d: &mut Document, e: &Export) {
    d.heading(2, "Participation");
    let percent = |x: f64| format!("{:.0} %", x * 100.0);
    let table = |rows: &BTreeMap<String, margin_consensus::Participation>| -> Vec<Vec<String>> {
        rows.iter()
            .map(|(name, p)| {
                vec![
                    name.clone(),
                    p.people.to_string(),
                    p.participants.to_string(),
                    p.comments.to_string(),
                    p.stances.to_string(),
                    p.sign_ons.to_string(),
                    format!(
                        "{} / {} / {}",
                        percent(p.share_of_people),
                        percent(p.share_of_comments),
                        percent(p.share_of_stances)
                    ),
                ]
            })
            .collect()
    };
    let head = [
        "People",
        "Participants",
        "Comments",
        "Stances",
        "Sign-ons",
        "Share of people / comments / stances",
    ];
    let with = |first: &'static str| {
        let mut h = vec![first];
        h.extend(head);
        h
    };
    d.table(&with("Stakeholder group"), table(&e.balance.by_group));
    d.table(&with("Region"), table(&e.balance.by_region));
    d.text(match e.balance.people {
        margin_consensus::People::Registered => {
            "People: the space's registered participants.".to_owned()
        }
        margin_consensus::People::SoFar => {
            "People: everyone who has taken part so far, a profile included.".to_owned()
        }
    });
    let lists = [
        ("No voice from", &e.balance.missing_groups),
        ("No voice from the regions", &e.balance.missing_regions),
        (
            "Faint (under half their share of the people)",
            &e.balance.faint_groups,
        ),
        ("Faint regions", &e.balance.faint_regions),
    ];
    for (label, names) in lists {
        if !names.is_empty() {
            d.text(format!("{label}: {}.", names.join(", ")));
        }
    }
}

fn alternatives(d: &mut Document, e: &Export, para: &ParaId) {
    let Some(p) = e.alternatives.paragraphs.iter().find(|p| p.para == *para) else {
        return;
    };
    d.text("Alternative wordings, side by side:");
    let gic = |x: f64| {
        if p.groups.is_empty() {
            "–".to_owned()
        } else {
            format!("{x:.3}")
        }
    };
    let by_group = |t: &BTreeMap<String, Tally>| {
        p.groups
            .iter()
            .map(|g| {
                let t = t.get(g).copied().unwrap_or_default();
                format!("{g} {}/{}", t.agree(), t.votes())
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mut rows = vec![vec![
        p.text.clone(),
        "current text".to_owned(),
        tally_text(&p.current.tally),
        by_group(&p.current.by_group),
        gic(p.current.consensus),
        String::new(),
    ]];
    for a in &p.alternatives {
        let mut who = format!("{} ({})", a.author.name, a.group);
        if !a.signatories.is_empty() {
            who.push_str(&format!("; with {}", signatory_list(&a.signatories)));
        }
        let text = match &a.hidden {
            Some(reason) => format!("[hidden by a convener: {reason}]"),
            None => match (&a.replaces, a.scope) {
                (Some(r), margin_consensus::alternative::Scope::Passage) => {
                    format!("{} (for \"{r}\")", a.text)
                }
                _ => a.text.clone(),
            },
        };
        let mut disposition = a
            .disposition
            .as_ref()
            .map(|d| d.value.to_owned())
            .unwrap_or_default();
        if let Some(r) = a.disposition.as_ref().and_then(|d| d.revision.as_ref()) {
            disposition.push_str(&format!(" in revision {r}"));
        }
        rows.push(vec![
            text,
            who,
            tally_text(&a.support.tally),
            by_group(&a.support.by_group),
            gic(a.support.consensus),
            format!("{disposition} {}", a.comment).trim().to_owned(),
        ]);
    }
    d.table(
        &[
            "Wording",
            "Proposed by",
            "Stances",
            "Agree/votes by group",
            "GIC",
            "Disposition, entry",
        ],
        rows,
    );
}

fn convergence(d: &mut Document, e: &Export) {
    let c = &e.report.convergence;
    d.text(match c.silhouette {
        Some(s) => format!(
            "{} opinion groups found from the stances (silhouette {s:.3}).",
            c.opinion_groups.len()
        ),
        None => format!(
            "{} opinion group(s): too few participants or stances to tell groups apart.",
            c.opinion_groups.len()
        ),
    });
    let rows: Vec<Vec<String>> = c
        .opinion_groups
        .iter()
        .map(|g| {
            let members: Vec<String> = g
                .members
                .iter()
                .map(|m| format!("{} ({})", m.participant.name, m.group))
                .collect();
            let reps: Vec<String> = g
                .representative
                .iter()
                .map(|r| {
                    let dir = match r.direction {
                        margin_consensus::convergence::Direction::Agree => "agrees with",
                        margin_consensus::convergence::Direction::Disagree => "objects to",
                    };
                    format!(
                        "{dir} ¶{} ({:.2} vs {:.2})",
                        r.n, r.group_ratio, r.rest_ratio
                    )
                })
                .collect();
            vec![g.label.clone(), members.join(", "), reps.join("; ")]
        })
        .collect();
    d.table(&["Opinion group", "Members", "Stands apart on"], rows);
    let list = |ids: &[ParaId]| -> String {
        let ns: Vec<String> = ids
            .iter()
            .filter_map(|id| c.paragraphs.iter().find(|p| &p.para == id))
            .map(|p| format!("¶{}", p.n))
            .collect();
        if ns.is_empty() {
            "none".to_owned()
        } else {
            ns.join(", ")
        }
    };
    d.list(vec![
        format!(
            "Supported by every opinion group: {}.",
            list(&c.supported_by_every_opinion_group)
        ),
        format!(
            "Supported by every stakeholder group: {}.",
            list(&c.supported_by_every_stakeholder_group)
        ),
    ]);
}

pub(crate) fn view_rows(v: &ParagraphViews) -> Vec<Vec<String>> {
    v.views
        .iter()
        .map(|view| {
            let who: Vec<String> = view
                .holders
                .iter()
                .map(|h| format!("{} ({})", h.participant.name, h.group))
                .collect();
            let reasons: Vec<String> = view
                .holders
                .iter()
                .filter_map(|h| {
                    h.reason
                        .as_ref()
                        .map(|r| format!("{}: {r}", h.participant.name))
                })
                .collect();
            let name = match view.stance {
                "accept" => "can live with it",
                other => other,
            };
            vec![name.to_owned(), who.join(", "), reasons.join("\n")]
        })
        .collect()
}

pub(crate) fn objection_row(o: &Objection) -> Vec<String> {
    let text = match &o.hidden {
        Some(reason) => format!("[hidden by a convener: {reason}]"),
        None => o.text.clone(),
    };
    let counted = if o.counted { "" } else { " (not counted)" };
    vec![
        format!("{}{counted}", o.objector.name),
        o.group.clone(),
        text,
        signatory_list(&o.signatories),
        o.id.clone(),
    ]
}

pub(crate) fn place(o: &Objection) -> String {
    match (&o.para, o.n) {
        (None, _) => "draft".to_owned(),
        (Some(_), Some(n)) => format!("¶{n}"),
        (Some(_), None) => "removed".to_owned(),
    }
}

pub(crate) fn state_text(s: &ObjectionState) -> String {
    match s {
        ObjectionState::Open => "open".to_owned(),
        ObjectionState::Accommodated { revision, .. } => match revision {
            Some(r) => format!("accommodated in revision {r}"),
            None => "accommodated".to_owned(),
        },
        ObjectionState::Addressed { reason, .. } => format!("addressed: {reason}"),
        ObjectionState::Withdrawn { how } => match how {
            margin_consensus::objection::Withdrawal::Retracted => {
                "withdrawn (retracted)".to_owned()
            }
            margin_consensus::objection::Withdrawal::Supports => {
                "withdrawn (now supports)".to_owned()
            }
        },
        ObjectionState::CanLiveWithIt => "can live with it".to_owned(),
    }
}

fn tally_text(t: &Tally) -> String {
    format!(
        "{} support, {} can live with it, {} object, {} abstain",
        t.support, t.accept, t.object, t.abstain
    )
}

/// Whether a paragraph's status calls for the chair's attention in the summary.
pub(crate) fn divergent(status: Status) -> bool {
    matches!(
        status,
        Status::Contested | Status::Divided | Status::Bracketed
    )
}
