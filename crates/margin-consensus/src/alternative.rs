//! Alternative wordings side by side: for each paragraph, its current text and every
//! alternative proposed for it (a comment's suggestion), each with its support by
//! stakeholder group and region, so that an editor can see which wording carries.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use margin_core::body::StanceValue;
use margin_core::id::{DraftId, EntryId};
use margin_core::key::PublicKey;
use margin_core::{ParaId, Timestamp};
use margin_draft::AnchorState;
use margin_space::Space;
use margin_space::comment::CommentState;
use margin_space::view::{DispositionView, ParticipantView, draft_anchor, format_time};
use serde::Serialize;

use crate::ballot::Ballots;
use crate::convergence::group_informed_consensus;
use crate::error::Error;
use crate::options::{Options, group_of, region_of};
use crate::signatory::{Signatory, campaigns, signatories};
use crate::tally::{Tally, tallies_of};

/// Support for one wording (the current text or an alternative).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Support {
    pub tally: Tally,
    pub by_group: BTreeMap<String, Tally>,
    pub by_region: BTreeMap<String, Tally>,
    /// Group-informed consensus over the draft's stakeholder groups (see
    /// [`ParagraphAlternatives::groups`]), so that wordings compare.
    pub consensus: f64,
}

/// What an alternative would replace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The quoted passage.
    Passage,
    /// The whole paragraph.
    Paragraph,
}

/// One alternative wording.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alternative {
    /// The comment that carries it (the first of a campaign).
    pub comment: String,
    /// Every comment of the campaign that proposed it (one unless posted by many).
    pub comments: Vec<String>,
    pub author: ParticipantView,
    pub group: String,
    /// The comment's kind (`suggestion`, or an objection or comment with a suggestion).
    pub kind: &'static str,
    /// The comment's text: why this wording.
    pub reason: String,
    pub time: String,
    pub scope: Scope,
    /// What it would replace in the current text; `None` when the passage is gone.
    pub replaces: Option<String>,
    /// The alternative wording (its author's latest); empty when hidden.
    pub text: String,
    pub support: Support,
    /// Stances taken on an earlier wording of this alternative: listed, not counted.
    pub earlier_wording: usize,
    pub signatories: Vec<Signatory>,
    pub disposition: Option<DispositionView>,
    /// A convener's reason for hiding it.
    pub hidden: Option<String>,
}

/// A paragraph with the alternatives proposed for it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParagraphAlternatives {
    pub para: ParaId,
    pub n: usize,
    pub text: String,
    /// The stakeholder groups every [`Support::consensus`] is computed over: those of the
    /// counted participants with a stance on a current paragraph of the draft or on one
    /// of its alternatives (the same for every paragraph, so that figures compare).
    pub groups: Vec<String>,
    /// Support for the current text (stances on the paragraph).
    pub current: Support,
    /// By comment time, then id.
    pub alternatives: Vec<Alternative>,
}

/// The alternatives of a draft.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alternatives {
    pub draft: String,
    pub registered_only: bool,
    /// Paragraphs of the current version with at least one alternative, in order.
    pub paragraphs: Vec<ParagraphAlternatives>,
    /// Alternatives whose passage is no longer in the draft, or made on the whole draft.
    pub unplaced: Vec<Alternative>,
}

/// Each counted-or-not participant's latest stance on an alternative.
type Stances = BTreeMap<PublicKey, StanceValue>;

