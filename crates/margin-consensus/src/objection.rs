//! The objection register (RFC 7282: objections must be addressed, not necessarily
//! accommodated). Every objection — a comment of kind objection, or an "object" stance
//! with a reason — is an item with a state decided by the rules in `docs/consensus.md`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use margin_core::body::{ChangeHash, CommentKind, DispositionValue, Stance, StanceValue};
use margin_core::id::{DraftId, EntryId};
use margin_core::key::PublicKey;
use margin_core::{ParaId, Timestamp};
use margin_draft::{Anchor, AnchorState, Reader};
use margin_space::Space;
use margin_space::comment::{CommentState, Stamped};
use margin_space::draft::DraftState;
use margin_space::view::{ParticipantView, draft_anchor, format_time};
use serde::Serialize;

use crate::error::Error;
use crate::options::{Options, group_of};
use crate::signatory::{Signatory, campaigns, signatories};

/// Where an objection was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A comment of kind objection (its id is the comment's).
    Comment,
    /// An "object" stance with a reason (its id is the stance entry's).
    Stance,
}

/// How an objection stopped being held by its author.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Withdrawal {
    /// The objector retracted the comment.
    Retracted,
    /// The objector's latest stance on the paragraph, taken after the objection, is
    /// support.
    Supports,
}

/// What accommodated an objection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Accommodation {
    /// An editor's disposition `accepted` or `partly` linking a revision.
    Disposition,
    /// The text objected to reads differently now than when the objection was made.
    TextChanged,
}

/// The state of an objection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ObjectionState {
    /// Not yet answered.
    Open,
    /// The text was changed to meet it.
    Accommodated {
        by: Accommodation,
        /// The revision that changed the text, when one can be named.
        revision: Option<String>,
        /// The passage when the objection was made (`None`: not found then).
        was: Option<String>,
        /// The passage now (`None`: gone).
        now: Option<String>,
    },
    /// An editor answered it with a reason and did not change the text.
    Addressed {
        disposition: &'static str,
        reason: String,
        editor: String,
    },
    /// The objector no longer holds it.
    Withdrawn { how: Withdrawal },
    /// The objector's latest stance, taken after the objection, is "I can live with it".
    CanLiveWithIt,
}

impl ObjectionState {
    /// The state's name as printed: `open`, `accommodated`, `addressed`, `withdrawn`,
    /// `can-live-with-it`.
    pub fn name(&self) -> &'static str {
        match self {
            ObjectionState::Open => "open",
            ObjectionState::Accommodated { .. } => "accommodated",
            ObjectionState::Addressed { .. } => "addressed",
            ObjectionState::Withdrawn { .. } => "withdrawn",
            ObjectionState::CanLiveWithIt => "can-live-with-it",
        }
    }

    pub fn is_open(&self) -> bool {
        matches!(self, ObjectionState::Open)
    }
}

/// One objection in the register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Objection {
    /// The comment id or the stance entry id.
    pub id: String,
    pub source: Source,
    /// For a comment: every comment of its campaign (the same objection posted by several
    /// keys), this one first; empty for a stance.
    pub comments: Vec<String>,
    /// The paragraph objected to; `None` for an objection to the whole draft.
    pub para: Option<ParaId>,
    /// Its number in the current version; `None` when it is no longer in the draft.
    pub n: Option<usize>,
    pub objector: ParticipantView,
    /// The objector's stakeholder group as counted.
    pub group: String,
    /// Whether it counts in the figures under the options used (registered-only): its
    /// objector counts, or a counted signatory holds it too.
    pub counted: bool,
    /// Who else holds it: participants who signed on, coalitions, and the authors of the
    /// same objection posted as a campaign (whose comment ids are in their `entries`).
    pub signatories: Vec<Signatory>,
    /// The comment's current wording, or the stance's reason; empty when hidden.
    pub text: String,
    /// The passage quoted, for a comment on a passage.
    pub quote: Option<String>,
    pub time: String,
    /// A convener's reason for hiding the comment; hiding does not close an objection.
    pub hidden: Option<String>,
    #[serde(flatten)]
    pub state: ObjectionState,
}

/// How many objections are in each state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub open: usize,
    pub accommodated: usize,
    pub addressed: usize,
    pub withdrawn: usize,
    pub can_live_with_it: usize,
}

/// Every objection to a draft, with its state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ObjectionRegister {
    pub draft: String,
    pub registered_only: bool,
    pub summary: Summary,
    /// By paragraph number (whole-draft objections first, then paragraphs no longer in
    /// the draft last), then time, then id.
    pub objections: Vec<Objection>,
}

