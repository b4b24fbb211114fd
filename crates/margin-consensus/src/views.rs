//! Divergent views side by side: for each paragraph, who holds which stance, with their
//! stakeholder group and reason — recorded as held, not averaged away.

use std::collections::BTreeMap;

use margin_core::ParaId;
use margin_core::body::StanceValue;
use margin_core::id::DraftId;
use margin_space::Space;
use margin_space::view::ParticipantView;
use serde::Serialize;

use crate::ballot::Ballots;
use crate::error::Error;
use crate::options::Options;

/// Someone holding a view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Holder {
    pub participant: ParticipantView,
    pub group: String,
    pub region: String,
    /// The reason given with the stance, if any.
    pub reason: Option<String>,
}

/// Everyone holding one stance on a paragraph.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct View {
    /// `support`, `accept` ("can live with it"), `object` or `abstain`.
    pub stance: &'static str,
    /// How many holders each stakeholder group has.
    pub groups: BTreeMap<String, usize>,
    /// By stakeholder group, then name, then key.
    pub holders: Vec<Holder>,
}

/// The views held on one paragraph of the current version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParagraphViews {
    pub para: ParaId,
    pub n: usize,
    /// Whether counted participants disagree: some agree (support or accept) and some
    /// object.
    pub divergent: bool,
    /// In the order support, accept, object, abstain; stances nobody holds are left out.
    pub views: Vec<View>,
}

/// The views held on every paragraph of the current version of `draft`, in order.
pub fn views(
    space: &Space,
    draft: &DraftId,
    options: &Options,
) -> Result<Vec<ParagraphViews>, Error> {
    let ballots = Ballots::read(space, draft, options)?;
    let reasons: BTreeMap<(ParaId, margin_core::key::PublicKey), Option<String>> = space
        .stances()
        .filter(|((d, _, _), _)| d == draft)
        .map(|((_, para, who), s)| {
            let reason = s
                .value
                .reason
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_owned);
            ((para, who), reason)
        })
        .collect();
    let order = [
        StanceValue::Support,
        StanceValue::Accept,
        StanceValue::Object,
        StanceValue::Abstain,
    ];
    Ok(ballots
        .paras
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut by_value: BTreeMap<StanceValue, Vec<Holder>> = BTreeMap::new();
            for (key, voter, value) in ballots.on(i) {
                by_value.entry(value).or_default().push(Holder {
                    participant: voter.view.clone(),
                    group: voter.group.clone(),
                    region: voter.region.clone(),
                    reason: reasons.get(&(p.id.clone(), key)).cloned().flatten(),
                });
            }
            let agree = by_value.contains_key(&StanceValue::Support)
                || by_value.contains_key(&StanceValue::Accept);
            let object = by_value.contains_key(&StanceValue::Object);
            let views = order
                .iter()
                .filter_map(|v| {
                    let mut holders = by_value.remove(v)?;
                    holders.sort_by(|a, b| {
                        (&a.group, &a.participant.name, &a.participant.key).cmp(&(
                            &b.group,
                            &b.participant.name,
                            &b.participant.key,
                        ))
                    });
                    let mut groups = BTreeMap::new();
                    for h in &holders {
                        *groups.entry(h.group.clone()).or_default() += 1;
                    }
                    Some(View {
                        stance: v.as_str(),
                        groups,
                        holders,
                    })
                })
                .collect();
            ParagraphViews {
                para: p.id.clone(),
                n: p.n,
                divergent: agree && object,
                views,
            }
        })
        .collect())
}
