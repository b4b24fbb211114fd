//! Consensus and outputs: signing on to comments, coalitions, stances on alternative
//! wordings, accepting an alternative into a revision; the figures a chair judges from
//! (objections, consensus, alternatives, balance); exports and their verification.

use margin_consensus::{
    Alternatives, Balance, ConsensusReport, ObjectionRegister, Options, alternatives, balance,
    objections, report,
};
use margin_core::ParaId;
use margin_core::body::*;
use margin_core::entry::{Entry, Unverified, verify_batch};
use margin_core::id::{DraftId, EntryId, SpaceId};
use margin_core::key::PublicKey;
use margin_draft::AnchorState;
use margin_report::verify::{self, Problem};
use margin_report::{Export, Format, Provenance};
use margin_space::Space;
use margin_space::view::draft_anchor;
use serde::Serialize;

use crate::error::NodeError;
use crate::node::Node;

/// Who is counted in the figures: as the space's charter says (registered participants
/// only under the registered policy), or as asked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Counting {
    /// The charter's default.
    #[default]
    Charter,
    /// Everyone with a profile.
    Everyone,
    /// Registered participants only.
    Registered,
}

impl Counting {
    /// The options for a space.
    pub fn options(self, space: &Space) -> Options {
        let mut options = Options::for_charter(space.charter());
        match self {
            Counting::Charter => {}
            Counting::Everyone => options.registered_only = false,
            Counting::Registered => options.registered_only = true,
        }
        options
    }
}

/// The outcome of accepting an alternative wording.
#[derive(Clone, Debug, Serialize)]
pub struct Accepted {
    /// The revision that put the alternative into the draft.
    pub revision: String,
    /// The editor's disposition of the comment, linking that revision.
    pub disposition: String,
    /// The paragraph's text now.
    pub text: String,
}

/// What `margin verify` found.
#[derive(Clone, Debug, Serialize)]
pub struct Verification {
    pub provenance: Provenance,
    /// How many signed entries were re-checked from their stored bytes.
    pub entries_checked: usize,
    /// Every difference between the file and what the entries say; empty when it matches.
    pub problems: Vec<String>,
}

impl Verification {
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

fn report_error(e: margin_report::Error) -> NodeError {
    NodeError::Invalid(e.to_string())
}

fn consensus_error(e: margin_consensus::Error) -> NodeError {
    NodeError::Invalid(e.to_string())
}

impl Node {
    // ---- signing on ----------------------------------------------------------------

    /// Signs on to someone else's comment, for oneself or, with `coalition`, for a
    /// coalition that admitted this participant; `withdraw` takes the signature back.
    pub fn cosign(
        &mut self,
        comment: &str,
        coalition: Option<PublicKey>,
        withdraw: bool,
    ) -> Result<EntryId, NodeError> {
        let identity = self.identity()?;
        let me = identity.key.public();
        let (id, space) = self.locate_comment(comment)?;
        let refs = self.with_space(&space, |space| {
            let mut refs = vec![id];
            if let Some(c) = coalition {
                let membership = space.membership_entry(&c, &me).ok_or_else(|| {
                    NodeError::Invalid(format!(
                        "coalition {c} has not admitted you in this space: a member of it must add your key {me}"
                    ))
                })?;
                refs.push(membership);
            }
            refs.extend(space.registration_entry(&me));
            Ok::<_, NodeError>(refs)
        })?;
        let body = Body::CoSign(CoSign {
            comment: id,
            coalition,
            withdrawn: withdraw,
        });
        self.publish(&identity, &space, refs, body)
    }

    /// As a coalition (this home's key), admits `member` to sign on for it in `space`,
    /// or with `active: false` removes them.
    pub fn membership(
        &mut self,
        space: &str,
        member: PublicKey,
        active: bool,
    ) -> Result<EntryId, NodeError> {
        let identity = self.identity()?;
        let space = self.locate_space(space)?;
        let body = Body::Membership(Membership { member, active });
        self.publish(&identity, &space, vec![], body)
    }

