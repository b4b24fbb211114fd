//! Convergence across groups: group-informed consensus in the manner of Pol.is, over
//! stakeholder groups and over opinion groups found from the stances themselves.

use std::collections::BTreeMap;

use margin_core::ParaId;
use margin_core::body::StanceValue;
use margin_core::id::DraftId;
use margin_core::key::PublicKey;
use margin_space::Space;
use margin_space::view::ParticipantView;
use serde::Serialize;

use crate::ballot::Ballots;
use crate::cluster;
use crate::error::Error;
use crate::options::Options;
use crate::tally::Tally;

/// How many representative paragraphs are shown per opinion group.
pub const REPRESENTATIVE: usize = 5;

/// The value a stance takes in a participant's stance vector.
pub fn stance_weight(value: Option<StanceValue>) -> f64 {
    match value {
        Some(StanceValue::Support) => 1.0,
        Some(StanceValue::Accept) => 0.5,
        Some(StanceValue::Object) => -1.0,
        Some(StanceValue::Abstain) | None => 0.0,
    }
}

/// Group-informed consensus: the product over groups of (agree + 1) / (votes + 2),
/// where agree = support + accept and votes = support + accept + object. A group with
/// no votes contributes 1/2.
pub fn group_informed_consensus<'a>(groups: impl IntoIterator<Item = &'a Tally>) -> f64 {
    groups.into_iter().map(agree_ratio).product()
}

/// (agree + 1) / (votes + 2).
pub fn agree_ratio(t: &Tally) -> f64 {
    (t.agree() as f64 + 1.0) / (t.votes() as f64 + 2.0)
}

/// (object + 1) / (votes + 2).
pub fn disagree_ratio(t: &Tally) -> f64 {
    (t.object as f64 + 1.0) / (t.votes() as f64 + 2.0)
}

/// Whether a group supports a paragraph: more of its members agree than object, which
/// is the same as an agree ratio above 1/2.
pub fn supports(t: &Tally) -> bool {
    t.agree() > t.object
}

/// Which way a representative paragraph sets a group apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Agree,
    Disagree,
}

/// A paragraph on which an opinion group stands apart from everyone else.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Representative {
    pub para: ParaId,
    pub n: usize,
    pub direction: Direction,
    /// The group's (agree or object + 1) / (votes + 2).
    pub group_ratio: f64,
    /// The same ratio among everyone outside the group.
    pub rest_ratio: f64,
    /// `group_ratio / rest_ratio`.
    pub representativeness: f64,
}

/// One opinion group.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OpinionGroup {
    /// "A", "B", … in the order of each group's first member by key.
    pub label: String,
    pub members: Vec<Member>,
    /// How many members each stakeholder group has in it.
    pub stakeholder_groups: BTreeMap<String, usize>,
    /// Up to five paragraphs that set the group apart, most distinctive first.
    pub representative: Vec<Representative>,
}

/// A participant in an opinion group, with their place on the two principal components.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Member {
    pub participant: ParticipantView,
    pub group: String,
    pub region: String,
    pub x: f64,
    pub y: f64,
}

/// Convergence figures for one paragraph.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParagraphConvergence {
    pub para: ParaId,
    pub n: usize,
    /// Group-informed consensus over stakeholder groups.
    pub stakeholder_consensus: f64,
    /// Group-informed consensus over opinion groups.
    pub opinion_consensus: f64,
    /// Each opinion group's tally, by label.
    pub opinion_tallies: BTreeMap<String, Tally>,
}

/// Convergence across groups for a draft.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Convergence {
    pub draft: String,
    pub registered_only: bool,
    /// The stakeholder groups of the participants with a stance on the draft.
    pub stakeholder_groups: Vec<String>,
    pub opinion_groups: Vec<OpinionGroup>,
    /// The mean silhouette of the opinion groups (`None`: one group or none).
    pub silhouette: Option<f64>,
    pub paragraphs: Vec<ParagraphConvergence>,
    /// Paragraphs every opinion group supports (more agree than object in each).
    pub supported_by_every_opinion_group: Vec<ParaId>,
    /// Paragraphs every stakeholder group supports.
    pub supported_by_every_stakeholder_group: Vec<ParaId>,
}

/// Group-informed consensus and opinion groups for `draft`.
pub fn convergence(
    space: &Space,
    draft: &DraftId,
    options: &Options,
) -> Result<Convergence, Error> {
    let ballots = Ballots::read(space, draft, options)?;
    Ok(convergence_of(&ballots, draft, options))
}