/// Every alternative wording proposed for `draft` and not retracted, side by side with
/// the current text.
pub fn alternatives(
    space: &Space,
    draft: &DraftId,
    options: &Options,
) -> Result<Alternatives, Error> {
    let ballots = Ballots::read(space, draft, options)?;
    let state = space.draft(draft).ok_or(Error::UnknownDraft(*draft))?;
    let tallies = tallies_of(&ballots);
    let mut by_para: BTreeMap<ParaId, Vec<(Alternative, Stances)>> = BTreeMap::new();
    let mut unplaced = vec![];
    for group in campaigns(space, draft) {
        let Some(c) = group.first().and_then(|id| space.comment(id)) else {
            continue;
        };
        let wording = c.wording();
        let Some(text) = wording.suggestion.filter(|s| !s.trim().is_empty()) else {
            continue;
        };
        if c.retracted.is_some() {
            continue;
        }
        let (scope, place) = match c.anchor() {
            None => (Scope::Paragraph, None),
            Some((heads, anchor)) => {
                let scope = if anchor.quote.is_some() {
                    Scope::Passage
                } else {
                    Scope::Paragraph
                };
                let place = match state.doc.resolve(&draft_anchor(heads, anchor), None)? {
                    AnchorState::Anchored { para, text, .. } => Some((para, text)),
                    AnchorState::Orphaned => None,
                };
                (scope, place)
            }
        };
        let stances = latest_stances(space, &group);
        let hidden = space.hidden(&c.id).map(str::to_owned);
        let author = space.participant(&c.author);
        let alternative = Alternative {
            comment: c.id.to_string(),
            comments: group.iter().map(EntryId::to_string).collect(),
            group: group_of(&author),
            author,
            kind: c.body.kind.as_str(),
            reason: if hidden.is_some() {
                String::new()
            } else {
                wording.text.clone()
            },
            time: format_time(c.time),
            scope,
            replaces: place.as_ref().map(|(_, t)| t.clone()),
            text: if hidden.is_some() {
                String::new()
            } else {
                text
            },
            support: Support::default(),
            earlier_wording: earlier_wording(space, &group),
            signatories: signatories(space, &group, options),
            disposition: disposition(c),
            hidden,
        };
        match place {
            Some((para, _)) if ballots.paras.iter().any(|p| p.id == para) => {
                by_para
                    .entry(para)
                    .or_default()
                    .push((alternative, stances));
            }
            _ => {
                let mut alternative = alternative;
                alternative.support = support(space, &stances, options, &[]);
                unplaced.push(alternative);
            }
        }
    }
    // The groups every figure is computed over, the same for the whole draft: those of
    // counted participants with a stance on a current paragraph or an alternative.
    let mut groups: BTreeSet<String> = ballots.voters.values().map(|v| v.group.clone()).collect();
    for (_, stances) in by_para.values().flatten() {
        for key in stances.keys() {
            let view = space.participant(key);
            if options.counts(&view) {
                groups.insert(group_of(&view));
            }
        }
    }
    let groups: Vec<String> = groups.into_iter().collect();
    let mut paragraphs = vec![];
    for (p, tally) in ballots.paras.iter().zip(&tallies) {
        let Some(mut found) = by_para.remove(&p.id) else {
            continue;
        };
        let groups = groups.clone();
        let current = Support {
            tally: tally.total,
            by_group: tally.by_group.clone(),
            by_region: tally.by_region.clone(),
            consensus: consensus_over(&groups, &tally.by_group),
        };
        for (alternative, stances) in &mut found {
            alternative.support = support(space, stances, options, &groups);
        }
        paragraphs.push(ParagraphAlternatives {
            para: p.id.clone(),
            n: p.n,
            text: p.text.clone(),
            groups,
            current,
            alternatives: found.into_iter().map(|(a, _)| a).collect(),
        });
    }
    Ok(Alternatives {
        draft: draft.to_string(),
        registered_only: options.registered_only,
        paragraphs,
        unplaced,
    })
}

/// Each participant's latest stance on the current wording of any comment of a campaign.
fn latest_stances(space: &Space, group: &[EntryId]) -> BTreeMap<PublicKey, StanceValue> {
    let mut latest: BTreeMap<PublicKey, (Timestamp, EntryId, StanceValue)> = BTreeMap::new();
    for id in group {
        let Some(c) = space.comment(id) else { continue };
        let current = c.wording_entry();
        for (who, s) in space.alternative_stances_on(id) {
            if s.value.wording != current {
                continue;
            }
            let candidate = (s.time, s.entry, s.value.value);
            let slot = latest.entry(who).or_insert(candidate);
            if (candidate.0, candidate.1) > (slot.0, slot.1) {
                *slot = candidate;
            }
        }
    }
    latest.into_iter().map(|(k, (_, _, v))| (k, v)).collect()
}

/// Stances taken on a wording the author has since changed.
fn earlier_wording(space: &Space, group: &[EntryId]) -> usize {
    group
        .iter()
        .filter_map(|id| space.comment(id))
        .map(|c| {
            let current = c.wording_entry();
            space
                .alternative_stances_on(&c.id)
                .filter(|(_, s)| s.value.wording != current)
                .count()
        })
        .sum()
}

