//! Replacing a passage of one paragraph: how an editor accepts an alternative wording
//! into a revision. The paragraph keeps its id and its text object, and only the words
//! that differ are edited, so comments anchored elsewhere in it keep their place.

use automerge::{ActorId, ReadDoc, transaction::CommitOptions, transaction::Transactable};
use margin_core::{ParaId, Timestamp};

use crate::doc::Draft;
use crate::error::Error;
use crate::tokens::splices;

impl Draft {
    /// Replaces code points `start..end` of paragraph `pid`'s current text with
    /// `replacement`, as ONE Automerge change by `actor`; returns the change's bytes, or
    /// `None` when the text already reads so.
    ///
    /// A replacement may not contain a blank line: a paragraph stays one paragraph.
    pub fn replace_passage(
        &mut self,
        actor: ActorId,
        pid: &ParaId,
        (start, end): (usize, usize),
        replacement: &str,
        time: Timestamp,
        message: &str,
    ) -> Result<Option<Vec<u8>>, Error> {
        if replacement.replace("\r\n", "\n").contains("\n\n") {
            return Err(Error::Unsplittable);
        }
        let heads = self.doc.get_heads();
        let snap = self.snapshot(&heads)?;
        let block = snap
            .find(pid.as_str())
            .ok_or_else(|| Error::ParagraphNotFound(pid.clone()))?;
        let text_obj = block
            .text_obj
            .clone()
            .ok_or_else(|| Error::ParagraphNotFound(pid.clone()))?;
        let old: Vec<char> = block.block.text.chars().collect();
        if start > end || end > old.len() {
            return Err(Error::OutOfRange {
                para: pid.clone(),
                start,
                end,
                len: old.len(),
            });
        }
        let new: String = old[..start]
            .iter()
            .copied()
            .chain(replacement.chars())
            .chain(old[end..].iter().copied())
            .collect();
        let edits = splices(&block.block.text, &new);
        if edits.is_empty() {
            return Ok(None);
        }
        let options = CommitOptions::default()
            .with_message(message)
            .with_time(crate::doc::automerge_time(time));
        self.doc.set_actor(actor);
        let outcome = self.doc.transact_with(
            |_| options,
            |tx| -> Result<(), Error> {
                for s in &edits {
                    tx.splice_text(&text_obj, s.pos, s.del as isize, &s.insert)?;
                }
                Ok(())
            },
        );
        let hash = match outcome {
            Ok(success) => success.hash,
            Err(failure) => return Err(failure.error),
        };
        Ok(hash.map(|h| {
            self.doc
                .get_change_by_hash(&h)
                .expect("a change just committed is in the document")
                .raw_bytes()
                .to_vec()
        }))
    }
}
