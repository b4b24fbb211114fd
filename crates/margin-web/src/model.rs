//! What the pages show, computed on the store thread from a space's state: a draft at
//! the version being read with its comments placed beside their passages, threads,
//! tallies and filters; one comment's thread; a space; a diff.
//!
//! Anchors are resolved against the version being read, all at once per page (one
//! snapshot of the draft), so a page with thousands of comments stays fast.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use margin_consensus::objection::Source;
use margin_consensus::{Options, objections};
use margin_core::Timestamp;
use margin_core::body::{ChangeHash, CommentKind, DispositionValue, Policy, StanceValue};
use margin_core::id::{DraftId, EntryId};
use margin_core::key::PublicKey;
use margin_draft::{BlockKind, DraftDiff};
use margin_space::Space;
use margin_space::comment::CommentState;
use margin_space::draft::DraftState;
use margin_space::view::{AnchorView, CommentView, SpaceView, Tally, draft_anchor, format_time};
use serde::{Deserialize, Serialize, Serializer};

use super::{Viewer, WebError};

/// What a draft page was asked for: the version (a tag name; none or `current` for the
/// current text) and filters on the comments.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DraftQuery {
    pub v: Option<String>,
    pub kind: Option<String>,
    pub group: Option<String>,
    pub region: Option<String>,
    pub open: Option<String>,
    pub undisposed: Option<String>,
}

/// Which threads to show (by their first comment).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Filters {
    #[serde(serialize_with = "word")]
    pub kind: Option<CommentKind>,
    pub group: Option<String>,
    pub region: Option<String>,
    /// Open objections only (by the objection register's rules).
    pub open: bool,
    /// Comments without a disposition only.
    pub undisposed: bool,
}

/// A vocabulary value as its word (`"objection"`), as the rest of the JSON API writes it.
fn word<T: ToString, S: Serializer>(value: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.serialize_str(&v.to_string()),
        None => s.serialize_none(),
    }
}

fn given(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn flag(s: &Option<String>) -> bool {
    matches!(s.as_deref(), Some("1" | "on" | "true" | "yes"))
}

impl DraftQuery {
    /// The version asked for, `None` for the current one.
    pub fn version(&self) -> Option<String> {
        given(&self.v).filter(|v| v != "current")
    }

    pub fn filters(&self) -> Result<Filters, WebError> {
        let kind = match given(&self.kind).as_deref() {
            None => None,
            Some(k) => Some(parse_kind(k)?),
        };
        Ok(Filters {
            kind,
            group: given(&self.group),
            region: given(&self.region),
            open: flag(&self.open),
            undisposed: flag(&self.undisposed),
        })
    }
}

impl Filters {
    pub fn active(&self) -> bool {
        *self != Filters::default()
    }

    fn keep(&self, item: &Item) -> bool {
        let v = &item.view;
        self.kind.is_none_or(|k| item.kind == k)
            && self
                .group
                .as_ref()
                .is_none_or(|g| &v.author.stakeholder == g)
            && self.region.as_ref().is_none_or(|r| &v.author.region == r)
            && (!self.open || item.open_objection)
            && (!self.undisposed || (v.disposition.is_none() && !v.retracted))
    }

    /// The filters as query parameters (`kind=…&open=1`), to keep them in links.
    pub fn query(&self) -> String {
        let mut pairs: Vec<(&str, &str)> = vec![];
        if let Some(k) = self.kind {
            pairs.push(("kind", k.as_str()));
        }
        if let Some(g) = &self.group {
            pairs.push(("group", g));
        }
        if let Some(r) = &self.region {
            pairs.push(("region", r));
        }
        if self.open {
            pairs.push(("open", "1"));
        }
        if self.undisposed {
            pairs.push(("undisposed", "1"));
        }
        query(&pairs)
    }
}

/// Query parameters, form-encoded (`a=1&b=x+y`): the one encoder of links' queries.
pub fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// A comment kind by its word (`question`).
pub fn parse_kind(s: &str) -> Result<CommentKind, WebError> {
    s.parse()
        .map_err(|e: margin_core::vocabulary::UnknownWord| {
            WebError::BadRequest(format!(
                "'{}' is not a kind of comment: {}",
                e.word,
                e.allowed.join(", ")
            ))
        })
}

/// A comment as a page shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Item {
    #[serde(flatten)]
    pub view: CommentView,
    /// Its kind (the view's `kind`, typed).
    #[serde(skip)]
    pub kind: CommentKind,
    /// Its disposition's value (the view's `disposition.value`, typed).
    #[serde(skip)]
    pub disposition: Option<DispositionValue>,
    /// Written by the participant of this node.
    pub mine: bool,
    /// An objection the register counts as open (computed when filtering on open
    /// objections).
    pub open_objection: bool,
    /// For a comment on a whole paragraph that has changed since: its text then.
    pub paragraph_then: Option<String>,
}