    /// The members a coalition has admitted in a space, with whether they still are.
    pub fn members(
        &self,
        space: &str,
        coalition: &PublicKey,
    ) -> Result<Vec<(margin_space::view::ParticipantView, bool)>, NodeError> {
        self.with_space(&self.locate_space(space)?, |space| {
            Ok(space
                .memberships()
                .filter(|((c, _), _)| c == coalition)
                .map(|((_, m), s)| (space.participant(m), s.value))
                .collect())
        })
    }

    // ---- alternatives --------------------------------------------------------------

    /// A stance on the alternative wording `comment` carries, at its current wording.
    /// With `para`, the alternative must be proposed for that paragraph.
    pub fn alternative_stance(
        &mut self,
        draft: &str,
        para: Option<&ParaId>,
        comment: &str,
        value: StanceValue,
        reason: Option<&str>,
    ) -> Result<EntryId, NodeError> {
        if value == StanceValue::Object && reason.is_none_or(|r| r.trim().is_empty()) {
            return Err(NodeError::ObjectionWithoutReason);
        }
        let identity = self.identity()?;
        let (draft_id, _) = self.locate_draft(draft)?;
        let (id, space) = self.locate_comment(comment)?;
        let (wording, refs) = self.with_space(&space, |space| {
            let c = space
                .comment(&id)
                .ok_or_else(|| NodeError::NotFound(comment.to_owned()))?;
            if c.body.draft != draft_id {
                return Err(NodeError::Invalid(format!(
                    "comment {comment} is on another draft"
                )));
            }
            if c.wording().suggestion.is_none_or(|s| s.trim().is_empty()) {
                return Err(NodeError::Invalid(format!(
                    "comment {comment} proposes no alternative wording"
                )));
            }
            if let Some(p) = para {
                let on = c.anchor().map(|(_, a)| a.para.as_str());
                if on != Some(p.as_str()) {
                    return Err(NodeError::Invalid(format!(
                        "the alternative of {comment} is proposed for paragraph {}, not {p}",
                        on.unwrap_or("(the whole draft)")
                    )));
                }
            }
            let wording = c.wording_entry();
            let mut refs = vec![id];
            refs.extend(wording);
            refs.extend(space.registration_entry(&identity.key.public()));
            Ok::<_, NodeError>((wording, refs))
        })?;
        let body = Body::AlternativeStance(AlternativeStance {
            comment: id,
            wording,
            value,
            reason: reason.map(str::to_owned),
        });
        self.publish(&identity, &space, refs, body)
    }

    /// An editor accepts the alternative wording `comment` proposes: one revision
    /// replaces the passage (or the whole paragraph) with it, and a disposition
    /// `accepted` links that revision.
    pub fn accept_alternative(&mut self, comment: &str, note: &str) -> Result<Accepted, NodeError> {
        let identity = self.identity()?;
        let (id, space) = self.locate_comment(comment)?;
        let now = self.now();
        let (para, draft_id, refs, body) = self.with_space(&space, |space| {
        let c = space
            .comment(&id)
            .ok_or_else(|| NodeError::NotFound(comment.to_owned()))?;
        let Some(text) = c.wording().suggestion.filter(|s| !s.trim().is_empty()) else {
            return Err(NodeError::Invalid(format!(
                "comment {comment} proposes no alternative wording"
            )));
        };
        let Some((heads, anchor)) = c.anchor() else {
            return Err(NodeError::Invalid(format!(
                "comment {comment} is on the whole draft: its alternative has no passage to replace; revise the draft instead"
            )));
        };
        let state = space
            .draft(&c.body.draft)
            .ok_or_else(|| NodeError::NotFound(c.body.draft.to_string()))?;
        let whole = anchor.quote.is_none();
        let (para, range) = match state.doc.resolve(&draft_anchor(heads, anchor), None)? {
            AnchorState::Anchored {
                para, start, end, ..
            } => (para, (start, end)),
            AnchorState::Orphaned => {
                return Err(NodeError::Invalid(format!(
                    "the passage comment {comment} proposes to replace is no longer in the draft; re-attach the comment first"
                )));
            }
        };
        let mut doc = state.doc.clone();
        let current = doc
            .paragraph_text(&para, None)?
            .ok_or_else(|| NodeError::NoParagraph(para.clone()))?;
        let range = if whole {
            (0, current.chars().count())
        } else {
            range
        };
        let base = doc.heads();
        let mut refs = vec![state.id];
        refs.extend(state.entries_carrying(&base));
        let message = format!("Accepted the alternative wording of comment {}", id.short());
        let Some(change) = doc.replace_passage(
            identity.actor(),
            &para,
            range,
            &text,
            now,
            &message,
        )?
        else {
            return Err(NodeError::Invalid(
                "the draft already reads as the alternative proposes".into(),
            ));
        };
        let draft_id = state.id;
        let body = Body::DraftChange(DraftChange {
            draft: Some(draft_id),
            changes: vec![serde_bytes::ByteBuf::from(change)],
            message,
        });
        Ok::<_, NodeError>((para, draft_id, refs, body))
        })?;
        let revision = self.publish(&identity, &space, refs, body)?;
        let body = Body::Disposition(Disposition {
            comment: id,
            value: DispositionValue::Accepted,
            note: note.to_owned(),
            revision: Some(revision),
        });
        let disposition = self.publish(&identity, &space, vec![id, revision], body)?;
        let text = self.with_space(&space, |space| {
            Ok::<_, NodeError>(
                space
                    .draft(&draft_id)
                    .and_then(|d| d.doc.paragraph_text(&para, None).ok().flatten())
                    .unwrap_or_default(),
            )
        })?;
        Ok(Accepted {
            revision: revision.to_string(),
            disposition: disposition.to_string(),
            text,
        })
    }

