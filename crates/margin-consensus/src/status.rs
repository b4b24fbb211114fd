//! The status of each paragraph — bracketed, contested, no engagement, divided, rough
//! consensus — by the one rule written in `docs/consensus.md`, and the stakeholder
//! groups "in the rough".

use std::collections::BTreeMap;

use margin_core::ParaId;
use margin_core::id::DraftId;
use margin_space::Space;
use serde::Serialize;

use crate::ballot::Ballots;
use crate::error::Error;
use crate::objection::{self, Objection};
use crate::options::Options;
use crate::tally::{ParagraphTally, Tally, tallies_of};

/// Where a paragraph stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The text contains a `[...]` span: it is marked as not agreed.
    Bracketed,
    /// At least one counted objection is open.
    Contested,
    /// No stakeholder group took part.
    NoEngagement,
    /// No open objection, but a stakeholder group that took part neither supports it
    /// nor can live with it: that group is in the rough.
    Divided,
    /// No open objection, and support or acceptance from every stakeholder group that
    /// took part.
    RoughConsensus,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Bracketed => "bracketed",
            Status::Contested => "contested",
            Status::NoEngagement => "no engagement",
            Status::Divided => "divided",
            Status::RoughConsensus => "rough consensus",
        }
    }
}

/// What one stakeholder group said about one paragraph: the status rule's input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GroupPosition {
    /// The group's counted latest stances.
    pub tally: Tally,
    /// Open objections the group's counted participants hold (as objector or signatory).
    pub open_objections: usize,
    /// Addressed (answered, not accommodated) objections they hold.
    pub addressed_objections: usize,
}

impl GroupPosition {
    /// A group took part when one of its members supports, accepts or objects, or holds
    /// an open or addressed objection. Abstaining is not taking part.
    pub fn took_part(&self) -> bool {
        self.tally.votes() > 0 || self.open_objections + self.addressed_objections > 0
    }

    /// A group is in the rough when it took part and none of its members supports the
    /// text or can live with it.
    pub fn in_the_rough(&self) -> bool {
        self.took_part() && self.tally.agree() == 0
    }
}

/// The status rule, the same everywhere: the first that applies of bracketed,
/// contested, no engagement, divided, rough consensus.
pub fn classify(bracketed: bool, groups: &BTreeMap<String, GroupPosition>) -> Status {
    if bracketed {
        Status::Bracketed
    } else if groups.values().any(|g| g.open_objections > 0) {
        Status::Contested
    } else if !groups.values().any(GroupPosition::took_part) {
        Status::NoEngagement
    } else if groups.values().any(GroupPosition::in_the_rough) {
        Status::Divided
    } else {
        Status::RoughConsensus
    }
}

/// The groups in the rough, by name.
pub fn in_the_rough(groups: &BTreeMap<String, GroupPosition>) -> Vec<String> {
    groups
        .iter()
        .filter(|(_, g)| g.in_the_rough())
        .map(|(name, _)| name.clone())
        .collect()
}

/// The status of one paragraph of the current version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParagraphStatus {
    pub para: ParaId,
    pub n: usize,
    pub status: Status,
    /// Open objections held by counted participants.
    pub open_objections: usize,
    /// Stakeholder groups that took part, by name.
    pub took_part: Vec<String>,
    /// Stakeholder groups that took part without any member supporting or accepting.
    pub in_the_rough: Vec<String>,
    /// Each group's position, for showing the reason.
    pub groups: BTreeMap<String, GroupPosition>,
}

/// The status of every paragraph of the current version of `draft`, in document order.
pub fn statuses(
    space: &Space,
    draft: &DraftId,
    options: &Options,
) -> Result<Vec<ParagraphStatus>, Error> {
    let ballots = Ballots::read(space, draft, options)?;
    let items = objection::collect(space, draft, options)?;
    Ok(statuses_of(
        &ballots,
        &tallies_of(&ballots),
        &items,
        options,
    ))
}

pub(crate) fn statuses_of(
    ballots: &Ballots,
    tallies: &[ParagraphTally],
    items: &[Objection],
    options: &Options,
) -> Vec<ParagraphStatus> {
    let objections = objection::per_paragraph(items, options);
    ballots
        .paras
        .iter()
        .zip(tallies)
        .map(|(p, t)| {
            let mut groups: BTreeMap<String, GroupPosition> = t
                .by_group
                .iter()
                .map(|(g, tally)| {
                    (
                        g.clone(),
                        GroupPosition {
                            tally: *tally,
                            ..GroupPosition::default()
                        },
                    )
                })
                .collect();
            let held = objections.get(&p.id).cloned().unwrap_or_default();
            for (group, (open, addressed)) in &held.by_group {
                let g = groups.entry(group.clone()).or_default();
                g.open_objections += open;
                g.addressed_objections += addressed;
            }
            ParagraphStatus {
                para: p.id.clone(),
                n: p.n,
                status: classify(p.bracketed, &groups),
                open_objections: held.open,
                took_part: groups
                    .iter()
                    .filter(|(_, g)| g.took_part())
                    .map(|(n, _)| n.clone())
                    .collect(),
                in_the_rough: in_the_rough(&groups),
                groups,
            }
        })
        .collect()
}
