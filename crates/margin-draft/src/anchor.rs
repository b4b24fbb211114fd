//! Anchoring comments to passages, and finding those passages again in later versions.
//!
//! An anchor holds Automerge cursors made at the version the commenter read, and a
//! W3C-style text quote. Resolution tries the cursors first (they follow the text
//! through edits), then searches the quote in its paragraph and then in the whole draft;
//! failing all that the comment is orphaned, for an editor to re-attach.
//!
//! The start cursor sits on the character before the passage, so that a word replaced
//! at the start of the passage stays in it; a consequence is that text inserted right
//! at the start joins the passage too. The end cursor sits on the passage's last
//! character, so deleting it shrinks the passage and text appended after it stays out.

use margin_core::ParaId;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use automerge::{ChangeHash, Cursor, CursorPosition, MoveCursor, ObjId, ReadDoc};
use serde::{Deserialize, Serialize};

use crate::doc::{Draft, Snapshot, StoredBlock};
use crate::error::Error;

/// Resolves anchors against a draft, keeping each version it has read; see
/// [`Draft::reader`]. It borrows the draft, so the versions it keeps cannot go stale.
pub struct Reader<'a> {
    draft: &'a Draft,
    versions: RefCell<HashMap<Vec<ChangeHash>, Rc<Snapshot>>>,
}

impl Reader<'_> {
    /// Where `anchor` is at `at` (`None`: the current version), as [`Draft::resolve`]
    /// says.
    pub fn resolve(&self, anchor: &Anchor, at: Option<&[[u8; 32]]>) -> Result<AnchorState, Error> {
        let mut heads = self.draft.heads_at(at)?;
        heads.sort_unstable();
        let known = self.versions.borrow().get(&heads).cloned();
        let snap = match known {
            Some(snap) => snap,
            None => {
                let snap = Rc::new(self.draft.snapshot(&heads)?);
                self.versions
                    .borrow_mut()
                    .insert(heads.clone(), Rc::clone(&snap));
                snap
            }
        };
        self.draft.resolve_in(anchor, &snap, &heads)
    }
}

/// How many characters of context a quote records on each side.
const CONTEXT_CHARS: usize = 32;

/// Where a comment is attached: a passage of a paragraph, or the whole paragraph.
///
/// Plain fields only, so that it encodes compactly inside signed entries.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Anchor {
    /// The paragraph's stable id.
    pub para: ParaId,
    /// The version the commenter was reading.
    pub heads: Vec<[u8; 32]>,
    /// Cursor on the character just before the passage (exclusive), or a start-of-text
    /// cursor; `None` for a whole-paragraph anchor.
    pub start: Option<Vec<u8>>,
    /// Cursor on the passage's last character (inclusive); `None` for a whole paragraph.
    pub end: Option<Vec<u8>>,
    /// The passage as read; `None` for a whole paragraph.
    pub quote: Option<Quote>,
}

/// The quoted passage with some context (W3C Web Annotation `TextQuoteSelector`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Quote {
    /// The passage, exactly as read.
    pub exact: String,
    /// Up to 32 characters before the passage, within the paragraph.
    pub prefix: String,
    /// Up to 32 characters after the passage, within the paragraph.
    pub suffix: String,
}

/// Where an anchor is in some version of the draft.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum AnchorState {
    /// The passage was found.
    Anchored {
        /// The paragraph it is in now (may differ from the anchor's if text moved).
        para: ParaId,
        /// Start of the passage, in code points.
        start: usize,
        /// End of the passage (exclusive), in code points.
        end: usize,
        /// The passage's text now.
        text: String,
        /// For a quote: whether the text is still exactly the quote. For a whole
        /// paragraph: whether the paragraph is unchanged since the anchor's version.
        exact: bool,
    },
    /// The passage or paragraph is gone.
    Orphaned,
}

impl Draft {
    /// Makes an anchor on paragraph `pid` as it was at `at` (the version the commenter
    /// read): on the first occurrence of `quote` in it, or, with `None`, on the whole
    /// paragraph.
    pub fn anchor(
        &self,
        pid: &ParaId,
        quote: Option<&str>,
        at: &[[u8; 32]],
    ) -> Result<Anchor, Error> {
        self.anchor_near(pid, quote, None, at)
    }

