//! Bundles: every entry of a space in one file, for exchange without a network.
//!
//! Layout (see `docs/protocol.md`): magic, space id, entry count, length-prefixed
//! entries in acceptance order, and a BLAKE3 checksum of everything before it. A damaged
//! or truncated file is refused whole, before any entry is looked at.

use std::fs;
use std::io::Write;
use std::path::Path;

use margin_core::id::SpaceId;
use margin_core::limits::MAX_ENTRY_BYTES;

use crate::error::NodeError;
use crate::node::{ImportReport, Node};

const MAGIC: &[u8] = b"margin-bundle-v1\n";
/// A bundle larger than this is refused rather than read into memory.
pub const MAX_BUNDLE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// Encodes entries as a bundle.
pub fn encode(space: &SpaceId, entries: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.iter().map(|e| e.len() + 4).sum::<usize>() + 96);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(space.as_bytes());
    out.extend_from_slice(&(entries.len() as u64).to_le_bytes());
    for e in entries {
        out.extend_from_slice(&(e.len() as u32).to_le_bytes());
        out.extend_from_slice(e);
    }
    let checksum = blake3::hash(&out);
    out.extend_from_slice(checksum.as_bytes());
    out
}

/// Decodes a bundle into its space id and raw entries, checking its framing and checksum.
pub fn decode(bytes: &[u8]) -> Result<(SpaceId, Vec<Vec<u8>>), String> {
    let header = MAGIC.len() + 32 + 8;
    if bytes.len() < header + 32 {
        return Err("the file is too short to be a bundle (truncated?)".into());
    }
    if !bytes.starts_with(MAGIC) {
        return Err("the file is not a Margin bundle".into());
    }
    let (body, checksum) = bytes.split_at(bytes.len() - 32);
    if blake3::hash(body).as_bytes() != checksum {
        return Err("checksum mismatch (the file was altered or truncated)".into());
    }
    let mut space = [0u8; 32];
    space.copy_from_slice(&body[MAGIC.len()..MAGIC.len() + 32]);
    let mut count = [0u8; 8];
    count.copy_from_slice(&body[MAGIC.len() + 32..header]);
    let count = u64::from_le_bytes(count);
    let mut rest = &body[header..];
    let mut entries = Vec::new();
    for i in 0..count {
        if rest.len() < 4 {
            return Err(format!("entry {} of {count} is missing", i + 1));
        }
        let (len, tail) = rest.split_at(4);
        let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
        if len > MAX_ENTRY_BYTES {
            return Err(format!(
                "entry {} claims {len} bytes, more than any entry may have",
                i + 1
            ));
        }
        if tail.len() < len {
            return Err(format!("entry {} of {count} is cut short", i + 1));
        }
        let (entry, tail) = tail.split_at(len);
        entries.push(entry.to_vec());
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(format!(
            "{} unexpected bytes after the last entry",
            rest.len()
        ));
    }
    Ok((SpaceId::from_bytes(space), entries))
}

impl Node {
    /// Writes every accepted entry of a space to `out`. Returns how many.
    pub fn bundle_create(&self, space: &str, out: &Path) -> Result<usize, NodeError> {
        let space = self.locate_space(space)?;
        let entries = self.store().space_entry_bytes(&space)?;
        let bytes = encode(&space, &entries);
        let tmp = out.with_extension("partial");
        let mut file = fs::File::create(&tmp).map_err(|e| NodeError::io(&tmp, e))?;
        file.write_all(&bytes).map_err(|e| NodeError::io(&tmp, e))?;
        file.sync_all().map_err(|e| NodeError::io(&tmp, e))?;
        fs::rename(&tmp, out).map_err(|e| NodeError::io(out, e))?;
        Ok(entries.len())
    }

    /// Imports a bundle: every entry is checked as if it came from the network.
    pub fn bundle_import(&mut self, path: &Path) -> Result<ImportReport, NodeError> {
        let size = fs::metadata(path)
            .map_err(|e| NodeError::io(path, e))?
            .len();
        if size > MAX_BUNDLE_BYTES {
            return Err(NodeError::BadBundle {
                path: path.display().to_string(),
                reason: format!(
                    "{size} bytes is more than the {MAX_BUNDLE_BYTES} a bundle may have"
                ),
            });
        }
        let bytes = fs::read(path).map_err(|e| NodeError::io(path, e))?;
        let (_space, entries) = decode(&bytes).map_err(|reason| NodeError::BadBundle {
            path: path.display().to_string(),
            reason,
        })?;
        self.receive(entries)
    }
}
