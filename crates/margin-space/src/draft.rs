//! Drafts in a space: the Automerge document built from every accepted revision, which
//! entry carried which change, and the named versions.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};

use margin_core::body::ChangeHash;
use margin_core::id::{DraftId, EntryId};
use margin_core::key::PublicKey;
use margin_core::{ParaId, Timestamp};
use margin_draft::Draft;
use serde::{Deserialize, Serialize};

/// One accepted revision (a `DraftChange` entry).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    pub entry: EntryId,
    pub author: PublicKey,
    pub time: Timestamp,
    pub message: String,
    /// The Automerge changes it carried.
    pub changes: Vec<ChangeHash>,
}

/// A named version of a draft. When two editors give the same name to different versions,
/// the later (by time, then id) wins everywhere.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub entry: EntryId,
    pub author: PublicKey,
    pub time: Timestamp,
    pub heads: Vec<ChangeHash>,
}

/// A draft and its history.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DraftState {
    pub id: DraftId,
    #[serde(with = "crate::snapshot::saved_draft")]
    pub doc: Draft,
    pub revisions: Vec<Revision>,
    pub tags: BTreeMap<String, Tag>,
    carried: HashMap<EntryId, Vec<ChangeHash>>,
    /// Paragraphs found at a version, remembered: a version never changes, and every
    /// comment and stance names a paragraph at a version, mostly the same few.
    #[serde(skip)]
    paragraphs_seen: RefCell<HashMap<Vec<ChangeHash>, HashSet<ParaId>>>,
}

impl DraftState {
    pub(crate) fn new(id: DraftId) -> Self {
        DraftState {
            id,
            doc: Draft::empty(),
            revisions: vec![],
            tags: BTreeMap::new(),
            carried: HashMap::new(),
            paragraphs_seen: RefCell::new(HashMap::new()),
        }
    }

    /// Whether the paragraph `para` exists at the version `heads` (false when the
    /// version is unknown).
    pub(crate) fn has_paragraph(&self, para: &ParaId, heads: &[ChangeHash]) -> bool {
        // Every paragraph of a version, read once: the checks that follow on that
        // version are lookups (without allocating).
        if let Some(ids) = self.paragraphs_seen.borrow().get(heads) {
            return ids.contains(para);
        }
        match self.doc.paragraph_ids(Some(heads)) {
            Ok(ids) => {
                let ids: HashSet<ParaId> = ids.into_iter().collect();
                let found = ids.contains(para);
                self.paragraphs_seen
                    .borrow_mut()
                    .insert(heads.to_vec(), ids);
                found
            }
            Err(_) => matches!(self.doc.paragraph_text(para, Some(heads)), Ok(Some(_))),
        }
    }

    pub(crate) fn add_revision(&mut self, revision: Revision) {
        self.carried
            .insert(revision.entry, revision.changes.clone());
        self.revisions.push(revision);
    }

    /// Whether each of `hashes` is carried by one of the entries in `refs`.
    pub(crate) fn carried_by(&self, hashes: &[ChangeHash], refs: &[EntryId]) -> bool {
        hashes.iter().all(|h| {
            refs.iter()
                .filter_map(|r| self.carried.get(r))
                .any(|carried| carried.contains(h))
        })
    }

    /// The revision entries whose changes are all of `heads`, for naming them in refs.
    pub fn entries_carrying(&self, heads: &[ChangeHash]) -> Vec<EntryId> {
        let mut out: Vec<EntryId> = heads
            .iter()
            .filter_map(|h| {
                self.revisions
                    .iter()
                    .filter(|r| r.changes.contains(h))
                    .map(|r| r.entry)
                    .min()
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The current title.
    pub fn title(&self) -> String {
        self.doc
            .view(None)
            .map(|v| v.title)
            .unwrap_or_else(|_| "Untitled draft".into())
    }

    /// The heads of a version given by tag name or by its heads (`@HEX,HEX`), or the
    /// current heads for `None`.
    pub fn version_heads(&self, name: Option<&str>) -> Option<Vec<ChangeHash>> {
        match name {
            None => Some(self.doc.heads()),
            Some(name) => match name.strip_prefix('@') {
                Some(heads) => self.heads_named(heads),
                None => self.tags.get(name).map(|t| t.heads.clone()),
            },
        }
    }

    /// A version named by its heads, `HEX,HEX` (Automerge change hashes), when this
    /// node has every one of them: how a version that has no tag is named, such as the
    /// one a reader last read.
    fn heads_named(&self, list: &str) -> Option<Vec<ChangeHash>> {
        let heads = list
            .split(',')
            .map(|h| hex::decode(h.trim()).ok()?.try_into().ok())
            .collect::<Option<Vec<ChangeHash>>>()?;
        (!heads.is_empty() && self.doc.has_changes(&heads)).then_some(heads)
    }

    /// The tag names whose heads are exactly `heads`.
    pub fn tag_of(&self, heads: &[ChangeHash]) -> Option<String> {
        let mut wanted = heads.to_vec();
        wanted.sort();
        self.tags.iter().find_map(|(name, tag)| {
            let mut h = tag.heads.clone();
            h.sort();
            (h == wanted).then(|| name.clone())
        })
    }

    /// Revisions in the order they were made (time, then id).
    pub fn history(&self) -> Vec<&Revision> {
        let mut r: Vec<&Revision> = self.revisions.iter().collect();
        r.sort_by_key(|r| (r.time, r.entry));
        r
    }
}
