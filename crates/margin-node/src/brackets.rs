//! Bracketed variants offered as alternatives: a paragraph that puts two or more
//! bracketed wordings of one passage side by side (`[…] […]`, read by
//! [`margin_draft::Brackets`]) becomes a choice like any other between alternative
//! wordings.
//!
//! Offering a group makes one ordinary signed suggestion per variant, anchored to the
//! group's passage and proposing that variant's wording without brackets. Nothing new is
//! signed or synced: participants take stances on each variant as on any alternative,
//! `margin-consensus` shows them side by side with their support, and an editor's
//! acceptance ([`Node::accept_alternative`]) replaces the whole group with the chosen
//! wording. A variant already proposed for that passage (by anyone, with the same
//! wording) is not proposed again; the suggestions' text is the same whoever offers, so
//! identical offers made apart, on nodes not yet in sync, are one campaign.

use margin_core::ParaId;
use margin_core::body::CommentKind;
use margin_core::id::{DraftId, EntryId};
use margin_draft::{AnchorState, BracketGroup, Brackets, Ignored};
use margin_space::Space;
use margin_space::draft::DraftState;
use margin_space::view::draft_anchor;
use serde::Serialize;

use crate::author::NewComment;
use crate::error::NodeError;
use crate::node::Node;

/// The paragraphs of a draft's current version that have bracketed variants, or
/// brackets that cannot be read as variants.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DraftBrackets {
    pub draft: String,
    /// In the order of the draft.
    pub paragraphs: Vec<ParagraphBrackets>,
}

/// One paragraph's bracketed variants.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParagraphBrackets {
    pub para: ParaId,
    pub n: usize,
    pub text: String,
    /// Each group of variants, in the order of the text.
    pub groups: Vec<VariantGroup>,
    /// Brackets not read as variants (nested, unclosed, unopened), with why.
    pub ignored: Vec<Ignored>,
}

/// A group of variants of one passage.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VariantGroup {
    /// Where the group is in the paragraph, in code points.
    pub start: usize,
    pub end: usize,
    /// The group as written: the passage each variant would replace.
    pub text: String,
    pub variants: Vec<VariantOffer>,
}

/// A variant, and the alternative that proposes it, if any.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VariantOffer {
    pub start: usize,
    pub end: usize,
    /// The wording, without brackets.
    pub text: String,
    /// The comment proposing this wording for the group's passage (the first of them),
    /// or `None` while nobody has offered it.
    pub comment: Option<String>,
}

/// What offering a paragraph's variants did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BracketOffer {
    pub draft: String,
    /// The paragraph, each variant now with the comment that proposes it.
    pub paragraph: ParagraphBrackets,
    /// The comments made by this offer, in the order of the text; empty when every
    /// variant was already proposed.
    pub made: Vec<String>,
}

/// The text of every suggestion an offer makes: the same whoever offers, so that
/// identical offers are one campaign.
fn offer_text(index: usize, count: usize) -> String {
    format!(
        "Variant {} of {count} of the bracketed passage, offered to choose between.",
        index + 1
    )
}

impl Node {
    /// The paragraphs of `draft` with bracketed variants, each variant with the comment
    /// that proposes it, if any.
    pub fn brackets(&self, draft: &str) -> Result<DraftBrackets, NodeError> {
        let (id, space) = self.locate_draft(draft)?;
        self.with_space(&space, |space| {
            let state = space
                .draft(&id)
                .ok_or_else(|| NodeError::NotFound(draft.to_owned()))?;
            let proposed = Proposed::read(space, &id, state)?;
            let mut paragraphs = vec![];
            for section in state.doc.view(None)?.sections {
                for p in section.paragraphs {
                    let read = Brackets::read(&p.text);
                    if !read.is_empty() {
                        paragraphs.push(proposed.view(p.id, p.n, p.text, read));
                    }
                }
            }
            Ok(DraftBrackets {
                draft: id.to_string(),
                paragraphs,
            })
        })
    }

    /// Offers the bracketed variants of paragraph `para` as alternatives to choose
    /// between: one suggestion per variant, anchored to its group's passage, proposing
    /// the variant's wording without brackets; a variant already proposed for that
    /// passage is left as it is. Anyone who may comment may offer. Fails, saying why,
    /// when the paragraph has no group of two or more variants.
    pub fn offer_brackets(
        &mut self,
        draft: &str,
        para: &ParaId,
    ) -> Result<BracketOffer, NodeError> {
        let (id, space) = self.locate_draft(draft)?;
        let paragraph = self.paragraph_brackets(&space, &id, para)?;
        if paragraph.groups.is_empty() {
            return Err(no_variants(&paragraph));
        }
        let mut made: Vec<(usize, usize, String, EntryId)> = vec![];
        for group in &paragraph.groups {
            let count = group.variants.len();
            for (i, variant) in group.variants.iter().enumerate() {
                let again = made.iter().any(|(s, e, text, _)| {
                    (*s, *e) == (group.start, group.end) && *text == variant.text
                });
                if variant.comment.is_some() || again {
                    continue;
                }
                let comment = self.comment_near(
                    draft,
                    NewComment {
                        para: Some(para),
                        quote: Some(&group.text),
                        text: &offer_text(i, count),
                        kind: CommentKind::Suggestion,
                        suggestion: Some(&variant.text),
                        reply: None,
                        version: None,
                    },
                    Some(group.start),
                )?;
                made.push((group.start, group.end, variant.text.clone(), comment));
            }
        }
        Ok(BracketOffer {
            draft: id.to_string(),
            paragraph: self.paragraph_brackets(&space, &id, para)?,
            made: made.into_iter().map(|(.., c)| c.to_string()).collect(),
        })
    }