    // ---- figures -------------------------------------------------------------------

    /// The objection register of a draft.
    pub fn objection_register(
        &self,
        draft: &str,
        counting: Counting,
    ) -> Result<ObjectionRegister, NodeError> {
        let (id, space) = self.locate_draft(draft)?;
        self.with_space(&space, |space| {
            let options = counting.options(space);
            objections(space, &id, &options).map_err(consensus_error)
        })
    }

    /// Statuses, tallies, convergence and opinion groups of a draft.
    pub fn consensus(&self, draft: &str, counting: Counting) -> Result<ConsensusReport, NodeError> {
        let (id, space) = self.locate_draft(draft)?;
        self.with_space(&space, |space| {
            let options = counting.options(space);
            report(space, &id, &options).map_err(consensus_error)
        })
    }

    /// Alternative wordings side by side with the current text.
    pub fn alternatives(&self, draft: &str, counting: Counting) -> Result<Alternatives, NodeError> {
        let (id, space) = self.locate_draft(draft)?;
        self.with_space(&space, |space| {
            let options = counting.options(space);
            alternatives(space, &id, &options).map_err(consensus_error)
        })
    }

    /// Participation by stakeholder group and region in a space (or one of its drafts).
    pub fn balance(
        &self,
        space: &str,
        draft: Option<&str>,
        counting: Counting,
    ) -> Result<Balance, NodeError> {
        let space = self.locate_space(space)?;
        let draft: Option<DraftId> = match draft {
            Some(d) => {
                let (id, other) = self.locate_draft(d)?;
                if other != space {
                    return Err(NodeError::Invalid(format!("draft {d} is in another space")));
                }
                Some(id)
            }
            None => None,
        };
        self.with_space(&space, |space| {
            let options = counting.options(space);
            Ok(balance(space, draft.as_ref(), &options))
        })
    }

    // ---- exports -------------------------------------------------------------------

    /// Everything the exports of a draft show, from the entries this node holds.
    pub fn export(&self, draft: &str, counting: Counting) -> Result<Export, NodeError> {
        let (id, space) = self.locate_draft(draft)?;
        self.with_space(&space, |space| {
            let options = counting.options(space);
            Export::new(space, &id, options).map_err(report_error)
        })
    }