impl ObjectionRegister {
    /// One line per objection, for people.
    pub fn render(&self) -> String {
        let s = &self.summary;
        let mut out = format!(
            "{} objections: {} open, {} accommodated, {} addressed, {} withdrawn, {} can live with it\n",
            self.objections.len(),
            s.open,
            s.accommodated,
            s.addressed,
            s.withdrawn,
            s.can_live_with_it
        );
        for o in &self.objections {
            let place = match (&o.para, o.n) {
                (None, _) => "draft".to_owned(),
                (Some(_), Some(n)) => format!("¶{n}"),
                (Some(p), None) => format!("(removed {p})"),
            };
            let counted = if o.counted { "" } else { " (not counted)" };
            let _ = write!(
                out,
                "{place:>6}  {:<16}  {} ({}){counted}: {}",
                o.state.name(),
                o.objector.name,
                o.group,
                o.text
            );
            match &o.state {
                ObjectionState::Accommodated { revision, .. } => {
                    if let Some(r) = revision {
                        let _ = write!(out, " → revision {}", &r[..r.len().min(12)]);
                    }
                }
                ObjectionState::Addressed { reason, .. } => {
                    let _ = write!(out, " → {reason}");
                }
                ObjectionState::Withdrawn { how } => {
                    let how = match how {
                        Withdrawal::Retracted => "retracted",
                        Withdrawal::Supports => "now supports",
                    };
                    let _ = write!(out, " → {how}");
                }
                ObjectionState::Open | ObjectionState::CanLiveWithIt => {}
            }
            out.push('\n');
        }
        out
    }
}

/// The objection register of `draft`.
pub fn objections(
    space: &Space,
    draft: &DraftId,
    options: &Options,
) -> Result<ObjectionRegister, Error> {
    let items = collect(space, draft, options)?;
    let mut summary = Summary::default();
    for o in &items {
        match o.state {
            ObjectionState::Open => summary.open += 1,
            ObjectionState::Accommodated { .. } => summary.accommodated += 1,
            ObjectionState::Addressed { .. } => summary.addressed += 1,
            ObjectionState::Withdrawn { .. } => summary.withdrawn += 1,
            ObjectionState::CanLiveWithIt => summary.can_live_with_it += 1,
        }
    }
    Ok(ObjectionRegister {
        draft: draft.to_string(),
        registered_only: options.registered_only,
        summary,
        objections: items,
    })
}

/// Every objection to `draft`, in register order.
pub(crate) fn collect(
    space: &Space,
    draft: &DraftId,
    options: &Options,
) -> Result<Vec<Objection>, Error> {
    let state = space.draft(draft).ok_or(Error::UnknownDraft(*draft))?;
    let numbers: HashMap<ParaId, usize> = state
        .doc
        .view(None)?
        .sections
        .into_iter()
        .flat_map(|s| s.paragraphs)
        .map(|p| (p.id, p.n))
        .collect();
    let history = History::of(state);
    let latest: HashMap<(ParaId, PublicKey), &Stamped<Stance>> = space
        .stances()
        .filter(|((d, _, _), _)| d == draft)
        .map(|((_, para, author), s)| ((para, author), s))
        .collect();

    let mut out: Vec<(Timestamp, EntryId, Objection)> = vec![];
    for group in campaigns(space, draft) {
        let Some(c) = group.first().and_then(|id| space.comment(id)) else {
            continue;
        };
        if c.body.kind != CommentKind::Objection {
            continue;
        }
        let signatories = signatories(space, &group, options);
        let objector = space.participant(&c.author);
        let place = place_of(space, c);
        let para = place.as_ref().map(|p| p.anchor.para.clone());
        let stance = para
            .as_ref()
            .and_then(|p| latest.get(&(p.clone(), space.person(&c.author))).copied());
        let state = comment_state(c, stance, place.as_ref(), &history)?;
        let hidden = space.hidden(&c.id).map(str::to_owned);
        let text = if hidden.is_some() {
            String::new()
        } else {
            c.wording().text
        };
        out.push((
            c.time,
            c.id,
            Objection {
                id: c.id.to_string(),
                source: Source::Comment,
                comments: group.iter().map(EntryId::to_string).collect(),
                n: para.as_ref().and_then(|p| numbers.get(p).copied()),
                para,
                group: group_of(&objector),
                counted: options.counts(&objector) || signatories.iter().any(|s| s.counted),
                signatories,
                objector,
                text,
                quote: c
                    .anchor()
                    .and_then(|(_, a)| a.quote.as_ref())
                    .map(|q| q.exact.clone()),
                time: format_time(c.time),
                hidden,
                state,
            },
        ));
    }
    for ((para, author), s) in &latest {
        let reason = s.value.reason.as_deref().map(str::trim).unwrap_or_default();
        if s.value.value != StanceValue::Object || reason.is_empty() {
            continue;
        }
        let place = Place {
            anchor: whole_paragraph(para, &s.value.heads),
            version: s.value.heads.clone(),
        };
        let state = match history.change_since(&place)? {
            Some(change) => change.accommodated(Accommodation::TextChanged),
            None => ObjectionState::Open,
        };
        let objector = space.participant(author);
        out.push((
            s.time,
            s.entry,
            Objection {
                id: s.entry.to_string(),
                source: Source::Stance,
                comments: vec![],
                para: Some((*para).clone()),
                n: numbers.get(para).copied(),
                group: group_of(&objector),
                counted: options.counts(&objector),
                signatories: vec![],
                objector,
                text: reason.to_owned(),
                quote: None,
                time: format_time(s.time),
                hidden: None,
                state,
            },
        ));
    }
    out.sort_by(|(ta, ia, a), (tb, ib, b)| {
        order_key(a)
            .cmp(&order_key(b))
            .then((ta, ia).cmp(&(tb, ib)))
    });
    Ok(out.into_iter().map(|(_, _, o)| o).collect())
}

