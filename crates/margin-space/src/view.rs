//! Read-only views of a space, shaped for people and for JSON output: participants with
//! their profiles, comments with their anchors resolved against the current draft,
//! stance tallies.

use std::collections::BTreeMap;

use margin_core::body::{ChangeHash, StanceValue};
use margin_core::id::{DraftId, EntryId};
use margin_core::key::PublicKey;
use margin_core::{ParaId, Timestamp};
use serde::Serialize;

use crate::comment::CommentState;
use crate::draft::DraftState;
use crate::space::Space;

/// Formats a time as RFC 3339 UTC.
pub fn format_time(time: Timestamp) -> String {
    let ms = time.as_millis();
    i64::try_from(ms)
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| format!("{ms} ms"))
}

/// A participant as others see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParticipantView {
    pub key: String,
    pub name: String,
    pub affiliation: String,
    pub stakeholder: String,
    pub region: String,
    /// A registrar's attestation, when there is one; it overrides the self-declared group.
    pub registered: bool,
}

/// The charter and contents of a space.
#[derive(Clone, Debug, Serialize)]
pub struct SpaceView {
    pub space: String,
    pub title: String,
    pub policy: &'static str,
    pub opens: Option<String>,
    pub closes: Option<String>,
    pub conveners: Vec<ParticipantView>,
    pub editors: Vec<ParticipantView>,
    pub registrars: Vec<ParticipantView>,
    pub stakeholder_groups: Vec<String>,
    pub drafts: Vec<DraftSummary>,
    pub entries: usize,
    pub pending: usize,
    /// Digest of the space state: equal on every node holding the same entries.
    pub digest: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct DraftSummary {
    pub draft: String,
    pub title: String,
    pub paragraphs: usize,
    pub revisions: usize,
    pub versions: Vec<String>,
    pub comments: usize,
}

/// The draft version a comment was made on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VersionView {
    /// The version's name, when an editor tagged exactly this version.
    pub tag: Option<String>,
    pub heads: Vec<String>,
}

/// Where a comment's passage is in the current draft.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum AnchorView {
    /// The whole draft.
    Draft,
    Anchored {
        para: ParaId,
        n: Option<usize>,
        start: usize,
        end: usize,
        text: String,
        exact: bool,
    },
    Orphaned,
}