fn support(
    space: &Space,
    stances: &BTreeMap<PublicKey, StanceValue>,
    options: &Options,
    groups: &[String],
) -> Support {
    let mut s = Support::default();
    for (key, value) in stances {
        let view = space.participant(key);
        if !options.counts(&view) {
            continue;
        }
        s.tally.add(*value);
        s.by_group.entry(group_of(&view)).or_default().add(*value);
        s.by_region.entry(region_of(&view)).or_default().add(*value);
    }
    s.consensus = consensus_over(groups, &s.by_group);
    s
}

/// Group-informed consensus over `groups` (a group without a tally contributes 1/2).
fn consensus_over(groups: &[String], tallies: &BTreeMap<String, Tally>) -> f64 {
    let none = Tally::default();
    group_informed_consensus(groups.iter().map(|g| tallies.get(g).unwrap_or(&none)))
}

fn disposition(c: &CommentState) -> Option<DispositionView> {
    c.disposition.as_ref().map(|d| DispositionView {
        value: d.value.value.as_str(),
        note: d.value.note.clone(),
        editor: d.author.to_string(),
        revision: d.value.revision.map(|r| r.to_string()),
        time: format_time(d.time),
    })
}

impl Alternatives {
    /// Each paragraph's text and its alternatives side by side, for people.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let line = |out: &mut String, s: &Support, counted: bool| {
            let groups: Vec<String> = s
                .by_group
                .iter()
                .map(|(g, t)| format!("{g} {}/{}", t.agree(), t.votes()))
                .collect();
            let gic = if counted {
                format!("GIC {:.3}", s.consensus)
            } else {
                "no stances yet".to_owned()
            };
            let _ = writeln!(
                out,
                "      support {} · accept {} · object {} · abstain {}   {gic}{}",
                s.tally.support,
                s.tally.accept,
                s.tally.object,
                s.tally.abstain,
                if groups.is_empty() {
                    String::new()
                } else {
                    format!("   agree/votes: {}", groups.join(", "))
                }
            );
        };
        for p in &self.paragraphs {
            let _ = writeln!(out, "¶{} [{}]", p.n, p.para);
            let _ = writeln!(out, "  current text: \"{}\"", p.text);
            let counted = !p.groups.is_empty();
            line(&mut out, &p.current, counted);
            // Wordings of one passage (bracketed variants, say) follow each other: the
            // passage is quoted once.
            let mut quoted: Option<&str> = None;
            for a in &p.alternatives {
                let passage = a.replaces.as_deref().filter(|_| a.scope == Scope::Passage);
                let target = match passage {
                    Some(r) if quoted == Some(r) => "the same passage".to_owned(),
                    Some(r) => format!("the passage \"{r}\""),
                    None if a.scope == Scope::Passage => "the passage".to_owned(),
                    None => "the paragraph".to_owned(),
                };
                quoted = passage;
                let _ = writeln!(
                    out,
                    "  {}  {} ({}) proposes, for {target}:",
                    &a.comment[..a.comment.len().min(12)],
                    a.author.name,
                    a.group,
                );
                match &a.hidden {
                    Some(reason) => {
                        let _ = writeln!(out, "      hidden by a convener: {reason}");
                    }
                    None => {
                        let _ = writeln!(out, "      \"{}\"", a.text);
                    }
                }
                line(&mut out, &a.support, counted);
                if !a.signatories.is_empty() {
                    let names: Vec<&str> = a
                        .signatories
                        .iter()
                        .map(|s| s.participant.name.as_str())
                        .collect();
                    let _ = writeln!(out, "      signed by: {}", names.join(", "));
                }
                if let Some(d) = &a.disposition {
                    let _ = writeln!(
                        out,
                        "      disposition: {}{}",
                        d.value,
                        d.revision
                            .as_ref()
                            .map(|r| format!(" in revision {}", &r[..r.len().min(12)]))
                            .unwrap_or_default()
                    );
                }
            }
            out.push('\n');
        }
        for a in &self.unplaced {
            let _ = writeln!(
                out,
                "{}  {} ({}): \"{}\" — its passage is not in the current text",
                &a.comment[..a.comment.len().min(12)],
                a.author.name,
                a.group,
                a.text
            );
        }
        if self.paragraphs.is_empty() && self.unplaced.is_empty() {
            out.push_str("No alternative wordings yet.\n");
        }
        out
    }
}