pub(crate) fn convergence_of(ballots: &Ballots, draft: &DraftId, options: &Options) -> Convergence {
    let keys: Vec<PublicKey> = ballots.voters.keys().copied().collect();
    let rows: Vec<Vec<f64>> = keys
        .iter()
        .map(|k| {
            (0..ballots.paras.len())
                .map(|i| stance_weight(ballots.stances.get(&(i, *k)).copied()))
                .collect()
        })
        .collect();
    let clustering = cluster::opinion_groups(&rows);
    let opinion_of: BTreeMap<PublicKey, usize> = keys
        .iter()
        .copied()
        .zip(clustering.assignment.iter().copied())
        .collect();
    let labels: Vec<String> = (0..clustering.k).map(label).collect();
    let stakeholder_groups: Vec<String> = {
        let mut g: Vec<String> = ballots.voters.values().map(|v| v.group.clone()).collect();
        g.sort();
        g.dedup();
        g
    };

    // Tallies per paragraph by stakeholder group and by opinion group (every group
    // present, with or without votes, so that figures compare across paragraphs).
    let mut paragraphs = vec![];
    let mut by_opinion: Vec<Vec<Tally>> = vec![];
    let mut supported_opinion = vec![];
    let mut supported_stakeholder = vec![];
    for (i, p) in ballots.paras.iter().enumerate() {
        let mut stake: BTreeMap<&str, Tally> = stakeholder_groups
            .iter()
            .map(|g| (g.as_str(), Tally::default()))
            .collect();
        let mut opinion = vec![Tally::default(); clustering.k];
        for (key, voter, value) in ballots.on(i) {
            stake.entry(voter.group.as_str()).or_default().add(value);
            if let Some(&o) = opinion_of.get(&key) {
                opinion[o].add(value);
            }
        }
        if !opinion.is_empty() && opinion.iter().all(supports) {
            supported_opinion.push(p.id.clone());
        }
        if !stake.is_empty() && stake.values().all(supports) {
            supported_stakeholder.push(p.id.clone());
        }
        paragraphs.push(ParagraphConvergence {
            para: p.id.clone(),
            n: p.n,
            stakeholder_consensus: group_informed_consensus(stake.values()),
            opinion_consensus: group_informed_consensus(&opinion),
            opinion_tallies: labels
                .iter()
                .cloned()
                .zip(opinion.iter().copied())
                .collect(),
        });
        by_opinion.push(opinion);
    }

    let opinion_groups = (0..clustering.k)
        .map(|g| {
            let members: Vec<Member> = keys
                .iter()
                .zip(&clustering.assignment)
                .zip(&clustering.points)
                .filter(|((_, a), _)| **a == g)
                .filter_map(|((k, _), pt)| {
                    ballots.voters.get(k).map(|v| Member {
                        participant: v.view.clone(),
                        group: v.group.clone(),
                        region: v.region.clone(),
                        x: pt[0],
                        y: pt[1],
                    })
                })
                .collect();
            let mut stakeholder_groups: BTreeMap<String, usize> = BTreeMap::new();
            for m in &members {
                *stakeholder_groups.entry(m.group.clone()).or_default() += 1;
            }
            OpinionGroup {
                label: label(g),
                members,
                stakeholder_groups,
                representative: representative(ballots, &by_opinion, g),
            }
        })
        .collect();

    Convergence {
        draft: draft.to_string(),
        registered_only: options.registered_only,
        stakeholder_groups,
        opinion_groups,
        silhouette: clustering.silhouette,
        paragraphs,
        supported_by_every_opinion_group: supported_opinion,
        supported_by_every_stakeholder_group: supported_stakeholder,
    }
}

/// "A" … "Z", then "G27", … (more than 26 groups never happen with k ≤ 5).
fn label(i: usize) -> String {
    match u8::try_from(i) {
        Ok(i) if i < 26 => char::from(b'A' + i).to_string(),
        _ => format!("G{}", i + 1),
    }
}

/// The paragraphs where group `g` stands apart: for each paragraph the direction
/// (agree or disagree) with the higher ratio of the group's ratio to everyone else's;
/// kept when the group's ratio is above 1/2 and the ratio of ratios above 1; most
/// distinctive first (then by paragraph number), at most [`REPRESENTATIVE`].
fn representative(ballots: &Ballots, by_opinion: &[Vec<Tally>], g: usize) -> Vec<Representative> {
    let mut out: Vec<Representative> = vec![];
    for (p, tallies) in ballots.paras.iter().zip(by_opinion) {
        let Some(own) = tallies.get(g) else { continue };
        let mut rest = Tally::default();
        for (j, t) in tallies.iter().enumerate() {
            if j != g {
                rest.support += t.support;
                rest.accept += t.accept;
                rest.object += t.object;
                rest.abstain += t.abstain;
            }
        }
        let agree = (agree_ratio(own), agree_ratio(&rest));
        let disagree = (disagree_ratio(own), disagree_ratio(&rest));
        let (direction, (group_ratio, rest_ratio)) = if disagree.0 / disagree.1 > agree.0 / agree.1
        {
            (Direction::Disagree, disagree)
        } else {
            (Direction::Agree, agree)
        };
        let representativeness = group_ratio / rest_ratio;
        if group_ratio > 0.5 && representativeness > 1.0 {
            out.push(Representative {
                para: p.id.clone(),
                n: p.n,
                direction,
                group_ratio,
                rest_ratio,
                representativeness,
            });
        }
    }
    out.sort_by(|a, b| {
        b.representativeness
            .total_cmp(&a.representativeness)
            .then(a.n.cmp(&b.n))
    });
    out.truncate(REPRESENTATIVE);
    out
}
