//! The comment-resolution matrix: one row per comment on the draft — a campaign of
//! identical comments is one row with its signatories — with where it is, who made it,
//! what it says and proposes, and the editor's answer.

use std::collections::{BTreeMap, HashMap};

use margin_consensus::objection::ObjectionRegister;
use margin_consensus::options::{group_of, region_of};
use margin_consensus::signatory::{How, Signatory};
use margin_consensus::{Options, campaigns, signatories};
use margin_core::id::{DraftId, EntryId};
use margin_core::{ParaId, Timestamp};
use margin_space::Space;
use margin_space::view::{AnchorView, CommentView};
use serde::Serialize;

use crate::error::Error;

/// The columns, in order.
pub const COLUMNS: [&str; 19] = [
    "Row",
    "Paragraph",
    "Paragraph id",
    "Quoted text",
    "Author",
    "Affiliation",
    "Stakeholder group",
    "Region",
    "Kind",
    "In reply to row",
    "Comment",
    "Proposed text",
    "Signatories",
    "State",
    "Disposition",
    "Editor's note",
    "Revision",
    "Entry id",
    "Grouped entries",
];

/// The column holding the comment's entry id.
pub const ENTRY_COLUMN: usize = 17;

/// One row of the matrix: the cells, in [`COLUMNS`] order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row {
    pub cells: Vec<String>,
}

impl Row {
    /// The comment's entry id (the first of a campaign).
    pub fn entry(&self) -> &str {
        &self.cells[ENTRY_COLUMN]
    }

    /// The cell under `column`.
    pub fn cell(&self, column: &str) -> &str {
        COLUMNS
            .iter()
            .position(|c| *c == column)
            .and_then(|i| self.cells.get(i))
            .map_or("", String::as_str)
    }
}