impl Item {
    pub fn id(&self) -> &str {
        &self.view.id
    }

    /// The short id used in element ids and highlights.
    pub fn short(&self) -> &str {
        &self.view.id[..12.min(self.view.id.len())]
    }
}

/// A comment and the replies to it (and to them), in the order they were made.
#[derive(Clone, Debug, Serialize)]
pub struct Thread {
    pub root: Item,
    pub replies: Vec<Item>,
}

/// A passage to highlight: code point range in the paragraph, and the comment.
#[derive(Clone, Debug, Serialize)]
pub struct Highlight {
    pub start: usize,
    pub end: usize,
    pub comment: String,
}

/// A heading, paragraph or list item with what was said about it.
#[derive(Clone, Debug, Serialize)]
pub struct Block {
    pub id: String,
    /// The paragraph number (`None` for headings).
    pub n: Option<usize>,
    /// 1 to 6 for headings.
    pub level: Option<u8>,
    /// The list marker of an item.
    pub marker: String,
    pub text: String,
    pub bracketed: bool,
    /// Threads shown (after filtering), anchored here.
    pub threads: Vec<Thread>,
    /// All comments anchored here, replies included, before filtering.
    pub comments: usize,
    /// Open objections (comments and stances), when filtering on them.
    pub open_objections: usize,
    pub tally: Tally,
    #[serde(serialize_with = "word")]
    pub my_stance: Option<StanceValue>,
    pub highlights: Vec<Highlight>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SectionModel {
    pub heading: Option<Block>,
    pub paragraphs: Vec<Block>,
}

/// A named version.
#[derive(Clone, Debug, Serialize)]
pub struct VersionItem {
    pub name: String,
    pub time: String,
}

/// A draft at the version being read, with its comments.
#[derive(Clone, Debug, Serialize)]
pub struct DraftModel {
    pub space: String,
    pub space_title: String,
    pub draft: String,
    pub title: String,
    /// Tagged versions, oldest first.
    pub versions: Vec<VersionItem>,
    /// The version read (`None`: the current text).
    pub reading: Option<String>,
    pub sections: Vec<SectionModel>,
    /// Threads on the whole draft.
    pub whole: Vec<Thread>,
    /// Threads whose passage is gone (reading the current version).
    pub orphans: Vec<Thread>,
    /// Threads whose passage is not in the older version read.
    pub elsewhere: Vec<Thread>,
    /// The reader may act as an editor of this space.
    pub editor: bool,
    /// Stakeholder groups and regions of commenters, for the filters.
    pub groups: Vec<String>,
    pub regions: Vec<String>,
    pub filters: Filters,
    /// Comments on this draft, replies included.
    pub comments: usize,
    /// Threads shown after filtering.
    pub shown: usize,
}

impl DraftModel {
    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.sections
            .iter()
            .flat_map(|s| s.heading.iter().chain(s.paragraphs.iter()))
    }

