//! Splitting a Markdown file into blocks and putting it back together, byte for byte.
//!
//! This is deliberately not a Markdown parser: a draft is a sequence of headings,
//! paragraphs and list items separated by blank lines, and everything between blocks
//! (the `sep` of the next block, or the `tail`) is kept verbatim so that rendering
//! reproduces the file exactly.

use serde::Serialize;

/// What a block of the draft is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BlockKind {
    /// A line starting with 1 to 6 `#` and a space.
    Heading,
    /// One or more consecutive lines of text.
    Paragraph,
    /// A list item: a line starting with `- `, `* `, `+ `, `N. ` or `N) `.
    Item,
}

impl BlockKind {
    /// The name stored in the Automerge document.
    pub fn as_str(self) -> &'static str {
        match self {
            BlockKind::Heading => "heading",
            BlockKind::Paragraph => "paragraph",
            BlockKind::Item => "item",
        }
    }

    /// Reads a stored name; anything unknown is read as a paragraph.
    pub fn parse(s: &str) -> BlockKind {
        match s {
            "heading" => BlockKind::Heading,
            "item" => BlockKind::Item,
            _ => BlockKind::Paragraph,
        }
    }
}

/// One block as it appears in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Block {
    pub kind: BlockKind,
    /// Heading level 1-6, 0 for other blocks.
    pub level: u8,
    /// `"## "`, `"1. "`, `"- "`, or `""` for paragraphs.
    pub marker: String,
    /// The exact text between the previous block (or the start of the file) and this one.
    pub sep: String,
    /// The block's text without its marker; internal newlines are kept.
    pub text: String,
}

/// A whole file: its blocks and what follows the last one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Markdown {
    pub blocks: Vec<Block>,
    pub tail: String,
}

impl Markdown {
    /// Splits `src` into blocks; `render` of the result gives `src` back.
    pub fn parse(src: &str) -> Markdown {
        let lines = lines(src);
        let mut blocks = Vec::new();
        let mut prev_end = 0;
        let mut i = 0;
        while i < lines.len() {
            let (start, end) = lines[i];
            let line = &src[start..end];
            if is_blank(line) {
                i += 1;
                continue;
            }
            let (kind, level, marker_len) = classify(line);
            let mut last_end = end;
            i += 1;
            if kind != BlockKind::Heading {
                // Continuation lines: non-blank lines that do not start a block themselves.
                while i < lines.len() {
                    let (s, e) = lines[i];
                    let next = &src[s..e];
                    if is_blank(next) || classify(next).0 != BlockKind::Paragraph {
                        break;
                    }
                    last_end = e;
                    i += 1;
                }
            }
            blocks.push(Block {
                kind,
                level,
                marker: src[start..start + marker_len].to_string(),
                sep: src[prev_end..start].to_string(),
                text: src[start + marker_len..last_end].to_string(),
            });
            prev_end = last_end;
        }
        Markdown {
            blocks,
            tail: src[prev_end..].to_string(),
        }
    }

    /// The file: each block's `sep + marker + text`, then the tail.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for b in &self.blocks {
            out.push_str(&b.sep);
            out.push_str(&b.marker);
            out.push_str(&b.text);
        }
        out.push_str(&self.tail);
        out
    }

    /// The text of the first level-1 heading, if any.
    pub fn first_title(&self) -> Option<String> {
        self.blocks
            .iter()
            .find(|b| b.kind == BlockKind::Heading && b.level == 1)
            .map(|b| b.text.trim().to_string())
    }
}

/// The title a draft gets when none was given: its first level-1 heading.
pub(crate) fn derived_title(md: &Markdown) -> String {
    md.first_title()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "Untitled draft".to_string())
}

/// Whether a text contains a `[...]` span, the usual mark of contested wording.
pub fn is_bracketed(text: &str) -> bool {
    text.find('[')
        .is_some_and(|open| text[open + 1..].contains(']'))
}

/// Byte ranges of the lines of `src`, without their `\n`.
fn lines(src: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in src.char_indices() {
        if c == '\n' {
            out.push((start, i));
            start = i + 1;
        }
    }
    if start < src.len() {
        out.push((start, src.len()));
    }
    out
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// Kind, heading level and marker length (bytes) of a line that starts a block.
fn classify(line: &str) -> (BlockKind, u8, usize) {
    let hashes = line.bytes().take_while(|&b| b == b'#').count();
    if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
        return (BlockKind::Heading, hashes as u8, hashes + 1);
    }
    for bullet in ["- ", "* ", "+ "] {
        if line.starts_with(bullet) {
            return (BlockKind::Item, 0, 2);
        }
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        let rest = &line[digits..];
        if rest.starts_with(". ") || rest.starts_with(") ") {
            return (BlockKind::Item, 0, digits + 2);
        }
    }
    (BlockKind::Paragraph, 0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_headings_paragraphs_and_items() {
        let src = "# Title\n\nOne\ntwo lines.\n\n\n1. first\n2) second\n   continued\n- third\n\n## Next\n";
        let md = Markdown::parse(src);
        let kinds: Vec<_> = md.blocks.iter().map(|b| b.kind).collect();
        assert_eq!(
            kinds,
            [
                BlockKind::Heading,
                BlockKind::Paragraph,
                BlockKind::Item,
                BlockKind::Item,
                BlockKind::Item,
                BlockKind::Heading
            ]
        );
        assert_eq!(md.blocks[1].text, "One\ntwo lines.");
        assert_eq!(md.blocks[2].sep, "\n\n\n");
        assert_eq!(md.blocks[3].sep, "\n");
        assert_eq!(md.blocks[3].marker, "2) ");
        assert_eq!(md.blocks[3].text, "second\n   continued");
        assert_eq!(md.blocks[5].level, 2);
        assert_eq!(md.tail, "\n");
        assert_eq!(md.render(), src);
        assert_eq!(md.first_title().as_deref(), Some("Title"));
    }

    #[test]
    fn keeps_odd_spacing() {
        for src in [
            "",
            "\n\n",
            "  \n x",
            "#\n##  x\r\n\r\n- \n",
            "a\n \nb \n\t\n",
        ] {
            assert_eq!(Markdown::parse(src).render(), src);
        }
    }

    #[test]
    fn brackets() {
        assert!(is_bracketed("a [b] c"));
        assert!(!is_bracketed("a ]b[ c"));
        assert!(!is_bracketed("no brackets"));
    }
}
