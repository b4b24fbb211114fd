//! Word documents (Office Open XML, `.docx`): `word/document.xml`, with the heading and
//! list information of `word/styles.xml` and `word/numbering.xml`.

use std::collections::HashMap;

use super::xml::{Ev, attr, walk};
use super::{Block, open_zip, read_part, render};
use crate::error::Error;

/// What a paragraph style says about headings.
#[derive(Clone, Debug, Default)]
struct Style {
    name: String,
    outline: Option<u8>,
    based_on: Option<String>,
}

pub(crate) fn to_markdown(bytes: &[u8]) -> Result<String, Error> {
    let mut zip = open_zip(bytes)?;
    let document = read_part(&mut zip, "word/document.xml")?
        .ok_or_else(|| Error::Import("not a Word document: it has no word/document.xml".into()))?;
    let styles = match read_part(&mut zip, "word/styles.xml")? {
        Some(xml) => styles(&xml)?,
        None => HashMap::new(),
    };
    let numbering = match read_part(&mut zip, "word/numbering.xml")? {
        Some(xml) => numbering(&xml)?,
        None => Numbering::default(),
    };
    Ok(render(&blocks(&document, &styles, &numbering)?))
}

fn styles(xml: &str) -> Result<HashMap<String, Style>, Error> {
    let mut out: HashMap<String, Style> = HashMap::new();
    let mut current: Option<(String, Style)> = None;
    walk(xml, |ev| match ev {
        Ev::Start { name, attrs, .. } => match name.as_str() {
            "w:style" => {
                current = attr(&attrs, "w:styleId").map(|id| (id.to_owned(), Style::default()));
            }
            "w:name" => {
                if let (Some((_, s)), Some(v)) = (&mut current, attr(&attrs, "w:val")) {
                    s.name = v.to_owned();
                }
            }
            "w:basedOn" => {
                if let (Some((_, s)), Some(v)) = (&mut current, attr(&attrs, "w:val")) {
                    s.based_on = Some(v.to_owned());
                }
            }
            "w:outlineLvl" => {
                if let (Some((_, s)), Some(v)) = (&mut current, attr(&attrs, "w:val")) {
                    s.outline = v.parse().ok();
                }
            }
            _ => {}
        },
        Ev::End(name) if name == "w:style" => {
            if let Some((id, s)) = current.take() {
                out.insert(id, s);
            }
        }
        _ => {}
    })?;
    Ok(out)
}

/// List definitions: which numbering instance uses which abstract definition, and the
/// number format of each level.
#[derive(Clone, Debug, Default)]
struct Numbering {
    abstract_of: HashMap<String, String>,
    format: HashMap<(String, String), String>,
}

fn numbering(xml: &str) -> Result<Numbering, Error> {
    let mut n = Numbering::default();
    let mut abstract_id: Option<String> = None;
    let mut level: Option<String> = None;
    let mut num_id: Option<String> = None;
    walk(xml, |ev| match ev {
        Ev::Start { name, attrs, .. } => match name.as_str() {
            "w:abstractNum" => abstract_id = attr(&attrs, "w:abstractNumId").map(str::to_owned),
            "w:lvl" => level = attr(&attrs, "w:ilvl").map(str::to_owned),
            "w:numFmt" => {
                if let (Some(a), Some(l), Some(v)) = (&abstract_id, &level, attr(&attrs, "w:val")) {
                    n.format.insert((a.clone(), l.clone()), v.to_owned());
                }
            }
            "w:num" => num_id = attr(&attrs, "w:numId").map(str::to_owned),
            "w:abstractNumId" => {
                if let (Some(id), Some(v)) = (&num_id, attr(&attrs, "w:val")) {
                    n.abstract_of.insert(id.clone(), v.to_owned());
                }
            }
            _ => {}
        },
        Ev::End(name) if name == "w:abstractNum" => abstract_id = None,
        Ev::End(name) if name == "w:num" => num_id = None,
        _ => {}
    })?;
    Ok(n)
}

/// A paragraph being read.
#[derive(Clone, Debug, Default)]
struct Para {
    style: Option<String>,
    outline: Option<u8>,
    num_id: Option<String>,
    level: Option<String>,
    text: String,
}

/// Elements whose content is not the document's text: a deleted revision, the fallback
/// copy of alternate content, field instructions.
const SKIPPED: [&str; 4] = ["w:del", "mc:Fallback", "w:instrText", "w:delText"];