    /// Keeps one block only (a paragraph page).
    pub fn only(&mut self, pid: &str) -> Result<(), WebError> {
        let mut found = false;
        for s in &mut self.sections {
            if s.heading.as_ref().is_some_and(|h| h.id != pid) {
                s.heading = None;
            }
            s.paragraphs.retain(|p| p.id == pid);
            found |= s.heading.is_some() || !s.paragraphs.is_empty();
        }
        self.sections
            .retain(|s| s.heading.is_some() || !s.paragraphs.is_empty());
        self.whole.clear();
        self.orphans.clear();
        self.elsewhere.clear();
        if found {
            Ok(())
        } else {
            Err(WebError::NotFound(format!(
                "this version of the draft has no paragraph '{pid}'"
            )))
        }
    }
}

/// The heads of the version a page reads.
pub fn reading_heads(
    state: &DraftState,
    version: Option<&str>,
) -> Result<Vec<ChangeHash>, WebError> {
    state.version_heads(version).ok_or_else(|| {
        WebError::NotFound(format!(
            "the draft has no version named '{}'",
            version.unwrap_or_default()
        ))
    })
}

/// Whether `me` is an editor of the space now.
pub fn is_editor(space: &Space, viewer: &Viewer) -> bool {
    viewer.can_write()
        && viewer
            .key()
            .is_some_and(|k| space.charter().editors.contains(&k))
}

/// Withholds the words of comments by keys the viewer muted (a local choice), and on a
/// mirror's public site those of retracted comments (their author took them back; the
/// participants' own nodes still show them struck through, as the record).
fn withhold(items: &mut [Item], viewer: &Viewer) {
    for item in items.iter_mut() {
        let muted = viewer.muted.contains(&item.view.author.key);
        if muted || (viewer.public && item.view.retracted) {
            item.view.body.clear();
            item.view.suggestion = None;
            item.view.muted = muted;
        }
    }
}

