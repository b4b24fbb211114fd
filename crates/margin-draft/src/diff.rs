//! Differences between two versions of a draft, paragraph by paragraph and word by word.

use margin_core::ParaId;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use serde::Serialize;

use crate::doc::{Draft, StoredBlock};
use crate::error::Error;
use crate::markdown::BlockKind;
use crate::tokens::{WordChange, WordOp, word_changes};

/// What happened to each paragraph between two versions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DraftDiff {
    /// Every block of either version, in document order (removed blocks where they were).
    pub paragraphs: Vec<ParagraphDiff>,
}

/// What happened to one paragraph (or heading, or list item).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParagraphDiff {
    /// Stable id.
    pub id: ParaId,
    /// Heading, paragraph or item (as in the newer version if present there).
    pub kind: BlockKind,
    /// Paragraph number in the older version; `None` if absent there or a heading.
    pub n_from: Option<usize>,
    /// Paragraph number in the newer version; `None` if absent there or a heading.
    pub n_to: Option<usize>,
    /// Added, removed, changed or unchanged.
    pub change: ParagraphChange,
    /// The text as runs of kept, inserted and deleted words (one run for added, removed
    /// and unchanged paragraphs).
    pub words: Vec<WordChange>,
}

/// How a paragraph differs between two versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParagraphChange {
    /// Only in the newer version.
    Added,
    /// Only in the older version.
    Removed,
    /// In both, with different text.
    Changed,
    /// In both, with the same text.
    Unchanged,
}

impl DraftDiff {
    /// A plain-text rendering: one line per added (`+`), removed (`-`) or changed (`~`)
    /// paragraph, with changed words marked `[-old-]{+new+}`; unchanged ones omitted.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        for p in &self.paragraphs {
            let sign = match p.change {
                ParagraphChange::Unchanged => continue,
                ParagraphChange::Added => '+',
                ParagraphChange::Removed => '-',
                ParagraphChange::Changed => '~',
            };
            match p.n_to.or(p.n_from) {
                Some(n) => {
                    let _ = write!(out, "{sign} ¶{n} [{}] ", p.id);
                }
                None => {
                    let _ = write!(out, "{sign} [{}] ", p.id);
                }
            }
            for w in &p.words {
                match (p.change, w.op) {
                    (ParagraphChange::Changed, WordOp::Delete) => {
                        let _ = write!(out, "[-{}-]", w.text);
                    }
                    (ParagraphChange::Changed, WordOp::Insert) => {
                        let _ = write!(out, "{{+{}+}}", w.text);
                    }
                    _ => out.push_str(&w.text),
                }
            }
            out.push('\n');
        }
        out
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.paragraphs
            .iter()
            .all(|p| p.change == ParagraphChange::Unchanged)
    }
}

impl Draft {
    /// Paragraph-level and word-level differences from version `from` to version `to`,
    /// paragraphs matched by id.
    pub fn diff(&self, from: &[[u8; 32]], to: &[[u8; 32]]) -> Result<DraftDiff, Error> {
        let old = self.snapshot(&self.heads_at(Some(from))?)?.blocks;
        let new = self.snapshot(&self.heads_at(Some(to))?)?.blocks;
        let old_n = numbers(&old);
        let new_n = numbers(&new);
        let old_by_id: HashMap<&str, (usize, &StoredBlock)> = old
            .iter()
            .enumerate()
            .map(|(i, b)| (b.id.as_str(), (i, b)))
            .collect();
        let new_ids: HashSet<&str> = new.iter().map(|b| b.id.as_str()).collect();

        let mut paragraphs = Vec::new();
        let mut next_old = 0;
        // Blocks of the older version in `range` that the newer one no longer has.
        let removed = |range: std::ops::Range<usize>| {
            range
                .filter(|&i| !new_ids.contains(old[i].id.as_str()))
                .map(|i| ParagraphDiff {
                    id: old[i].id.clone(),
                    kind: old[i].block.kind,
                    n_from: old_n[i],
                    n_to: None,
                    change: ParagraphChange::Removed,
                    words: whole(WordOp::Delete, &old[i].block.text),
                })
                .collect::<Vec<_>>()
        };
        for (j, b) in new.iter().enumerate() {
            match old_by_id.get(b.id.as_str()) {
                Some(&(i, o)) => {
                    // Removed blocks that came before this one in the older version.
                    paragraphs.extend(removed(next_old..i));
                    next_old = next_old.max(i + 1);
                    let same = o.block.text == b.block.text;
                    paragraphs.push(ParagraphDiff {
                        id: b.id.clone(),
                        kind: b.block.kind,
                        n_from: old_n[i],
                        n_to: new_n[j],
                        change: if same {
                            ParagraphChange::Unchanged
                        } else {
                            ParagraphChange::Changed
                        },
                        words: if same {
                            whole(WordOp::Equal, &b.block.text)
                        } else {
                            word_changes(&o.block.text, &b.block.text)
                        },
                    });
                }
                None => paragraphs.push(ParagraphDiff {
                    id: b.id.clone(),
                    kind: b.block.kind,
                    n_from: None,
                    n_to: new_n[j],
                    change: ParagraphChange::Added,
                    words: whole(WordOp::Insert, &b.block.text),
                }),
            }
        }
        paragraphs.extend(removed(next_old..old.len()));
        Ok(DraftDiff { paragraphs })
    }
}

/// Paragraph numbers (headings get none).
fn numbers(blocks: &[StoredBlock]) -> Vec<Option<usize>> {
    let mut n = 0;
    blocks
        .iter()
        .map(|b| {
            (b.block.kind != BlockKind::Heading).then(|| {
                n += 1;
                n
            })
        })
        .collect()
}

fn whole(op: WordOp, text: &str) -> Vec<WordChange> {
    if text.is_empty() {
        return Vec::new();
    }
    vec![WordChange {
        op,
        text: text.to_string(),
    }]
}
