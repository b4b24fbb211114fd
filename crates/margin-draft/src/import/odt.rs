//! OpenDocument text (`.odt`): `content.xml`, with the paragraph and list styles of
//! `styles.xml` and of the document's automatic styles.

use std::collections::HashMap;

use super::xml::{Ev, attr, walk};
use super::{Block, open_zip, read_part, render};
use crate::error::Error;

/// What the styles say: paragraph styles (parent, outline level) and list styles
/// (whether each level is numbered).
#[derive(Clone, Debug, Default)]
struct Styles {
    parent: HashMap<String, String>,
    outline: HashMap<String, u8>,
    numbered: HashMap<(String, u32), bool>,
}

impl Styles {
    fn read(&mut self, xml: &str) -> Result<(), Error> {
        let mut list: Option<String> = None;
        walk(xml, |ev| match ev {
            Ev::Start { name, attrs, .. } => match name.as_str() {
                "style:style" => {
                    if let Some(n) = attr(&attrs, "style:name") {
                        if let Some(p) = attr(&attrs, "style:parent-style-name") {
                            self.parent.insert(n.to_owned(), p.to_owned());
                        }
                        if let Some(l) =
                            attr(&attrs, "style:default-outline-level").and_then(|l| l.parse().ok())
                        {
                            self.outline.insert(n.to_owned(), l);
                        }
                    }
                }
                "text:list-style" => list = attr(&attrs, "style:name").map(str::to_owned),
                "text:list-level-style-number" | "text:list-level-style-bullet" => {
                    if let (Some(l), Some(level)) = (
                        &list,
                        attr(&attrs, "text:level").and_then(|v| v.parse().ok()),
                    ) {
                        let numbered = name == "text:list-level-style-number"
                            && attr(&attrs, "style:num-format").is_none_or(|f| !f.is_empty());
                        self.numbered.insert((l.clone(), level), numbered);
                    }
                }
                _ => {}
            },
            Ev::End(name) if name == "text:list-style" => list = None,
            _ => {}
        })
    }

    /// A paragraph style that is, or derives from, the title style, or has an outline
    /// level: the heading level it gives.
    fn heading_level(&self, style: &str) -> Option<u8> {
        let mut s = style.to_owned();
        for _ in 0..16 {
            if s == "Title" {
                return Some(1);
            }
            if let Some(l) = self.outline.get(&s) {
                return Some((*l).clamp(1, 6));
            }
            s = self.parent.get(&s)?.clone();
        }
        None
    }
}

pub(crate) fn to_markdown(bytes: &[u8]) -> Result<String, Error> {
    let mut zip = open_zip(bytes)?;
    let content = read_part(&mut zip, "content.xml")?
        .ok_or_else(|| Error::Import("not an OpenDocument text: it has no content.xml".into()))?;
    let mut styles = Styles::default();
    if let Some(xml) = read_part(&mut zip, "styles.xml")? {
        styles.read(&xml)?;
    }
    styles.read(&content)?;
    Ok(render(&blocks(&content, &styles)?))
}

/// A flat OpenDocument text (`.fodt`): styles and body in one XML document, read as the
/// parts of an `.odt` are.
pub(crate) fn flat_to_markdown(bytes: &[u8]) -> Result<String, Error> {
    if bytes.len() as u64 > super::MAX_PART_BYTES {
        return Err(Error::Import(format!(
            "the document is larger than {} MiB",
            super::MAX_PART_BYTES / (1024 * 1024)
        )));
    }
    let xml = std::str::from_utf8(bytes)
        .map_err(|_| Error::Import("the flat OpenDocument file is not UTF-8".into()))?;
    let mut root = None;
    walk(xml, |ev| {
        if let (None, Ev::Start { name, attrs, .. }) = (&root, ev) {
            root = Some((name, attr(&attrs, "office:mimetype").map(str::to_owned)));
        }
    })?;
    match root {
        Some((name, mime)) if name == "office:document" => {
            if let Some(mime) = mime.filter(|m| m != "application/vnd.oasis.opendocument.text") {
                return Err(Error::Import(format!(
                    "a flat OpenDocument file of another kind ({mime}), not a text"
                )));
            }
        }
        _ => {
            return Err(Error::Import(
                "not a flat OpenDocument text: its root is not office:document".into(),
            ));
        }
    }
    let mut styles = Styles::default();
    styles.read(xml)?;
    Ok(render(&blocks(xml, &styles)?))
}

/// A paragraph or heading being read.
#[derive(Clone, Debug)]
struct Para {
    heading: Option<u8>,
    style: Option<String>,
    /// The list it is an item of: style and level (from 1), and its counter key.
    item: Option<(String, u32, usize)>,
    text: String,
}

/// A list being read.
#[derive(Clone, Debug)]
struct List {
    style: String,
    /// Whether the current item has had its first paragraph (later ones are paragraphs
    /// of the same item, kept as paragraphs).
    item_open: bool,
    counter: usize,
}