/// Builds the draft page's model.
pub fn draft_model(
    space: &Space,
    draft: &DraftId,
    query: &DraftQuery,
    viewer: &Viewer,
) -> Result<DraftModel, WebError> {
    let filters = query.filters()?;
    let reading = query.version();
    let editor = is_editor(space, viewer);
    let charter = space.charter();
    let state = space
        .draft(draft)
        .ok_or_else(|| WebError::NotFound(format!("no draft {draft}")))?;
    let heads = reading_heads(state, reading.as_deref())?;
    let view = state
        .doc
        .view(Some(&heads))
        .map_err(margin_node::NodeError::from)?;
    // The objection register resolves every objection's passage twice, which is slow on
    // a busy draft: it is computed for the "open objections" filter only.
    let open = if filters.open {
        open_objections(space, draft, charter)
    } else {
        Open::default()
    };
    let me = viewer.key();
    let mut items = items(space, state, &heads, me.as_ref(), &open.comments, |_| true)?;
    withhold(&mut items, viewer);
    let comments = items.len();
    let mut groups = BTreeSet::new();
    let mut regions = BTreeSet::new();
    for i in &items {
        groups.insert(i.view.author.stakeholder.clone());
        regions.insert(i.view.author.region.clone());
    }
    // Comment counts per block, before filtering, replies with their thread.
    let threads = threads(items);
    let mut counts: HashMap<String, usize> = HashMap::new();
    for t in &threads {
        if let AnchorView::Anchored { para, .. } = &t.root.view.anchor {
            *counts.entry(para.to_string()).or_default() += 1 + t.replies.len();
        }
    }
    let mut by_block: HashMap<String, Vec<Thread>> = HashMap::new();
    let (mut whole, mut orphans, mut elsewhere) = (vec![], vec![], vec![]);
    let mut shown = 0;
    for t in threads {
        if !filters.keep(&t.root) {
            continue;
        }
        shown += 1;
        match &t.root.view.anchor {
            AnchorView::Draft => whole.push(t),
            AnchorView::Anchored { para, .. } => {
                by_block.entry(para.to_string()).or_default().push(t)
            }
            AnchorView::Orphaned if reading.is_none() => orphans.push(t),
            AnchorView::Orphaned => elsewhere.push(t),
        }
    }
    let stances: HashMap<String, (Tally, Option<StanceValue>)> = space
        .stance_views(draft)
        .into_iter()
        .map(|p| {
            let mine = me.and_then(|k| {
                let k = k.to_string();
                p.stances
                    .iter()
                    .find(|s| s.author.key == k)
                    .and_then(|s| s.stance.parse().ok())
            });
            (p.para.into_string(), (p.tally, mine))
        })
        .collect();
    let block = |id: String,
                 n: Option<usize>,
                 level: Option<u8>,
                 marker: String,
                 text: String,
                 bracketed: bool,
                 by_block: &mut HashMap<String, Vec<Thread>>| {
        let threads = by_block.remove(&id).unwrap_or_default();
        let highlights = threads
            .iter()
            .filter_map(|t| match &t.root.view.anchor {
                AnchorView::Anchored { start, end, .. } if t.root.view.quote.is_some() => {
                    Some(Highlight {
                        start: *start,
                        end: *end,
                        comment: t.root.short().to_owned(),
                    })
                }
                _ => None,
            })
            .collect();
        let (tally, my_stance) = stances.get(&id).cloned().unwrap_or_default();
        Block {
            comments: counts.get(&id).copied().unwrap_or(0),
            open_objections: open.by_para.get(&id).copied().unwrap_or(0),
            id,
            n,
            level,
            marker,
            text,
            bracketed,
            threads,
            tally,
            my_stance,
            highlights,
        }
    };
    let mut sections = vec![];
    for s in view.sections {
        let heading = s.heading.map(|h| {
            block(
                h.id.into_string(),
                None,
                Some(h.level),
                String::new(),
                h.text,
                h.bracketed,
                &mut by_block,
            )
        });
        let paragraphs = s
            .paragraphs
            .into_iter()
            .map(|p| {
                let marker = if p.kind == BlockKind::Item {
                    p.marker
                } else {
                    String::new()
                };
                block(
                    p.id.into_string(),
                    Some(p.n),
                    None,
                    marker,
                    p.text,
                    p.bracketed,
                    &mut by_block,
                )
            })
            .collect();
        sections.push(SectionModel {
            heading,
            paragraphs,
        });
    }
    let mut versions: Vec<(Timestamp, VersionItem)> = state
        .tags
        .iter()
        .map(|(name, tag)| {
            (
                tag.time,
                VersionItem {
                    name: name.clone(),
                    time: format_time(tag.time),
                },
            )
        })
        .collect();
    versions.sort_by(|a, b| (a.0, &a.1.name).cmp(&(b.0, &b.1.name)));
    Ok(DraftModel {
        space: space.id().to_string(),
        space_title: charter.title.clone(),
        draft: draft.to_string(),
        title: view.title,
        versions: versions.into_iter().map(|(_, v)| v).collect(),
        reading,
        sections,
        whole,
        orphans,
        elsewhere,
        editor,
        groups: groups.into_iter().collect(),
        regions: regions.into_iter().collect(),
        filters,
        comments,
        shown,
    })
}

/// Open objections of a draft, by the register's rules.
#[derive(Default)]
struct Open {
    /// Comments that are open objections.
    comments: HashSet<EntryId>,
    /// Open objections (comments and stances) per paragraph.
    by_para: HashMap<String, usize>,
}

