//! What is new for the node's participant since they last looked: replies to their
//! comments, editors' dispositions of them, new revisions of drafts (with what changed
//! since they last read each one), new comments and objections on paragraphs where they
//! commented or took a stance, and comment periods closing within a week.
//!
//! "New" is by arrival on this node, not by the time an entry claims: a comment written
//! offline last week and synced today is news today. The node keeps, locally and per
//! identity, the position in its store up to which the news was marked read, and the
//! version of each draft its participant last read; nothing of it is signed or synced.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use margin_core::ParaId;
use margin_core::Timestamp;
use margin_core::body::ChangeHash;
use margin_core::body::{Body, DispositionValue, StanceValue};
use margin_core::entry::{Entry, Verified};
use margin_core::id::{DraftId, SpaceId};
use margin_core::key::PublicKey;
use margin_draft::ParagraphChange;
use margin_space::Space;
use margin_space::view::{CommentView, ParticipantView, format_time};
use serde::Serialize;

use crate::error::NodeError;
use crate::node::Node;

/// How far ahead a closing comment period is news.
pub const CLOSING_SOON_DAYS: u64 = 7;
/// At most this many items are listed; the rest are counted in [`News::more`].
pub const MAX_ITEMS: usize = 200;
/// Entries read from the store at a time.
const BATCH: usize = 2_000;

/// Where the news starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Since {
    /// After what was last marked read on this node (everything, the first time).
    LastLooked,
    /// Entries made at or after this time, read or not.
    Time(Timestamp),
}

/// The news, newest first within each kind.
#[derive(Clone, Debug, Serialize)]
pub struct News {
    /// The participant the news is for.
    pub key: String,
    /// `{"mark": N}`: after store position N, as last marked read (0: never);
    /// `{"date": "…"}`: entries made since then.
    pub since: serde_json::Value,
    pub items: Vec<NewsItem>,
    /// Items beyond [`MAX_ITEMS`], not listed.
    pub more: usize,
    /// Comment periods closing within [`CLOSING_SOON_DAYS`] days, soonest first.
    pub closing: Vec<Closing>,
}

/// One piece of news.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NewsItem {
    /// Someone replied to one of my comments.
    Reply {
        space: String,
        /// My comment.
        to: String,
        reply: CommentView,
    },
    /// An editor disposed of one of my comments.
    Disposition {
        space: String,
        draft: String,
        comment: String,
        #[serde(serialize_with = "word")]
        value: DispositionValue,
        note: String,
        by: ParticipantView,
        time: String,
    },
    /// New revisions of a draft.
    Revision {
        space: String,
        draft: String,
        title: String,
        /// How many arrived.
        revisions: usize,
        /// The latest of them.
        message: String,
        by: ParticipantView,
        time: String,
        /// What changed since I last read the draft on this node; none when I never did.
        since_read: Option<SinceRead>,
    },
    /// A new comment (or objection) by someone else on a paragraph where I commented or
    /// took a stance.
    Comment {
        space: String,
        /// The paragraph's number in the current text, when it is still there.
        n: Option<usize>,
        comment: CommentView,
    },
    /// Someone objected, by a stance, to a paragraph where I commented or took a stance.
    Objection {
        space: String,
        draft: String,
        para: ParaId,
        n: Option<usize>,
        by: ParticipantView,
        reason: String,
        time: String,
    },
}

/// A disposition as its word (`partly`), as everywhere in Margin's JSON.
fn word<S: serde::Serializer>(value: &DispositionValue, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(value.as_str())
}

/// What changed in a draft since its reader last read it (all zero: they read the
/// current text).
#[derive(Clone, Debug, Serialize)]
pub struct SinceRead {
    /// The version last read, as `@HEADS` (see [`margin_space::draft::DraftState::version_heads`]),
    /// for `margin diff` and the web's comparison.
    pub from: String,
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
}

/// A comment period that closes soon.
#[derive(Clone, Debug, Serialize)]
pub struct Closing {
    pub space: String,
    pub title: String,
    pub closes: String,
    /// Whole days left (0: closes within the day).
    pub days: u64,
}

