//! Revisions: turning a Markdown file into the smallest set of Automerge edits.
//!
//! Blocks of the old and new file are aligned (unchanged blocks by content, edited ones
//! by similarity), so a paragraph keeps its id, and the comments anchored to it keep
//! their place, across revisions. A revision is one Automerge change, or, as a node
//! publishes it, a few for a large one: its edits are cut, between blocks, into changes
//! of about [`OPS_PER_CHANGE`] operations, which every node applies one after the other.
//! Automerge's memory while applying a change grows with the change (about 550 bytes
//! per operation, see docs/security.md), so a 600 KB import applied as one change costs
//! a node 350 MB for a moment, and as 38 changes about 10 MB.

use margin_core::{ParaId, Timestamp};
use std::collections::HashSet;

use automerge::{
    ActorId, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, transaction::CommitOptions,
    transaction::Transactable,
};
use similar::{Algorithm, DiffTag, capture_diff_slices};

use crate::doc::{Draft, Snapshot};
use crate::error::Error;
use crate::markdown::{Block, Markdown, derived_title};
use crate::tokens::{char_ratio, splices};

/// Edited blocks are paired when at least this alike, character by character.
const PAIRING_RATIO: f32 = 0.5;

/// About the most operations (a character inserted or deleted is one) in one change that
/// [`Draft::import`] and [`Draft::update`] write; a single block larger than this still
/// goes in one change.
pub const OPS_PER_CHANGE: usize = 16 * 1024;

impl Draft {
    /// Creates a new draft from a Markdown file as ONE Automerge change by `actor`.
    ///
    /// The title is `title` if given, else the first level-1 heading, else
    /// "Untitled draft". Returns the draft and the change's bytes, for the caller to
    /// sign and publish. [`Draft::import_in_parts`] cuts a large file into several.
    pub fn import(
        actor: ActorId,
        markdown: &str,
        title: Option<&str>,
        time: Timestamp,
        message: &str,
    ) -> Result<(Draft, Vec<u8>), Error> {
        let (draft, mut changes) =
            Draft::import_within(actor, markdown, title, time, message, usize::MAX)?;
        Ok((draft, changes.remove(0)))
    }

    /// Like [`Draft::import`], as one change or a few for a large file (see
    /// [`OPS_PER_CHANGE`]), in the order they apply: what a node publishes, together,
    /// as one revision.
    pub fn import_in_parts(
        actor: ActorId,
        markdown: &str,
        title: Option<&str>,
        time: Timestamp,
        message: &str,
    ) -> Result<(Draft, Vec<Vec<u8>>), Error> {
        Draft::import_within(actor, markdown, title, time, message, OPS_PER_CHANGE)
    }

    /// Whether a Markdown file holds at least one block (a heading, a paragraph, an
    /// item): a draft of nothing is refused.
    pub fn has_text(markdown: &str) -> bool {
        !Markdown::parse(markdown).blocks.is_empty()
    }

    fn import_within(
        actor: ActorId,
        markdown: &str,
        title: Option<&str>,
        time: Timestamp,
        message: &str,
        ops_per_change: usize,
    ) -> Result<(Draft, Vec<Vec<u8>>), Error> {
        let mut draft = Draft::empty();
        let changes = draft
            .write(
                actor,
                &Markdown::parse(markdown),
                title,
                time,
                message,
                ops_per_change,
            )?
            .expect("a new draft's first change writes the title, blocks and tail");
        Ok((draft, changes))
    }

    /// Records a new version of the Markdown file as ONE change by `actor`, made of the
    /// smallest edits: blocks that match an old block keep its id and are edited word by
    /// word; other blocks are inserted or deleted. Returns `None` when the file is the
    /// current text already. [`Draft::update_in_parts`] cuts a large revision into
    /// several changes.
    ///
    /// A title that was derived from the first level-1 heading follows that heading;
    /// a title given at import stays.
    pub fn update(
        &mut self,
        actor: ActorId,
        markdown: &str,
        time: Timestamp,
        message: &str,
    ) -> Result<Option<Vec<u8>>, Error> {
        let changes = self.write(
            actor,
            &Markdown::parse(markdown),
            None,
            time,
            message,
            usize::MAX,
        )?;
        Ok(changes.map(|mut changes| changes.remove(0)))
    }

    /// Like [`Draft::update`], as one change or a few for a large revision (see
    /// [`OPS_PER_CHANGE`]), in the order they apply.
    pub fn update_in_parts(
        &mut self,
        actor: ActorId,
        markdown: &str,
        time: Timestamp,
        message: &str,
    ) -> Result<Option<Vec<Vec<u8>>>, Error> {
        self.write(
            actor,
            &Markdown::parse(markdown),
            None,
            time,
            message,
            OPS_PER_CHANGE,
        )
    }

