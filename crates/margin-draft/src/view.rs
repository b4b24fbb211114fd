//! Reading a version of the draft: sections and numbered paragraphs for display, and the
//! Markdown file itself.

use margin_core::ParaId;
use serde::Serialize;

use crate::doc::Draft;
use crate::error::Error;
use crate::markdown::{BlockKind, derived_title, is_bracketed};

/// A version of the draft as readers see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DraftView {
    /// The draft's title.
    pub title: String,
    /// Sections in document order; the first has no heading when text precedes the
    /// first heading.
    pub sections: Vec<Section>,
}

/// A heading and the paragraphs and list items up to the next heading.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Section {
    /// `None` for the text before the first heading.
    pub heading: Option<Heading>,
    /// The section's paragraphs and list items.
    pub paragraphs: Vec<Paragraph>,
}

/// A heading; comments can be anchored on it like on a paragraph.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Heading {
    /// Stable id.
    pub id: ParaId,
    /// 1 to 6.
    pub level: u8,
    /// The heading's text, without its `#` marker.
    pub text: String,
    /// Whether the heading contains bracketed (contested) text.
    pub bracketed: bool,
}

/// A paragraph or list item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Paragraph {
    /// Stable id, kept across revisions.
    pub id: ParaId,
    /// Number in document order, from 1, counting paragraphs and items, not headings.
    pub n: usize,
    /// `Paragraph` or `Item`.
    pub kind: BlockKind,
    /// The list marker of an item as written (`"1. "`, `"- "`), empty for paragraphs.
    pub marker: String,
    /// The text, without the marker.
    pub text: String,
    /// Whether the text contains a `[...]` span (contested text).
    pub bracketed: bool,
}

impl Draft {
    /// The draft's sections and paragraphs at `at` (`None`: the current version).
    pub fn view(&self, at: Option<&[[u8; 32]]>) -> Result<DraftView, Error> {
        let snap = self.snapshot(&self.heads_at(at)?)?;
        let title = snap
            .title
            .clone()
            .unwrap_or_else(|| derived_title(&snap.markdown()));
        let mut sections: Vec<Section> = Vec::new();
        let mut n = 0;
        for b in snap.blocks {
            let text = b.block.text;
            let bracketed = is_bracketed(&text);
            if b.block.kind == BlockKind::Heading {
                sections.push(Section {
                    heading: Some(Heading {
                        id: b.id,
                        level: b.block.level,
                        text,
                        bracketed,
                    }),
                    paragraphs: Vec::new(),
                });
                continue;
            }
            n += 1;
            let paragraph = Paragraph {
                id: b.id,
                n,
                kind: b.block.kind,
                marker: b.block.marker,
                text,
                bracketed,
            };
            match sections.last_mut() {
                Some(section) => section.paragraphs.push(paragraph),
                None => sections.push(Section {
                    heading: None,
                    paragraphs: vec![paragraph],
                }),
            }
        }
        Ok(DraftView { title, sections })
    }

    /// The Markdown file at `at` (`None`: current), byte for byte as imported or updated.
    pub fn render_markdown(&self, at: Option<&[[u8; 32]]>) -> Result<String, Error> {
        Ok(self.snapshot(&self.heads_at(at)?)?.markdown().render())
    }

    /// The ids of every block (paragraph or heading) at `at` (`None`: current).
    pub fn paragraph_ids(&self, at: Option<&[[u8; 32]]>) -> Result<Vec<ParaId>, Error> {
        Ok(self
            .reading(&self.heads_at(at)?)?
            .snapshot
            .blocks
            .iter()
            .map(|b| b.id.clone())
            .collect())
    }

    /// The text of paragraph (or heading) `pid` at `at`, or `None` if it does not exist
    /// in that version.
    pub fn paragraph_text(
        &self,
        pid: &ParaId,
        at: Option<&[[u8; 32]]>,
    ) -> Result<Option<String>, Error> {
        self.block_text(pid.as_str(), &self.heads_at(at)?)
    }
}
