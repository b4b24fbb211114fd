//! Authoring: what a participant does, as entries signed with their key, tried on a
//! copy of the space by the same rules as entries from elsewhere, and stored through
//! [`crate::ingest`]. The rules a front end must not bypass live here (an objection
//! names its reason, a declined comment its note), so the CLI and the web enforce them
//! alike.

use std::collections::BTreeSet;

use margin_core::body::*;
use margin_core::entry::{Entry, Kind};
use margin_core::id::{CommentId, DraftId, EntryId, SpaceId};
use margin_core::key::PublicKey;
use margin_core::limits::CLOCK_SKEW_MS;
use margin_core::vocabulary::BlockTarget;
use margin_core::{ParaId, Timestamp};
use margin_draft::Draft;
use margin_space::Space;
use margin_space::draft::DraftState;

use crate::error::NodeError;
use crate::home::Identity;
use crate::node::{ImportReport, Node, Outcome};

impl Node {
    // ---- writing -------------------------------------------------------------------

    /// Signs `body` as the home's participant, checks it against the space exactly as an
    /// entry from elsewhere would be checked, and stores it. Returns its id.
    pub(crate) fn publish(
        &mut self,
        identity: &Identity,
        space: &SpaceId,
        mut refs: Vec<EntryId>,
        body: Body,
    ) -> Result<EntryId, NodeError> {
        let (id, entries) = self.with_space(space, |space| {
            let me = identity.key.public();
            let mut time = self.date(space, &me);
            // What must come first: the participant's profile, and the key links they
            // carry (a device's own link, an identity's links to its devices).
            let mut entries: Vec<Entry> = self
                .profile_entry_for(identity, space)?
                .into_iter()
                .collect();
            entries.extend(self.link_entries_for(identity, space, time)?);
            for e in &entries {
                time = time.max(e.time().saturating_add_millis(1));
            }
            // Try on a copy first: a refused action must leave nothing behind, not even
            // the profile that would have introduced it.
            let mut trial = space.clone();
            for e in &entries {
                trial.apply(e.clone());
            }
            refs.extend(trial.charter_heads());
            refs.extend(trial.standing_refs(&me));
            let entry = Entry::sign(&identity.key, Some(space.id()), time, refs, &body)?;
            let id = entry.id();
            trial.apply(entry.clone());
            entries.push(entry);
            if let Some(reason) = trial.rejection(&id) {
                return Err(NodeError::Refused(reason.clone()));
            }
            if !trial.contains(&id) {
                return Err(NodeError::StillPending);
            }
            if let Some(reason) = trial.void_reason_of(&id) {
                return Err(NodeError::Invalid(format!(
                    "this would count for nothing: {reason}"
                )));
            }
            Ok((id, entries))
        })?;
        let decided = self.ingest_now(*space, entries)?;
        match decided.iter().find(|(e, _)| *e == id).map(|(_, o)| o) {
            Some(Outcome::Accepted { .. }) => {}
            // Decided against the store as it is now, which another process may have
            // changed since `space` was read.
            Some(Outcome::Rejected(reason) | Outcome::Failed(reason)) => {
                return Err(NodeError::Invalid(format!("refused: {reason}")));
            }
            _ => return Err(NodeError::StillPending),
        }
        Ok(id)
    }

    /// The date of a new entry by `author`: this node's clock, never a date inherited
    /// from someone else's entry (whose clock may be wrong). Only the author's own
    /// entries move it: a new one is dated after the author's latest, so that one
    /// person's later stance, edit or profile always wins over their earlier one, even
    /// within one millisecond or after their clock stepped back — but never more than
    /// the allowed skew ahead of this clock.
    fn date(&self, space: &Space, author: &PublicKey) -> Timestamp {
        let now = self.now();
        match space.latest_of(author) {
            Some(latest) if latest < now.saturating_add_millis(CLOCK_SKEW_MS) => {
                now.max(latest.saturating_add_millis(1))
            }
            _ => now,
        }
    }

