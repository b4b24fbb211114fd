//! What a participant does, as signed entries checked and stored.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use margin_core::body::*;
use margin_core::entry::{Entry, Kind, Unverified, verify_batch};
use margin_core::id::{CommentId, DraftId, EntryId, SpaceId};
use margin_core::key::PublicKey;
use margin_core::limits::CLOCK_SKEW_MS;
use margin_draft::Draft;
use margin_space::Space;
use margin_space::draft::DraftState;
use margin_store::Store;
use serde::Serialize;

use crate::error::NodeError;
use crate::home::{Home, Identity};
use crate::ingest::{CachedSpace, Decided};

use margin_core::vocabulary::BlockTarget;

/// Entries dated in the future a space may hold until they are due.
pub const MAX_HELD: usize = 1_000;

pub use margin_core::time::now_ms;

/// A node: its home and its store.
pub struct Node {
    home: Home,
    pub(crate) store: Store,
    /// Who signs: the home's participant unless [`Node::act_as`] says otherwise.
    acting: Option<Identity>,
    /// How far this node's clock is shifted from the system's, in ms (tests).
    clock_offset: i64,
    /// Spaces as last loaded, brought up to date from the store on each load.
    pub(crate) cache: RefCell<HashMap<SpaceId, CachedSpace>>,
}

/// What became of one entry offered to the node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Valid and stored now; `time` is its author time.
    Accepted { time: u64 },
    /// Valid and stored before; `time` is its author time.
    Duplicate { time: u64 },
    /// Waits for the entries it refers to, stored aside until they arrive (whether it
    /// arrived now or before).
    Pending,
    /// Would wait, but its space already has `MAX_PENDING` entries waiting (or
    /// `MAX_HELD` held): not kept (sync fetches it again later).
    Dropped,
    /// Dated in the future beyond the allowed skew: held, not applied nor passed on,
    /// until `due` (ms).
    Held { due: u64 },
    /// A stub (an entry without its text) whose author's erasure is not here: a peer
    /// may not withhold text it was not asked to drop. Not kept; sync fetches it again,
    /// and takes it once the erasure has arrived.
    Withheld,
    /// By a key this node blocks: not stored, not counted; `time` is its author time.
    Ignored { time: u64 },
    /// Not valid, for this reason.
    Rejected(String),
}

impl Outcome {
    /// The sync protocol's word for it.
    pub fn sync_verdict(self) -> margin_sync::service::Verdict {
        use margin_sync::service::Verdict;
        match self {
            Outcome::Accepted { time } => Verdict::Accepted { time },
            Outcome::Duplicate { time } => Verdict::Duplicate { time },
            // Kept here until it can be decided: not to be fetched again meanwhile.
            Outcome::Pending | Outcome::Held { .. } => Verdict::Pending,
            Outcome::Dropped | Outcome::Withheld => Verdict::Dropped,
            Outcome::Ignored { time } => Verdict::Declined { time },
            Outcome::Rejected(reason) => Verdict::Invalid(reason),
        }
    }
}