fn open_objections(
    space: &Space,
    draft: &DraftId,
    charter: &margin_space::charter::CharterState,
) -> Open {
    let mut open = Open {
        comments: HashSet::new(),
        by_para: HashMap::new(),
    };
    let register = match objections(space, draft, &Options::for_charter(charter)) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(target: "http", "no objection register for draft {draft}: {e}");
            return open;
        }
    };
    for o in register
        .objections
        .into_iter()
        .filter(|o| o.state.is_open())
    {
        if let Some(p) = o.para {
            *open.by_para.entry(p.into_string()).or_default() += 1;
        }
        if o.source == Source::Comment
            && let Ok(id) = o.id.parse()
        {
            open.comments.insert(id);
        }
    }
    open
}

/// The comments of a draft that `keep` selects, resolved against `heads`, in the order
/// [`Space::comments_in_order`] gives (replies after what they answer).
pub fn items(
    space: &Space,
    state: &DraftState,
    heads: &[ChangeHash],
    me: Option<&PublicKey>,
    open: &HashSet<EntryId>,
    keep: impl Fn(&CommentState) -> bool,
) -> Result<Vec<Item>, WebError> {
    let comments: Vec<&CommentState> = space
        .comments_in_order()
        .into_iter()
        .filter(|c| c.body.draft == state.id && keep(c))
        .collect();
    let anchors: Vec<margin_draft::Anchor> = comments
        .iter()
        .filter_map(|c| c.anchor().map(|(h, a)| draft_anchor(h, a)))
        .collect();
    let mut resolved = state
        .doc
        .resolve_all(&anchors, Some(heads))
        .map_err(margin_node::NodeError::from)?
        .into_iter();
    let view = state
        .doc
        .view(Some(heads))
        .map_err(margin_node::NodeError::from)?;
    let numbers: HashMap<String, usize> = view
        .sections
        .iter()
        .flat_map(|s| s.paragraphs.iter().map(|p| (p.id.to_string(), p.n)))
        .collect();
    let mut then_cache: HashMap<Vec<ChangeHash>, HashMap<String, String>> = HashMap::new();
    let mut out = Vec::with_capacity(comments.len());
    for c in comments {
        let anchor = match c.anchor() {
            None => AnchorView::Draft,
            Some(_) => match resolved.next() {
                Some(state) => {
                    AnchorView::placed(state, |para| numbers.get(para.as_str()).copied())
                }
                None => AnchorView::Orphaned,
            },
        };
        let paragraph_then = match (&anchor, c.anchor()) {
            (AnchorView::Anchored { exact: false, .. }, Some((then, a))) if a.quote.is_none() => {
                let texts = then_cache.entry(then.to_vec()).or_insert_with(|| {
                    state
                        .doc
                        .view(Some(then))
                        .map(|v| {
                            v.sections
                                .into_iter()
                                .flat_map(|s| {
                                    s.heading
                                        .map(|h| (h.id.into_string(), h.text))
                                        .into_iter()
                                        .chain(
                                            s.paragraphs
                                                .into_iter()
                                                .map(|p| (p.id.into_string(), p.text)),
                                        )
                                })
                                .collect()
                        })
                        .unwrap_or_default()
                });
                texts.get(a.para.as_str()).cloned()
            }
            _ => None,
        };
        let view = comment_view(space, state, c, anchor);
        out.push(Item {
            kind: c.body.kind,
            disposition: c.disposition.as_ref().map(|d| d.value.value),
            mine: me.is_some_and(|k| *k == c.author),
            open_objection: open.contains(&c.id),
            paragraph_then,
            view,
        });
    }
    Ok(out)
}

/// A comment as `margin comments --json` shows it, with its anchor already resolved;
/// for people, the editor who disposed of it is named rather than given by key.
fn comment_view(
    space: &Space,
    draft: &DraftState,
    c: &CommentState,
    anchor: AnchorView,
) -> CommentView {
    let mut view = space.comment_view_at(draft, c, anchor);
    if let (Some(shown), Some(d)) = (view.disposition.as_mut(), c.disposition.as_ref()) {
        shown.editor = space.participant(&d.author).name;
    }
    view
}