/// The headings news is listed under, in their order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Replies,
    Dispositions,
    Revisions,
    WhereYouTookPart,
}

impl Section {
    pub const ALL: [Section; 4] = [
        Section::Replies,
        Section::Dispositions,
        Section::Revisions,
        Section::WhereYouTookPart,
    ];

    /// The heading, in English (the web interface has its own words).
    pub fn heading(self) -> &'static str {
        match self {
            Section::Replies => "Replies to your comments",
            Section::Dispositions => "Dispositions of your comments",
            Section::Revisions => "New revisions",
            Section::WhereYouTookPart => "Where you commented or took a stance",
        }
    }
}

impl News {
    /// The items listed under `section`, newest first.
    pub fn in_section(&self, section: Section) -> Vec<&NewsItem> {
        self.items
            .iter()
            .filter(|i| i.section() == section)
            .collect()
    }
}

impl NewsItem {
    pub fn section(&self) -> Section {
        match self {
            NewsItem::Reply { .. } => Section::Replies,
            NewsItem::Disposition { .. } => Section::Dispositions,
            NewsItem::Revision { .. } => Section::Revisions,
            NewsItem::Comment { .. } | NewsItem::Objection { .. } => Section::WhereYouTookPart,
        }
    }

    /// When the news happened, for the order of the list.
    fn time(&self) -> &str {
        match self {
            NewsItem::Reply { reply, .. } => &reply.time,
            NewsItem::Comment { comment, .. } => &comment.time,
            NewsItem::Disposition { time, .. }
            | NewsItem::Revision { time, .. }
            | NewsItem::Objection { time, .. } => time,
        }
    }
}

/// The settings that hold the marks, per identity.
fn mark_setting(key: &PublicKey) -> String {
    format!("news.mark.{key}")
}

fn read_setting(key: &PublicKey, draft: &DraftId) -> String {
    format!("news.read.{key}.{draft}")
}

/// Heads as `@HEX,HEX`, the name of a version by its heads.
pub fn heads_name(heads: &[ChangeHash]) -> String {
    let hex: Vec<String> = heads.iter().map(hex::encode).collect();
    format!("@{}", hex.join(","))
}

impl Node {
    /// The news for the node's participant.
    pub fn news(&self, since: Since) -> Result<News, NodeError> {
        let me = self.public_identity()?.key;
        let now = self.now();
        let (start, since_value) = match since {
            Since::LastLooked => {
                let mark = self.news_mark(&me)?;
                (mark, serde_json::json!({ "mark": mark }))
            }
            Since::Time(t) => (0, serde_json::json!({ "date": format_time(t) })),
        };
        // The new entries of each space, in the order they arrived.
        let mut arrived: BTreeMap<SpaceId, Vec<Entry<Verified>>> = BTreeMap::new();
        let mut position = start;
        loop {
            let batch = self.store().entries_since(position, BATCH)?;
            let Some((last, _)) = batch.last() else { break };
            position = *last;
            for (_, entry) in batch {
                let wanted = match since {
                    Since::LastLooked => true,
                    Since::Time(t) => entry.time() >= t,
                };
                if wanted && entry.author() != me {
                    arrived
                        .entry(entry.space_or_self())
                        .or_default()
                        .push(entry);
                }
            }
        }
        let mut items = vec![];
        let mut closing = vec![];
        for space in self.space_ids()? {
            let entries = arrived.remove(&space).unwrap_or_default();
            self.with_space(&space, |s| {
                items.extend(self.space_news(s, &me, &entries)?);
                closing.extend(closing_soon(s, now));
                Ok::<_, NodeError>(())
            })?;
        }
        items.sort_by(|a, b| b.time().cmp(a.time()));
        let more = items.len().saturating_sub(MAX_ITEMS);
        items.truncate(MAX_ITEMS);
        closing.sort_by_key(|c| c.days);
        Ok(News {
            key: me.to_string(),
            since: since_value,
            items,
            more,
            closing,
        })
    }

