//! Balance: who took part, by stakeholder group and region, to show whose voice is
//! missing and whose is faint. Each group's and region's share of the comments and
//! stances is set beside its share of the space's people: its registered participants,
//! or in an open space everyone who has taken part so far (a profile is enough).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use margin_core::id::DraftId;
use margin_core::key::PublicKey;
use margin_space::Space;
use serde::Serialize;

use crate::options::{Options, group_of, region_of};

/// What one stakeholder group or region contributed, beside its weight among the
/// space's people.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Participation {
    /// Of the space's people (see [`Balance::people`]), how many belong here.
    pub people: usize,
    /// Distinct participants with at least one comment, stance or sign-on.
    pub participants: usize,
    /// Comments and replies, retracted ones excepted.
    pub comments: usize,
    /// Latest stances (one per participant and paragraph), abstentions included.
    pub stances: usize,
    /// Sign-ons to others' comments in force (not withdrawn), by the participant who
    /// signed, for themselves or for a coalition.
    pub sign_ons: usize,
    /// Shares of the whole, from 0 to 1: of the people, of the comments, of the stances.
    pub share_of_people: f64,
    pub share_of_comments: f64,
    pub share_of_stances: f64,
}

impl Participation {
    /// The share of what was said (comments and stances together).
    pub fn share_of_voice(&self, total: &Participation) -> f64 {
        share(self.comments + self.stances, total.comments + total.stances)
    }
}

/// Whom the shares of people are counted among.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum People {
    /// The participants a registrar registered (a space open to registered keys only,
    /// or counting registered participants only).
    Registered,
    /// Everyone who has taken part so far, a profile included (an open space).
    SoFar,
}

/// Participation in a space (or one draft of it).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Balance {
    /// The draft counted, or `None` for every draft of the space.
    pub draft: Option<String>,
    pub registered_only: bool,
    /// Whom the shares of people are counted among.
    pub people: People,
    pub total: Participation,
    /// Every expected stakeholder group (zero when silent), plus any other group seen.
    pub by_group: BTreeMap<String, Participation>,
    pub by_region: BTreeMap<String, Participation>,
    /// Expected stakeholder groups with no participant.
    pub missing_groups: Vec<String>,
    /// Regions of the space's people from which no one took part.
    pub missing_regions: Vec<String>,
    /// Groups and regions that took part, whose share of what was said (comments and
    /// stances) is under half their share of the people.
    pub faint_groups: Vec<String>,
    pub faint_regions: Vec<String>,
}