/// Groups items into threads: each reply goes with the comment that started its thread.
pub fn threads(items: Vec<Item>) -> Vec<Thread> {
    let parents: HashMap<String, Option<String>> = items
        .iter()
        .map(|i| (i.view.id.clone(), i.view.parent.clone()))
        .collect();
    let root_of = |id: &str| {
        let mut id = id.to_owned();
        for _ in 0..parents.len() {
            match parents.get(&id).cloned().flatten() {
                Some(p) if parents.contains_key(&p) => id = p,
                _ => break,
            }
        }
        id
    };
    let mut out: Vec<Thread> = vec![];
    let mut index: HashMap<String, usize> = HashMap::new();
    for item in items {
        let root = root_of(&item.view.id);
        match index.get(&root) {
            Some(&i) if root != item.view.id => out[i].replies.push(item),
            _ => {
                index.insert(item.view.id.clone(), out.len());
                out.push(Thread {
                    root: item,
                    replies: vec![],
                });
            }
        }
    }
    out
}

/// One comment's page: its thread and what the reader may do with it.
#[derive(Clone, Debug, Serialize)]
pub struct CommentModel {
    pub space: String,
    pub space_title: String,
    pub draft: String,
    pub draft_title: String,
    /// The comment asked for.
    pub comment: String,
    pub thread: Thread,
    pub editor: bool,
    /// The viewer is a convener, who may hide a comment (with a reason all see).
    pub convener: bool,
    /// Revisions of the draft, newest first, for linking a disposition to one.
    pub revisions: Vec<RevisionItem>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RevisionItem {
    pub id: String,
    pub message: String,
    pub time: String,
}

impl CommentModel {
    /// The comment asked for.
    pub fn focus(&self) -> &Item {
        std::iter::once(&self.thread.root)
            .chain(self.thread.replies.iter())
            .find(|i| i.view.id == self.comment)
            .unwrap_or(&self.thread.root)
    }
}

pub fn comment_model(
    space: &Space,
    id: &EntryId,
    viewer: &Viewer,
) -> Result<CommentModel, WebError> {
    let editor = is_editor(space, viewer);
    let charter = space.charter();
    let comment = space
        .comment(id)
        .ok_or_else(|| WebError::NotFound(format!("no comment {id}")))?;
    let draft = comment.body.draft;
    let state = space
        .draft(&draft)
        .ok_or_else(|| WebError::NotFound(format!("no draft {draft}")))?;
    // The thread: every comment whose chain of parents reaches the same first comment.
    let mut root = *id;
    for _ in 0..space.comments().count() {
        match space.comment(&root).and_then(|c| c.body.parent) {
            Some(p) if space.comment(&p).is_some() => root = p,
            _ => break,
        }
    }
    let in_thread = |c: &CommentState| {
        let mut at = c.id;
        loop {
            if at == root {
                return true;
            }
            match space.comment(&at).and_then(|c| c.body.parent) {
                Some(p) if p != at => at = p,
                _ => return false,
            }
        }
    };
    let heads = state.doc.heads();
    let no_register = HashSet::new();
    let mut items = items(
        space,
        state,
        &heads,
        viewer.key().as_ref(),
        &no_register,
        in_thread,
    )?;
    withhold(&mut items, viewer);
    let thread = threads(items)
        .into_iter()
        .next()
        .ok_or_else(|| WebError::NotFound(format!("no comment {id}")))?;
    let revisions = state
        .history()
        .into_iter()
        .rev()
        .map(|r| RevisionItem {
            id: r.entry.to_string(),
            message: r.message.clone(),
            time: format_time(r.time),
        })
        .collect();
    Ok(CommentModel {
        space: space.id().to_string(),
        space_title: charter.title.clone(),
        draft: draft.to_string(),
        draft_title: state.title(),
        comment: id.to_string(),
        thread,
        editor,
        convener: viewer.can_write()
            && viewer.key().is_some_and(|k| charter.conveners.contains(&k)),
        revisions,
    })
}

/// A space's page.
#[derive(Clone, Debug, Serialize)]
pub struct SpaceModel {
    #[serde(flatten)]
    pub view: SpaceView,
    /// Who may comment (the view's `policy`, typed).
    #[serde(skip)]
    pub policy: Policy,
    pub editor: bool,
    /// Who took part, by group and region, beside their share of the people (as
    /// `margin balance`).
    #[serde(skip)]
    pub balance: margin_consensus::Balance,
}

pub fn space_model(space: &Space, viewer: &Viewer) -> SpaceModel {
    SpaceModel {
        editor: is_editor(space, viewer),
        policy: space.charter().policy,
        view: space.view(),
        balance: margin_consensus::balance(space, None, &Options::default()),
    }
}

/// The changes between two versions.
#[derive(Clone, Debug, Serialize)]
pub struct DiffModel {
    pub space: String,
    pub space_title: String,
    pub draft: String,
    pub title: String,
    pub from: String,
    pub to: String,
    pub versions: Vec<String>,
    pub diff: DraftDiff,
}

pub fn diff_model(
    space: &Space,
    draft: &DraftId,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<DiffModel, WebError> {
    let charter = space.charter();
    let state = space
        .draft(draft)
        .ok_or_else(|| WebError::NotFound(format!("no draft {draft}")))?;
    let mut versions: Vec<(Timestamp, String)> = state
        .tags
        .iter()
        .map(|(n, t)| (t.time, n.clone()))
        .collect();
    versions.sort();
    let versions: Vec<String> = versions.into_iter().map(|(_, n)| n).collect();
    fn name(v: Option<&str>) -> Option<&str> {
        v.filter(|v| !v.is_empty() && *v != "current")
    }
    // Without a `from`, compare the latest tagged version with the current text.
    let from = name(from)
        .map(str::to_owned)
        .or_else(|| versions.last().cloned());
    let to = name(to).map(str::to_owned);
    let from_heads = reading_heads(state, from.as_deref())?;
    let to_heads = reading_heads(state, to.as_deref())?;
    let diff = state
        .doc
        .diff(&from_heads, &to_heads)
        .map_err(margin_node::NodeError::from)?;
    Ok(DiffModel {
        space: space.id().to_string(),
        space_title: charter.title.clone(),
        draft: draft.to_string(),
        title: state.title(),
        from: from.unwrap_or_else(|| "current".into()),
        to: to.unwrap_or_else(|| "current".into()),
        versions,
        diff,
    })
}

/// A group of comment counts for the spaces list.
#[derive(Clone, Debug, Serialize)]
pub struct SpaceItem {
    pub space: String,
    pub title: String,
    pub drafts: Vec<margin_space::view::DraftSummary>,
}

pub fn space_item(s: &Space) -> SpaceItem {
    SpaceItem {
        space: s.id().to_string(),
        title: s.charter().title.clone(),
        drafts: s.drafts().map(|d| s.draft_summary(d)).collect(),
    }
}

/// Every space of the node, each read in place.
pub fn space_items(node: &margin_node::node::Node) -> Result<Vec<SpaceItem>, WebError> {
    node.space_ids()?
        .iter()
        .map(|id| node.with_space(id, |s| Ok::<_, WebError>(space_item(s))))
        .collect()
}

/// The node's sync state as the header shows it.
#[derive(Clone, Debug, Default)]
pub struct SyncLine {
    pub peers: usize,
    /// Whether the spaces shown are in sync with their peers; `None` when no peer
    /// shares them.
    pub in_sync: Option<bool>,
}

/// Stance tallies per paragraph, for the JSON API.
pub fn stance_counts(space: &Space, draft: &DraftId) -> BTreeMap<String, Tally> {
    space
        .stance_views(draft)
        .into_iter()
        .map(|p| (p.para.into_string(), p.tally))
        .collect()
}
