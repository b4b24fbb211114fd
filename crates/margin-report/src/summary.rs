//! The chair's summary skeleton: what the figures say — where the groups converge, where
//! they diverge and who holds each view, which objections are open — laid out for the
//! chair to write the summary around. It states no judgement: the sections the chair
//! writes are marked as such.

use std::collections::BTreeMap;

use margin_consensus::Status;
use margin_consensus::views::ParagraphViews;

use crate::document::Document;
use crate::export::{Export, Format};
use crate::report::{divergent, objection_row, origin, participation, place, view_rows};

/// What the chair writes in, where the skeleton leaves room.
pub const TO_WRITE: &str = "(For the chair to write.)";

pub(crate) fn document(e: &Export) -> Document {
    let p = e.provenance(Format::Summary);
    let mut d = Document::new(format!("Chair's summary: {}", p.draft_title), p);
    origin(&mut d, e);
    let texts: BTreeMap<&str, &str> = e
        .report
        .paragraphs
        .iter()
        .map(|p| (p.para.as_str(), p.text.as_str()))
        .collect();
    let views: BTreeMap<&str, &ParagraphViews> =
        e.views.iter().map(|v| (v.para.as_str(), v)).collect();
    let conv = &e.report.convergence;

    d.heading(2, "Points of convergence");
    let every_stakeholder = &conv.supported_by_every_stakeholder_group;
    let every_opinion = &conv.supported_by_every_opinion_group;
    let items: Vec<String> = e
        .report
        .paragraphs
        .iter()
        .filter(|p| p.status == Status::RoughConsensus)
        .map(|p| {
            let mut also = vec![];
            if every_stakeholder.contains(&p.para) {
                also.push("supported by every stakeholder group");
            }
            if every_opinion.contains(&p.para) {
                also.push("supported by every opinion group");
            }
            let also = if also.is_empty() {
                String::new()
            } else {
                format!(" ({})", also.join("; "))
            };
            format!(
                "¶{}: rough consensus, group-informed consensus {:.3}{also}. \"{}\"",
                p.n, p.stakeholder_consensus, p.text
            )
        })
        .collect();
    if items.is_empty() {
        d.text("No paragraph has rough consensus yet.");
    }
    d.list(items);
    d.text(TO_WRITE);

    d.heading(2, "Points of divergence");
    let mut any = false;
    for r in e.report.paragraphs.iter().filter(|r| divergent(r.status)) {
        any = true;
        d.heading(3, format!("¶{} — {}", r.n, r.status.name()));
        d.quote(texts.get(r.para.as_str()).copied().unwrap_or_default());
        if !r.in_the_rough.is_empty() {
            d.text(format!("In the rough: {}.", r.in_the_rough.join(", ")));
        }
        if let Some(v) = views.get(r.para.as_str()) {
            d.table(&["View", "Held by", "Reasons given"], view_rows(v));
        }
        if let Some(p) = e.alternatives.paragraphs.iter().find(|p| p.para == r.para) {
            d.list(
                p.alternatives
                    .iter()
                    .filter(|a| a.hidden.is_none())
                    .map(|a| {
                        format!(
                            "Alternative by {} ({}): \"{}\" — {} agree of {} votes, group-informed consensus {:.3} (current text {:.3}).",
                            a.author.name,
                            a.group,
                            a.text,
                            a.support.tally.agree(),
                            a.support.tally.votes(),
                            a.support.consensus,
                            p.current.consensus
                        )
                    })
                    .collect(),
            );
        }
        d.text(TO_WRITE);
    }
    if !any {
        d.text("No paragraph is contested, divided or bracketed.");
    }

    d.heading(2, "Open objections");
    let rows: Vec<Vec<String>> = e
        .register
        .objections
        .iter()
        .filter(|o| o.state.is_open())
        .map(|o| {
            let mut row = vec![place(o)];
            row.extend(objection_row(o));
            row
        })
        .collect();
    if rows.is_empty() {
        d.text("None: every objection has been accommodated, addressed or withdrawn.");
    }
    d.table(
        &[
            "Paragraph",
            "Objector",
            "Group",
            "Objection",
            "Also held by",
            "Entry",
        ],
        rows,
    );
    d.text(TO_WRITE);

    participation(&mut d, e);

    d.heading(2, "Chair's assessment");
    d.text(TO_WRITE);
    d
}