    /// Paragraph `para` of the current version with its variants and who proposes them.
    fn paragraph_brackets(
        &self,
        space: &margin_core::id::SpaceId,
        draft: &DraftId,
        para: &ParaId,
    ) -> Result<ParagraphBrackets, NodeError> {
        self.with_space(space, |space| {
            let state = space
                .draft(draft)
                .ok_or_else(|| NodeError::NotFound(draft.to_string()))?;
            let p = state
                .doc
                .view(None)?
                .sections
                .into_iter()
                .flat_map(|s| s.paragraphs)
                .find(|p| &p.id == para)
                .ok_or_else(|| NodeError::NoParagraph(para.clone()))?;
            let read = Brackets::read(&p.text);
            Ok(Proposed::read(space, draft, state)?.view(p.id, p.n, p.text, read))
        })
    }
}

/// Why a paragraph has nothing to offer, in words.
fn no_variants(p: &ParagraphBrackets) -> NodeError {
    let mut message = format!(
        "paragraph ¶{} has no bracketed variants to choose between: that takes two or more bracketed passages side by side, such as \"[one wording] [another wording]\"",
        p.n
    );
    for i in &p.ignored {
        message.push_str(&format!(
            "; \"{}\" is not read as a variant ({})",
            i.text,
            i.reason.describe()
        ));
    }
    NodeError::Invalid(message)
}

/// The alternatives already proposed on a draft, where their passages are now: what a
/// variant is matched against.
struct Proposed {
    /// Live comments with a suggestion, in the space's order (by date, then id).
    found: Vec<Found>,
}

struct Found {
    comment: EntryId,
    para: ParaId,
    /// The passage it replaces, in code points; `None` for the whole paragraph.
    range: Option<(usize, usize)>,
    suggestion: String,
}

impl Proposed {
    fn read(space: &Space, draft: &DraftId, state: &DraftState) -> Result<Proposed, NodeError> {
        let reader = state.doc.reader();
        let mut found = vec![];
        for c in space.comments_in_order() {
            if c.body.draft != *draft || c.retracted.is_some() {
                continue;
            }
            let Some(suggestion) = c.wording().suggestion.filter(|s| !s.trim().is_empty()) else {
                continue;
            };
            let Some((heads, anchor)) = c.anchor() else {
                continue;
            };
            let whole = anchor.quote.is_none();
            if let AnchorState::Anchored {
                para, start, end, ..
            } = reader.resolve(&draft_anchor(heads, anchor), None)?
            {
                found.push(Found {
                    comment: c.id,
                    para,
                    range: (!whole).then_some((start, end)),
                    suggestion: suggestion.trim().to_owned(),
                });
            }
        }
        Ok(Proposed { found })
    }

    /// The first comment that proposes variant `index` of `group`: for the group's
    /// passage, that variant's wording; or for the whole paragraph, the paragraph with
    /// that variant chosen.
    fn proposing(
        &self,
        para: &ParaId,
        text: &str,
        group: &BracketGroup,
        index: usize,
    ) -> Option<EntryId> {
        let variant = &group.variants[index];
        let chosen = group.choose(text, index);
        self.found
            .iter()
            .find(|f| {
                &f.para == para
                    && match f.range {
                        Some(range) => {
                            range == (group.start, group.end) && f.suggestion == variant.text
                        }
                        None => f.suggestion == chosen.trim(),
                    }
            })
            .map(|f| f.comment)
    }

    fn view(&self, para: ParaId, n: usize, text: String, read: Brackets) -> ParagraphBrackets {
        let groups = read
            .groups
            .iter()
            .map(|g| VariantGroup {
                start: g.start,
                end: g.end,
                text: g.text.clone(),
                variants: g
                    .variants
                    .iter()
                    .enumerate()
                    .map(|(i, v)| VariantOffer {
                        start: v.start,
                        end: v.end,
                        text: v.text.clone(),
                        comment: self.proposing(&para, &text, g, i).map(|c| c.to_string()),
                    })
                    .collect(),
            })
            .collect();
        ParagraphBrackets {
            para,
            n,
            text,
            groups,
            ignored: read.ignored,
        }
    }
}