    /// Like [`Draft::anchor`], for a quote that may occur more than once in the
    /// paragraph: `near` is where the reader's selection started, in code points, and
    /// the occurrence starting closest to it is anchored (the first one on ties, and
    /// with `None`).
    ///
    /// ```
    /// use margin_draft::{Draft, Timestamp};
    /// use automerge::ActorId;
    ///
    /// let editor = ActorId::from(&[7u8; 34][..]);
    /// let (draft, _) = Draft::import(editor, "# R\n\nA cat. A dog. A cat.\n", None, Timestamp::from_millis(0), "v1")?;
    /// let pid = draft.view(None)?.sections[0].paragraphs[0].id.clone();
    /// let anchor = draft.anchor_near(&pid, Some("A cat"), Some(14), &draft.heads())?;
    /// assert_eq!(anchor.quote.map(|q| q.prefix), Some("A cat. A dog. ".to_string()));
    /// # Ok::<(), margin_draft::Error>(())
    /// ```
    pub fn anchor_near(
        &self,
        pid: &ParaId,
        quote: Option<&str>,
        near: Option<usize>,
        at: &[[u8; 32]],
    ) -> Result<Anchor, Error> {
        let heads = self.heads_at(Some(at))?;
        let snap = self.snapshot(&heads)?;
        self.anchor_in(pid, quote, near, at, &snap, &heads)
    }

    /// Like [`Draft::anchor_near`] for many passages of one version at once (each
    /// `(paragraph, quote, near)`), reading the version only once.
    pub fn anchor_all(
        &self,
        wanted: &[(&ParaId, Option<&str>, Option<usize>)],
        at: &[[u8; 32]],
    ) -> Result<Vec<Anchor>, Error> {
        let heads = self.heads_at(Some(at))?;
        let snap = self.snapshot(&heads)?;
        wanted
            .iter()
            .map(|(pid, quote, near)| self.anchor_in(pid, *quote, *near, at, &snap, &heads))
            .collect()
    }

    fn anchor_in(
        &self,
        pid: &ParaId,
        quote: Option<&str>,
        near: Option<usize>,
        at: &[[u8; 32]],
        snap: &Snapshot,
        heads: &[ChangeHash],
    ) -> Result<Anchor, Error> {
        let block = snap
            .find(pid.as_str())
            .ok_or_else(|| Error::ParagraphNotFound(pid.clone()))?;
        let Some(quote) = quote else {
            return Ok(Anchor {
                para: pid.clone(),
                heads: at.to_vec(),
                start: None,
                end: None,
                quote: None,
            });
        };
        if quote.is_empty() {
            return Err(Error::EmptyQuote);
        }
        let not_found = || Error::QuoteNotFound {
            para: pid.clone(),
            quote: quote.to_string(),
        };
        let text = &block.block.text;
        let byte_start =
            closest_occurrence(text, quote, near.unwrap_or(0)).ok_or_else(not_found)?;
        let text_obj = block.text_obj.as_ref().ok_or_else(not_found)?;
        let start = text[..byte_start].chars().count();
        let len = quote.chars().count();
        let start_position = match start {
            0 => CursorPosition::Start,
            n => CursorPosition::Index(n - 1),
        };
        let doc = &self.doc;
        let start_cursor =
            doc.get_cursor_moving(text_obj, start_position, Some(heads), MoveCursor::Before)?;
        let end_cursor =
            doc.get_cursor_moving(text_obj, start + len - 1, Some(heads), MoveCursor::Before)?;
        let before: Vec<char> = text[..byte_start].chars().collect();
        let after = &text[byte_start + quote.len()..];
        Ok(Anchor {
            para: pid.clone(),
            heads: at.to_vec(),
            start: Some(start_cursor.to_bytes()),
            end: Some(end_cursor.to_bytes()),
            quote: Some(Quote {
                exact: quote.to_string(),
                prefix: before[before.len().saturating_sub(CONTEXT_CHARS)..]
                    .iter()
                    .collect(),
                suffix: after.chars().take(CONTEXT_CHARS).collect(),
            }),
        })
    }

    /// Where `anchor` is at `at` (`None`: the current version).
    pub fn resolve(&self, anchor: &Anchor, at: Option<&[[u8; 32]]>) -> Result<AnchorState, Error> {
        let heads = self.heads_at(at)?;
        let snap = self.snapshot(&heads)?;
        self.resolve_in(anchor, &snap, &heads)
    }

    /// Like [`Draft::resolve`] for many anchors at once (a page of comments), reading
    /// the version only once.
    pub fn resolve_all(
        &self,
        anchors: &[Anchor],
        at: Option<&[[u8; 32]]>,
    ) -> Result<Vec<AnchorState>, Error> {
        let heads = self.heads_at(at)?;
        let read = self.reading(&heads)?;
        anchors
            .iter()
            .map(|a| {
                if let Some(state) = read.resolved(a) {
                    return Ok(state);
                }
                let state = self.resolve_in(a, &read.snapshot, &heads)?;
                // Kept only when the draft has the version the anchor was made at: what
                // it resolves to then depends on history that no longer changes.
                if self.has_changes(&a.heads) {
                    read.keep_resolved(a, &state);
                }
                Ok(state)
            })
            .collect()
    }