    fn write(
        &mut self,
        actor: ActorId,
        target: &Markdown,
        title: Option<&str>,
        time: Timestamp,
        message: &str,
        ops_per_change: usize,
    ) -> Result<Option<Vec<Vec<u8>>>, Error> {
        let heads = self.doc.get_heads();
        let old = self.snapshot(&heads)?;
        let old_md = old.markdown();
        let new_title = match (title, &old.title) {
            (Some(t), _) => t.to_string(),
            (None, Some(current)) if *current != derived_title(&old_md) => current.clone(),
            (None, _) => derived_title(target),
        };
        if old.blocks_obj.is_some()
            && old.title.as_deref() == Some(new_title.as_str())
            && old_md == *target
        {
            return Ok(None);
        }
        let steps = align(&old_md.blocks, &target.blocks);
        let mut ids = IdMinter::new(&actor, &heads, old.ids());
        let options = || {
            CommitOptions::default()
                .with_message(message)
                .with_time(crate::doc::automerge_time(time))
        };
        self.doc.set_actor(actor);
        let mut changes = vec![];
        // Known once the first change has written the title, the tail and (for a new
        // draft) the list.
        let mut list: Option<ObjId> = None;
        let mut index = 0;
        for part in parts(&old, target, &steps, ops_per_change) {
            let outcome = self.doc.transact_with(
                |_| options(),
                |tx| {
                    let list = match &list {
                        Some(list) => list.clone(),
                        None => frame(tx, &old, target, &new_title)?,
                    };
                    let end = apply_steps(tx, &list, index, &old, target, part, &mut ids)?;
                    Ok::<_, Error>((list, end))
                },
            );
            let success = outcome.map_err(|failure| failure.error)?;
            (list, index) = (Some(success.result.0), success.result.1);
            if let Some(hash) = success.hash {
                changes.push(
                    self.doc
                        .get_change_by_hash(&hash)
                        .expect("a change just committed is in the document")
                        .raw_bytes()
                        .to_vec(),
                );
            }
        }
        Ok((!changes.is_empty()).then_some(changes))
    }
}

/// Cuts `steps` into parts of about `ops_per_change` operations each, between steps.
/// There is always at least one part (the first change writes the title and the tail).
fn parts<'a>(
    old: &Snapshot,
    target: &Markdown,
    steps: &'a [Step],
    ops_per_change: usize,
) -> Vec<&'a [Step]> {
    let cost = |step: &Step| match *step {
        Step::Keep(o, n) if old.blocks[o].block == target.blocks[n] => 0,
        Step::Keep(o, n) => {
            8 + old.blocks[o].block.text.chars().count() + target.blocks[n].text.chars().count()
        }
        Step::Delete(_) => 1,
        Step::Insert(n) => 8 + target.blocks[n].text.chars().count(),
    };
    let mut parts = vec![];
    let (mut start, mut ops) = (0, 0usize);
    for (i, step) in steps.iter().enumerate() {
        let c = cost(step);
        if ops > 0 && ops.saturating_add(c) > ops_per_change {
            parts.push(&steps[start..i]);
            (start, ops) = (i, 0);
        }
        ops += c;
    }
    parts.push(&steps[start..]);
    parts
}

/// One step of turning the old block list into the new one, in list order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// Old block `.0` becomes new block `.1` (same id, edited if needed).
    Keep(usize, usize),
    /// Old block is removed.
    Delete(usize),
    /// New block is inserted.
    Insert(usize),
}

/// Aligns old and new blocks: identical blocks by a diff over (kind, level, text), then,
/// inside each replaced region, pairs of the same kind that are alike enough, in order.
fn align(old: &[Block], new: &[Block]) -> Vec<Step> {
    let key = |b: &Block| (b.kind, b.level, b.text.clone());
    let old_keys: Vec<_> = old.iter().map(key).collect();
    let new_keys: Vec<_> = new.iter().map(key).collect();
    let mut steps = Vec::new();
    for op in capture_diff_slices(Algorithm::Myers, &old_keys, &new_keys) {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => steps.extend(old_range.zip(new_range).map(|(o, n)| Step::Keep(o, n))),
            DiffTag::Delete => steps.extend(old_range.map(Step::Delete)),
            DiffTag::Insert => steps.extend(new_range.map(Step::Insert)),
            DiffTag::Replace => {
                let (mut o_next, mut n_next) = (old_range.start, new_range.start);
                for o in old_range.clone() {
                    let paired = (n_next..new_range.end).find(|&n| {
                        old[o].kind == new[n].kind
                            && char_ratio(&old[o].text, &new[n].text) >= PAIRING_RATIO
                    });
                    if let Some(n) = paired {
                        steps.extend((o_next..o).map(Step::Delete));
                        steps.extend((n_next..n).map(Step::Insert));
                        steps.push(Step::Keep(o, n));
                        (o_next, n_next) = (o + 1, n + 1);
                    }
                }
                steps.extend((o_next..old_range.end).map(Step::Delete));
                steps.extend((n_next..new_range.end).map(Step::Insert));
            }
        }
    }
    steps
}

