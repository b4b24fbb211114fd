//! Drafts: the files an editor imports (Markdown, Word, OpenDocument) and the Automerge
//! changes peers send as revisions.

use margin_core::prelude::*;
use margin_draft::Draft;
use margin_draft::import::{FileKind, to_markdown};

use crate::fixture::{TIME, editor, editor_actor, fixture};

/// A Markdown file, imported as `margin draft import` and the web's import form do, read
/// back as every page reads a draft, and recorded as a new version of the fixture's draft
/// (the word-by-word alignment of blocks).
pub fn markdown(data: &[u8]) {
    if let Ok(text) = to_markdown(FileKind::Markdown, data) {
        import(&text);
    }
}

/// The parts a Word document's text is read from, in the order [`docx`] takes them.
pub const DOCX_PARTS: &[&str] = &["word/document.xml", "word/styles.xml", "word/numbering.xml"];

/// The parts an OpenDocument text is read from, in the order [`odt`] takes them.
pub const ODT_PARTS: &[&str] = &["content.xml", "styles.xml"];

/// A Word document, converted to Markdown and imported. Bytes that start as a zip does
/// are the file; other bytes are its XML parts ([`DOCX_PARTS`], separated by NUL bytes),
/// which are zipped first: a zip's checksums would stop nearly every change a fuzzer
/// makes to a part before the XML is read.
pub fn docx(data: &[u8]) {
    if let Ok(text) = to_markdown(FileKind::Docx, &document(data, DOCX_PARTS)) {
        import(&text);
    }
}

/// An OpenDocument text, converted to Markdown and imported; like [`docx`], bytes that
/// are not a zip are its XML parts ([`ODT_PARTS`]).
pub fn odt(data: &[u8]) {
    if let Ok(text) = to_markdown(FileKind::Odt, &document(data, ODT_PARTS)) {
        import(&text);
    }
}

/// `data` if it is a zip, else a zip (stored, not compressed) of its NUL-separated parts.
fn document(data: &[u8], names: &[&str]) -> Vec<u8> {
    if data.starts_with(b"PK") {
        return data.to_vec();
    }
    zip_parts(names.iter().copied().zip(data.split(|b| *b == 0)))
}

/// A zip of `parts`, stored.
pub fn zip_parts<'a>(parts: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in parts {
        zip.start_file(name, options).expect("a part starts");
        zip.write_all(bytes).expect("a part is written");
    }
    zip.finish().expect("the zip is written").into_inner()
}

fn import(text: &str) {
    let time = Timestamp::from_millis(TIME + 10);
    if let Ok((draft, change)) = Draft::import(editor_actor(), text, None, time, "v1") {
        let info = Draft::inspect_change(&change);
        if change.len() <= margin_core::limits::MAX_ENTRY_BYTES / 2 {
            assert!(info.is_ok(), "a node reads the change it made: {info:?}");
        }
        let _ = draft.view(None);
        let _ = draft.render_markdown(None);
    }
    let mut revised = fixture().doc.clone();
    if let Ok(Some(_)) = revised.update(editor_actor(), text, time, "v2") {
        let _ = revised.view(None);
    }
}

/// One Automerge change from a peer: inspected within its bounds and applied to the
/// fixture's draft as Automerge's own bytes, then carried in a revision signed by the
/// space's editor and judged by the space's rules (the actor check, the dependencies, a
/// copy of the draft), and the draft read back as a page reads it.
pub fn draft_change(data: &[u8]) {
    let fixture = fixture();
    let _ = Draft::inspect_change(data);
    let mut doc = fixture.doc.clone();
    if doc.apply([data]).is_ok() {
        let _ = doc.view(None);
        let _ = doc.render_markdown(None);
    }
    let body = Body::DraftChange(DraftChange {
        draft: Some(fixture.draft),
        changes: vec![serde_bytes::ByteBuf::from(data.to_vec())],
        message: "v2".into(),
    });
    let Ok(entry) = Entry::sign(
        &editor(),
        Some(fixture.charter),
        Timestamp::from_millis(TIME + 10),
        vec![fixture.charter, fixture.draft],
        &body,
    ) else {
        return;
    };
    let mut space = fixture.space.clone();
    let verdicts = space.apply(entry);
    if verdicts[0].1 == margin_space::Verdict::Accepted {
        let draft = space.draft(&fixture.draft).expect("the fixture's draft");
        let _ = draft.doc.view(None);
        let _ = space.digest();
    }
}

/// A packed run of entries from a peer: unpacked within the bounds a node reads it with,
/// and each entry it gives decoded and verified as a node does. Whatever unpacks holds
/// no more entries and bytes than those bounds.
pub fn pack(data: &[u8]) {
    const MAX_ENTRIES: usize = margin_sync::limits::MAX_BATCH_ENTRIES;
    const MAX_BYTES: usize = margin_sync::limits::MAX_BATCH_BYTES;
    let Ok(entries) = margin_draft::pack::unpack(data, MAX_ENTRIES, MAX_BYTES) else {
        return;
    };
    assert!(entries.len() <= MAX_ENTRIES);
    assert!(entries.iter().map(Vec::len).sum::<usize>() <= MAX_BYTES);
    for bytes in entries {
        if let Ok(entry) = Entry::decode(&bytes) {
            let _ = entry.verify();
        }
    }
}