    /// Checks an exported file against this node's signed entries: rebuilds the entry
    /// set the file names from the store, re-checks every entry's signature from its
    /// stored bytes, rebuilds the export and compares. `manifest` is the JSON written
    /// next to an Automerge export.
    pub fn verify_export(
        &self,
        bytes: &[u8],
        manifest: Option<&[u8]>,
    ) -> Result<Verification, NodeError> {
        let provenance = if verify::is_automerge(bytes) {
            let manifest = manifest.ok_or_else(|| {
                NodeError::Invalid(
                    "an Automerge export is checked with the manifest written next to it (FILE.json)".into(),
                )
            })?;
            serde_json::from_slice::<Provenance>(manifest)
                .map_err(|e| NodeError::Invalid(format!("the manifest is not readable: {e}")))?
        } else {
            verify::provenance(bytes).map_err(report_error)?
        };
        let space_id = provenance.space_id().map_err(report_error)?;
        let draft = provenance.draft_id().map_err(report_error)?;
        let (space, checked, mut problems) = self.entry_set(&space_id, &provenance)?;
        let mut options = Options::for_charter(space.charter());
        options.registered_only = provenance.registered_only;
        let export = Export::new(&space, &draft, options).map_err(report_error)?;
        let found: Vec<Problem> = if verify::is_automerge(bytes) {
            let mut p = verify::check(bytes, &export).map_err(report_error)?;
            let expected = export.provenance(Format::Automerge);
            if provenance != expected {
                p.push(Problem::Provenance {
                    field: "manifest",
                    found: serde_json::to_string(&provenance).unwrap_or_default(),
                    expected: serde_json::to_string(&expected).unwrap_or_default(),
                });
            }
            p
        } else {
            verify::check(bytes, &export).map_err(report_error)?
        };
        problems.extend(found.iter().map(Problem::to_string));
        Ok(Verification {
            provenance,
            entries_checked: checked,
            problems,
        })
    }

    /// The entries of a space an export names: every stored entry dated up to its
    /// `until`, each signature checked again from the stored bytes. Fails when they are
    /// not exactly the export's entry set.
    fn entry_set(
        &self,
        space_id: &SpaceId,
        provenance: &Provenance,
    ) -> Result<(Space, usize, Vec<String>), NodeError> {
        // The accepted entries in acceptance order, then those still waiting for refs,
        // as a node's space state is built (`Node::load_space`).
        let mut raw = self.store().space_entry_bytes(space_id)?;
        raw.extend(
            self.store()
                .pending_entries(space_id)?
                .into_iter()
                .map(Entry::into_bytes),
        );
        if raw.is_empty() {
            return Err(NodeError::Invalid(format!(
                "this node does not hold space {space_id}; import its bundle first"
            )));
        }
        let mut problems = vec![];
        let mut decoded: Vec<Entry<Unverified>> = vec![];
        for bytes in &raw {
            match Entry::decode(bytes) {
                Ok(e) => decoded.push(e),
                Err(e) => problems.push(format!(
                    "stored entry {} does not decode: {e}",
                    EntryId::of_entry(bytes)
                )),
            }
        }
        let checked = decoded.len();
        let mut verified = vec![];
        for result in verify_batch(decoded) {
            match result {
                Ok(e) => verified.push(e),
                Err((id, e)) => {
                    problems.push(format!("stored entry {id} is not validly signed: {e}"))
                }
            }
        }
        let mut entries = verified
            .into_iter()
            .filter(|e| e.time() <= provenance.until)
            .collect::<Vec<_>>()
            .into_iter();
        let genesis = entries
            .next()
            .filter(|g| g.id() == *space_id)
            .ok_or_else(|| NodeError::NotFound(space_id.to_string()))?;
        let mut space = Space::new(genesis)?;
        for entry in entries {
            space.apply(entry);
        }
        let digest = space.entry_set_digest();
        if digest != provenance.entry_set || space.order().len() != provenance.entries {
            return Err(NodeError::Invalid(format!(
                "this node does not hold the entries the export was made from: it names {} entries dated up to {} (entry set {}), this node has {} such entries (entry set {}). Import the exporter's bundle of the space, then verify again",
                provenance.entries,
                provenance.until_text(),
                provenance.entry_set,
                space.order().len(),
                digest
            )));
        }
        Ok((space, checked, problems))
    }
}
