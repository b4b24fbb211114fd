//! The search index of a space: what of its drafts and comments full-text search finds.
//! Rebuilt whole by `margin store rebuild`; otherwise updated for what each batch of
//! accepted entries changed, so receiving one comment does not re-index a space.

use std::collections::BTreeSet;

use margin_core::body::Body;
use margin_core::entry::Entry;
use margin_core::id::{DraftId, EntryId};
use margin_space::Space;
use margin_space::draft::DraftState;
use margin_store::SearchDoc;

use crate::error::NodeError;
use crate::node::Node;

/// Every heading and paragraph of a draft's current text.
fn draft_docs(draft: &DraftState) -> Vec<SearchDoc> {
    let mut docs = vec![];
    if let Ok(view) = draft.doc.view(None) {
        for section in view.sections {
            let heading = section
                .heading
                .into_iter()
                .map(|h| (h.id.into_string(), h.text));
            let paragraphs = section
                .paragraphs
                .into_iter()
                .map(|p| (p.id.into_string(), p.text));
            for (target, text) in heading.chain(paragraphs) {
                docs.push(SearchDoc {
                    draft: draft.id,
                    target,
                    kind: "paragraph",
                    text,
                });
            }
        }
    }
    docs
}

/// A comment's current wording, unless it was retracted or hidden.
fn comment_doc(space: &Space, id: &EntryId) -> Option<SearchDoc> {
    let c = space.comment(id)?;
    if c.retracted.is_some() || space.hidden(id).is_some() {
        return None;
    }
    let w = c.wording();
    let text = match w.suggestion {
        Some(s) => format!("{}\n{}", w.text, s),
        None => w.text,
    };
    Some(SearchDoc {
        draft: c.body.draft,
        target: c.id.to_string(),
        kind: "comment",
        text,
    })
}

impl Node {
    /// Replaces every index row of the space, from its state, which is up to date with
    /// the store: the index then covers every stored entry of the space.
    pub fn reindex(&self, space: &Space) -> Result<(), NodeError> {
        let mut docs: Vec<SearchDoc> = space.drafts().flat_map(draft_docs).collect();
        let ids: Vec<EntryId> = space.comments().map(|c| c.id).collect();
        docs.extend(ids.iter().filter_map(|id| comment_doc(space, id)));
        let title = space.charter().title.clone();
        self.store.atomically(|| {
            self.store.reindex_space(&space.id(), &title, &docs)?;
            let stored = self.store.space_mark(&space.id())?.seq;
            self.store.set_index_mark(&space.id(), stored)
        })?;
        self.unindexed.borrow_mut().remove(&space.id());
        Ok(())
    }

    /// How the stored index of a space differs from what its state indexes, in words
    /// (empty when they agree).
    pub(crate) fn index_differences(&self, space: &Space) -> Result<Vec<String>, NodeError> {
        let mut found = vec![];
        let title = space.charter().title.clone();
        match self.store.space_title(&space.id())? {
            Some(t) if t == title => {}
            Some(t) => found.push(format!("the indexed title is '{t}', not '{title}'")),
            None => found.push("the space is not in the list of spaces".into()),
        }
        let mut expected: Vec<(String, String, String, String)> = space
            .drafts()
            .flat_map(draft_docs)
            .chain(space.comments().filter_map(|c| comment_doc(space, &c.id)))
            .map(|d| (d.draft.to_hex(), d.target, d.kind.to_owned(), d.text))
            .collect();
        expected.sort();
        let stored = self.store.search_rows(&space.id())?;
        let (mut missing, mut extra) = (vec![], vec![]);
        let (mut i, mut j) = (0, 0);
        while i < expected.len() || j < stored.len() {
            match (expected.get(i), stored.get(j)) {
                (Some(a), Some(b)) if a == b => {
                    i += 1;
                    j += 1;
                }
                (Some(a), Some(b)) if a < b => {
                    missing.push(a);
                    i += 1;
                }
                (Some(a), None) => {
                    missing.push(a);
                    i += 1;
                }
                (_, Some(b)) => {
                    extra.push(b);
                    j += 1;
                }
                (None, None) => break,
            }
        }
        let name = |(_, target, kind, _): &(String, String, String, String)| {
            format!("{kind} {}", &target[..target.len().min(12)])
        };
        if !missing.is_empty() {
            let first: Vec<String> = missing.iter().take(5).map(|r| name(r)).collect();
            found.push(format!(
                "{} search rows missing or out of date ({}{})",
                missing.len(),
                first.join(", "),
                if missing.len() > 5 { ", …" } else { "" }
            ));
        }
        if !extra.is_empty() {
            let first: Vec<String> = extra.iter().take(5).map(|r| name(r)).collect();
            found.push(format!(
                "{} search rows left over or out of date ({}{})",
                extra.len(),
                first.join(", "),
                if extra.len() > 5 { ", …" } else { "" }
            ));
        }
        Ok(found)
    }