/// Writes the title and the tail where they changed, and the block list of a new draft;
/// returns the list.
fn frame(
    tx: &mut impl Transactable,
    old: &Snapshot,
    target: &Markdown,
    title: &str,
) -> Result<ObjId, Error> {
    if old.title.as_deref() != Some(title) {
        tx.put(ROOT, "title", title)?;
    }
    if old.tail != target.tail || old.blocks_obj.is_none() {
        tx.put(ROOT, "tail", target.tail.as_str())?;
    }
    Ok(match &old.blocks_obj {
        Some(list) => list.clone(),
        None => tx.put_object(ROOT, "blocks", ObjType::List)?,
    })
}

/// Carries out `steps` on the block list from position `index`; returns the position
/// after them.
fn apply_steps(
    tx: &mut impl Transactable,
    list: &ObjId,
    mut index: usize,
    old: &Snapshot,
    target: &Markdown,
    steps: &[Step],
    ids: &mut IdMinter,
) -> Result<usize, Error> {
    for step in steps {
        match *step {
            Step::Keep(o, n) => {
                edit_block(tx, &old.blocks[o], &target.blocks[n])?;
                index += 1;
            }
            Step::Delete(_) => tx.delete(list, index)?,
            Step::Insert(n) => {
                let block = &target.blocks[n];
                let obj = tx.insert_object(list, index, ObjType::Map)?;
                tx.put(&obj, "id", ids.mint(index, &block.text).into_string())?;
                tx.put(&obj, "kind", block.kind.as_str())?;
                tx.put(&obj, "level", ScalarValue::Uint(u64::from(block.level)))?;
                tx.put(&obj, "marker", block.marker.as_str())?;
                tx.put(&obj, "sep", block.sep.as_str())?;
                let text = tx.put_object(&obj, "text", ObjType::Text)?;
                tx.splice_text(&text, 0, 0, &block.text)?;
                index += 1;
            }
        }
    }
    Ok(index)
}

/// Edits a kept block in place, touching only the fields that changed.
fn edit_block(
    tx: &mut impl Transactable,
    old: &crate::doc::StoredBlock,
    new: &Block,
) -> Result<(), Error> {
    let obj: &ObjId = &old.obj;
    if old.block.kind != new.kind {
        tx.put(obj, "kind", new.kind.as_str())?;
    }
    if old.block.level != new.level {
        tx.put(obj, "level", ScalarValue::Uint(u64::from(new.level)))?;
    }
    if old.block.marker != new.marker {
        tx.put(obj, "marker", new.marker.as_str())?;
    }
    if old.block.sep != new.sep {
        tx.put(obj, "sep", new.sep.as_str())?;
    }
    match &old.text_obj {
        Some(text) => {
            for s in splices(&old.block.text, &new.text) {
                tx.splice_text(text, s.pos, s.del as isize, &s.insert)?;
            }
        }
        None => {
            let text = tx.put_object(obj, "text", ObjType::Text)?;
            tx.splice_text(&text, 0, 0, &new.text)?;
        }
    }
    Ok(())
}

/// Derives paragraph ids without randomness: a hash of who inserts the block, on top
/// of which version, where, and with what text; re-hashed on the rare collision.
struct IdMinter {
    seed: blake3::Hasher,
    taken: HashSet<ParaId>,
}

impl IdMinter {
    fn new(actor: &ActorId, heads: &[ChangeHash], taken: HashSet<ParaId>) -> IdMinter {
        let mut seed = blake3::Hasher::new();
        seed.update(b"margin-draft-paragraph-id-v1");
        seed.update(&(actor.to_bytes().len() as u64).to_le_bytes());
        seed.update(actor.to_bytes());
        for h in heads {
            seed.update(&h.0);
        }
        IdMinter { seed, taken }
    }

    fn mint(&mut self, index: usize, text: &str) -> ParaId {
        let mut counter = 0u64;
        loop {
            let mut hasher = self.seed.clone();
            hasher.update(&(index as u64).to_le_bytes());
            hasher.update(text.as_bytes());
            if counter > 0 {
                hasher.update(&counter.to_le_bytes());
            }
            let id = ParaId::from(format!("p{}", &hasher.finalize().to_hex()[..10]));
            if self.taken.insert(id.clone()) {
                return id;
            }
            counter += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_edits_inserts_and_deletes() {
        let old = Markdown::parse("# T\n\nalpha beta gamma\n\ndelete me entirely\n\nsame\n");
        let new = Markdown::parse("# T\n\nalpha beta delta\n\nsame\n\nnew one\n");
        assert_eq!(
            align(&old.blocks, &new.blocks),
            [
                Step::Keep(0, 0),
                Step::Keep(1, 1),
                Step::Delete(2),
                Step::Keep(3, 2),
                Step::Insert(3)
            ]
        );
    }
}
