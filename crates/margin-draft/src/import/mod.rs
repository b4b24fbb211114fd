//! Drafts from the files people write them in: Word (`.docx`) and OpenDocument
//! (`.odt`, and flat `.fodt`) documents become the Markdown a draft is made of — headings, paragraphs and
//! list items, with their text — so that [`Draft::import`](crate::Draft::import) and
//! [`Draft::update`](crate::Draft::update) treat them as any other version of the file.
//!
//! What is kept: headings (Word's heading styles, or an outline level; OpenDocument's
//! headings), the title style as the level-1 heading, paragraphs, list items (bulleted
//! or numbered), paragraphs in table cells and text boxes, in reading order, and tracked
//! insertions. What is not: formatting, footnotes and comments, tracked deletions,
//! images. Both formats are zip files of XML; reading is bounded, and a damaged or
//! hostile file is refused with a reason, never a panic.

mod docx;
mod odt;
mod xml;

use std::io::Read;

use crate::error::Error;

/// The largest XML part read from a document, uncompressed.
pub const MAX_PART_BYTES: u64 = 32 * 1024 * 1024;
/// The most files a document's zip may hold.
pub const MAX_ZIP_ENTRIES: usize = 10_000;

/// What a draft file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// Markdown (or plain text), UTF-8.
    Markdown,
    /// Office Open XML word-processing document.
    Docx,
    /// OpenDocument text.
    Odt,
    /// Flat OpenDocument text (`.fodt`): the same XML as an `.odt`, in one file.
    FlatOdt,
}

impl FileKind {
    /// The kind of a file, from its name's extension, else from its first bytes.
    pub fn detect(name: &str, bytes: &[u8]) -> FileKind {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".docx") {
            FileKind::Docx
        } else if lower.ends_with(".odt") {
            FileKind::Odt
        } else if lower.ends_with(".fodt") || looks_like_flat_odt(bytes) {
            FileKind::FlatOdt
        } else if bytes.starts_with(b"PK\x03\x04") {
            // A zip: OpenDocument names its type in a first, stored `mimetype` file.
            if bytes
                .windows(39)
                .take(128)
                .any(|w| w == b"application/vnd.oasis.opendocument.text")
            {
                FileKind::Odt
            } else {
                FileKind::Docx
            }
        } else {
            FileKind::Markdown
        }
    }
}

/// Whether the first bytes are those of an XML document whose root is a flat
/// OpenDocument's.
fn looks_like_flat_odt(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    String::from_utf8_lossy(head).contains("<office:document ")
}

/// Whether text starts as an XML document does (after white space): a Markdown draft
/// never does.
fn looks_like_xml(text: &str) -> bool {
    let start = text.trim_start();
    start.starts_with("<?xml") || start.starts_with("<!DOCTYPE")
}

/// The Markdown text of a draft file of `kind`. A file with no text in it (empty, only
/// white space, or a document without a paragraph) is refused, and so is XML that is not
/// an OpenDocument text: it would become a draft of markup.
pub fn to_markdown(kind: FileKind, bytes: &[u8]) -> Result<String, Error> {
    let markdown = match kind {
        FileKind::Markdown => {
            let mut text = String::from_utf8(bytes.to_vec())
                .map_err(|_| Error::Import("the file is not UTF-8 text".into()))?;
            // A byte-order mark some editors write is not part of the text.
            if let Some(rest) = text.strip_prefix('\u{feff}') {
                text = rest.to_owned();
            }
            if looks_like_xml(&text) {
                return Err(Error::Import(
                    "the file is XML, not Markdown: import a Word (.docx) or OpenDocument \
                     (.odt, .fodt) file, or the draft as Markdown"
                        .into(),
                ));
            }
            text
        }
        FileKind::Docx => docx::to_markdown(bytes)?,
        FileKind::Odt => odt::to_markdown(bytes)?,
        FileKind::FlatOdt => odt::flat_to_markdown(bytes)?,
    };
    if !crate::Draft::has_text(&markdown) {
        return Err(Error::Import(
            "the file has no paragraph or heading: there is nothing to import".into(),
        ));
    }
    Ok(markdown)
}

/// A block of a converted document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Block {
    Heading(u8, String),
    Paragraph(String),
    /// A list item: numbered (with its number) or bulleted.
    Item(Option<u32>, String),
}

/// Markdown for blocks: blank lines between blocks, none between items of one list.
pub(crate) fn render(blocks: &[Block]) -> String {
    let mut out = String::new();
    let mut previous_item = false;
    for block in blocks {
        let (line, item) = match block {
            Block::Heading(level, text) => (
                format!(
                    "{} {}",
                    "#".repeat(usize::from((*level).clamp(1, 6))),
                    one_line(text)
                ),
                false,
            ),
            Block::Paragraph(text) => (escape_start(&one_line(text)), false),
            Block::Item(Some(n), text) => (format!("{n}. {}", one_line(text)), true),
            Block::Item(None, text) => (format!("- {}", one_line(text)), true),
        };
        if !out.is_empty() {
            out.push_str(if item && previous_item { "\n" } else { "\n\n" });
        }
        out.push_str(&line);
        previous_item = item;
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// Text on one line, runs of white space made single spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A paragraph whose text would read as a heading is escaped; one that reads as a list
/// item (a typed "1. " or "- ") is kept: it is one.
fn escape_start(text: &str) -> String {
    if text.starts_with('#') {
        format!("\\{text}")
    } else {
        text.to_owned()
    }
}

/// The zip archive of a document, with the number of entries checked.
pub(crate) fn open_zip(bytes: &[u8]) -> Result<zip::ZipArchive<std::io::Cursor<&[u8]>>, Error> {
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| Error::Import(format!("the file is not a readable zip archive: {e}")))?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return Err(Error::Import(format!(
            "the document holds {} files, more than the {MAX_ZIP_ENTRIES} read",
            archive.len()
        )));
    }
    Ok(archive)
}

/// One XML part of a document as text, at most [`MAX_PART_BYTES`]; `None` when the
/// document has no such part.
pub(crate) fn read_part(
    archive: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>,
    name: &str,
) -> Result<Option<String>, Error> {
    let file = match archive.by_name(name) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(Error::Import(format!("cannot read {name}: {e}"))),
    };
    let mut bytes = vec![];
    file.take(MAX_PART_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Import(format!("cannot read {name}: {e}")))?;
    if bytes.len() as u64 > MAX_PART_BYTES {
        return Err(Error::Import(format!(
            "{name} is larger than {} MiB uncompressed",
            MAX_PART_BYTES / 1024 / 1024
        )));
    }
    let text =
        String::from_utf8(bytes).map_err(|_| Error::Import(format!("{name} is not UTF-8 XML")))?;
    Ok(Some(text))
}