fn blocks(
    xml: &str,
    styles: &HashMap<String, Style>,
    numbering: &Numbering,
) -> Result<Vec<Block>, Error> {
    let mut out = vec![];
    let mut stack: Vec<Para> = vec![];
    let mut in_text = false;
    let mut in_run = 0usize;
    let mut skipping = 0usize;
    let mut counters: HashMap<String, Vec<u32>> = HashMap::new();
    walk(xml, |ev| {
        if skipping > 0 {
            match ev {
                Ev::Start {
                    ref name, empty, ..
                } if SKIPPED.contains(&name.as_str()) && !empty => skipping += 1,
                Ev::End(ref name) if SKIPPED.contains(&name.as_str()) => skipping -= 1,
                _ => {}
            }
            return;
        }
        match ev {
            Ev::Start { name, attrs, empty } => {
                let para = stack.last_mut();
                match (name.as_str(), para) {
                    (n, _) if SKIPPED.contains(&n) && !empty => skipping = 1,
                    ("w:p", _) if !empty => stack.push(Para::default()),
                    ("w:r", _) if !empty => in_run += 1,
                    ("w:t", Some(_)) => in_text = !empty,
                    // Tab stops in paragraph properties are not tabs in the text.
                    ("w:tab" | "w:br" | "w:cr", Some(p)) if in_run > 0 => p.text.push(' '),
                    ("w:noBreakHyphen", Some(p)) if in_run > 0 => p.text.push('-'),
                    ("w:pStyle", Some(p)) => p.style = attr(&attrs, "w:val").map(str::to_owned),
                    ("w:outlineLvl", Some(p)) => {
                        p.outline = attr(&attrs, "w:val").and_then(|v| v.parse().ok())
                    }
                    ("w:numId", Some(p)) => p.num_id = attr(&attrs, "w:val").map(str::to_owned),
                    ("w:ilvl", Some(p)) => p.level = attr(&attrs, "w:val").map(str::to_owned),
                    _ => {}
                }
            }
            Ev::Text(t) => {
                if in_text && let Some(p) = stack.last_mut() {
                    p.text.push_str(&t);
                }
            }
            Ev::End(name) => match name.as_str() {
                "w:t" => in_text = false,
                "w:r" => in_run = in_run.saturating_sub(1),
                "w:p" => {
                    if let Some(p) = stack.pop() {
                        out.extend(block(p, styles, numbering, &mut counters));
                    }
                }
                _ => {}
            },
        }
    })?;
    Ok(out)
}

fn block(
    p: Para,
    styles: &HashMap<String, Style>,
    numbering: &Numbering,
    counters: &mut HashMap<String, Vec<u32>>,
) -> Option<Block> {
    let text = p.text.trim().to_owned();
    if text.is_empty() {
        return None;
    }
    if let Some(level) = heading_level(&p, styles) {
        return Some(Block::Heading(level, text));
    }
    match p.num_id.as_deref() {
        Some(id) if id != "0" => {
            let level: usize = p
                .level
                .as_deref()
                .and_then(|l| l.parse().ok())
                .unwrap_or(0)
                .min(8);
            let format = numbering
                .abstract_of
                .get(id)
                .and_then(|a| numbering.format.get(&(a.clone(), level.to_string())))
                .map_or("bullet", String::as_str);
            if format == "bullet" || format == "none" {
                return Some(Block::Item(None, text));
            }
            let c = counters.entry(id.to_owned()).or_insert_with(|| vec![0; 9]);
            c[level] += 1;
            for deeper in c.iter_mut().skip(level + 1) {
                *deeper = 0;
            }
            Some(Block::Item(Some(c[level]), text))
        }
        _ => Some(Block::Paragraph(text)),
    }
}

/// The heading level of a paragraph: its own outline level, or its style's (following
/// the styles it is based on), or a style named "heading N" or "Title".
fn heading_level(p: &Para, styles: &HashMap<String, Style>) -> Option<u8> {
    let from_outline = |o: u8| (o < 9).then_some(o + 1);
    if let Some(o) = p.outline {
        return from_outline(o).map(|l| l.min(6));
    }
    let mut id = p.style.clone()?;
    for _ in 0..16 {
        let Some(style) = styles.get(&id) else {
            break;
        };
        let name = style.name.to_ascii_lowercase();
        if name == "title" {
            return Some(1);
        }
        if let Some(n) = name
            .strip_prefix("heading ")
            .and_then(|n| n.parse::<u8>().ok())
        {
            return Some(n.clamp(1, 6));
        }
        if let Some(o) = style.outline {
            return from_outline(o).map(|l| l.min(6));
        }
        match &style.based_on {
            Some(b) => id = b.clone(),
            None => break,
        }
    }
    // Without styles.xml, Word's own style ids.
    let id = p.style.as_deref()?;
    if id == "Title" {
        return Some(1);
    }
    id.strip_prefix("Heading")
        .and_then(|n| n.parse::<u8>().ok())
        .map(|n| n.clamp(1, 6))
}