/// Whole-draft objections first, then by paragraph number, then removed paragraphs.
fn order_key(o: &Objection) -> (u8, usize, ParaId) {
    match (&o.para, o.n) {
        (None, _) => (0, 0, ParaId::default()),
        (Some(_), Some(n)) => (1, n, ParaId::default()),
        (Some(p), None) => (2, 0, p.clone()),
    }
}

/// The rules of `docs/consensus.md` for an objection comment, first match wins.
fn comment_state(
    c: &CommentState,
    stance: Option<&Stamped<Stance>>,
    place: Option<&Place>,
    history: &History<'_>,
) -> Result<ObjectionState, Error> {
    // 1. Retracted.
    if c.retracted.is_some() {
        return Ok(ObjectionState::Withdrawn {
            how: Withdrawal::Retracted,
        });
    }
    // 2. A later stance of the objector on the same paragraph.
    if let Some(s) = stance.filter(|s| s.time > c.time) {
        match s.value.value {
            StanceValue::Support => {
                return Ok(ObjectionState::Withdrawn {
                    how: Withdrawal::Supports,
                });
            }
            StanceValue::Accept => return Ok(ObjectionState::CanLiveWithIt),
            StanceValue::Object | StanceValue::Abstain => {}
        }
    }
    let disposition = c.disposition.as_ref();
    // 3. Accepted or partly accepted, carried out by a named revision.
    if let Some(d) = disposition
        && matches!(
            d.value.value,
            DispositionValue::Accepted | DispositionValue::Partly
        )
        && let Some(revision) = d.value.revision
    {
        let (was, now) = match place {
            Some(p) => (
                history.text_at(p, Some(&p.version))?,
                history.text_at(p, None)?,
            ),
            None => (None, None),
        };
        return Ok(ObjectionState::Accommodated {
            by: Accommodation::Disposition,
            revision: Some(revision.to_string()),
            was: was.map(|(_, t)| t),
            now: now.map(|(_, t)| t),
        });
    }
    // 4. Declined or noted with a reason.
    if let Some(d) = disposition
        && matches!(
            d.value.value,
            DispositionValue::Declined | DispositionValue::Noted
        )
        && !d.value.note.trim().is_empty()
    {
        return Ok(ObjectionState::Addressed {
            disposition: d.value.value.as_str(),
            reason: d.value.note.trim().to_owned(),
            editor: d.author.to_string(),
        });
    }
    // 5. The passage objected to reads differently now.
    if let Some(p) = place
        && let Some(change) = history.change_since(p)?
    {
        return Ok(change.accommodated(Accommodation::TextChanged));
    }
    Ok(ObjectionState::Open)
}

/// The passage an objection is about, and the version it was made on.
#[derive(Clone, Debug)]
struct Place {
    anchor: Anchor,
    version: Vec<ChangeHash>,
}

/// The comment's anchor in force, or for a reply without one, the anchor of the comment
/// that started its thread; the version is the one the objection was made on.
fn place_of(space: &Space, c: &CommentState) -> Option<Place> {
    let mut at = c;
    // Threads are acyclic (a parent is named in refs, so it is older); the bound is
    // only a guard.
    for _ in 0..1_000 {
        if let Some((heads, anchor)) = at.anchor() {
            let version = if at.id == c.id {
                heads.to_vec()
            } else {
                c.body.heads.clone()
            };
            return Some(Place {
                anchor: draft_anchor(heads, anchor),
                version,
            });
        }
        at = space.comment(&at.body.parent?)?;
    }
    None
}

