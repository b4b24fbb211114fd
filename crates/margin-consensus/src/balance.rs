//! Balance: who took part, by stakeholder group and region, to show whose voice is
//! missing.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use margin_core::id::DraftId;
use margin_core::key::PublicKey;
use margin_space::Space;
use serde::Serialize;

use crate::options::{Options, group_of, region_of};

/// What one stakeholder group or region contributed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Participation {
    /// Distinct participants with at least one comment, stance or sign-on.
    pub participants: usize,
    /// Comments and replies, retracted ones excepted.
    pub comments: usize,
    /// Latest stances (one per participant and paragraph), abstentions included.
    pub stances: usize,
    /// Sign-ons to others' comments in force (not withdrawn), by the participant who
    /// signed, for themselves or for a coalition.
    pub sign_ons: usize,
}

/// Participation in a space (or one draft of it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Balance {
    /// The draft counted, or `None` for every draft of the space.
    pub draft: Option<String>,
    pub registered_only: bool,
    pub total: Participation,
    /// Every expected stakeholder group (zero when silent), plus any other group seen.
    pub by_group: BTreeMap<String, Participation>,
    pub by_region: BTreeMap<String, Participation>,
    /// Expected stakeholder groups with no participant.
    pub missing_groups: Vec<String>,
}

impl Balance {
    /// A table for people.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let w = self
            .by_group
            .keys()
            .chain(self.by_region.keys())
            .map(|k| k.chars().count() + 1)
            .max()
            .unwrap_or(0)
            .max(22);
        let table = |out: &mut String, title: &str, rows: &BTreeMap<String, Participation>| {
            let _ = writeln!(
                out,
                "{title:<w$} {:>12} {:>8} {:>8} {:>8}",
                "participants", "comments", "stances", "sign-ons"
            );
            for (name, p) in rows {
                let _ = writeln!(
                    out,
                    "{name:<w$} {:>12} {:>8} {:>8} {:>8}",
                    p.participants, p.comments, p.stances, p.sign_ons
                );
            }
        };
        table(&mut out, "stakeholder group", &self.by_group);
        out.push('\n');
        table(&mut out, "region", &self.by_region);
        let t = &self.total;
        let _ = writeln!(
            out,
            "\n{:<w$} {:>12} {:>8} {:>8} {:>8}",
            "total", t.participants, t.comments, t.stances, t.sign_ons
        );
        if !self.missing_groups.is_empty() {
            let _ = writeln!(out, "no voice from: {}", self.missing_groups.join(", "));
        }
        out
    }
}

/// Participation by stakeholder group and region in `space`, or only on `draft`.
pub fn balance(space: &Space, draft: Option<&DraftId>, options: &Options) -> Balance {
    let on_draft = |d: &DraftId| draft.is_none_or(|want| want == d);
    let mut comments: BTreeMap<PublicKey, usize> = BTreeMap::new();
    let mut stances: BTreeMap<PublicKey, usize> = BTreeMap::new();
    for c in space.comments() {
        if on_draft(&c.body.draft) && c.retracted.is_none() {
            *comments.entry(c.author).or_default() += 1;
        }
    }
    for ((d, _, author), _) in space.stances() {
        if on_draft(d) {
            *stances.entry(*author).or_default() += 1;
        }
    }
    let mut sign_ons: BTreeMap<PublicKey, usize> = BTreeMap::new();
    for ((comment, signer), s) in space.cosigns() {
        let on = space
            .comment(comment)
            .is_some_and(|c| on_draft(&c.body.draft));
        if on && !s.value.withdrawn {
            *sign_ons.entry(*signer).or_default() += 1;
        }
    }
    let people: BTreeSet<PublicKey> = comments
        .keys()
        .chain(stances.keys())
        .chain(sign_ons.keys())
        .copied()
        .collect();

    let mut by_group: BTreeMap<String, Participation> = options
        .stakeholder_groups
        .iter()
        .map(|g| (g.clone(), Participation::default()))
        .collect();
    let mut by_region: BTreeMap<String, Participation> = BTreeMap::new();
    let mut total = Participation::default();
    for key in people {
        let view = space.participant(&key);
        if !options.counts(&view) {
            continue;
        }
        let p = Participation {
            participants: 1,
            comments: comments.get(&key).copied().unwrap_or(0),
            stances: stances.get(&key).copied().unwrap_or(0),
            sign_ons: sign_ons.get(&key).copied().unwrap_or(0),
        };
        for slot in [
            by_group.entry(group_of(&view)).or_default(),
            by_region.entry(region_of(&view)).or_default(),
            &mut total,
        ] {
            slot.participants += p.participants;
            slot.comments += p.comments;
            slot.stances += p.stances;
            slot.sign_ons += p.sign_ons;
        }
    }
    let missing_groups = options
        .stakeholder_groups
        .iter()
        .filter(|g| by_group.get(*g).is_none_or(|p| p.participants == 0))
        .cloned()
        .collect();
    Balance {
        draft: draft.map(|d| d.to_string()),
        registered_only: options.registered_only,
        total,
        by_group,
        by_region,
        missing_groups,
    }
}