impl AnchorView {
    /// Where a resolved anchor is, with the paragraph's number from `number`.
    pub fn placed(
        state: margin_draft::AnchorState,
        number: impl FnOnce(&ParaId) -> Option<usize>,
    ) -> AnchorView {
        match state {
            margin_draft::AnchorState::Anchored {
                para,
                start,
                end,
                text,
                exact,
            } => AnchorView::Anchored {
                n: number(&para),
                para,
                start,
                end,
                text,
                exact,
            },
            margin_draft::AnchorState::Orphaned => AnchorView::Orphaned,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QuoteView {
    pub exact: String,
    pub prefix: String,
    pub suffix: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DispositionView {
    pub value: &'static str,
    pub note: String,
    pub editor: String,
    pub revision: Option<String>,
    pub time: String,
}

/// A comment with its author, anchor and later history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommentView {
    pub id: String,
    pub draft: String,
    pub author: ParticipantView,
    pub kind: &'static str,
    pub body: String,
    pub suggestion: Option<String>,
    pub parent: Option<String>,
    /// The comment it replies to was erased by its author.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub parent_erased: bool,
    pub time: String,
    pub version: VersionView,
    /// The paragraph the comment was made on.
    pub para: Option<ParaId>,
    /// The passage as commented.
    pub quote: Option<QuoteView>,
    pub anchor: AnchorView,
    pub edited: bool,
    pub retracted: bool,
    pub reattached: bool,
    pub disposition: Option<DispositionView>,
    /// A convener's reason for hiding the comment; its text is then withheld.
    pub hidden: Option<String>,
    /// Its author is muted on the node showing it (a local choice; its text is then
    /// withheld there).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub muted: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub support: usize,
    pub accept: usize,
    pub object: usize,
    pub abstain: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StanceView {
    pub id: String,
    pub author: ParticipantView,
    pub stance: &'static str,
    pub reason: Option<String>,
    pub time: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParagraphStances {
    pub para: ParaId,
    pub n: Option<usize>,
    pub tally: Tally,
    pub stances: Vec<StanceView>,
}

fn hex_heads(heads: &[ChangeHash]) -> Vec<String> {
    let mut h: Vec<String> = heads.iter().map(hex::encode).collect();
    h.sort();
    h
}

/// Converts a wire anchor to the draft library's anchor at `heads`.
pub fn draft_anchor(
    heads: &[ChangeHash],
    anchor: &margin_core::body::Anchor,
) -> margin_draft::Anchor {
    margin_draft::Anchor {
        para: anchor.para.clone(),
        heads: heads.to_vec(),
        start: anchor.start.as_ref().map(|c| c.to_vec()),
        end: anchor.end.as_ref().map(|c| c.to_vec()),
        quote: anchor.quote.as_ref().map(|q| margin_draft::Quote {
            exact: q.exact.clone(),
            prefix: q.prefix.clone(),
            suffix: q.suffix.clone(),
        }),
    }
}

/// Converts the draft library's anchor to its wire form (heads travel separately).
pub fn wire_anchor(anchor: &margin_draft::Anchor) -> margin_core::body::Anchor {
    margin_core::body::Anchor {
        para: anchor.para.clone(),
        start: anchor.start.clone().map(serde_bytes::ByteBuf::from),
        end: anchor.end.clone().map(serde_bytes::ByteBuf::from),
        quote: anchor.quote.as_ref().map(|q| margin_core::body::Quote {
            exact: q.exact.clone(),
            prefix: q.prefix.clone(),
            suffix: q.suffix.clone(),
        }),
    }
}

/// Paragraph numbers of the current version, by id.
fn numbers(draft: &DraftState) -> BTreeMap<ParaId, usize> {
    let mut n = BTreeMap::new();
    if let Ok(view) = draft.doc.view(None) {
        for section in view.sections {
            for p in section.paragraphs {
                n.insert(p.id, p.n);
            }
        }
    }
    n
}

impl Space {
    /// How a participant appears: profile, overridden by a registration where there is one.
    pub fn participant(&self, key: &PublicKey) -> ParticipantView {
        let profile = self.profile(key);
        let registration = self.registration(key);
        ParticipantView {
            key: self.person_key(key).to_string(),
            name: profile.map_or_else(|| short_key(key), |p| p.name.clone()),
            affiliation: profile.map(|p| p.affiliation.clone()).unwrap_or_default(),
            stakeholder: registration
                .map(|r| r.stakeholder.clone())
                .or_else(|| profile.map(|p| p.stakeholder.clone()))
                .unwrap_or_default(),
            region: registration
                .map(|r| r.region.clone())
                .filter(|r| !r.is_empty())
                .or_else(|| profile.map(|p| p.region.clone()))
                .unwrap_or_default(),
            registered: registration.is_some(),
        }
    }

    /// The space's charter and contents.
    pub fn view(&self) -> SpaceView {
        let charter = self.charter();
        let people = |keys: &std::collections::BTreeSet<PublicKey>| -> Vec<ParticipantView> {
            keys.iter().map(|k| self.participant(k)).collect()
        };
        SpaceView {
            space: self.id().to_string(),
            title: charter.title.clone(),
            policy: charter.policy.as_str(),
            opens: charter.opens.map(format_time),
            closes: charter.closes.map(format_time),
            conveners: people(&charter.conveners),
            editors: people(&charter.editors),
            registrars: people(&charter.registrars),
            stakeholder_groups: charter.stakeholder_groups.clone(),
            drafts: self.drafts().map(|d| self.draft_summary(d)).collect(),
            entries: self.order().len(),
            pending: self.pending_count(),
            digest: self.digest(),
        }
    }

    pub fn draft_summary(&self, draft: &DraftState) -> DraftSummary {
        DraftSummary {
            draft: draft.id.to_string(),
            title: draft.title(),
            paragraphs: numbers(draft).len(),
            revisions: draft.revisions.len(),
            versions: draft.tags.keys().cloned().collect(),
            comments: self.comments().filter(|c| c.body.draft == draft.id).count(),
        }
    }

    /// Comments on a draft (optionally on one paragraph, by where they are anchored now
    /// or were made), oldest first, with anchors resolved against the current version.
    pub fn comment_views(&self, draft: &DraftId, para: Option<&ParaId>) -> Vec<CommentView> {
        let Some(state) = self.draft(draft) else {
            return vec![];
        };
        let numbers = numbers(state);
        // One reading of the current version for all the comments, not one each.
        let reader = state.doc.reader();
        let mut out: Vec<CommentView> = self
            .comments()
            .filter(|c| c.body.draft == *draft)
            .map(|c| self.comment_view(state, &numbers, &reader, c))
            .collect();
        if let Some(p) = para {
            // A reply belongs to the paragraph of the comment that started its thread.
            let parents: BTreeMap<String, Option<String>> = out
                .iter()
                .map(|c| (c.id.clone(), c.parent.clone()))
                .collect();
            let on_para: std::collections::BTreeSet<String> = out
                .iter()
                .filter(|v| {
                    v.para.as_ref() == Some(p)
                        || matches!(&v.anchor, AnchorView::Anchored { para: now, .. } if now == p)
                })
                .map(|v| v.id.clone())
                .collect();
            let root = |id: &str| {
                let mut id = id.to_owned();
                for _ in 0..parents.len() {
                    match parents.get(&id).cloned().flatten() {
                        Some(parent) if parents.contains_key(&parent) => id = parent,
                        _ => break,
                    }
                }
                id
            };
            out.retain(|v| on_para.contains(&root(&v.id)));
        }
        // An order that depends only on the entries: by date, then id, a reply after
        // what it answers.
        let position: std::collections::HashMap<String, usize> = self
            .comments_in_order()
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.to_string(), i))
            .collect();
        out.sort_by_key(|c| position.get(&c.id).copied().unwrap_or(usize::MAX));
        out
    }

    /// One comment, resolved against the current version of its draft.
    pub fn comment_view_of(&self, id: &EntryId) -> Option<CommentView> {
        let c = self.comment(id)?;
        let state = self.draft(&c.body.draft)?;
        Some(self.comment_view(state, &numbers(state), &state.doc.reader(), c))
    }

    fn comment_view(
        &self,
        draft: &DraftState,
        numbers: &BTreeMap<ParaId, usize>,
        reader: &margin_draft::Reader<'_>,
        c: &CommentState,
    ) -> CommentView {
        let anchor = match c.anchor() {
            None => AnchorView::Draft,
            Some((heads, anchor)) => match reader.resolve(&draft_anchor(heads, anchor), None) {
                Ok(state) => AnchorView::placed(state, |para| numbers.get(para).copied()),
                Err(_) => AnchorView::Orphaned,
            },
        };
        self.comment_view_at(draft, c, anchor)
    }

    /// A comment as `margin comments --json` shows it, with its anchor already resolved
    /// (the web interface resolves a page's anchors together, at the version read).
    pub fn comment_view_at(
        &self,
        draft: &DraftState,
        c: &CommentState,
        anchor: AnchorView,
    ) -> CommentView {
        let wording = c.wording();
        let hidden = self.hidden(&c.id).map(str::to_owned);
        let withheld = |s: String| if hidden.is_some() { String::new() } else { s };
        CommentView {
            id: c.id.to_string(),
            draft: c.body.draft.to_string(),
            author: self.participant(&c.author),
            kind: c.body.kind.as_str(),
            body: withheld(wording.text),
            suggestion: wording.suggestion.map(withheld),
            parent: c.body.parent.map(|p| p.to_string()),
            parent_erased: c.body.parent.is_some_and(|p| self.erased.contains_key(&p)),
            time: format_time(c.time),
            version: VersionView {
                tag: draft.tag_of(&c.body.heads),
                heads: hex_heads(&c.body.heads),
            },
            para: c.body.anchor.as_ref().map(|a| a.para.clone()),
            quote: c
                .body
                .anchor
                .as_ref()
                .and_then(|a| a.quote.as_ref())
                .map(|q| QuoteView {
                    exact: q.exact.clone(),
                    prefix: q.prefix.clone(),
                    suffix: q.suffix.clone(),
                }),
            anchor,
            edited: c.edit.is_some(),
            retracted: c.retracted.is_some(),
            reattached: c.reattached.is_some(),
            disposition: c.disposition.as_ref().map(|d| DispositionView {
                value: d.value.value.as_str(),
                note: d.value.note.clone(),
                editor: d.author.to_string(),
                revision: d.value.revision.map(|r| r.to_string()),
                time: format_time(d.time),
            }),
            hidden,
            muted: false,
        }
    }

    /// Each participant's latest stance on each paragraph of a draft, with tallies.
    pub fn stance_views(&self, draft: &DraftId) -> Vec<ParagraphStances> {
        let numbers = self.draft(draft).map(numbers).unwrap_or_default();
        let mut by_para: BTreeMap<ParaId, ParagraphStances> = BTreeMap::new();
        for ((d, para, author), stamped) in self.stances() {
            if d != *draft {
                continue;
            }
            let entry = by_para
                .entry(para.clone())
                .or_insert_with(|| ParagraphStances {
                    para: para.clone(),
                    n: numbers.get(&para).copied(),
                    tally: Tally::default(),
                    stances: vec![],
                });
            let value = stamped.value.value;
            match value {
                StanceValue::Support => entry.tally.support += 1,
                StanceValue::Accept => entry.tally.accept += 1,
                StanceValue::Object => entry.tally.object += 1,
                StanceValue::Abstain => entry.tally.abstain += 1,
            }
            entry.stances.push(StanceView {
                id: stamped.entry.to_string(),
                author: self.participant(&author),
                stance: value.as_str(),
                reason: stamped.value.reason.clone(),
                time: format_time(stamped.time),
            });
        }
        let mut out: Vec<ParagraphStances> = by_para.into_values().collect();
        for p in &mut out {
            p.stances.sort_by(|a, b| {
                (&a.author.name, &a.author.key).cmp(&(&b.author.name, &b.author.key))
            });
        }
        out.sort_by_key(|p| (p.n.unwrap_or(usize::MAX), p.para.clone()));
        out
    }
}

fn short_key(key: &PublicKey) -> String {
    let s = key.to_string();
    format!("{}…", &s[..s.len().min(20)])
}