fn whole_paragraph(para: &ParaId, heads: &[ChangeHash]) -> Anchor {
    Anchor {
        para: para.clone(),
        heads: heads.to_vec(),
        start: None,
        end: None,
        quote: None,
    }
}

/// A change found in the passage objected to.
struct Change {
    revision: Option<EntryId>,
    was: Option<String>,
    now: Option<String>,
}

impl Change {
    fn accommodated(self, by: Accommodation) -> ObjectionState {
        ObjectionState::Accommodated {
            by,
            revision: self.revision.map(|r| r.to_string()),
            was: self.was,
            now: self.now,
        }
    }
}

/// A draft's revisions and change graph, to find the revision that changed a passage.
struct History<'a> {
    state: &'a DraftState,
    reader: Reader<'a>,
    deps: HashMap<ChangeHash, Vec<ChangeHash>>,
}

impl<'a> History<'a> {
    fn of(state: &'a DraftState) -> Self {
        let deps = state
            .doc
            .log()
            .into_iter()
            .map(|i| (i.hash, i.deps))
            .collect();
        History {
            state,
            reader: state.doc.reader(),
            deps,
        }
    }

    /// The passage (its paragraph and text) at a version (`None`: current); `None` when
    /// it cannot be found there.
    fn text_at(
        &self,
        place: &Place,
        at: Option<&[ChangeHash]>,
    ) -> Result<Option<(ParaId, String)>, Error> {
        Ok(match self.reader.resolve(&place.anchor, at)? {
            AnchorState::Anchored { para, text, .. } => Some((para, text)),
            AnchorState::Orphaned => None,
        })
    }

    /// Whether the version `heads` includes change `hash`.
    fn includes(&self, heads: &[ChangeHash], hash: &ChangeHash) -> bool {
        let mut stack: Vec<ChangeHash> = heads.to_vec();
        let mut seen: HashSet<ChangeHash> = HashSet::new();
        while let Some(h) = stack.pop() {
            if h == *hash {
                return true;
            }
            if seen.insert(h)
                && let Some(deps) = self.deps.get(&h)
            {
                stack.extend(deps.iter().copied());
            }
        }
        false
    }

    /// If the passage reads differently now than at the objection's version: what it
    /// read, what it reads, and the first revision (by time, then id) that builds on the
    /// objection's version and reads differently.
    fn change_since(&self, place: &Place) -> Result<Option<Change>, Error> {
        let was = self.text_at(place, Some(&place.version))?;
        let now = self.text_at(place, None)?;
        if was == now {
            return Ok(None);
        }
        let mut revision = None;
        for r in self.state.history() {
            let descendant = place.version.iter().all(|h| self.includes(&r.changes, h));
            let ancestor = r.changes.iter().all(|h| self.includes(&place.version, h));
            if descendant && !ancestor && self.text_at(place, Some(&r.changes))? != was {
                revision = Some(r.entry);
                break;
            }
        }
        Ok(Some(Change {
            revision,
            was: was.map(|(_, t)| t),
            now: now.map(|(_, t)| t),
        }))
    }
}

/// What the status rule reads of the objections to one paragraph.
#[derive(Clone, Debug, Default)]
pub(crate) struct Held {
    /// Open objections held by at least one counted participant.
    pub open: usize,
    /// Per stakeholder group: open and addressed objections its counted members hold,
    /// as objector or signatory (each objection once per group).
    pub by_group: BTreeMap<String, (usize, usize)>,
}

/// Open and addressed objections held by counted participants, per paragraph id.
pub(crate) fn per_paragraph(items: &[Objection], options: &Options) -> BTreeMap<ParaId, Held> {
    let mut out: BTreeMap<ParaId, Held> = BTreeMap::new();
    for o in items.iter().filter(|o| o.counted) {
        let Some(para) = &o.para else { continue };
        let (open, addressed) = match o.state {
            ObjectionState::Open => (1, 0),
            ObjectionState::Addressed { .. } => (0, 1),
            _ => continue,
        };
        let mut groups: std::collections::BTreeSet<&str> = o
            .signatories
            .iter()
            .filter(|s| s.counted)
            .map(|s| s.group.as_str())
            .collect();
        if options.counts(&o.objector) {
            groups.insert(o.group.as_str());
        }
        let held = out.entry(para.clone()).or_default();
        held.open += open;
        for g in groups {
            let slot = held.by_group.entry(g.to_owned()).or_default();
            slot.0 += open;
            slot.1 += addressed;
        }
    }
    out
}