    /// The participant's home profile as an entry of the space, when the space does not
    /// have it yet.
    fn profile_entry_for(
        &self,
        identity: &Identity,
        space: &Space,
    ) -> Result<Option<Entry>, NodeError> {
        let me = identity.key.public();
        // A linked device speaks under its person's profile, not its own.
        if self.is_linked_device(&me)? || space.profile(&me) == Some(&identity.profile) {
            return Ok(None);
        }
        let mut refs = space.charter_heads();
        // Under a registered-only policy a profile names the author's registration (or
        // the replacement that makes this key stand for a registered one).
        refs.extend(space.standing_refs(&me));
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
    fn ensure_profile(&mut self, identity: &Identity, space: &Space) -> Result<(), NodeError> {
        if let Some(entry) = self.profile_entry_for(identity, space)? {
            self.ingest_now(space.id(), vec![entry])?;
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
        Ok(ImportReport::from_outcomes(
            &self.ingest_now(space, entries)?,
        ))
    }

    /// Creates a space; the creator is its convener and editor.
    pub fn create_space(
        &mut self,
        title: &str,
        policy: Policy,
        opens: Option<Timestamp>,
        closes: Option<Timestamp>,
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
        let space = Space::new(genesis.clone())?;
        self.ingest_now(id, vec![genesis])?;
        self.ensure_profile(&identity, &space)?;
        Ok(id)
    }

    /// Amends a space's charter (conveners only).
    pub fn amend(
        &mut self,
        space: &str,
        changes: Vec<CharterChange>,
    ) -> Result<EntryId, NodeError> {
        let identity = self.identity()?;
        let space = self.locate_space(space)?;
        self.publish(
            &identity,
            &space,
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
        let space = self.locate_space(space)?;
        let body = Body::Registration(Registration {
            participant,
            stakeholder: stakeholder.to_owned(),
            region: region.to_owned(),
        });
        self.publish(&identity, &space, vec![], body)
    }

    /// Imports a Markdown draft into a space (editors only). Returns its id.
    pub fn import_draft(
        &mut self,
        space: &str,
        markdown: &str,
        title: Option<&str>,
        message: &str,
    ) -> Result<DraftId, NodeError> {
        if !Draft::has_text(markdown) {
            return Err(NodeError::Invalid(
                "the draft has no paragraph or heading: there is nothing to import".into(),
            ));
        }
        let identity = self.identity()?;
        let space = self.locate_space(space)?;
        let time = self.now();
        let (_, change) = Draft::import_in_parts(identity.actor(), markdown, title, time, message)?;
        let body = Body::DraftChange(DraftChange {
            draft: None,
            changes: change.into_iter().map(serde_bytes::ByteBuf::from).collect(),
            message: message.to_owned(),
        });
        self.publish(&identity, &space, vec![], body)
    }

    /// Records a new version of the draft's file (editors only). `None`: no change.
    pub fn update_draft(
        &mut self,
        draft: &str,
        markdown: &str,
        message: &str,
    ) -> Result<Option<EntryId>, NodeError> {
        if !Draft::has_text(markdown) {
            return Err(NodeError::Invalid(
                "the new version has no paragraph or heading: it would empty the draft".into(),
            ));
        }
        let identity = self.identity()?;
        let (draft_id, space) = self.locate_draft(draft)?;
        let now = self.now();
        let update = self.with_space(&space, |space| {
            let state = space
                .draft(&draft_id)
                .ok_or_else(|| NodeError::NotFound(draft.to_owned()))?;
            let mut doc = state.doc.clone();
            let heads = doc.heads();
            let refs = draft_refs(state, &heads);
            let change = doc.update_in_parts(identity.actor(), markdown, now, message)?;
            Ok::<_, NodeError>(change.map(|c| (c, refs)))
        })?;
        let Some((change, refs)) = update else {
            return Ok(None);
        };
        let body = Body::DraftChange(DraftChange {
            draft: Some(draft_id),
            changes: change.into_iter().map(serde_bytes::ByteBuf::from).collect(),
            message: message.to_owned(),
        });
        self.publish(&identity, &space, refs, body).map(Some)
    }

    /// Names the current version of a draft (editors only).
    pub fn tag(&mut self, draft: &str, name: &str) -> Result<EntryId, NodeError> {
        let identity = self.identity()?;
        let (draft_id, space) = self.locate_draft(draft)?;
        let (heads, refs) = self.with_space(&space, |space| {
            let state = space
                .draft(&draft_id)
                .ok_or_else(|| NodeError::NotFound(draft.to_owned()))?;
            let heads = state.doc.heads();
            let refs = draft_refs(state, &heads);
            Ok::<_, NodeError>((heads, refs))
        })?;
        let body = Body::VersionTag(VersionTag {
            draft: draft_id,
            name: name.to_owned(),
            heads,
        });
        self.publish(&identity, &space, refs, body)
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
        if new.quote.is_some() && new.para.is_none() {
            return Err(NodeError::QuoteWithoutParagraph);
        }
        let (draft_id, space) = self.locate_draft(draft)?;
        let reply = new
            .reply
            .map(|text| Ok::<_, NodeError>((text, self.resolve(text)?)));
        let reply = reply.transpose()?;
        let (refs, body) = self.with_space(&space, |space| {
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
                        return Err(NodeError::NoParagraph(pid.clone()));
                    }
                    Some(margin_space::view::wire_anchor(
                        &state.doc.anchor_near(pid, new.quote, near, &heads)?,
                    ))
                }
                None => None,
            };
            let parent = match reply {
                Some((text, id)) => {
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
            Ok::<_, NodeError>((refs, body))
        })?;
        self.publish(&identity, &space, refs, body)
    }

    /// The author's new wording of their comment.
    pub fn edit_comment(
        &mut self,
        comment: &str,
        text: &str,
        suggestion: Option<&str>,
    ) -> Result<EntryId, NodeError> {
        let identity = self.identity()?;
        let (id, space) = self.locate_comment(comment)?;
        let suggestion = match suggestion {
            Some(s) => Some(s.to_owned()),
            None => self.with_space(&space, |space| {
                Ok::<_, NodeError>(space.comment(&id).and_then(|c| c.wording().suggestion))
            })?,
        };
        let body = Body::CommentEdit(CommentEdit {
            comment: id,
            text: text.to_owned(),
            suggestion,
        });
        self.publish(&identity, &space, vec![id], body)
    }

    /// The author withdraws their comment.
    pub fn retract_comment(&mut self, comment: &str) -> Result<EntryId, NodeError> {
        let identity = self.identity()?;
        let (id, space) = self.locate_comment(comment)?;
        self.publish(
            &identity,
            &space,
            vec![id],
            Body::Retraction(Retraction { comment: id }),
        )
    }

    /// The author withdraws their comment and asks every node to erase its text and the
    /// text of its edits. Each node keeps only the stubs (signed headers without text),
    /// so replies and answers that name the comment still hold together.
    pub fn erase_comment(&mut self, comment: &str) -> Result<EntryId, NodeError> {
        let identity = self.identity()?;
        let (id, space) = self.locate(comment)?;
        let author = self.with_space(&space, |space| {
            match (
                space.comment(&id),
                space.erased_comments().find(|e| e.id == id),
            ) {
                (Some(c), _) => Ok(c.author),
                (None, Some(e)) => Ok(e.author),
                (None, None) => {
                    let kind = space
                        .accepted(&id)
                        .map_or("pending entry", |a| a.kind.name());
                    Err(NodeError::WrongKind(comment.to_owned(), kind, "comment"))
                }
            }
        })?;
        if author != identity.key.public() {
            return Err(NodeError::NotAuthor("erase"));
        }
        // The erasure does not refer to the comment: a node that only ever receives the
        // comment's stub must be able to take the erasure first.
        self.publish(
            &identity,
            &space,
            vec![],
            Body::Erasure(Erasure { comment: id }),
        )
    }

    /// An editor re-anchors a comment on a paragraph (and passage) of the current draft.
    pub fn reattach(
        &mut self,
        comment: &str,
        para: &ParaId,
        quote: Option<&str>,
    ) -> Result<EntryId, NodeError> {
        let identity = self.identity()?;
        let (id, space) = self.locate_comment(comment)?;
        let (heads, anchor, refs) = self.with_space(&space, |space| {
            let draft_id = space
                .comment(&id)
                .map(|c| c.body.draft)
                .ok_or_else(|| NodeError::NotFound(comment.to_owned()))?;
            let state = space
                .draft(&draft_id)
                .ok_or_else(|| NodeError::NotFound(draft_id.to_string()))?;
            let heads = state.doc.heads();
            if state.doc.paragraph_text(para, Some(&heads))?.is_none() {
                return Err(NodeError::NoParagraph(para.clone()));
            }
            let anchor = margin_space::view::wire_anchor(&state.doc.anchor(para, quote, &heads)?);
            let mut refs = draft_refs(state, &heads);
            refs.push(id);
            Ok::<_, NodeError>((heads, anchor, refs))
        })?;
        self.publish(
            &identity,
            &space,
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
        para: &ParaId,
        value: StanceValue,
        reason: Option<&str>,
    ) -> Result<EntryId, NodeError> {
        let identity = self.identity()?;
        let reason = reason.filter(|r| !r.trim().is_empty());
        if value == StanceValue::Object && reason.is_none() {
            return Err(NodeError::ObjectionWithoutReason);
        }
        let (draft_id, space) = self.locate_draft(draft)?;
        let (heads, refs) = self.with_space(&space, |space| {
            let state = space
                .draft(&draft_id)
                .ok_or_else(|| NodeError::NotFound(draft.to_owned()))?;
            let heads = state.doc.heads();
            if state.doc.paragraph_text(para, Some(&heads))?.is_none() {
                return Err(NodeError::NoParagraph(para.clone()));
            }
            let mut refs = draft_refs(state, &heads);
            refs.extend(space.registration_entry(&identity.key.public()));
            Ok::<_, NodeError>((heads, refs))
        })?;
        let body = Body::Stance(Stance {
            draft: draft_id,
            para: para.clone(),
            heads,
            value,
            reason: reason.map(str::to_owned),
        });
        self.publish(&identity, &space, refs, body)
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
        if reason.trim().is_empty() {
            return Err(NodeError::ModerationWithoutReason);
        }
        let (id, space) = self.locate(target)?;
        let body = Body::Moderation(Moderation {
            target: id,
            hidden,
            reason: reason.to_owned(),
        });
        self.publish(&identity, &space, vec![id], body)
    }

    /// The keys whose words this node does not show: those its participant muted (their
    /// entries are kept and passed on) and those it blocked (their later entries are
    /// refused; the earlier ones stay, as the record, without their words).
    pub fn muted(&self) -> Result<BTreeSet<String>, NodeError> {
        Ok(self
            .store
            .blocked()?
            .into_iter()
            .filter(|b| matches!(b.what, BlockTarget::Mute | BlockTarget::Key))
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
        if value == DispositionValue::Declined && note.trim().is_empty() {
            return Err(NodeError::DeclineWithoutNote);
        }
        let (id, space) = self.locate_comment(comment)?;
        let mut refs = vec![id];
        let revision = match revision {
            Some(r) => {
                let rid = self.resolve(r)?;
                let kind = self.with_space(&space, |s| {
                    Ok::<_, NodeError>(s.accepted(&rid).map(|a| a.kind))
                })?;
                if kind != Some(Kind::DraftChange) {
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
        self.publish(&identity, &space, refs, body)
    }
}

/// What a new comment says.
pub struct NewComment<'a> {
    pub para: Option<&'a ParaId>,
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
