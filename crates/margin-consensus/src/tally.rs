//! Stance tallies per paragraph, by stakeholder group and by region, counting each
//! participant's latest stance once.

use std::collections::BTreeMap;

use margin_core::ParaId;
use margin_core::body::StanceValue;
use margin_core::id::DraftId;
use margin_space::Space;
use serde::Serialize;

use crate::ballot::Ballots;
use crate::error::Error;
use crate::options::Options;

/// How many participants hold each stance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub support: usize,
    /// "I can live with it."
    pub accept: usize,
    pub object: usize,
    pub abstain: usize,
}

impl Tally {
    /// The tally of some stances.
    pub fn of(values: impl IntoIterator<Item = StanceValue>) -> Tally {
        let mut t = Tally::default();
        for v in values {
            t.add(v);
        }
        t
    }

    /// Counts one more stance.
    pub fn add(&mut self, value: StanceValue) {
        match value {
            StanceValue::Support => self.support += 1,
            StanceValue::Accept => self.accept += 1,
            StanceValue::Object => self.object += 1,
            StanceValue::Abstain => self.abstain += 1,
        }
    }

    /// Support or "can live with it".
    pub fn agree(&self) -> usize {
        self.support + self.accept
    }

    /// Support, accept and object; an abstention is not a vote.
    pub fn votes(&self) -> usize {
        self.support + self.accept + self.object
    }

    /// Everyone with a stance, abstentions included.
    pub fn participants(&self) -> usize {
        self.votes() + self.abstain
    }

    /// The stances taken, for people: "2 support, 1 object" ("no stance" when none).
    pub fn in_words(&self) -> String {
        let words: Vec<String> = [
            (self.support, "support"),
            (self.accept, "can live with it"),
            (self.object, "object"),
            (self.abstain, "abstain"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, word)| format!("{n} {word}"))
        .collect();
        if words.is_empty() {
            "no stance".to_owned()
        } else {
            words.join(", ")
        }
    }
}

/// The stances on one paragraph of the current version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParagraphTally {
    pub para: ParaId,
    /// The paragraph's number in the current version, from 1.
    pub n: usize,
    pub total: Tally,
    /// By stakeholder group (registration, else profile, else "unspecified").
    pub by_group: BTreeMap<String, Tally>,
    /// By region (registration, else profile, else "unspecified").
    pub by_region: BTreeMap<String, Tally>,
}

/// Tallies for every paragraph of the current version of `draft`, in document order.
pub fn tallies(
    space: &Space,
    draft: &DraftId,
    options: &Options,
) -> Result<Vec<ParagraphTally>, Error> {
    let ballots = Ballots::read(space, draft, options)?;
    Ok(tallies_of(&ballots))
}

pub(crate) fn tallies_of(ballots: &Ballots) -> Vec<ParagraphTally> {
    ballots
        .paras
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut t = ParagraphTally {
                para: p.id.clone(),
                n: p.n,
                total: Tally::default(),
                by_group: BTreeMap::new(),
                by_region: BTreeMap::new(),
            };
            for (_, voter, value) in ballots.on(i) {
                t.total.add(value);
                t.by_group
                    .entry(voter.group.clone())
                    .or_default()
                    .add(value);
                t.by_region
                    .entry(voter.region.clone())
                    .or_default()
                    .add(value);
            }
            t
        })
        .collect()
}