    /// A reader that resolves anchors at any number of versions, reading each version
    /// once: for work that visits the same few versions many times (the objection
    /// register compares every objection's passage at its version, now, and at each
    /// revision in between).
    pub fn reader(&self) -> Reader<'_> {
        Reader {
            draft: self,
            versions: RefCell::new(HashMap::new()),
        }
    }

    fn resolve_in(
        &self,
        anchor: &Anchor,
        snap: &Snapshot,
        heads: &[ChangeHash],
    ) -> Result<AnchorState, Error> {
        let block = snap.find(anchor.para.as_str());
        let Some(quote) = &anchor.quote else {
            return Ok(match block {
                Some(b) => AnchorState::Anchored {
                    para: b.id.clone(),
                    start: 0,
                    end: b.block.text.chars().count(),
                    text: b.block.text.clone(),
                    exact: self.unchanged_since(&anchor.heads, b),
                },
                None => AnchorState::Orphaned,
            });
        };
        if let Some(b) = block
            && let Some((start, end)) = self.cursor_range(anchor, b, heads)
        {
            let text: String = b.block.text.chars().skip(start).take(end - start).collect();
            return Ok(AnchorState::Anchored {
                para: b.id.clone(),
                start,
                end,
                exact: text == quote.exact,
                text,
            });
        }
        let found = block
            .and_then(|b| best_occurrence(std::slice::from_ref(b), quote))
            .or_else(|| best_occurrence(&snap.blocks, quote));
        Ok(match found {
            Some((para, start)) => AnchorState::Anchored {
                para,
                start,
                end: start + quote.exact.chars().count(),
                text: quote.exact.clone(),
                exact: true,
            },
            None => AnchorState::Orphaned,
        })
    }

    /// Whether a block's text is the same now as at `heads` (false if `heads` unknown).
    fn unchanged_since(&self, heads: &[[u8; 32]], block: &StoredBlock) -> bool {
        let (Ok(then), Some(text)) = (self.heads_at(Some(heads)), &block.text_obj) else {
            return false;
        };
        self.doc
            .text_at(text, &then)
            .is_ok_and(|old| old == block.block.text)
    }

    /// The non-empty range the anchor's cursors span in `block`, if they still do.
    fn cursor_range(
        &self,
        anchor: &Anchor,
        block: &StoredBlock,
        heads: &[ChangeHash],
    ) -> Option<(usize, usize)> {
        let text_obj = block.text_obj.as_ref()?;
        let start = self.boundary(text_obj, anchor.start.as_deref()?, heads)?;
        let end = self.boundary(text_obj, anchor.end.as_deref()?, heads)?;
        (start < end).then_some((start, end))
    }

    /// The position just after the character a cursor points at, i.e. the boundary it
    /// stands for. When that character was deleted, the boundary falls after the
    /// nearest earlier surviving character (never after the deleted character's place).
    fn boundary(&self, text_obj: &ObjId, bytes: &[u8], heads: &[ChangeHash]) -> Option<usize> {
        let doc = &self.doc;
        let cursor = Cursor::try_from(bytes).ok()?;
        let len = doc.length_at(text_obj, heads);
        match &cursor {
            Cursor::Start => return Some(0),
            Cursor::End => return Some(len),
            Cursor::Op(_) => {}
        }
        let before = doc
            .get_cursor_position(text_obj, &cursor, Some(heads))
            .ok()?;
        let visible = before < len
            && doc
                .get_cursor_moving(text_obj, before, Some(heads), MoveCursor::Before)
                .is_ok_and(|c| c == cursor);
        if visible {
            return Some(before + 1);
        }
        // `MoveCursor::Before` resolves to 0 both for "the earlier character at 0" and for
        // "no earlier character"; the same cursor moving after tells these apart: it
        // resolves to the deleted character's place.
        let after_form = cursor.to_string();
        let after = Cursor::try_from(after_form.trim_start_matches('-')).ok()?;
        let place = doc
            .get_cursor_position(text_obj, &after, Some(heads))
            .ok()?;
        Some((before + 1).min(place))
    }
}

/// The best occurrence of a quote in `blocks`: the one whose context matches best, the
/// first one on ties. Returns the block id and the start in code points.
fn best_occurrence(blocks: &[StoredBlock], quote: &Quote) -> Option<(ParaId, usize)> {
    if quote.exact.is_empty() {
        return None;
    }
    let mut best: Option<(u8, ParaId, usize)> = None;
    for b in blocks {
        let text = &b.block.text;
        for (byte_start, _) in text.match_indices(&quote.exact) {
            let before = &text[..byte_start];
            let after = &text[byte_start + quote.exact.len()..];
            let score = u8::from(before.ends_with(&quote.prefix))
                + u8::from(after.starts_with(&quote.suffix));
            if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
                best = Some((score, b.id.clone(), before.chars().count()));
            }
        }
    }
    best.map(|(_, id, start)| (id, start))
}

/// The byte offset of the occurrence of `quote` in `text` whose start is closest to the
/// code point offset `near` (the first one on ties).
fn closest_occurrence(text: &str, quote: &str, near: usize) -> Option<usize> {
    text.match_indices(quote)
        .map(|(byte, _)| byte)
        .min_by_key(|&byte| text[..byte].chars().count().abs_diff(near))
}