/// Subtrees that are not the document's running text.
fn skipped(name: &str) -> bool {
    matches!(
        name,
        "text:note" | "office:annotation" | "text:tracked-changes" | "text:table-of-content"
    ) || (name.starts_with("text:") && name.ends_with("-index"))
}

fn blocks(xml: &str, styles: &Styles) -> Result<Vec<Block>, Error> {
    let mut out = vec![];
    let mut paras: Vec<Para> = vec![];
    let mut lists: Vec<List> = vec![];
    let mut counters: Vec<Vec<u32>> = vec![];
    let mut skipping = 0usize;
    let mut in_body = false;
    walk(xml, |ev| {
        if skipping > 0 {
            match ev {
                Ev::Start {
                    ref name, empty, ..
                } if skipped(name) && !empty => skipping += 1,
                Ev::End(ref name) if skipped(name) => skipping -= 1,
                _ => {}
            }
            return;
        }
        match ev {
            Ev::Start { name, attrs, empty } => match name.as_str() {
                n if skipped(n) && !empty => skipping = 1,
                "office:text" => in_body = true,
                "text:list" if in_body && !empty => {
                    let style = attr(&attrs, "text:style-name")
                        .map(str::to_owned)
                        .or_else(|| lists.last().map(|l| l.style.clone()))
                        .unwrap_or_default();
                    let continues = attr(&attrs, "text:continue-numbering") == Some("true")
                        || attr(&attrs, "text:continue-list").is_some();
                    let counter = if lists.is_empty() && continues && !counters.is_empty() {
                        counters.len() - 1
                    } else if let Some(outer) = lists.last() {
                        outer.counter
                    } else {
                        counters.push(vec![0; 11]);
                        counters.len() - 1
                    };
                    lists.push(List {
                        style,
                        item_open: false,
                        counter,
                    });
                }
                "text:list-item" | "text:list-header" => {
                    if let Some(l) = lists.last_mut() {
                        l.item_open = name == "text:list-item";
                    }
                }
                "text:p" | "text:h" if in_body => {
                    let style = attr(&attrs, "text:style-name").map(str::to_owned);
                    let heading = if name == "text:h" {
                        Some(
                            attr(&attrs, "text:outline-level")
                                .and_then(|l| l.parse::<u8>().ok())
                                .unwrap_or(1)
                                .clamp(1, 6),
                        )
                    } else {
                        style.as_deref().and_then(|s| styles.heading_level(s))
                    };
                    let depth = lists.len() as u32;
                    let item = match lists.last_mut() {
                        Some(l) if l.item_open && heading.is_none() => {
                            l.item_open = false;
                            Some((l.style.clone(), depth, l.counter))
                        }
                        _ => None,
                    };
                    let para = Para {
                        heading,
                        style,
                        item,
                        text: String::new(),
                    };
                    if empty {
                        out.extend(block(para, styles, &mut counters));
                    } else {
                        paras.push(para);
                    }
                }
                "text:s" => {
                    if let Some(p) = paras.last_mut() {
                        let n = attr(&attrs, "text:c")
                            .and_then(|c| c.parse::<usize>().ok())
                            .unwrap_or(1)
                            .min(64);
                        p.text.push_str(&" ".repeat(n));
                    }
                }
                "text:tab" | "text:line-break" => {
                    if let Some(p) = paras.last_mut() {
                        p.text.push(' ');
                    }
                }
                _ => {}
            },
            Ev::Text(t) => {
                if let Some(p) = paras.last_mut() {
                    p.text.push_str(&t);
                }
            }
            Ev::End(name) => match name.as_str() {
                "office:text" => in_body = false,
                "text:list" => {
                    lists.pop();
                }
                "text:p" | "text:h" => {
                    if let Some(p) = paras.pop() {
                        out.extend(block(p, styles, &mut counters));
                    }
                }
                _ => {}
            },
        }
    })?;
    Ok(out)
}

fn block(p: Para, styles: &Styles, counters: &mut [Vec<u32>]) -> Option<Block> {
    let text = p.text.trim().to_owned();
    if text.is_empty() {
        return None;
    }
    let _ = &p.style;
    if let Some(level) = p.heading {
        return Some(Block::Heading(level, text));
    }
    match p.item {
        Some((style, level, counter)) => {
            let numbered = styles
                .numbered
                .get(&(style, level))
                .copied()
                .unwrap_or(false);
            if !numbered {
                return Some(Block::Item(None, text));
            }
            let c = counters.get_mut(counter)?;
            let at = (level as usize).clamp(1, 10);
            c[at] += 1;
            for deeper in c.iter_mut().skip(at + 1) {
                *deeper = 0;
            }
            Some(Block::Item(Some(c[at]), text))
        }
        None => Some(Block::Paragraph(text)),
    }
}
