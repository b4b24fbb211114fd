//! The draft as an Automerge document: loading, saving, applying changes, history, and
//! reading the blocks of any version.
//!
//! Layout of the document (all positions are Unicode code points):
//!
//! ```text
//! root { title: str, blocks: [ { id, kind, level, marker, sep, text: Text } ], tail: str }
//! ```

use margin_core::{ParaId, Timestamp};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use automerge::{
    ActorId, Automerge, Change, ChangeHash, LoadOptions, ObjId, ObjType, ROOT, ReadDoc,
    TextEncoding, Value,
};

use crate::anchor::{Anchor, AnchorState};
use crate::error::Error;
use crate::markdown::{Block, BlockKind, Markdown};

/// A draft document: title and blocks (headings, paragraphs, list items), each block
/// with a stable id, held as an Automerge document so that revisions merge.
#[derive(Debug)]
pub struct Draft {
    pub(crate) doc: Automerge,
    /// The version last read whole, kept for the next reading of the same version: a
    /// page reads the current text more than once, and every page request reads it
    /// again. Kept by its heads, so a changed document is never read from it.
    last_read: Mutex<Option<Arc<Reading>>>,
}

impl Clone for Draft {
    fn clone(&self) -> Draft {
        Draft {
            doc: self.doc.clone(),
            last_read: Mutex::new(self.kept_reading()),
        }
    }
}

/// What a change says about itself; callers check `actor` against the signer of the
/// entry that carries it, and `deps` against the changes they already have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeInfo {
    /// The change hash (what heads and deps are made of).
    pub hash: [u8; 32],
    /// The author's 32-byte key followed by a device tag (see [`actor_key`]).
    pub actor: ActorId,
    /// The changes this one depends on.
    pub deps: Vec<[u8; 32]>,
    /// The sequence number of this change among its actor's changes, from 1.
    pub seq: u64,
    /// The author's clock when the change was made (informational; a time before the
    /// epoch reads as the epoch).
    pub time: Timestamp,
    /// The revision message.
    pub message: Option<String>,
}

impl ChangeInfo {
    fn of(change: &Change) -> ChangeInfo {
        ChangeInfo {
            hash: change.hash().0,
            actor: change.actor_id().clone(),
            deps: change.deps().iter().map(|h| h.0).collect(),
            seq: change.seq(),
            time: u64::try_from(change.timestamp())
                .map_or(Timestamp::EPOCH, Timestamp::from_millis),
            message: change.message().map(str::to_string),
        }
    }
}

/// The most bytes one change may take once inflated. An entry carries at most 4 MiB,
/// but a compressed change of that size could inflate to gigabytes, on every node and
/// again at every start; Automerge inflates without a bound, so the bound is checked
/// here first. A 100-page draft's import is well under 1 MiB.
pub const MAX_CHANGE_BYTES: usize = 8 * 1024 * 1024;

/// The most operations one change may hold (a character typed is one): the import of a
/// draft of four million characters.
pub const MAX_CHANGE_OPS: usize = 4 * 1024 * 1024;

/// The bytes that start every Automerge chunk, and the type byte of a compressed change.
const CHUNK_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const COMPRESSED_CHANGE: u8 = 2;

/// Decodes a change within the bounds above.
fn bounded_change(bytes: &[u8]) -> Result<Change, Error> {
    if let Some(deflated) = compressed_contents(bytes) {
        let limit = MAX_CHANGE_BYTES as u64 + 1;
        let mut inflating =
            std::io::Read::take(flate2::bufread::DeflateDecoder::new(deflated), limit);
        // A stream that does not inflate is left for Automerge to refuse with its reason.
        let inflated = std::io::copy(&mut inflating, &mut std::io::sink()).unwrap_or(0);
        if inflated > MAX_CHANGE_BYTES as u64 {
            return Err(Error::ChangeTooLarge(format!(
                "the change inflates to more than {} MiB",
                MAX_CHANGE_BYTES / (1024 * 1024)
            )));
        }
    }
    let change = guarded(|| Change::try_from(bytes))??;
    if change.len() > MAX_CHANGE_OPS {
        return Err(Error::ChangeTooLarge(format!(
            "the change holds {} operations, more than {MAX_CHANGE_OPS}",
            change.len()
        )));
    }
    Ok(change)
}

/// Runs Automerge on a peer's change. Automerge 0.12 panics on some malformed changes,
/// while decoding them or applying them, where it should refuse them; such a panic is
/// the change's fault, refused like any other ([`Error::AutomergeFailed`]), so that a
/// change signed by a hostile editor cannot bring down every node that receives it.
fn guarded<T>(automerge: impl FnOnce() -> T) -> Result<T, Error> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(automerge)).map_err(|panic| {
        let what = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("a panic");
        Error::AutomergeFailed(what.to_owned())
    })
}