/// Every row, in order: comments on the whole draft first, then by paragraph in the
/// current version, then comments whose passage is gone; by time within each; each
/// reply right after the comment it answers.
pub(crate) fn rows(
    space: &Space,
    draft: &DraftId,
    options: &Options,
    register: &ObjectionRegister,
) -> Result<Vec<Row>, Error> {
    let state = space
        .draft(draft)
        .ok_or(margin_consensus::Error::UnknownDraft(*draft))?;
    let groups = campaigns(space, draft);
    // Each comment's campaign representative.
    let mut representative: HashMap<EntryId, EntryId> = HashMap::new();
    for g in &groups {
        for id in g {
            representative.insert(*id, g[0]);
        }
    }
    let views: HashMap<EntryId, CommentView> = space
        .comment_views(draft, None)
        .into_iter()
        .filter_map(|v| v.id.parse().ok().map(|id| (id, v)))
        .collect();
    let objection_state: HashMap<&str, &'static str> = register
        .objections
        .iter()
        .map(|o| (o.id.as_str(), o.state.name()))
        .collect();

    // Threads: children of each representative, and the roots.
    let mut children: BTreeMap<EntryId, Vec<(Timestamp, EntryId)>> = BTreeMap::new();
    let mut roots: Vec<((u8, usize, ParaId), Timestamp, EntryId)> = vec![];
    for g in &groups {
        let Some(c) = space.comment(&g[0]) else {
            continue;
        };
        match c.body.parent.and_then(|p| representative.get(&p)) {
            Some(parent) => children.entry(*parent).or_default().push((c.time, c.id)),
            None => {
                let place = match views.get(&c.id).map(|v| &v.anchor) {
                    Some(AnchorView::Draft) | None => (0, 0, ParaId::default()),
                    Some(AnchorView::Anchored { n: Some(n), .. }) => (1, *n, ParaId::default()),
                    Some(AnchorView::Anchored { para, .. }) => (1, 0, para.clone()),
                    Some(AnchorView::Orphaned) => (
                        2,
                        0,
                        c.anchor().map(|(_, a)| a.para.clone()).unwrap_or_default(),
                    ),
                };
                roots.push((place, c.time, c.id));
            }
        }
    }
    roots.sort();
    for list in children.values_mut() {
        list.sort();
    }
    let mut order: Vec<(EntryId, Option<EntryId>, EntryId)> = vec![]; // (id, parent, root)
    let mut stack: Vec<(EntryId, Option<EntryId>, EntryId)> = roots
        .iter()
        .rev()
        .map(|(_, _, id)| (*id, None, *id))
        .collect();
    while let Some((id, parent, root)) = stack.pop() {
        if order.len() > groups.len() {
            break; // a guard: threads are acyclic
        }
        order.push((id, parent, root));
        for (_, child) in children.get(&id).into_iter().flatten().rev() {
            stack.push((*child, Some(id), root));
        }
    }
    let row_of: HashMap<EntryId, usize> = order
        .iter()
        .enumerate()
        .map(|(i, (id, _, _))| (*id, i + 1))
        .collect();
    let group_of_rep: HashMap<EntryId, &Vec<EntryId>> = groups.iter().map(|g| (g[0], g)).collect();

    let mut out = vec![];
    for (i, (id, parent, root)) in order.iter().enumerate() {
        let (Some(c), Some(view)) = (space.comment(id), views.get(id)) else {
            continue;
        };
        let root_view = views.get(root).unwrap_or(view);
        let (paragraph, paragraph_id) = match &root_view.anchor {
            AnchorView::Draft => ("draft".to_owned(), ParaId::default()),
            AnchorView::Anchored { n, para, .. } => (
                n.map_or_else(|| "heading".to_owned(), |n| n.to_string()),
                para.clone(),
            ),
            AnchorView::Orphaned => (
                "orphaned".to_owned(),
                root_view.para.clone().unwrap_or_default(),
            ),
        };
        let quoted = match (&c.body.anchor, &view.quote) {
            (_, Some(q)) => q.exact.clone(),
            (Some(a), None) => state
                .doc
                .paragraph_text(&a.para, Some(&c.body.heads))
                .ok()
                .flatten()
                .unwrap_or_default(),
            (None, None) => String::new(),
        };
        let author = &view.author;
        let group = group_of_rep.get(id).map(|g| g.as_slice()).unwrap_or(&[]);
        let signed = signatories(space, group, options);
        let mut state_cell: Vec<String> = vec![];
        match objection_state.get(view.id.as_str()) {
            Some(s) => state_cell.push((*s).to_owned()),
            None if view.retracted => state_cell.push("retracted".to_owned()),
            None => {}
        }
        if let Some(reason) = &view.hidden {
            state_cell.push(format!("hidden by a convener: {reason}"));
        }
        let disposition = c.disposition.as_ref();
        out.push(Row {
            cells: vec![
                (i + 1).to_string(),
                paragraph,
                paragraph_id.into_string(),
                quoted,
                author.name.clone(),
                author.affiliation.clone(),
                group_of(author),
                region_of(author),
                c.body.kind.as_str().to_owned(),
                parent
                    .and_then(|p| row_of.get(&p))
                    .map(usize::to_string)
                    .unwrap_or_default(),
                view.body.clone(),
                view.suggestion.clone().unwrap_or_default(),
                signatory_list(&signed),
                state_cell.join("; "),
                disposition
                    .map(|d| d.value.value.as_str().to_owned())
                    .unwrap_or_default(),
                disposition
                    .map(|d| d.value.note.clone())
                    .unwrap_or_default(),
                disposition
                    .and_then(|d| d.value.revision)
                    .map(|r| r.to_string())
                    .unwrap_or_default(),
                id.to_string(),
                group
                    .iter()
                    .skip(1)
                    .map(EntryId::to_string)
                    .collect::<Vec<_>>()
                    .join(" "),
            ],
        });
    }
    Ok(out)
}

/// "Name (group); Coalition (group) for A, B; …".
pub(crate) fn signatory_list(signed: &[Signatory]) -> String {
    signed
        .iter()
        .map(|s| {
            let mut text = format!("{} ({})", s.participant.name, s.group);
            if s.how == How::Coalition && !s.via.is_empty() {
                let via: Vec<&str> = s.via.iter().map(|p| p.name.as_str()).collect();
                text.push_str(&format!(" via {}", via.join(", ")));
            }
            text
        })
        .collect::<Vec<_>>()
        .join("; ")
}