    /// Marks everything so far as read: the news starts after it next time, and every
    /// draft counts as read in its current version. Returns the new mark.
    pub fn mark_news_read(&mut self) -> Result<i64, NodeError> {
        let me = self.public_identity()?.key;
        let mark = self.store().last_seq()?;
        let mut drafts = vec![];
        for space in self.space_ids()? {
            self.with_space(&space, |s| {
                drafts.extend(s.drafts().map(|d| (d.id, d.doc.heads())));
                Ok::<_, NodeError>(())
            })?;
        }
        let store = self.store_mut();
        store.set_setting(&mark_setting(&me), &mark.to_string())?;
        for (draft, heads) in drafts {
            store.set_setting(&read_setting(&me, &draft), &heads_name(&heads))?;
        }
        Ok(mark)
    }

    /// Records that the node's participant read `draft` at `heads` (its pages and `margin
    /// draft show` call this), so that the news can say what changed since. Nothing is
    /// recorded on a node without a participant.
    pub fn mark_draft_read(
        &mut self,
        draft: &DraftId,
        heads: &[ChangeHash],
    ) -> Result<(), NodeError> {
        let Ok(identity) = self.public_identity() else {
            return Ok(());
        };
        let setting = read_setting(&identity.key, draft);
        let name = heads_name(heads);
        if self.store().setting(&setting)?.as_deref() != Some(name.as_str()) {
            self.store_mut().set_setting(&setting, &name)?;
        }
        Ok(())
    }

    /// Records that the node's participant read the current text of `draft` (an id or
    /// its prefix).
    pub fn mark_current_read(&mut self, draft: &str) -> Result<(), NodeError> {
        let (id, space) = self.locate_draft(draft)?;
        let heads = self.with_space(&space, |s| {
            s.draft(&id)
                .map(|d| d.doc.heads())
                .ok_or_else(|| NodeError::NotFound(draft.to_owned()))
        })?;
        self.mark_draft_read(&id, &heads)
    }

