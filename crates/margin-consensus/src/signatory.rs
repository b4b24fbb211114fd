//! Who stands behind a comment: its author, the participants who signed on to it, the
//! coalitions their members signed for, and — for a campaign, the same text posted by
//! many keys — every author of that text.

use std::collections::BTreeMap;

use margin_core::body::CommentKind;
use margin_core::id::{DraftId, EntryId};
use margin_core::key::PublicKey;
use margin_core::{ParaId, Timestamp};
use margin_space::Space;
use margin_space::comment::CommentState;
use margin_space::view::ParticipantView;
use serde::Serialize;

use crate::options::{Options, group_of, region_of};

/// One participant (or coalition) standing behind a comment besides its author.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Signatory {
    pub participant: ParticipantView,
    /// The stakeholder group and region counted for them.
    pub group: String,
    pub region: String,
    /// Whether they count under the options used (registered-only).
    pub counted: bool,
    /// How they stand behind it: `author` of an identical comment (a campaign), `signed`
    /// on personally, or a `coalition` whose members signed on for it.
    pub how: How,
    /// For a coalition: the members who signed on for it, by key.
    pub via: Vec<ParticipantView>,
    /// The entries that say so (comments of a campaign, sign-ons), sorted.
    pub entries: Vec<String>,
}

/// How a signatory stands behind a comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum How {
    /// Posted the same comment (a campaign).
    Author,
    /// Signed on to it.
    Signed,
    /// A coalition whose members signed on for it.
    Coalition,
}

/// The signatories of a comment (or of a campaign of identical comments, given as
/// `comments` with the representative first), by name, then key; the representative's
/// author is not among them.
///
/// A sign-on counts while it is the signer's latest on that comment and not withdrawn.
/// A sign-on for a coalition counts as the coalition's while the coalition's latest
/// membership entry admits the signer, and as the signer's own otherwise.
pub fn signatories(space: &Space, comments: &[EntryId], options: &Options) -> Vec<Signatory> {
    let Some(author) = comments
        .first()
        .and_then(|c| space.comment(c))
        .map(|c| c.author)
    else {
        return vec![];
    };
    // key → (how, members via, entries)
    let mut by_key: BTreeMap<PublicKey, (How, Vec<PublicKey>, Vec<EntryId>)> = BTreeMap::new();
    let mut add = |key: PublicKey, how: How, via: Option<PublicKey>, entry: EntryId| {
        if key == author {
            return;
        }
        let slot = by_key.entry(key).or_insert((how, vec![], vec![]));
        // A coalition that also signed or posted itself is still shown as a coalition.
        slot.0 = slot.0.max(how);
        slot.1.extend(via);
        slot.2.push(entry);
    };
    for id in comments {
        let Some(c) = space.comment(id) else { continue };
        if *id != comments[0] {
            add(space.person(&c.author), How::Author, None, *id);
        }
        for (signer, s) in space.cosigns_on(id) {
            if s.value.withdrawn {
                continue;
            }
            match s.value.coalition {
                Some(coalition) if space.is_member(&coalition, &s.author) => {
                    add(coalition, How::Coalition, Some(signer), s.entry)
                }
                _ => add(signer, How::Signed, None, s.entry),
            }
        }
    }
    let mut out: Vec<Signatory> = by_key
        .into_iter()
        .map(|(key, (how, mut via, mut entries))| {
            via.sort();
            via.dedup();
            entries.sort();
            entries.dedup();
            let participant = space.participant(&key);
            Signatory {
                group: group_of(&participant),
                region: region_of(&participant),
                counted: options.counts(&participant),
                participant,
                how,
                via: via.iter().map(|k| space.participant(k)).collect(),
                entries: entries.iter().map(EntryId::to_string).collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (&a.participant.name, &a.participant.key).cmp(&(&b.participant.name, &b.participant.key))
    });
    out
}

/// Comments of a draft grouped into campaigns: comments that say exactly the same thing
/// (same kind, thread, paragraph and passage, text and suggestion up to spacing, and
/// alike retracted or hidden) are one comment with many authors. Each group is sorted by
/// (time, id); its first comment represents it, and the editor's disposition of that
/// first comment answers the campaign. A member the editor answered differently is split
/// off, with the members given that same answer. Groups come in the order of their
/// representatives (time, then id); a comment alone is a group of one.
pub fn campaigns(space: &Space, draft: &DraftId) -> Vec<Vec<EntryId>> {
    let mut groups: BTreeMap<CampaignKey, Vec<(Timestamp, EntryId)>> = BTreeMap::new();
    for c in space.comments().filter(|c| c.body.draft == *draft) {
        groups
            .entry(CampaignKey::of(space, c))
            .or_default()
            .push((c.time, c.id));
    }
    let mut out: Vec<Vec<(Timestamp, EntryId)>> = vec![];
    for mut group in groups.into_values() {
        group.sort();
        let answer = |id: &EntryId| {
            space.comment(id).and_then(|c| {
                c.disposition.as_ref().map(|d| {
                    (
                        d.value.value as u8,
                        d.value.note.trim().to_owned(),
                        d.value.revision,
                    )
                })
            })
        };
        let first = answer(&group[0].1);
        let mut split: BTreeMap<Answer, Vec<(Timestamp, EntryId)>> = BTreeMap::new();
        let mut kept = vec![];
        for (time, id) in group {
            match answer(&id) {
                Some(a) if Some(&a) != first.as_ref() => {
                    split.entry(a).or_default().push((time, id))
                }
                _ => kept.push((time, id)),
            }
        }
        out.push(kept);
        out.extend(split.into_values());
    }
    out.sort();
    out.into_iter()
        .map(|g| g.into_iter().map(|(_, id)| id).collect())
        .collect()
}

/// An editor's answer: disposition, note, revision.
type Answer = (u8, String, Option<EntryId>);

/// What makes two comments the same comment.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct CampaignKey {
    kind: u8,
    parent: Option<EntryId>,
    para: Option<ParaId>,
    quote: Option<String>,
    text: String,
    suggestion: Option<String>,
    retracted: bool,
    hidden: Option<String>,
}

impl CampaignKey {
    fn of(space: &Space, c: &CommentState) -> CampaignKey {
        let wording = c.wording();
        let anchor = c.anchor().map(|(_, a)| a);
        CampaignKey {
            kind: match c.body.kind {
                CommentKind::Comment => 0,
                CommentKind::Question => 1,
                CommentKind::Suggestion => 2,
                CommentKind::Objection => 3,
            },
            parent: c.body.parent,
            para: anchor.map(|a| a.para.clone()),
            quote: anchor
                .and_then(|a| a.quote.as_ref())
                .map(|q| q.exact.clone()),
            text: normalise(&wording.text),
            suggestion: wording.suggestion.as_deref().map(normalise),
            retracted: c.retracted.is_some(),
            hidden: space.hidden(&c.id).map(str::to_owned),
        }
    }
}

/// Text compared up to spacing: runs of white space are one space, none at the ends.
fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