/// The deflated contents of a compressed change chunk (magic, checksum, type 2, LEB128
/// length, contents), if `bytes` is one.
fn compressed_contents(bytes: &[u8]) -> Option<&[u8]> {
    if bytes.len() < 10 || bytes[..4] != CHUNK_MAGIC || bytes[8] != COMPRESSED_CHANGE {
        return None;
    }
    let (mut len, mut shift, mut at) = (0u64, 0u32, 9usize);
    loop {
        let byte = *bytes.get(at)?;
        at += 1;
        len |= u64::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
    let end = at.checked_add(usize::try_from(len).ok()?)?;
    bytes.get(at..end)
}

/// A change's time as Automerge records it: milliseconds since the epoch, in an `i64`.
pub(crate) fn automerge_time(time: Timestamp) -> i64 {
    i64::try_from(time.as_millis()).unwrap_or(i64::MAX)
}

/// The Ed25519 public key an actor id starts with, if it is long enough to hold one.
pub fn actor_key(actor: &ActorId) -> Option<[u8; 32]> {
    actor.to_bytes().get(..32)?.try_into().ok()
}

/// The Ed25519 public key of the actor that made `change` (see [`actor_key`]).
pub fn change_actor_key(change: &Change) -> Option<[u8; 32]> {
    actor_key(change.actor_id())
}

/// A block read from the document, with the Automerge objects it lives in.
#[derive(Clone, Debug)]
pub(crate) struct StoredBlock {
    pub obj: ObjId,
    pub text_obj: Option<ObjId>,
    pub id: ParaId,
    pub block: Block,
}

/// One version of a draft read whole, and the anchors resolved against it so far: what
/// a draft keeps of the version it last read (anchors resolve the same way at one
/// version, so a page's thousands of comments are placed once, not at every request).
#[derive(Debug)]
pub(crate) struct Reading {
    /// Its heads, sorted.
    pub version: Vec<ChangeHash>,
    pub snapshot: Snapshot,
    resolved: Mutex<HashMap<Anchor, AnchorState>>,
}

impl Reading {
    pub fn resolved(&self, anchor: &Anchor) -> Option<AnchorState> {
        self.resolved.lock().ok()?.get(anchor).cloned()
    }

    pub fn keep_resolved(&self, anchor: &Anchor, state: &AnchorState) {
        if let Ok(mut resolved) = self.resolved.lock() {
            resolved.insert(anchor.clone(), state.clone());
        }
    }
}

/// The whole document at one version.
#[derive(Clone, Debug, Default)]
pub(crate) struct Snapshot {
    pub title: Option<String>,
    pub blocks_obj: Option<ObjId>,
    pub blocks: Vec<StoredBlock>,
    pub tail: String,
}

impl Snapshot {
    pub fn markdown(&self) -> Markdown {
        Markdown {
            blocks: self.blocks.iter().map(|b| b.block.clone()).collect(),
            tail: self.tail.clone(),
        }
    }

    pub fn find(&self, id: &str) -> Option<&StoredBlock> {
        self.blocks.iter().find(|b| b.id == id)
    }

    pub fn ids(&self) -> HashSet<ParaId> {
        self.blocks.iter().map(|b| b.id.clone()).collect()
    }
}

pub(crate) fn to_hashes(heads: &[[u8; 32]]) -> Vec<ChangeHash> {
    heads.iter().map(|h| ChangeHash(*h)).collect()
}

pub(crate) fn from_hashes(heads: &[ChangeHash]) -> Vec<[u8; 32]> {
    heads.iter().map(|h| h.0).collect()
}

impl Draft {
    /// An empty document into which changes are applied (the space state machine
    /// rebuilds drafts from the changes carried by its entries).
    pub fn empty() -> Draft {
        Draft::of(Automerge::new_with_encoding(TextEncoding::UnicodeCodePoint))
    }

    /// Loads a document saved with [`Draft::save`] (a standard Automerge file).
    pub fn load(bytes: &[u8]) -> Result<Draft, Error> {
        let options = LoadOptions::new().text_encoding(TextEncoding::UnicodeCodePoint);
        Ok(Draft::of(Automerge::load_with_options(bytes, options)?))
    }

    /// The whole document with its history, as a standard Automerge file.
    pub fn save(&self) -> Vec<u8> {
        self.doc.save()
    }

    /// Applies changes given as raw bytes (as returned by [`Draft::import`] and
    /// [`Draft::update`]). Order does not matter: a change whose dependencies are
    /// missing waits until they arrive; changes already applied are ignored.
    ///
    /// Takes anything iterable over byte buffers: `&[Vec<u8>]`, `[&bytes]`, ...
    pub fn apply<B: AsRef<[u8]>>(
        &mut self,
        changes: impl IntoIterator<Item = B>,
    ) -> Result<(), Error> {
        let decoded = changes
            .into_iter()
            .map(|bytes| bounded_change(bytes.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        self.apply_changes(decoded)
    }

    /// Like [`Draft::apply`], for changes the caller has already decoded.
    ///
    /// A change Automerge fails on is refused ([`Error::AutomergeFailed`]). After any
    /// error the draft may hold part of the changes: apply them to a copy, and keep it
    /// only when they applied (as a space does).
    ///
    /// Changes are handed to Automerge one at a time: its memory while applying grows
    /// with what it is given at once (about 550 bytes per operation), so a revision cut
    /// into several changes never costs more than its largest change.
    pub fn apply_changes(&mut self, changes: Vec<Change>) -> Result<(), Error> {
        let doc = &mut self.doc;
        for change in changes {
            guarded(|| doc.apply_changes([change]))??;
        }
        Ok(())
    }

    /// Decodes change bytes so that a caller can validate them before applying:
    /// who made the change, on top of what.
    /// Refused, before Automerge sees them, are changes that would inflate to more than
    /// [`MAX_CHANGE_BYTES`] or hold more than [`MAX_CHANGE_OPS`] operations.
    pub fn inspect_change(bytes: &[u8]) -> Result<ChangeInfo, Error> {
        Ok(ChangeInfo::of(&bounded_change(bytes)?))
    }

    /// The current version: hashes of the changes nothing else depends on, sorted.
    pub fn heads(&self) -> Vec<[u8; 32]> {
        from_hashes(&self.doc.get_heads())
    }

    /// Whether every change in `heads` has been applied to this draft.
    pub fn has_changes(&self, heads: &[[u8; 32]]) -> bool {
        heads
            .iter()
            .all(|h| self.doc.get_change_meta_by_hash(&ChangeHash(*h)).is_some())
    }

    /// Raw bytes of an applied change, to pass on to a peer that lacks it.
    pub fn change_bytes(&self, hash: &[u8; 32]) -> Option<Vec<u8>> {
        self.doc
            .get_change_by_hash(&ChangeHash(*hash))
            .map(|c| c.raw_bytes().to_vec())
    }

    /// The changes `hashes` in one Automerge bundle (columnar across changes, as
    /// [`crate::pack`] sends a draft's revisions); `None` unless every one of them has
    /// been applied to this draft.
    pub fn bundle(&self, hashes: &[ChangeHash]) -> Option<Vec<u8>> {
        if !hashes
            .iter()
            .all(|h| self.doc.get_change_meta_by_hash(h).is_some())
        {
            return None;
        }
        // Automerge's bundle builder is experimental and unwraps inside: a panic in it
        // means no bundle (the changes then travel whole), never a stopped node.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.doc
                .bundle(hashes.iter().copied())
                .ok()
                .map(|b| b.bytes().to_vec())
        }))
        .ok()
        .flatten()
    }

    /// The history: one item per applied change, dependencies before dependents.
    pub fn log(&self) -> Vec<ChangeInfo> {
        self.doc
            .get_changes(&[])
            .iter()
            .map(ChangeInfo::of)
            .collect()
    }

    /// Turns an optional public version into Automerge heads, checking they are known.
    pub(crate) fn heads_at(&self, at: Option<&[[u8; 32]]>) -> Result<Vec<ChangeHash>, Error> {
        match at {
            None => Ok(self.doc.get_heads()),
            Some(heads) => {
                let missing: Vec<[u8; 32]> = heads
                    .iter()
                    .filter(|h| !self.has_changes(std::slice::from_ref(h)))
                    .copied()
                    .collect();
                if missing.is_empty() {
                    Ok(to_hashes(heads))
                } else {
                    Err(Error::UnknownHeads(missing))
                }
            }
        }
    }

    /// Reads the whole draft as it was at `heads`. Missing or odd fields (which only a
    /// foreign or buggy writer produces) are read as empty rather than refused, so that
    /// one bad change cannot make a draft unreadable.
    pub(crate) fn snapshot(&self, heads: &[ChangeHash]) -> Result<Snapshot, Error> {
        Ok(self.reading(heads)?.snapshot.clone())
    }

    /// The whole draft at `heads`, from the version last read when it is that one
    /// (else read, and kept in its place).
    pub(crate) fn reading(&self, heads: &[ChangeHash]) -> Result<Arc<Reading>, Error> {
        let mut version = heads.to_vec();
        version.sort_unstable();
        if let Some(kept) = self.kept_reading()
            && kept.version == version
        {
            return Ok(kept);
        }
        let read = Arc::new(Reading {
            version,
            snapshot: self.read_snapshot(heads)?,
            resolved: Mutex::new(HashMap::new()),
        });
        if let Ok(mut last) = self.last_read.lock() {
            *last = Some(read.clone());
        }
        Ok(read)
    }

    fn kept_reading(&self) -> Option<Arc<Reading>> {
        self.last_read.lock().ok().and_then(|last| last.clone())
    }

    fn of(doc: Automerge) -> Draft {
        Draft {
            doc,
            last_read: Mutex::new(None),
        }
    }

    fn read_snapshot(&self, heads: &[ChangeHash]) -> Result<Snapshot, Error> {
        let doc = &self.doc;
        let mut snap = Snapshot {
            title: self.string_at(&ROOT, "title", heads)?,
            tail: self.string_at(&ROOT, "tail", heads)?.unwrap_or_default(),
            ..Snapshot::default()
        };
        let Some((Value::Object(ObjType::List), blocks_obj)) =
            doc.get_at(&ROOT, "blocks", heads)?
        else {
            return Ok(snap);
        };
        for i in 0..doc.length_at(&blocks_obj, heads) {
            let Some((Value::Object(ObjType::Map), obj)) = doc.get_at(&blocks_obj, i, heads)?
            else {
                continue;
            };
            let text_obj = match doc.get_at(&obj, "text", heads)? {
                Some((Value::Object(ObjType::Text), t)) => Some(t),
                _ => None,
            };
            let text = match &text_obj {
                Some(t) => doc.text_at(t, heads)?,
                None => String::new(),
            };
            let kind = BlockKind::parse(&self.string_at(&obj, "kind", heads)?.unwrap_or_default());
            let level = match doc.get_at(&obj, "level", heads)? {
                Some((v, _)) => v.as_u64().unwrap_or(0).min(6) as u8,
                None => 0,
            };
            snap.blocks.push(StoredBlock {
                id: ParaId::from(self.string_at(&obj, "id", heads)?.unwrap_or_default()),
                block: Block {
                    kind,
                    level,
                    marker: self.string_at(&obj, "marker", heads)?.unwrap_or_default(),
                    sep: self.string_at(&obj, "sep", heads)?.unwrap_or_default(),
                    text,
                },
                obj,
                text_obj,
            });
        }
        snap.blocks_obj = Some(blocks_obj);
        Ok(snap)
    }

    /// The text of the first block whose id is `pid` at `heads`, as [`Draft::snapshot`]
    /// would read it, without reading every other block's text: checking that a comment
    /// or stance names an existing paragraph happens for every entry a space applies.
    pub(crate) fn block_text(
        &self,
        pid: &str,
        heads: &[ChangeHash],
    ) -> Result<Option<String>, Error> {
        // The whole version, read once and kept: the paragraphs that comments and
        // stances name are checked one after another, mostly at the same version.
        if let Ok(read) = self.reading(heads) {
            return Ok(read
                .snapshot
                .blocks
                .iter()
                .find(|b| b.id.as_str() == pid)
                .map(|b| b.block.text.clone()));
        }
        let doc = &self.doc;
        let Some((Value::Object(ObjType::List), blocks_obj)) =
            doc.get_at(&ROOT, "blocks", heads)?
        else {
            return Ok(None);
        };
        for i in 0..doc.length_at(&blocks_obj, heads) {
            let Some((Value::Object(ObjType::Map), obj)) = doc.get_at(&blocks_obj, i, heads)?
            else {
                continue;
            };
            if self
                .string_at(&obj, "id", heads)?
                .as_deref()
                .unwrap_or_default()
                != pid
            {
                continue;
            }
            return Ok(Some(match doc.get_at(&obj, "text", heads)? {
                Some((Value::Object(ObjType::Text), t)) => doc.text_at(&t, heads)?,
                _ => String::new(),
            }));
        }
        Ok(None)
    }

    /// A string field, stored as a scalar (or, if a foreign writer chose so, as Text).
    fn string_at(
        &self,
        obj: &ObjId,
        key: &str,
        heads: &[ChangeHash],
    ) -> Result<Option<String>, Error> {
        Ok(match self.doc.get_at(obj, key, heads)? {
            Some((Value::Object(ObjType::Text), text)) => Some(self.doc.text_at(&text, heads)?),
            Some((v, _)) => v.as_str().map(str::to_string),
            None => None,
        })
    }
}