impl Balance {
    /// Tables for people.
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
        let percent = |x: f64| format!("{:.0} %", x * 100.0);
        let table = |out: &mut String, title: &str, rows: &BTreeMap<String, Participation>| {
            let _ = writeln!(
                out,
                "{title:<w$} {:>6} {:>12} {:>8} {:>8} {:>8}   {:>9} {:>9} {:>9}",
                "people",
                "participants",
                "comments",
                "stances",
                "sign-ons",
                "of people",
                "comments",
                "stances"
            );
            for (name, p) in rows {
                let _ = writeln!(
                    out,
                    "{name:<w$} {:>6} {:>12} {:>8} {:>8} {:>8}   {:>9} {:>9} {:>9}",
                    p.people,
                    p.participants,
                    p.comments,
                    p.stances,
                    p.sign_ons,
                    percent(p.share_of_people),
                    percent(p.share_of_comments),
                    percent(p.share_of_stances)
                );
            }
        };
        table(&mut out, "stakeholder group", &self.by_group);
        out.push('\n');
        table(&mut out, "region", &self.by_region);
        let t = &self.total;
        let _ = writeln!(
            out,
            "\n{:<w$} {:>6} {:>12} {:>8} {:>8} {:>8}",
            "total", t.people, t.participants, t.comments, t.stances, t.sign_ons
        );
        let _ = writeln!(
            out,
            "people: {}",
            match self.people {
                People::Registered => "the registered participants",
                People::SoFar => "everyone who has taken part so far (a profile included)",
            }
        );
        let mut list = |label: &str, names: &[String]| {
            if !names.is_empty() {
                let _ = writeln!(out, "{label}: {}", names.join(", "));
            }
        };
        list("no voice from", &self.missing_groups);
        list("no voice from the regions", &self.missing_regions);
        list(
            "faint (under half their share of the people)",
            &[self.faint_groups.clone(), self.faint_regions.clone()].concat(),
        );
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
            *comments.entry(space.person(&c.author)).or_default() += 1;
        }
    }
    for ((d, _, author), _) in space.stances() {
        if on_draft(&d) {
            *stances.entry(author).or_default() += 1;
        }
    }
    let mut sign_ons: BTreeMap<PublicKey, usize> = BTreeMap::new();
    for ((comment, signer), s) in space.cosigns() {
        let on = space
            .comment(&comment)
            .is_some_and(|c| on_draft(&c.body.draft));
        if on && !s.value.withdrawn {
            *sign_ons.entry(signer).or_default() += 1;
        }
    }
    let voices: BTreeSet<PublicKey> = comments
        .keys()
        .chain(stances.keys())
        .chain(sign_ons.keys())
        .copied()
        .collect();
    let registered_space =
        options.registered_only || space.charter().policy == margin_core::body::Policy::Registered;
    let (people, base): (People, BTreeSet<PublicKey>) = if registered_space {
        (People::Registered, space.registered().copied().collect())
    } else {
        let mut everyone: BTreeSet<PublicKey> = space.profiled().copied().collect();
        everyone.extend(voices.iter().copied());
        (People::SoFar, everyone)
    };

    let mut by_group: BTreeMap<String, Participation> = options
        .stakeholder_groups
        .iter()
        .map(|g| (g.clone(), Participation::default()))
        .collect();
    let mut by_region: BTreeMap<String, Participation> = BTreeMap::new();
    let mut total = Participation::default();
    for key in base.union(&voices) {
        let view = space.participant(key);
        if !options.counts(&view) {
            continue;
        }
        let spoke = voices.contains(key);
        let p = Participation {
            people: usize::from(base.contains(key)),
            participants: usize::from(spoke),
            comments: comments.get(key).copied().unwrap_or(0),
            stances: stances.get(key).copied().unwrap_or(0),
            sign_ons: sign_ons.get(key).copied().unwrap_or(0),
            ..Participation::default()
        };
        for slot in [
            by_group.entry(group_of(&view)).or_default(),
            by_region.entry(region_of(&view)).or_default(),
            &mut total,
        ] {
            slot.people += p.people;
            slot.participants += p.participants;
            slot.comments += p.comments;
            slot.stances += p.stances;
            slot.sign_ons += p.sign_ons;
        }
    }
    for row in by_group.values_mut().chain(by_region.values_mut()) {
        row.share_of_people = share(row.people, total.people);
        row.share_of_comments = share(row.comments, total.comments);
        row.share_of_stances = share(row.stances, total.stances);
    }
    let missing_groups = options
        .stakeholder_groups
        .iter()
        .filter(|g| by_group.get(*g).is_none_or(|p| p.participants == 0))
        .cloned()
        .collect();
    let missing_regions = by_region
        .iter()
        .filter(|(_, p)| p.people > 0 && p.participants == 0)
        .map(|(name, _)| name.clone())
        .collect();
    let faint = |rows: &BTreeMap<String, Participation>| -> Vec<String> {
        rows.iter()
            .filter(|(_, p)| {
                p.participants > 0 && p.share_of_voice(&total) < p.share_of_people / 2.0
            })
            .map(|(name, _)| name.clone())
            .collect()
    };
    let (faint_groups, faint_regions) = (faint(&by_group), faint(&by_region));
    Balance {
        draft: draft.map(|d| d.to_string()),
        registered_only: options.registered_only,
        people,
        total,
        by_group,
        by_region,
        missing_groups,
        missing_regions,
        faint_groups,
        faint_regions,
    }
}

/// `part` of `whole`, from 0 to 1 (0 of nothing).
fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}
