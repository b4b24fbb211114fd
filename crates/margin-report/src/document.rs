//! A small document model — headings, text, quotes, lists, tables — rendered as Markdown
//! or as a self-contained HTML page, so that the report and the chair's summary say the
//! same in both formats. Each table row that shows an entry names its id, so that a
//! verifier can tell which comment a changed line is about.

use std::fmt::Write as _;

use crate::error::Error;
use crate::provenance::Provenance;

/// One block of a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Block {
    Heading {
        level: u8,
        text: String,
    },
    Text(String),
    /// Text quoted from the draft.
    Quote(String),
    List(Vec<String>),
    Table {
        head: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

/// A document: a title, its provenance and its blocks.
#[derive(Clone, Debug)]
pub(crate) struct Document {
    pub title: String,
    pub provenance: Provenance,
    pub blocks: Vec<Block>,
}

impl Document {
    pub fn new(title: String, provenance: Provenance) -> Document {
        Document {
            title,
            provenance,
            blocks: vec![],
        }
    }

    pub fn heading(&mut self, level: u8, text: impl Into<String>) {
        self.blocks.push(Block::Heading {
            level,
            text: text.into(),
        });
    }

    pub fn text(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Text(text.into()));
    }

    pub fn quote(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Quote(text.into()));
    }

    pub fn list(&mut self, items: Vec<String>) {
        if !items.is_empty() {
            self.blocks.push(Block::List(items));
        }
    }

    pub fn table(&mut self, head: &[&str], rows: Vec<Vec<String>>) {
        if !rows.is_empty() {
            self.blocks.push(Block::Table {
                head: head.iter().map(|h| (*h).to_owned()).collect(),
                rows,
            });
        }
    }

    /// The document as Markdown (CommonMark with GitHub tables).
    pub fn markdown(&self) -> Result<String, Error> {
        let mut out = self.provenance.comment_line()?;
        out.push_str("\n\n");
        let _ = writeln!(out, "# {}\n", md(&self.title));
        for block in &self.blocks {
            match block {
                Block::Heading { level, text } => {
                    let _ = writeln!(out, "{} {}\n", "#".repeat(usize::from(*level)), md(text));
                }
                Block::Text(t) => {
                    let _ = writeln!(out, "{}\n", md(t));
                }
                Block::Quote(t) => {
                    for line in md(t).lines() {
                        let _ = writeln!(out, "> {line}");
                    }
                    out.push('\n');
                }
                Block::List(items) => {
                    for item in items {
                        let _ = writeln!(out, "- {}", md(item).replace('\n', "\n  "));
                    }
                    out.push('\n');
                }
                Block::Table { head, rows } => {
                    let _ = writeln!(out, "| {} |", cells_md(head));
                    let _ = writeln!(out, "|{}", "---|".repeat(head.len()));
                    for row in rows {
                        let _ = writeln!(out, "| {} |", cells_md(row));
                    }
                    out.push('\n');
                }
            }
        }
        Ok(out)
    }

    /// The document as one self-contained HTML page (no scripts, no external resources;
    /// text in right-to-left scripts is laid out by the browser, `dir="auto"`).
    pub fn html(&self) -> Result<String, Error> {
        let mut out = self.provenance.comment_line()?;
        out.push('\n');
        out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        let _ = writeln!(out, "<title>{}</title>", html(&self.title));
        out.push_str(STYLE);
        out.push_str("</head>\n<body>\n");
        let _ = writeln!(out, "<h1 dir=\"auto\">{}</h1>", html(&self.title));
        for block in &self.blocks {
            match block {
                Block::Heading { level, text } => {
                    let level = (*level).clamp(2, 6);
                    let _ = writeln!(out, "<h{level} dir=\"auto\">{}</h{level}>", html(text));
                }
                Block::Text(t) => {
                    let _ = writeln!(out, "<p dir=\"auto\">{}</p>", html_lines(t));
                }
                Block::Quote(t) => {
                    let _ = writeln!(
                        out,
                        "<blockquote dir=\"auto\">{}</blockquote>",
                        html_lines(t)
                    );
                }
                Block::List(items) => {
                    out.push_str("<ul>\n");
                    for item in items {
                        let _ = writeln!(out, "<li dir=\"auto\">{}</li>", html_lines(item));
                    }
                    out.push_str("</ul>\n");
                }
                Block::Table { head, rows } => {
                    out.push_str("<table>\n");
                    let th: String = head
                        .iter()
                        .map(|h| format!("<th>{}</th>", html(h)))
                        .collect();
                    let _ = writeln!(out, "<tr>{th}</tr>");
                    for row in rows {
                        let td: String = row
                            .iter()
                            .map(|c| format!("<td dir=\"auto\">{}</td>", html_lines(c)))
                            .collect();
                        let _ = writeln!(out, "<tr>{td}</tr>");
                    }
                    out.push_str("</table>\n");
                }
            }
        }
        out.push_str("</body>\n</html>\n");
        Ok(out)
    }
}

const STYLE: &str = "<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;line-height:1.45}
table{border-collapse:collapse;margin:.5rem 0}
th,td{border:1px solid #999;padding:.2rem .4rem;vertical-align:top;text-align:start}
blockquote{border-inline-start:4px solid #999;margin:.5rem 0;padding-inline-start:.8rem}
</style>
";

/// Markdown text with the characters that would change its meaning escaped, and no line
/// that would start a heading, list or quote.
pub(crate) fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        out.push_str(indent);
        let digits = trimmed.chars().take_while(char::is_ascii_digit).count();
        let numbered = digits > 0 && trimmed[digits..].starts_with(['.', ')']);
        if trimmed.starts_with(['-', '+', '=']) {
            out.push('\\');
        }
        for (j, c) in trimmed.chars().enumerate() {
            if numbered && j == digits {
                out.push('\\');
            }
            if matches!(
                c,
                '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~'
            ) {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

fn cells_md(cells: &[String]) -> String {
    cells
        .iter()
        .map(|c| md(c).replace('\n', "<br>"))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Text escaped for HTML.
pub(crate) fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn html_lines(text: &str) -> String {
    html(text).replace('\n', "<br>")
}
