//! What the figures are read from: the current paragraphs of a draft and each counted
//! participant's latest stance on them.

use std::collections::BTreeMap;

use margin_core::ParaId;
use margin_core::body::StanceValue;
use margin_core::id::DraftId;
use margin_core::key::PublicKey;
use margin_space::Space;
use margin_space::view::ParticipantView;

use crate::error::Error;
use crate::options::{Options, group_of, region_of};

/// A paragraph (or list item) of the current version.
#[derive(Clone, Debug)]
pub(crate) struct Para {
    pub id: ParaId,
    pub n: usize,
    pub text: String,
    pub bracketed: bool,
}

/// A counted participant who took a stance on at least one current paragraph.
#[derive(Clone, Debug)]
pub(crate) struct Voter {
    pub view: ParticipantView,
    pub group: String,
    pub region: String,
}

/// The latest stances of counted participants on the current paragraphs.
#[derive(Clone, Debug)]
pub(crate) struct Ballots {
    pub title: String,
    pub paras: Vec<Para>,
    /// By key, so that every ordering built from it is the same on every node.
    pub voters: BTreeMap<PublicKey, Voter>,
    /// (paragraph index in `paras`, participant) → latest stance.
    pub stances: BTreeMap<(usize, PublicKey), StanceValue>,
}

impl Ballots {
    pub fn read(space: &Space, draft: &DraftId, options: &Options) -> Result<Self, Error> {
        let state = space.draft(draft).ok_or(Error::UnknownDraft(*draft))?;
        let view = state.doc.view(None)?;
        let paras: Vec<Para> = view
            .sections
            .into_iter()
            .flat_map(|s| s.paragraphs)
            .map(|p| Para {
                id: p.id,
                n: p.n,
                text: p.text,
                bracketed: p.bracketed,
            })
            .collect();
        let index: BTreeMap<&str, usize> = paras
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.as_str(), i))
            .collect();
        let mut voters = BTreeMap::new();
        let mut stances = BTreeMap::new();
        for ((d, para, author), stamped) in space.stances() {
            if d != *draft {
                continue;
            }
            let Some(&i) = index.get(para.as_str()) else {
                continue; // a paragraph no longer in the draft
            };
            let view = space.participant(&author);
            if !options.counts(&view) {
                continue;
            }
            voters.entry(author).or_insert_with(|| Voter {
                group: group_of(&view),
                region: region_of(&view),
                view,
            });
            stances.insert((i, author), stamped.value.value);
        }
        Ok(Ballots {
            title: view.title,
            paras,
            voters,
            stances,
        })
    }

    /// The latest stances on paragraph `i`, by participant key order.
    pub fn on(&self, i: usize) -> impl Iterator<Item = (PublicKey, &Voter, StanceValue)> {
        self.stances
            .range((i, PublicKey([0; 32]))..=(i, PublicKey([0xff; 32])))
            .filter_map(|((_, key), v)| self.voters.get(key).map(|voter| (*key, voter, *v)))
    }
}