    /// What of the index may not wait for entries just accepted into `space` (see
    /// [`crate::behind`]): the space's title, and the removal of the rows of comments
    /// whose text their author erased. The rest is written by [`Node::index_behind`].
    pub fn index_at_once(&self, space: &Space, accepted: &[&Entry]) -> Result<(), NodeError> {
        let mut title = false;
        let mut gone: BTreeSet<EntryId> = BTreeSet::new();
        for entry in accepted {
            match entry.body() {
                None => {
                    gone.insert(entry.id());
                }
                Some(Body::Charter(_) | Body::CharterAmendment(_)) => title = true,
                // Only an erasure that took effect (by the comment's own author).
                Some(Body::Erasure(e)) if space.comment(&e.comment).is_none() => {
                    gone.insert(e.comment);
                }
                Some(_) => {}
            }
        }
        if !title && gone.is_empty() {
            return Ok(());
        }
        let rows: Vec<(String, Option<SearchDoc>)> =
            gone.iter().map(|id| (id.to_string(), None)).collect();
        let title = title.then(|| space.charter().title.clone());
        self.store
            .update_index(&space.id(), title.as_deref(), &[], &rows)?;
        Ok(())
    }

    /// Updates the index for entries accepted into `space` (in the order it accepted
    /// them), against its current state: the rows of what they changed, nothing else.
    pub fn index_accepted(&self, space: &Space, accepted: &[&Entry]) -> Result<(), NodeError> {
        let mut drafts: BTreeSet<DraftId> = BTreeSet::new();
        let mut comments: BTreeSet<EntryId> = BTreeSet::new();
        let mut title = false;
        // Comments whose text was erased: their rows go.
        let mut gone: BTreeSet<EntryId> = BTreeSet::new();
        for entry in accepted {
            let Some(body) = entry.body() else {
                gone.insert(entry.id());
                continue;
            };
            match body {
                Body::Charter(_) | Body::CharterAmendment(_) => title = true,
                Body::DraftChange(c) => {
                    drafts.insert(c.draft.unwrap_or(entry.id()));
                }
                Body::Comment(_) => {
                    comments.insert(entry.id());
                }
                Body::CommentEdit(e) => {
                    comments.insert(e.comment);
                }
                Body::Retraction(r) => {
                    comments.insert(r.comment);
                }
                // Gone below when it took effect (by the comment's own author).
                Body::Erasure(e) => {
                    comments.insert(e.comment);
                }
                Body::Moderation(m) => {
                    comments.insert(m.target);
                }
                _ => {}
            }
        }
        // A charter's change of roles decides again what every moderation does (a hide
        // by a convener whose role was revoked before it takes no effect): every
        // comment's row is written again. Amendments are rare; comments are not.
        if title {
            comments.extend(space.comments().map(|c| c.id));
        }
        // A comment erased in this batch may also have been indexed by it.
        gone.extend(
            comments
                .iter()
                .filter(|id| space.comment(id).is_none())
                .copied(),
        );
        if drafts.is_empty() && comments.is_empty() && gone.is_empty() && !title {
            return Ok(());
        }
        let draft_rows: Vec<(EntryId, Vec<SearchDoc>)> = drafts
            .iter()
            .filter_map(|d| space.draft(d).map(|state| (*d, draft_docs(state))))
            .collect();
        let comment_rows: Vec<(String, Option<SearchDoc>)> = comments
            .iter()
            .filter(|id| space.comment(id).is_some())
            .map(|id| (id.to_string(), comment_doc(space, id)))
            .chain(gone.iter().map(|id| (id.to_string(), None)))
            .collect();
        let title = title.then(|| space.charter().title.clone());
        self.store
            .update_index(&space.id(), title.as_deref(), &draft_rows, &comment_rows)?;
        Ok(())
    }
}