    fn news_mark(&self, me: &PublicKey) -> Result<i64, NodeError> {
        Ok(self
            .store()
            .setting(&mark_setting(me))?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// The version of `draft` its reader last read here, if any.
    fn last_read(&self, me: &PublicKey, draft: &DraftId) -> Result<Option<String>, NodeError> {
        Ok(self.store().setting(&read_setting(me, draft))?)
    }

    fn space_news(
        &self,
        space: &Space,
        me: &PublicKey,
        entries: &[Entry<Verified>],
    ) -> Result<Vec<NewsItem>, NodeError> {
        if entries.is_empty() {
            return Ok(vec![]);
        }
        let space_id = space.id().to_string();
        let mine = my_paragraphs(space, me);
        let numbers = paragraph_numbers(space);
        let mut items = vec![];
        let mut revisions: BTreeMap<DraftId, Vec<&Entry<Verified>>> = BTreeMap::new();
        for entry in entries {
            // Entries no longer in the space's state (erased, refused later) are no news.
            if !space.contains(&entry.id()) {
                continue;
            }
            match entry.body() {
                Some(Body::Comment(c)) => {
                    let Some(view) = space.comment_view_of(&entry.id()) else {
                        continue;
                    };
                    if view.retracted || view.hidden.is_some() {
                        continue;
                    }
                    let to_me = c
                        .parent
                        .and_then(|p| space.comment(&p))
                        .filter(|p| space.person(&p.author) == space.person(me));
                    if let Some(parent) = to_me {
                        items.push(NewsItem::Reply {
                            space: space_id.clone(),
                            to: parent.id.to_string(),
                            reply: view,
                        });
                    } else if let Some(para) = c.anchor.as_ref().map(|a| &a.para)
                        && c.parent.is_none()
                        && mine.contains(&(c.draft, para.clone()))
                    {
                        items.push(NewsItem::Comment {
                            space: space_id.clone(),
                            n: numbers.get(&(c.draft, para.clone())).copied(),
                            comment: view,
                        });
                    }
                }
                Some(Body::Disposition(d)) => {
                    let Some(comment) = space.comment(&d.comment) else {
                        continue;
                    };
                    if space.person(&comment.author) == space.person(me) {
                        items.push(NewsItem::Disposition {
                            space: space_id.clone(),
                            draft: comment.body.draft.to_string(),
                            comment: comment.id.to_string(),
                            value: d.value,
                            note: d.note.clone(),
                            by: space.participant(&entry.author()),
                            time: format_time(entry.time()),
                        });
                    }
                }
                Some(Body::Stance(s))
                    if s.value == StanceValue::Object
                        && mine.contains(&(s.draft, s.para.clone())) =>
                {
                    items.push(NewsItem::Objection {
                        space: space_id.clone(),
                        draft: s.draft.to_string(),
                        para: s.para.clone(),
                        n: numbers.get(&(s.draft, s.para.clone())).copied(),
                        by: space.participant(&entry.author()),
                        reason: s.reason.clone().unwrap_or_default(),
                        time: format_time(entry.time()),
                    });
                }
                Some(Body::DraftChange(change)) => {
                    let draft = change.draft.unwrap_or(entry.id());
                    revisions.entry(draft).or_default().push(entry);
                }
                _ => {}
            }
        }
        for (draft, arrived) in revisions {
            let Some(state) = space.draft(&draft) else {
                continue;
            };
            let Some(latest) = arrived.iter().max_by_key(|e| (e.time(), e.id())) else {
                continue;
            };
            let message = match latest.body() {
                Some(Body::DraftChange(c)) => c.message.clone(),
                _ => String::new(),
            };
            let since_read = match self.last_read(me, &draft)? {
                Some(from) => since_read(state, &from)?,
                None => None,
            };
            items.push(NewsItem::Revision {
                space: space_id.clone(),
                draft: draft.to_string(),
                title: state.title(),
                revisions: arrived.len(),
                message,
                by: space.participant(&latest.author()),
                time: format_time(latest.time()),
                since_read,
            });
        }
        Ok(items)
    }
}

/// What changed between the version named `from` and the current text (nothing when it
/// is the current one); none when that version is unknown here.
fn since_read(
    state: &margin_space::draft::DraftState,
    from: &str,
) -> Result<Option<SinceRead>, NodeError> {
    let Some(heads) = state.version_heads(Some(from)) else {
        return Ok(None);
    };
    let current = state.doc.heads();
    let diff = state.doc.diff(&heads, &current)?;
    let count = |change| {
        diff.paragraphs
            .iter()
            .filter(|p| p.change == change)
            .count()
    };
    Ok(Some(SinceRead {
        from: from.to_owned(),
        added: count(ParagraphChange::Added),
        removed: count(ParagraphChange::Removed),
        changed: count(ParagraphChange::Changed),
    }))
}

/// The paragraphs where `me` commented (first comments of threads, and comments
/// re-attached there) or took a stance.
fn my_paragraphs(space: &Space, me: &PublicKey) -> BTreeSet<(DraftId, ParaId)> {
    let mut mine = BTreeSet::new();
    let person = space.person(me);
    for c in space
        .comments()
        .filter(|c| space.person(&c.author) == person)
    {
        if let Some(anchor) = &c.body.anchor {
            mine.insert((c.body.draft, anchor.para.clone()));
        }
        if let Some(r) = &c.reattached {
            mine.insert((c.body.draft, r.value.1.para.clone()));
        }
    }
    for ((draft, para, author), _) in space.stances() {
        if author == person {
            mine.insert((draft, para));
        }
    }
    mine
}

/// Each paragraph's number in the current text of its draft.
fn paragraph_numbers(space: &Space) -> HashMap<(DraftId, ParaId), usize> {
    let mut numbers = HashMap::new();
    for draft in space.drafts() {
        let Ok(view) = draft.doc.view(None) else {
            continue;
        };
        for p in view.sections.into_iter().flat_map(|s| s.paragraphs) {
            numbers.insert((draft.id, p.id), p.n);
        }
    }
    numbers
}

/// The space's comment period, when it closes within [`CLOSING_SOON_DAYS`] days.
fn closing_soon(space: &Space, now: Timestamp) -> Option<Closing> {
    let charter = space.charter();
    let closes = charter.closes?;
    let day = 24 * 3600 * 1000;
    if closes <= now || closes.millis_since(now) > CLOSING_SOON_DAYS * day {
        return None;
    }
    Some(Closing {
        space: space.id().to_string(),
        title: charter.title.clone(),
        closes: format_time(closes),
        days: closes.millis_since(now) / day,
    })
}

impl News {
    /// The news as text, by kind.
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let who = |p: &ParticipantView| format!("{} ({})", p.name, p.stakeholder);
        let day = |t: &str| t.get(..16).unwrap_or(t).replace('T', " ");
        let excerpt = |text: &str| {
            let short: String = text.chars().take(100).collect();
            if short.len() < text.len() {
                format!("\"{short}…\"")
            } else {
                format!("\"{short}\"")
            }
        };
        let para =
            |n: Option<usize>| n.map_or("a paragraph no longer there".into(), |n| format!("¶{n}"));
        for section in Section::ALL {
            let items = self.in_section(section);
            if items.is_empty() {
                continue;
            }
            let heading = section.heading();
            let _ = writeln!(out, "{heading}");
            for item in items {
                let line = match item {
                    NewsItem::Reply { to, reply, .. } => format!(
                        "{}  {} replied to your comment {}: {}  [{}]",
                        day(&reply.time),
                        who(&reply.author),
                        short(to),
                        excerpt(&reply.body),
                        short(&reply.id)
                    ),
                    NewsItem::Disposition {
                        comment,
                        value,
                        note,
                        by,
                        time,
                        ..
                    } => format!(
                        "{}  {}: {} your comment {}{}",
                        day(time),
                        who(by),
                        value.as_str(),
                        short(comment),
                        if note.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", excerpt(note))
                        }
                    ),
                    NewsItem::Revision {
                        draft,
                        title,
                        revisions,
                        message,
                        by,
                        time,
                        since_read,
                        ..
                    } => {
                        let mut line = format!(
                            "{}  \"{title}\" [{}]: {revisions} new revision{}, the latest by {}: {}",
                            day(time),
                            short(draft),
                            if *revisions == 1 { "" } else { "s" },
                            who(by),
                            excerpt(message)
                        );
                        match since_read {
                            Some(d) if d.changed + d.added + d.removed == 0 => {
                                line.push_str("\n      you have read the current text");
                            }
                            Some(d) => {
                                let _ = write!(
                                    line,
                                    "\n      since you last read it: {} changed, {} added, {} removed paragraphs\n      margin draft diff {} {} current",
                                    d.changed,
                                    d.added,
                                    d.removed,
                                    short(draft),
                                    d.from
                                );
                            }
                            None => line.push_str("\n      not read on this node yet"),
                        }
                        line
                    }
                    NewsItem::Comment { n, comment, .. } => format!(
                        "{}  {} on {}: {}: {}  [{}]",
                        day(&comment.time),
                        who(&comment.author),
                        para(*n),
                        comment.kind,
                        excerpt(&comment.body),
                        short(&comment.id)
                    ),
                    NewsItem::Objection {
                        n,
                        by,
                        reason,
                        time,
                        ..
                    } => format!(
                        "{}  {} objects to {}: {}",
                        day(time),
                        who(by),
                        para(*n),
                        excerpt(reason)
                    ),
                };
                let _ = writeln!(out, "  {line}");
            }
            let _ = writeln!(out);
        }
        if self.more > 0 {
            let _ = writeln!(out, "… and {} more.\n", self.more);
        }
        if !self.closing.is_empty() {
            let _ = writeln!(out, "Comment periods closing soon");
            for c in &self.closing {
                let when = match c.days {
                    0 => "today".to_owned(),
                    1 => "in 1 day".to_owned(),
                    n => format!("in {n} days"),
                };
                let _ = writeln!(out, "  \"{}\" closes {} ({when})", c.title, day(&c.closes));
            }
            let _ = writeln!(out);
        }
        if self.items.is_empty() {
            let _ = writeln!(out, "Nothing new since you last looked.");
        }
        out
    }
}

/// The first characters of an id, enough to name it.
fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}
