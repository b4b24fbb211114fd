//! The consensus report of a draft: per paragraph, its tallies, status and convergence
//! figures, computed once from the same reading of the space.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use margin_core::ParaId;
use margin_core::id::DraftId;
use margin_space::Space;
use serde::Serialize;

use crate::ballot::Ballots;
use crate::convergence::{Convergence, convergence_of};
use crate::error::Error;
use crate::objection::{self, ObjectionState};
use crate::options::Options;
use crate::status::{GroupPosition, Status, statuses_of};
use crate::tally::{Tally, tallies_of};

/// Everything about one paragraph of the current version.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParagraphReport {
    pub para: ParaId,
    pub n: usize,
    pub text: String,
    pub status: Status,
    pub open_objections: usize,
    /// Stakeholder groups that took part without any member supporting or accepting.
    pub in_the_rough: Vec<String>,
    pub tally: Tally,
    pub by_group: BTreeMap<String, GroupPosition>,
    pub by_region: BTreeMap<String, Tally>,
    /// Group-informed consensus over stakeholder groups.
    pub stakeholder_consensus: f64,
    /// Group-informed consensus over opinion groups.
    pub opinion_consensus: f64,
}

/// The consensus report of a draft (`margin consensus DRAFT`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConsensusReport {
    pub draft: String,
    pub title: String,
    pub registered_only: bool,
    /// How many paragraphs have each status.
    pub statuses: BTreeMap<Status, usize>,
    /// Open counted objections to the whole draft rather than a paragraph.
    pub open_draft_objections: usize,
    pub paragraphs: Vec<ParagraphReport>,
    pub convergence: Convergence,
}

/// The consensus report of `draft`.
pub fn report(space: &Space, draft: &DraftId, options: &Options) -> Result<ConsensusReport, Error> {
    let ballots = Ballots::read(space, draft, options)?;
    let items = objection::collect(space, draft, options)?;
    let tallies = tallies_of(&ballots);
    let statuses = statuses_of(&ballots, &tallies, &items, options);
    let convergence = convergence_of(&ballots, draft, options);
    let mut counts: BTreeMap<Status, usize> = BTreeMap::new();
    let paragraphs: Vec<ParagraphReport> = ballots
        .paras
        .iter()
        .zip(tallies)
        .zip(statuses)
        .zip(&convergence.paragraphs)
        .map(|(((p, t), s), c)| {
            *counts.entry(s.status).or_default() += 1;
            ParagraphReport {
                para: p.id.clone(),
                n: p.n,
                text: p.text.clone(),
                status: s.status,
                open_objections: s.open_objections,
                in_the_rough: s.in_the_rough,
                tally: t.total,
                by_group: s.groups,
                by_region: t.by_region,
                stakeholder_consensus: c.stakeholder_consensus,
                opinion_consensus: c.opinion_consensus,
            }
        })
        .collect();
    let open_draft_objections = items
        .iter()
        .filter(|o| o.counted && o.para.is_none() && o.state == ObjectionState::Open)
        .count();
    Ok(ConsensusReport {
        draft: draft.to_string(),
        title: ballots.title.clone(),
        registered_only: options.registered_only,
        statuses: counts,
        open_draft_objections,
        paragraphs,
        convergence,
    })
}

impl ConsensusReport {
    /// A plain-text summary for people.
    pub fn render(&self) -> String {
        let mut out = format!(
            "{}\ncounting {}\n\n",
            self.title,
            if self.registered_only {
                "registered participants only"
            } else {
                "all participants"
            }
        );
        for p in &self.paragraphs {
            let t = &p.tally;
            let _ = write!(
                out,
                "¶{:<3} {:<16} support {} · accept {} · object {} · abstain {}   GIC {:.3} (stakeholder) {:.3} (opinion)",
                p.n,
                p.status.name(),
                t.support,
                t.accept,
                t.object,
                t.abstain,
                p.stakeholder_consensus,
                p.opinion_consensus
            );
            if p.open_objections > 0 {
                let _ = write!(out, "   {} open objection(s)", p.open_objections);
            }
            if !p.in_the_rough.is_empty() {
                let _ = write!(out, "   in the rough: {}", p.in_the_rough.join(", "));
            }
            out.push('\n');
            let groups: Vec<String> = p
                .by_group
                .iter()
                .filter(|(_, g)| g.tally.participants() > 0 || g.open_objections > 0)
                .map(|(name, g)| {
                    let mut words = format!("{name} {}", g.tally.in_words());
                    if g.open_objections > 0 {
                        let _ = write!(words, " ({} open objection(s))", g.open_objections);
                    }
                    words
                })
                .collect();
            if !groups.is_empty() {
                let _ = writeln!(out, "       by group: {}", groups.join("; "));
            }
            let regions: Vec<String> = p
                .by_region
                .iter()
                .filter(|(_, t)| t.participants() > 0)
                .map(|(name, t)| format!("{name} {}", t.in_words()))
                .collect();
            if !regions.is_empty() {
                let _ = writeln!(out, "       by region: {}", regions.join("; "));
            }
        }
        if self.open_draft_objections > 0 {
            let _ = writeln!(
                out,
                "{} open objection(s) to the whole draft",
                self.open_draft_objections
            );
        }
        out.push('\n');
        out.push_str(&self.convergence.render());
        out
    }
}

impl Convergence {
    /// Opinion groups and paragraphs of convergence, for people.
    pub fn render(&self) -> String {
        let number = |id: &ParaId| {
            self.paragraphs
                .iter()
                .find(|p| &p.para == id)
                .map_or_else(|| id.to_string(), |p| format!("¶{}", p.n))
        };
        let mut out = String::new();
        match self.silhouette {
            Some(s) => {
                let _ = writeln!(
                    out,
                    "{} opinion groups (silhouette {s:.3})",
                    self.opinion_groups.len()
                );
            }
            None => {
                let _ = writeln!(out, "{} opinion group(s)", self.opinion_groups.len());
            }
        }
        for g in &self.opinion_groups {
            let names: Vec<String> = g
                .members
                .iter()
                .map(|m| format!("{} ({})", m.participant.name, m.group))
                .collect();
            let _ = writeln!(out, "  {}: {}", g.label, names.join(", "));
            for r in &g.representative {
                let dir = match r.direction {
                    crate::convergence::Direction::Agree => "agrees with",
                    crate::convergence::Direction::Disagree => "objects to",
                };
                let _ = writeln!(
                    out,
                    "     {dir} ¶{} ({:.2} vs {:.2} elsewhere)",
                    r.n, r.group_ratio, r.rest_ratio
                );
            }
        }
        let list = |ids: &[ParaId]| {
            if ids.is_empty() {
                "none".to_owned()
            } else {
                ids.iter().map(number).collect::<Vec<_>>().join(", ")
            }
        };
        let _ = writeln!(
            out,
            "supported by every opinion group: {}",
            list(&self.supported_by_every_opinion_group)
        );
        let _ = writeln!(
            out,
            "supported by every stakeholder group: {}",
            list(&self.supported_by_every_stakeholder_group)
        );
        out
    }
}