/// The outcome of offering entries to the node (a bundle import, or later a sync batch).
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImportReport {
    pub accepted: usize,
    pub duplicate: usize,
    pub pending: usize,
    /// Dated in the future beyond the allowed skew: held until they are due (in the
    /// JSON only when there are some).
    #[serde(skip_serializing_if = "is_zero")]
    pub held: usize,
    /// The earliest date among the held entries (ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_until: Option<u64>,
    /// Stubs whose text the sender withheld without their author's erasure here: not
    /// taken (in the JSON only when there are some).
    #[serde(skip_serializing_if = "is_zero")]
    pub withheld: usize,
    pub rejected: Vec<Refusal>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One refused entry and why.
#[derive(Clone, Debug, Serialize)]
pub struct Refusal {
    pub id: String,
    pub reason: String,
}

impl Node {
    /// Opens the node at `home`, creating its database if needed.
    pub fn open(home: Home) -> Result<Node, NodeError> {
        std::fs::create_dir_all(home.dir()).map_err(|e| NodeError::io(home.dir(), e))?;
        let store = Store::open(&home.database())?;
        Ok(Node {
            home,
            store,
            acting: None,
            clock_offset: 0,
            cache: RefCell::new(HashMap::new()),
        })
    }

    pub fn home(&self) -> &Home {
        &self.home
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The store, for settings that are not entries (follows, blocks, peers).
    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// The participant who signs what this node writes.
    pub fn identity(&self) -> Result<Identity, NodeError> {
        match &self.acting {
            Some(identity) => Ok(identity.clone()),
            None => self.home.identity(),
        }
    }

    /// Signs as `identity` instead of the home's participant (`None`: back to the home's).
    /// Used to load sample spaces written by several participants.
    pub fn act_as(&mut self, identity: Option<Identity>) {
        self.acting = identity;
    }

    // ---- finding things ------------------------------------------------------------

    /// Resolves a full id or a unique prefix of at least 4 hex characters.
    pub fn resolve(&self, text: &str) -> Result<EntryId, NodeError> {
        let text = text.trim();
        if let Ok(id) = text.parse::<EntryId>() {
            return Ok(id);
        }
        if text.len() < 4 {
            return Err(NodeError::NotFound(text.to_owned()));
        }
        match self.store.ids_with_prefix(text, 2)?.as_slice() {
            [id] => Ok(*id),
            [] => Err(NodeError::NotFound(text.to_owned())),
            _ => Err(NodeError::Ambiguous(text.to_owned())),
        }
    }

    /// A space's state: the entries stored for it, applied in the order they were
    /// stored. Kept between calls and brought up to date from the store each time, so
    /// entries written by another process (the CLI while the daemon runs) are seen.
    pub fn load_space(&self, id: &SpaceId) -> Result<Space, NodeError> {
        let cached = self.take_space(id)?;
        let space = cached.space.clone();
        self.keep_space(cached);
        Ok(space)
    }

    /// Rebuilds every space's state from the store and keeps it, without copying it
    /// out (as [`Node::spaces`] does): what a node does once when it starts serving.
    /// Returns how many spaces there are.
    pub fn warm_spaces(&self) -> Result<usize, NodeError> {
        let ids = self.store.space_ids()?;
        for id in &ids {
            let cached = self.take_space(id)?;
            self.keep_space(cached);
        }
        Ok(ids.len())
    }

    /// The space an entry belongs to, by id or prefix.
    pub fn space_of(&self, text: &str) -> Result<(EntryId, Space), NodeError> {
        let id = self.resolve(text)?;
        let space_id = self
            .store
            .space_of(&id)?
            .ok_or_else(|| NodeError::NotFound(text.to_owned()))?;
        Ok((id, self.load_space(&space_id)?))
    }

    /// A space by id or prefix.
    pub fn find_space(&self, text: &str) -> Result<Space, NodeError> {
        let (id, space) = self.space_of(text)?;
        if id != space.id() {
            return Err(NodeError::WrongKind(
                text.to_owned(),
                "different entry",
                "space",
            ));
        }
        Ok(space)
    }

    /// A draft by id or prefix, with its space.
    pub fn find_draft(&self, text: &str) -> Result<(DraftId, Space), NodeError> {
        self.find_kind(text, "draft", |space, id| space.draft(id).is_some())
    }

    /// A comment by id or prefix, with its space.
    pub fn find_comment(&self, text: &str) -> Result<(CommentId, Space), NodeError> {
        self.find_kind(text, "comment", |space, id| space.comment(id).is_some())
    }

    /// An entry by id or prefix that `is` says is a `wanted`, with its space.
    fn find_kind(
        &self,
        text: &str,
        wanted: &'static str,
        is: impl Fn(&Space, &EntryId) -> bool,
    ) -> Result<(EntryId, Space), NodeError> {
        let (id, space) = self.space_of(text)?;
        if !is(&space, &id) {
            let kind = space
                .accepted(&id)
                .map_or("pending entry", |a| a.kind.name());
            return Err(NodeError::WrongKind(text.to_owned(), kind, wanted));
        }
        Ok((id, space))
    }

    /// Every space in the store.
    pub fn spaces(&self) -> Result<Vec<Space>, NodeError> {
        self.store
            .space_ids()?
            .iter()
            .map(|id| self.load_space(id))
            .collect()
    }

    // ---- writing -------------------------------------------------------------------

    /// Signs `body` as the home's participant, checks it against the space exactly as an
    /// entry from elsewhere would be checked, and stores it. Returns its id.
    pub(crate) fn publish(
        &mut self,
        identity: &Identity,
        space: &mut Space,
        mut refs: Vec<EntryId>,
        body: Body,
    ) -> Result<EntryId, NodeError> {
        let profile = self.profile_entry_for(identity, space)?;
        refs.extend(space.charter_heads());
        let mut time = self.date(space, &identity.key.public());
        if let Some(p) = &profile {
            time = time.max(p.time() + 1);
        }
        let entry = Entry::sign(&identity.key, Some(space.id()), time, refs, &body)?;
        let id = entry.id();
        let mut entries: Vec<Entry> = profile.into_iter().collect();
        entries.push(entry);
        // Try on a copy first: a refused action must leave nothing behind, not even the
        // profile that would have introduced it.
        let mut trial = space.clone();
        for e in &entries {
            trial.apply(e.clone());
        }
        if let Some(reason) = trial.rejection(&id) {
            return Err(NodeError::Refused(reason.clone()));
        }
        if !trial.contains(&id) {
            return Err(NodeError::StillPending);
        }
        let decided = self.ingest(space.id(), entries)?;
        match decided.iter().find(|(e, _)| *e == id).map(|(_, o)| o) {
            Some(Outcome::Accepted { .. }) => {}
            // Decided against the store as it is now, which another process may have
            // changed since `space` was read.
            Some(Outcome::Rejected(reason)) => {
                return Err(NodeError::Invalid(format!("refused: {reason}")));
            }
            _ => return Err(NodeError::StillPending),
        }
        *space = trial;
        Ok(id)
    }

    /// The date of a new entry by `author`: this node's clock, never a date inherited
    /// from someone else's entry (whose clock may be wrong). Only the author's own
    /// entries move it: a new one is dated after the author's latest, so that one
    /// person's later stance, edit or profile always wins over their earlier one, even
    /// within one millisecond or after their clock stepped back — but never more than
    /// the allowed skew ahead of this clock.
    fn date(&self, space: &Space, author: &PublicKey) -> u64 {
        let now = self.now();
        match space.latest_of(author) {
            Some(latest) if latest < now.saturating_add(CLOCK_SKEW_MS) => now.max(latest + 1),
            _ => now,
        }
    }

    /// This node's clock, in ms since the Unix epoch.
    pub fn now(&self) -> u64 {
        now_ms().saturating_add_signed(self.clock_offset)
    }

    /// Shifts this node's clock by `offset` ms (tests: a node whose clock is wrong).
    pub fn set_clock_offset(&mut self, offset: i64) {
        self.clock_offset = offset;
    }

    /// The participant's home profile as an entry of the space, when the space does not
    /// have it yet.
    fn profile_entry_for(
        &self,
        identity: &Identity,
        space: &Space,
    ) -> Result<Option<Entry>, NodeError> {
        let me = identity.key.public();
        if space.profile(&me) == Some(&identity.profile) {
            return Ok(None);
        }
        let mut refs = space.charter_heads();
        // Under a registered-only policy a profile names the author's registration.
        refs.extend(space.registration_entry(&me));
        let time = self.date(space, &me);
        let body = Body::Profile(identity.profile.clone());
        Ok(Some(Entry::sign(
            &identity.key,
            Some(space.id()),
            time,
            refs,
            &body,
        )?))
    }

    /// Publishes the participant's home profile into the space when it is not there yet.
    fn ensure_profile(&mut self, identity: &Identity, space: &mut Space) -> Result<(), NodeError> {
        if let Some(entry) = self.profile_entry_for(identity, space)? {
            self.ingest(space.id(), vec![entry.clone()])?;
            space.apply(entry);
        }
        Ok(())
    }

    /// Offers verified entries of one space, decided and stored as entries from
    /// elsewhere are (see [`crate::ingest`]).
    pub fn submit(
        &mut self,
        space: SpaceId,
        entries: Vec<Entry>,
    ) -> Result<ImportReport, NodeError> {
        Ok(ImportReport::from_outcomes(&self.ingest(space, entries)?))
    }

    /// Creates a space; the creator is its convener and editor.
    pub fn create_space(
        &mut self,
        title: &str,
        policy: Policy,
        opens: Option<u64>,
        closes: Option<u64>,
    ) -> Result<SpaceId, NodeError> {
        let identity = self.identity()?;
        let me = identity.key.public();
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce).map_err(|e| NodeError::Invalid(e.to_string()))?;
        let charter = Charter {
            title: title.to_owned(),
            policy,
            opens,
            closes,
            conveners: vec![me],
            editors: vec![me],
            registrars: vec![me],
            stakeholder_groups: vec![],
            nonce: u64::from_le_bytes(nonce),
        };
        let genesis = Entry::sign(
            &identity.key,
            None,
            self.now(),
            vec![],
            &Body::Charter(charter),
        )?;
        let id = genesis.id();
        let mut space = Space::new(genesis.clone())?;
        self.ingest(id, vec![genesis])?;
        self.ensure_profile(&identity, &mut space)?;
        Ok(id)
    }

    /// Amends a space's charter (conveners only).
    pub fn amend(
        &mut self,
        space: &str,
        changes: Vec<CharterChange>,
    ) -> Result<EntryId, NodeError> {
        let identity = self.identity()?;
        let mut space = self.find_space(space)?;
        self.publish(
            &identity,
            &mut space,
            vec![],
            Body::CharterAmendment(CharterAmendment { changes }),
        )
    }

    /// Registers a participant (registrars only).
    pub fn register(
        &mut self,
        space: &str,
        participant: PublicKey,
        stakeholder: &str,
        region: &str,
    ) -> Result<EntryId, NodeError> {
        let identity = self.identity()?;
        let mut space = self.find_space(space)?;
        let body = Body::Registration(Registration {
            participant,
            stakeholder: stakeholder.to_owned(),
            region: region.to_owned(),
        });
        self.publish(&identity, &mut space, vec![], body)
    }

    /// Imports a Markdown draft into a space (editors only). Returns its id.
    pub fn import_draft(
        &mut self,
        space: &str,
        markdown: &str,
        title: Option<&str>,
        message: &str,
    ) -> Result<DraftId, NodeError> {
        let identity = self.identity()?;
        let mut space = self.find_space(space)?;
        let time = self.now();
        let (_, change) = Draft::import(identity.actor(), markdown, title, time as i64, message)?;
        let body = Body::DraftChange(DraftChange {
            draft: None,
            changes: vec![serde_bytes::ByteBuf::from(change)],
            message: message.to_owned(),
        });
        self.publish(&identity, &mut space, vec![], body)
    }

    /// Records a new version of the draft's file (editors only). `None`: no change.
    pub fn update_draft(
        &mut self,
        draft: &str,
        markdown: &str,
        message: &str,
    ) -> Result<Option<EntryId>, NodeError> {
        let identity = self.identity()?;
        let (draft_id, mut space) = self.find_draft(draft)?;
        let state = space
            .draft(&draft_id)
            .ok_or_else(|| NodeError::NotFound(draft.to_owned()))?;
        let mut doc = state.doc.clone();
        let heads = doc.heads();
        let refs = draft_refs(state, &heads);
        let Some(change) = doc.update(identity.actor(), markdown, self.now() as i64, message)?
        else {
            return Ok(None);
        };
        let body = Body::DraftChange(DraftChange {
            draft: Some(draft_id),
            changes: vec![serde_bytes::ByteBuf::from(change)],
            message: message.to_owned(),
        });
        self.publish(&identity, &mut space, refs, body).map(Some)
    }

    /// Names the current version of a draft (editors only).
    pub fn tag(&mut self, draft: &str, name: &str) -> Result<EntryId, NodeError> {
        let identity = self.identity()?;
        let (draft_id, mut space) = self.find_draft(draft)?;
        let state = space
            .draft(&draft_id)
            .ok_or_else(|| NodeError::NotFound(draft.to_owned()))?;
        let heads = state.doc.heads();
        let refs = draft_refs(state, &heads);
        let body = Body::VersionTag(VersionTag {
            draft: draft_id,
            name: name.to_owned(),
            heads,
        });
        self.publish(&identity, &mut space, refs, body)
    }

    /// Comments on a draft, a paragraph or a quoted passage, or replies to a comment.
    pub fn comment(&mut self, draft: &str, new: NewComment<'_>) -> Result<CommentId, NodeError> {
        self.comment_near(draft, new, None)
    }

    /// Like [`Node::comment`], for a quote that may occur more than once in its
    /// paragraph: the occurrence starting closest to the code point offset `near` (where
    /// the reader's selection started) is anchored.
    pub fn comment_near(
        &mut self,
        draft: &str,
        new: NewComment<'_>,
        near: Option<usize>,
    ) -> Result<CommentId, NodeError> {
        let identity = self.identity()?;
        let (draft_id, mut space) = self.find_draft(draft)?;
        let state = space
            .draft(&draft_id)
            .ok_or_else(|| NodeError::NotFound(draft.to_owned()))?;
        let heads = match new.version {
            Some(name) => state
                .version_heads(Some(name))
                .ok_or_else(|| NodeError::NoVersion(name.to_owned()))?,
            None => state.doc.heads(),
        };
        let mut refs = draft_refs(state, &heads);
        let anchor = match new.para {
            Some(pid) => {
                if state.doc.paragraph_text(pid, Some(&heads))?.is_none() {
                    return Err(NodeError::NoParagraph(pid.to_owned()));
                }
                Some(margin_space::view::wire_anchor(
                    &state.doc.anchor_near(pid, new.quote, near, &heads)?,
                ))
            }
            None if new.quote.is_some() => {
                return Err(NodeError::Invalid(
                    "--quote needs --para: say which paragraph the passage is in".into(),
                ));
            }
            None => None,
        };
        let parent = match new.reply {
            Some(text) => {
                let id = self.resolve(text)?;
                match space.comment(&id) {
                    Some(c) if c.body.draft == draft_id => {}
                    Some(_) => {
                        return Err(NodeError::Invalid(format!(
                            "comment {text} is on another draft"
                        )));
                    }
                    None => {
                        return Err(NodeError::WrongKind(
                            text.to_owned(),
                            "non-comment",
                            "comment",
                        ));
                    }
                }
                refs.push(id);
                Some(id)
            }
            None => None,
        };
        refs.extend(space.registration_entry(&identity.key.public()));
        let body = Body::Comment(Comment {
            draft: draft_id,
            heads,
            anchor,
            kind: new.kind,
            text: new.text.to_owned(),
            suggestion: new.suggestion.map(str::to_owned),
            parent,
        });
        self.publish(&identity, &mut space, refs, body)
    }

    /// The author's new wording of their comment.
    pub fn edit_comment(
        &mut self,
        comment: &str,
        text: &str,
        suggestion: Option<&str>,
    ) -> Result<EntryId, NodeError> {
        let identity = self.identity()?;
        let (id, mut space) = self.find_comment(comment)?;
        let suggestion = match suggestion {
            Some(s) => Some(s.to_owned()),
            None => space.comment(&id).and_then(|c| c.wording().suggestion),
        };
        let body = Body::CommentEdit(CommentEdit {
            comment: id,
            text: text.to_owned(),
            suggestion,
        });
        self.publish(&identity, &mut space, vec![id], body)
    }

    /// The author withdraws their comment.
    pub fn retract_comment(&mut self, comment: &str) -> Result<EntryId, NodeError> {
        let identity = self.identity()?;
        let (id, mut space) = self.find_comment(comment)?;
        self.publish(
            &identity,
            &mut space,
            vec![id],
            Body::Retraction(Retraction { comment: id }),
        )
    }

    /// The author withdraws their comment and asks every node to erase its text and the
    /// text of its edits. Each node keeps only the stubs (signed headers without text),
    /// so replies and answers that name the comment still hold together.
    pub fn erase_comment(&mut self, comment: &str) -> Result<EntryId, NodeError> {
        let identity = self.identity()?;
        let (id, mut space) = self.space_of(comment)?;
        let author = match (
            space.comment(&id),
            space.erased_comments().find(|e| e.id == id),
        ) {
            (Some(c), _) => c.author,
            (None, Some(e)) => e.author,
            (None, None) => {
                let kind = space
                    .accepted(&id)
                    .map_or("pending entry", |a| a.kind.name());
                return Err(NodeError::WrongKind(comment.to_owned(), kind, "comment"));
            }
        };
        if author != identity.key.public() {
            return Err(NodeError::Invalid(
                "only its author can erase a comment (a convener can hide it: margin hide)".into(),
            ));
        }
        // The erasure does not refer to the comment: a node that only ever receives the
        // comment's stub must be able to take the erasure first.
        self.publish(
            &identity,
            &mut space,
            vec![],
            Body::Erasure(Erasure { comment: id }),
        )
    }

    /// An editor re-anchors a comment on a paragraph (and passage) of the current draft.
    pub fn reattach(
        &mut self,
        comment: &str,
        para: &str,
        quote: Option<&str>,
    ) -> Result<EntryId, NodeError> {
        let identity = self.identity()?;
        let (id, mut space) = self.find_comment(comment)?;
        let draft_id = space
            .comment(&id)
            .map(|c| c.body.draft)
            .ok_or_else(|| NodeError::NotFound(comment.to_owned()))?;
        let state = space
            .draft(&draft_id)
            .ok_or_else(|| NodeError::NotFound(draft_id.to_string()))?;
        let heads = state.doc.heads();
        if state.doc.paragraph_text(para, Some(&heads))?.is_none() {
            return Err(NodeError::NoParagraph(para.to_owned()));
        }
        let anchor = margin_space::view::wire_anchor(&state.doc.anchor(para, quote, &heads)?);
        let mut refs = draft_refs(state, &heads);
        refs.push(id);
        self.publish(
            &identity,
            &mut space,
            refs,
            Body::Reattach(Reattach {
                comment: id,
                heads,
                anchor,
            }),
        )
    }

    /// A participant's stance on a paragraph.
    pub fn stance(
        &mut self,
        draft: &str,
        para: &str,
        value: StanceValue,
        reason: Option<&str>,
    ) -> Result<EntryId, NodeError> {
        let identity = self.identity()?;
        let (draft_id, mut space) = self.find_draft(draft)?;
        let state = space
            .draft(&draft_id)
            .ok_or_else(|| NodeError::NotFound(draft.to_owned()))?;
        let heads = state.doc.heads();
        if state.doc.paragraph_text(para, Some(&heads))?.is_none() {
            return Err(NodeError::NoParagraph(para.to_owned()));
        }
        let mut refs = draft_refs(state, &heads);
        refs.extend(space.registration_entry(&identity.key.public()));
        let body = Body::Stance(Stance {
            draft: draft_id,
            para: para.to_owned(),
            heads,
            value,
            reason: reason.map(str::to_owned),
        });
        self.publish(&identity, &mut space, refs, body)
    }

    /// A convener hides an entry (a comment, usually) from every participant's view, with
    /// a reason all of them see where the entry was; `hidden: false` shows it again. The
    /// entry stays stored, verifiable and counted (exports list it as hidden).
    pub fn moderate(
        &mut self,
        target: &str,
        hidden: bool,
        reason: &str,
    ) -> Result<EntryId, NodeError> {
        let identity = self.identity()?;
        let (id, mut space) = self.space_of(target)?;
        if reason.trim().is_empty() {
            return Err(NodeError::Invalid(
                "say why: hiding or showing an entry needs a reason everyone will see".into(),
            ));
        }
        let body = Body::Moderation(Moderation {
            target: id,
            hidden,
            reason: reason.to_owned(),
        });
        self.publish(&identity, &mut space, vec![id], body)
    }

    /// The keys this node's participant muted: their entries are kept and passed on, but
    /// not shown here.
    pub fn muted(&self) -> Result<BTreeSet<String>, NodeError> {
        Ok(self
            .store
            .blocked()?
            .into_iter()
            .filter(|b| b.what == BlockTarget::Mute)
            .map(|b| b.value)
            .collect())
    }

    /// Mutes a participant on this node only: their entries stay stored and passed on,
    /// their words are no longer shown here. Returns the key as shown everywhere.
    pub fn mute(&mut self, key: &str, reason: &str) -> Result<String, NodeError> {
        let key = parse_participant(key)?;
        self.store.block(BlockTarget::Mute, &key, reason)?;
        Ok(key)
    }

    /// Shows a muted participant's words again; fails when the key was not muted.
    pub fn unmute(&mut self, key: &str) -> Result<String, NodeError> {
        let key = parse_participant(key)?;
        if !self.store.unblock(BlockTarget::Mute, &key)? {
            return Err(NodeError::NotFound(format!("{key} among the muted")));
        }
        Ok(key)
    }

    /// An editor's disposition of a comment.
    pub fn dispose(
        &mut self,
        comment: &str,
        value: DispositionValue,
        note: &str,
        revision: Option<&str>,
    ) -> Result<EntryId, NodeError> {
        let identity = self.identity()?;
        let (id, mut space) = self.find_comment(comment)?;
        let mut refs = vec![id];
        let revision = match revision {
            Some(r) => {
                let rid = self.resolve(r)?;
                if space.accepted(&rid).map(|a| a.kind) != Some(Kind::DraftChange) {
                    return Err(NodeError::WrongKind(
                        r.to_owned(),
                        "non-revision",
                        "revision",
                    ));
                }
                refs.push(rid);
                Some(rid)
            }
            None => None,
        };
        let body = Body::Disposition(Disposition {
            comment: id,
            value,
            note: note.to_owned(),
            revision,
        });
        self.publish(&identity, &mut space, refs, body)
    }

    // ---- exchange ------------------------------------------------------------------

    /// Offers entries received from elsewhere (a bundle, a peer): each is decoded,
    /// signature-checked in batches, authorized and stored.
    pub fn receive(&mut self, raw: Vec<Vec<u8>>) -> Result<ImportReport, NodeError> {
        Ok(ImportReport::from_outcomes(&self.receive_entries(raw)?))
    }

    /// As [`Node::receive`], with what became of each entry offered, and of entries
    /// that were waiting for them.
    pub fn receive_entries(
        &mut self,
        raw: Vec<Vec<u8>>,
    ) -> Result<Vec<(EntryId, Outcome)>, NodeError> {
        let blocked: BTreeSet<String> = self
            .store
            .blocked()?
            .into_iter()
            .filter(|b| b.what == BlockTarget::Key)
            .map(|b| b.value)
            .collect();
        let mut outcomes = vec![];
        let mut decoded: Vec<Entry<Unverified>> = vec![];
        for bytes in raw {
            match Entry::decode(&bytes) {
                Ok(e) if blocked.contains(&e.author().to_string()) => {
                    outcomes.push((e.id(), Outcome::Ignored { time: e.time() }));
                }
                Ok(e) => decoded.push(e),
                Err(err) => outcomes.push((
                    EntryId::of_entry(&bytes),
                    Outcome::Rejected(err.to_string()),
                )),
            }
        }
        let mut by_space: BTreeMap<SpaceId, Vec<Entry>> = BTreeMap::new();
        let mut order: Vec<SpaceId> = vec![];
        for result in verify_batch(decoded) {
            match result {
                Ok(entry) => {
                    let space = entry.space_or_self();
                    if !by_space.contains_key(&space) {
                        order.push(space);
                    }
                    by_space.entry(space).or_default().push(entry);
                }
                Err((id, err)) => outcomes.push((id, Outcome::Rejected(err.to_string()))),
            }
        }
        // What was held until now first, so that what refers to it is not kept waiting.
        self.release_due()?;
        let now = self.now();
        for space_id in order {
            let entries = by_space.remove(&space_id).unwrap_or_default();
            // Entries dated in the future beyond the allowed skew are held until due:
            // one wrong clock must not decide for others (a comment period closed early).
            let (future, current): (Vec<Entry>, Vec<Entry>) = entries
                .into_iter()
                .partition(|e| e.time() > now.saturating_add(CLOCK_SKEW_MS));
            outcomes.extend(self.hold(space_id, future)?);
            outcomes.extend(self.ingest(space_id, current)?);
        }
        Ok(outcomes)
    }

    /// Holds entries dated in the future until they are due, as many as a space may
    /// hold; the rest are not kept (offered again later).
    fn hold(&self, space: SpaceId, future: Vec<Entry>) -> Result<Decided, NodeError> {
        if future.is_empty() {
            return Ok(vec![]);
        }
        let held = usize::try_from(self.store.held_count(&space)?).unwrap_or(usize::MAX);
        let room = MAX_HELD.saturating_sub(held).min(future.len());
        let (kept, dropped) = future.split_at(room);
        let due = |e: &Entry| e.time().saturating_sub(CLOCK_SKEW_MS);
        self.store.hold(&kept.iter().collect::<Vec<_>>(), due)?;
        tracing::info!(
            target: "node",
            "space {}: {} entries dated in the future held until they are due (the first on {})",
            space.short(),
            kept.len(),
            kept.iter()
                .map(|e| margin_space::view::format_time(e.time()))
                .min()
                .unwrap_or_default()
        );
        Ok(kept
            .iter()
            .map(|e| (e.id(), Outcome::Held { due: due(e) }))
            .chain(dropped.iter().map(|e| (e.id(), Outcome::Dropped)))
            .collect())
    }

    /// Applies the held entries that are due now. Returns what became of them.
    pub fn release_due(&mut self) -> Result<Decided, NodeError> {
        let now = self.now();
        let due = self.store.take_due(now, 4096)?;
        if due.is_empty() {
            return Ok(vec![]);
        }
        let mut by_space: BTreeMap<SpaceId, Vec<Entry>> = BTreeMap::new();
        for entry in due {
            by_space
                .entry(entry.space_or_self())
                .or_default()
                .push(entry);
        }
        let mut decided = vec![];
        for (space, entries) in by_space {
            decided.extend(self.ingest(space, entries)?);
        }
        Ok(decided)
    }

    /// Recreates every index from the stored entries. Returns each space's id, entry
    /// count and state digest.
    /// Entries the store kept in the wrong place (see [`crate::ingest`]) are moved
    /// where they belong first.
    pub fn rebuild(&mut self) -> Result<Vec<(SpaceId, usize, String)>, NodeError> {
        self.store.atomically(|| {
            self.store.clear_indexes()?;
            let mut out = vec![];
            for id in self.store.space_ids()? {
                self.cache.borrow_mut().remove(&id);
                let mut space = self.load_space(&id)?;
                self.reindex(&mut space)?;
                out.push((id, space.order().len(), space.digest()));
            }
            Ok(out)
        })
    }
}

impl ImportReport {
    fn from_outcomes(outcomes: &[(EntryId, Outcome)]) -> ImportReport {
        let mut report = ImportReport::default();
        for (id, outcome) in outcomes {
            match outcome {
                Outcome::Accepted { .. } => report.accepted += 1,
                Outcome::Duplicate { .. } | Outcome::Ignored { .. } => report.duplicate += 1,
                Outcome::Pending | Outcome::Dropped => report.pending += 1,
                Outcome::Withheld => report.withheld += 1,
                Outcome::Held { due } => {
                    report.held += 1;
                    let date = due + CLOCK_SKEW_MS;
                    report.held_until = Some(report.held_until.map_or(date, |t| t.min(date)));
                }
                Outcome::Rejected(reason) => report.rejected.push(Refusal {
                    id: id.to_string(),
                    reason: reason.clone(),
                }),
            }
        }
        report
    }
}

/// What a new comment says.
pub struct NewComment<'a> {
    pub para: Option<&'a str>,
    pub quote: Option<&'a str>,
    pub text: &'a str,
    pub kind: CommentKind,
    pub suggestion: Option<&'a str>,
    pub reply: Option<&'a str>,
    /// Comment on a named version instead of the current one.
    pub version: Option<&'a str>,
}

/// The draft's creation entry and the revisions that carry `heads`: what an entry about
/// that version of the draft names in its refs.
fn draft_refs(state: &DraftState, heads: &[ChangeHash]) -> Vec<EntryId> {
    let mut refs = vec![state.id];
    refs.extend(state.entries_carrying(heads));
    refs
}

/// A participant's key as written by a user (`did:key:…`), in its canonical form.
fn parse_participant(text: &str) -> Result<String, NodeError> {
    text.trim()
        .parse::<margin_core::key::PublicKey>()
        .map(|k| k.to_string())
        .map_err(|e| NodeError::Invalid(e.to_string()))
}
