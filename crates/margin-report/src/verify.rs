//! Checking a published export against the signed entries it names.
//!
//! The check rebuilds the export from the same entry set (the caller rebuilds the space
//! from its store and re-checks every entry's signature) and compares what the file says
//! with what the entries say: for the matrix, cell by cell, matching rows by entry id;
//! for reports and summaries, line by line; for annotations, annotation by annotation;
//! for an Automerge file, its history. Every difference is a [`Problem`] naming the row
//! and column, the line, or the comment concerned.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use crate::csv;
use crate::error::Error;
use crate::export::{Export, Format};
use crate::matrix::{COLUMNS, ENTRY_COLUMN};
use crate::provenance::{MARKER, Provenance};

/// How many line differences are listed before the rest are summed up.
const MAX_LINES: usize = 20;

/// One way a published export differs from what the entries say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The export names another origin than the one it was checked against.
    Provenance {
        field: &'static str,
        found: String,
        expected: String,
    },
    /// A comment of the entry set is not in the export.
    MissingComment {
        entry: String,
        author: String,
        /// Where it belongs: its row number in the rebuilt matrix.
        row: Option<usize>,
    },
    /// A matrix row names an entry that is not a comment of the entry set.
    UnknownEntry { row: String, entry: String },
    /// A matrix row appears twice.
    DuplicateRow { row: String, entry: String },
    /// A matrix column is missing or renamed.
    Column { expected: String, found: String },
    /// A matrix cell says something else than the entries.
    Cell {
        row: String,
        entry: String,
        column: &'static str,
        found: String,
        expected: String,
    },
    /// A line of a report or summary differs.
    Line {
        line: usize,
        /// The comment or objection the line is about, when it names one.
        entry: Option<String>,
        column: Option<String>,
        found: Option<String>,
        expected: Option<String>,
    },
    /// More differing lines than are listed.
    MoreLines(usize),
    /// An annotation differs, is missing or is not in the entries.
    Annotation {
        id: String,
        path: String,
        found: String,
        expected: String,
    },
    /// The Automerge file is not the draft's history in the entry set.
    Automerge(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Provenance {
                field,
                found,
                expected,
            } => write!(
                f,
                "the export's {field} is {found:?} but the entries give {expected:?}"
            ),
            Problem::MissingComment { entry, author, row } => {
                write!(f, "comment {entry} by {author} is missing from the export")?;
                if let Some(row) = row {
                    write!(f, " (it belongs in row {row})")?;
                }
                Ok(())
            }
            Problem::UnknownEntry { row, entry } => write!(
                f,
                "row {row} names entry {entry}, which is not a comment of this entry set"
            ),
            Problem::DuplicateRow { row, entry } => {
                write!(f, "row {row} repeats the row of comment {entry}")
            }
            Problem::Column { expected, found } => {
                write!(
                    f,
                    "column {expected:?} is missing (found {found:?} in its place)"
                )
            }
            Problem::Cell {
                row,
                entry,
                column,
                found,
                expected,
            } => write!(
                f,
                "row {row}, column {column}: the export says {found:?}, entry {entry} says {expected:?}"
            ),
            Problem::Line {
                line,
                entry,
                column,
                found,
                expected,
            } => {
                write!(f, "line {line}")?;
                if let Some(column) = column {
                    write!(f, ", column {column}")?;
                }
                if let Some(entry) = entry {
                    write!(f, " (entry {entry})")?;
                }
                match (found, expected) {
                    (Some(found), Some(expected)) => {
                        write!(
                            f,
                            ": the export says {found:?}, the entries say {expected:?}"
                        )
                    }
                    (None, Some(expected)) => {
                        write!(f, ": missing; the entries say {expected:?}")
                    }
                    (Some(found), None) => {
                        write!(f, ": {found:?} is not in what the entries say")
                    }
                    (None, None) => Ok(()),
                }
            }
            Problem::MoreLines(n) => write!(f, "and {n} more differing lines"),
            Problem::Annotation {
                id,
                path,
                found,
                expected,
            } => write!(
                f,
                "annotation {id}, {path}: the export says {found}, the entries say {expected}"
            ),
            Problem::Automerge(what) => write!(f, "{what}"),
        }
    }
}

/// The magic bytes every Automerge document file starts with.
const AUTOMERGE_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// Whether `bytes` are an Automerge file (whose provenance is in its manifest).
pub fn is_automerge(bytes: &[u8]) -> bool {
    bytes.starts_with(&AUTOMERGE_MAGIC)
}

/// What an export (other than an Automerge file) says it was made from.
pub fn provenance(bytes: &[u8]) -> Result<Provenance, Error> {
    let not = |why: &str| Error::NotAnExport(format!("this file is not a Margin export: {why}"));
    if is_automerge(bytes) {
        return Err(not(
            "an Automerge file names its origin in the manifest written next to it (FILE.json)",
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| not("it is not UTF-8 text"))?;
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') {
        let value: Value =
            serde_json::from_str(trimmed).map_err(|e| not(&format!("unreadable JSON ({e})")))?;
        return serde_json::from_value(value["provenance"].clone())
            .map_err(|_| not("its JSON has no Margin provenance"));
    }
    if let Some(p) = Provenance::from_comment_line(text) {
        return p;
    }
    let records = csv::parse(text).map_err(|e| not(&e))?;
    for (_, record) in records.iter().take(16) {
        if record.first().map(String::as_str) == Some(MARKER)
            && let Some(json) = record.get(1)
        {
            return serde_json::from_str(csv::text_of(json))
                .map_err(|e| not(&format!("its provenance is unreadable ({e})")));
        }
    }
    Err(not("it names no space and entry set"))
}

/// Compares a published export with `expected`, rebuilt from the entry set the export
/// names. An empty list means the file says exactly what the entries say.
pub fn check(bytes: &[u8], expected: &Export) -> Result<Vec<Problem>, Error> {
    if is_automerge(bytes) {
        return Ok(check_automerge(bytes, expected));
    }
    let found = provenance(bytes)?;
    let format = Format::from_name(&found.format)
        .ok_or_else(|| Error::NotAnExport(format!("unknown export format {:?}", found.format)))?;
    let mut problems = compare_provenance(&found, &expected.provenance(format));
    let text = String::from_utf8_lossy(bytes);
    let wanted = expected.render(format)?;
    let wanted = String::from_utf8_lossy(&wanted);
    match format {
        Format::Matrix => problems.extend(check_matrix(&text, &wanted, expected)?),
        Format::Annotations => problems.extend(check_annotations(&text, &wanted)?),
        Format::ReportMarkdown | Format::ReportHtml | Format::Summary => {
            problems.extend(check_lines(&text, &wanted, expected))
        }
        Format::Automerge => {}
    }
    Ok(problems)
}

/// Checks an Automerge file: it is the draft's history in the entry set, no more, no less.
fn check_automerge(bytes: &[u8], expected: &Export) -> Vec<Problem> {
    let doc = match margin_draft::Draft::load(bytes) {
        Ok(doc) => doc,
        Err(e) => {
            return vec![Problem::Automerge(format!(
                "the file is not a readable Automerge document: {e}"
            ))];
        }
    };
    let mut heads: Vec<String> = doc.heads().iter().map(crate::provenance::hex_of).collect();
    heads.sort();
    if heads != expected.provenance.heads {
        return vec![Problem::Automerge(format!(
            "the document's version (heads {}) is not the draft's version in the entry set (heads {})",
            heads.join(" "),
            expected.provenance.heads.join(" ")
        ))];
    }
    vec![]
}

fn compare_provenance(found: &Provenance, expected: &Provenance) -> Vec<Problem> {
    let mut out = vec![];
    let mut field = |name: &'static str, f: String, e: String| {
        if f != e {
            out.push(Problem::Provenance {
                field: name,
                found: f,
                expected: e,
            });
        }
    };
    field("space", found.space.clone(), expected.space.clone());
    field(
        "space title",
        found.space_title.clone(),
        expected.space_title.clone(),
    );
    field("draft", found.draft.clone(), expected.draft.clone());
    field(
        "draft title",
        found.draft_title.clone(),
        expected.draft_title.clone(),
    );
    field(
        "version",
        format!("{:?}", found.version),
        format!("{:?}", expected.version),
    );
    field("heads", found.heads.join(" "), expected.heads.join(" "));
    field(
        "entry set",
        found.entry_set.clone(),
        expected.entry_set.clone(),
    );
    field(
        "entry count",
        found.entries.to_string(),
        expected.entries.to_string(),
    );
    field("until", found.until.to_string(), expected.until.to_string());
    field(
        "counting",
        found.registered_only.to_string(),
        expected.registered_only.to_string(),
    );
    out
}

/// A matrix file: the title block, the header, and the rows with their lines.
type Parts = (
    Vec<Vec<String>>,
    Option<Vec<String>>,
    Vec<(usize, Vec<String>)>,
);

fn check_matrix(text: &str, wanted: &str, expected: &Export) -> Result<Vec<Problem>, Error> {
    let records = csv::parse(text).map_err(Error::NotAnExport)?;
    let wanted_records = csv::parse(wanted).map_err(Error::NotAnExport)?;
    let mut problems = vec![];
    let is_header = |r: &Vec<String>| r.first().map(String::as_str) == Some(COLUMNS[0]);
    let split = |records: &[(usize, Vec<String>)]| -> Parts {
        match records.iter().position(|(_, r)| is_header(r)) {
            Some(h) => (
                records[..h].iter().map(|(_, r)| r.clone()).collect(),
                Some(records[h].1.clone()),
                records[h + 1..]
                    .iter()
                    .filter(|(_, r)| r.iter().any(|c| !c.is_empty()))
                    .cloned()
                    .collect(),
            ),
            None => (
                records.iter().map(|(_, r)| r.clone()).collect(),
                None,
                vec![],
            ),
        }
    };
    let (pre, header, rows) = split(&records);
    let (wanted_pre, _, _) = split(&wanted_records);
    // The title block: what the file says it is.
    let clean = |p: &[Vec<String>]| -> Vec<Vec<String>> {
        p.iter()
            .filter(|r| r.iter().any(|c| !c.is_empty()))
            .map(|r| r.iter().map(|c| csv::text_of(c).to_owned()).collect())
            .collect()
    };
    let (pre, wanted_pre) = (clean(&pre), clean(&wanted_pre));
    for (i, w) in wanted_pre.iter().enumerate() {
        let f = pre.get(i);
        if f != Some(w) && w.first().map(String::as_str) != Some(MARKER) {
            problems.push(Problem::Line {
                line: i + 1,
                entry: None,
                column: None,
                found: f.map(|r| r.join(",")),
                expected: Some(w.join(",")),
            });
        }
    }
    let Some(header) = header else {
        return Err(Error::NotAnExport(
            "the matrix has no header row starting with \"Row\"".into(),
        ));
    };
    // Columns by name, so that a spreadsheet's reordering is not a difference.
    let mut position: HashMap<&str, usize> = HashMap::new();
    for (i, name) in header.iter().enumerate() {
        position.entry(name.as_str()).or_insert(i);
    }
    for (i, name) in COLUMNS.iter().enumerate() {
        if !position.contains_key(name) {
            problems.push(Problem::Column {
                expected: (*name).to_owned(),
                found: header.get(i).cloned().unwrap_or_default(),
            });
        }
    }
    let Some(&entry_at) = position.get(COLUMNS[ENTRY_COLUMN]) else {
        return Ok(problems);
    };
    let wanted_rows: BTreeMap<&str, &crate::matrix::Row> =
        expected.rows().iter().map(|r| (r.entry(), r)).collect();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for (line, record) in &rows {
        let cell = |i: usize| record.get(i).map(|c| csv::text_of(c)).unwrap_or_default();
        let entry = cell(entry_at).trim().to_owned();
        let row_name = match position.get("Row").map(|i| cell(*i)) {
            Some(r) if !r.is_empty() => r.to_owned(),
            _ => format!("on line {line}"),
        };
        let Some(want) = wanted_rows.get(entry.as_str()) else {
            problems.push(Problem::UnknownEntry {
                row: row_name,
                entry,
            });
            continue;
        };
        if !seen.insert(entry.clone()) {
            problems.push(Problem::DuplicateRow {
                row: row_name,
                entry,
            });
            continue;
        }
        for (i, column) in COLUMNS.iter().enumerate() {
            let Some(&at) = position.get(column) else {
                continue;
            };
            let found = cell(at);
            let expected = want.cells[i].as_str();
            if found != expected {
                problems.push(Problem::Cell {
                    row: row_name.clone(),
                    entry: entry.clone(),
                    column,
                    found: found.to_owned(),
                    expected: expected.to_owned(),
                });
            }
        }
    }
    for row in expected.rows() {
        if !seen.contains(row.entry()) {
            problems.push(Problem::MissingComment {
                entry: row.entry().to_owned(),
                author: row.cell("Author").to_owned(),
                row: row.cell("Row").parse().ok(),
            });
        }
    }
    Ok(problems)
}

/// Every run of exactly 64 lowercase hex characters: the entry ids a document names.
fn entry_ids(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && matches!(bytes[i], b'0'..=b'9' | b'a'..=b'f') {
            i += 1;
        }
        if i - start == 64 {
            out.insert(text[start..i].to_owned());
        }
        i = i.max(start + 1);
    }
    out
}

fn check_lines(text: &str, wanted: &str, expected: &Export) -> Vec<Problem> {
    let text = text.replace("\r\n", "\n");
    let mut problems = vec![];
    // First the comments and objections the document leaves out, by id.
    let present = entry_ids(&text);
    let authors: HashMap<&str, &str> = expected
        .rows()
        .iter()
        .map(|r| (r.entry(), r.cell("Author")))
        .chain(
            expected
                .register
                .objections
                .iter()
                .map(|o| (o.id.as_str(), o.objector.name.as_str())),
        )
        .collect();
    for id in entry_ids(wanted).difference(&present) {
        if let Some(author) = authors.get(id.as_str()) {
            problems.push(Problem::MissingComment {
                entry: id.clone(),
                author: (*author).to_owned(),
                row: None,
            });
        }
    }
    // Then every line that differs. The provenance line was compared already.
    let diff = TextDiff::from_lines(wanted, text.as_str());
    let wanted_lines: Vec<&str> = wanted.lines().collect();
    let mut differing = 0;
    let mut removed: Vec<(usize, String)> = vec![];
    let flush = |removed: &mut Vec<(usize, String)>,
                 added: Option<(usize, String)>,
                 problems: &mut Vec<Problem>,
                 differing: &mut usize| {
        let pair = match added {
            Some(a) if !removed.is_empty() => Some((Some(removed.remove(0)), Some(a))),
            Some(a) => Some((None, Some(a))),
            None => None,
        };
        let mut emit = |old: Option<(usize, String)>, new: Option<(usize, String)>| {
            let line_text = |l: &Option<(usize, String)>| l.as_ref().map(|(_, t)| t.clone());
            if line_text(&old).is_some_and(|t| t.starts_with(&format!("<!-- {MARKER}"))) {
                return;
            }
            *differing += 1;
            if *differing > MAX_LINES {
                return;
            }
            let at_wanted = old.as_ref().map(|(n, _)| *n);
            let line = new.as_ref().or(old.as_ref()).map_or(0, |(n, _)| *n);
            let (entry, column) = locate(
                &wanted_lines,
                at_wanted,
                line_text(&old).as_deref(),
                line_text(&new).as_deref(),
            );
            problems.push(Problem::Line {
                line,
                entry,
                column,
                found: line_text(&new),
                expected: line_text(&old),
            });
        };
        match pair {
            Some((old, new)) => emit(old, new),
            None => {
                for old in removed.drain(..) {
                    emit(Some(old), None);
                }
            }
        }
    };
    for change in diff.iter_all_changes() {
        let value = change.value().trim_end_matches('\n').to_owned();
        match change.tag() {
            ChangeTag::Equal => flush(&mut removed, None, &mut problems, &mut differing),
            ChangeTag::Delete => {
                removed.push((change.old_index().map_or(0, |i| i + 1), value));
            }
            ChangeTag::Insert => {
                let at = change.new_index().map_or(0, |i| i + 1);
                flush(
                    &mut removed,
                    Some((at, value)),
                    &mut problems,
                    &mut differing,
                );
            }
        }
    }
    flush(&mut removed, None, &mut problems, &mut differing);
    if differing > MAX_LINES {
        problems.push(Problem::MoreLines(differing - MAX_LINES));
    }
    problems
}

/// The entry a table line is about and the column in which two versions of it differ.
fn locate(
    wanted: &[&str],
    at: Option<usize>,
    old: Option<&str>,
    new: Option<&str>,
) -> (Option<String>, Option<String>) {
    let entry = old
        .into_iter()
        .chain(new)
        .flat_map(|l| entry_ids(l).into_iter().next())
        .next();
    let (Some(old), Some(new), Some(at)) = (old, new, at) else {
        return (entry, None);
    };
    let cells = |l: &str| -> Option<Vec<String>> {
        if l.starts_with('|') {
            Some(split_md_row(l))
        } else if l.starts_with("<tr>") {
            Some(
                l.split("<td")
                    .skip(1)
                    .map(|c| c.split("</td>").next().unwrap_or_default().to_owned())
                    .collect(),
            )
        } else {
            None
        }
    };
    let (Some(a), Some(b)) = (cells(old), cells(new)) else {
        return (entry, None);
    };
    let Some(i) = (0..a.len().max(b.len())).find(|i| a.get(*i) != b.get(*i)) else {
        return (entry, None);
    };
    // The table's header: the nearest header line above.
    let header = wanted[..at.saturating_sub(1).min(wanted.len())]
        .iter()
        .rev()
        .find(|l| l.starts_with("<tr><th>") || l.starts_with("|---"))
        .copied();
    let names: Vec<String> = match header {
        Some(h) if h.starts_with("<tr><th>") => h
            .split("<th>")
            .skip(1)
            .map(|c| c.split("</th>").next().unwrap_or_default().to_owned())
            .collect(),
        Some(_) => {
            let sep = wanted[..at.saturating_sub(1).min(wanted.len())]
                .iter()
                .rposition(|l| l.starts_with("|---"));
            sep.and_then(|s| s.checked_sub(1))
                .map(|h| split_md_row(wanted[h]))
                .unwrap_or_default()
        }
        None => vec![],
    };
    let column = names
        .get(i)
        .cloned()
        .unwrap_or_else(|| format!("{}", i + 1));
    (entry, Some(column))
}

/// The cells of a Markdown table row (escaped pipes stay inside their cell).
fn split_md_row(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut cells = vec![];
    let mut cell = String::new();
    let mut escaped = false;
    for c in inner.chars() {
        match c {
            '\\' if !escaped => {
                escaped = true;
                cell.push(c);
                continue;
            }
            '|' if !escaped => cells.push(std::mem::take(&mut cell).trim().to_owned()),
            _ => cell.push(c),
        }
        escaped = false;
    }
    cells.push(cell.trim().to_owned());
    cells
}

fn check_annotations(text: &str, wanted: &str) -> Result<Vec<Problem>, Error> {
    let found: Value = serde_json::from_str(text)?;
    let wanted: Value = serde_json::from_str(wanted)?;
    let items = |v: &Value| -> BTreeMap<String, Value> {
        v["first"]["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| (a["id"].as_str().unwrap_or_default().to_owned(), a.clone()))
            .collect()
    };
    let (f, w) = (items(&found), items(&wanted));
    let mut problems = vec![];
    for (id, want) in &w {
        match f.get(id) {
            None => problems.push(Problem::MissingComment {
                entry: id.trim_start_matches("urn:margin:entry:").to_owned(),
                author: want["creator"]["name"]
                    .as_str()
                    .or_else(|| want["creator"][0]["name"].as_str())
                    .unwrap_or_default()
                    .to_owned(),
                row: None,
            }),
            Some(got) => {
                if let Some((path, a, b)) = first_difference(got, want, String::new()) {
                    problems.push(Problem::Annotation {
                        id: id.clone(),
                        path,
                        found: a,
                        expected: b,
                    });
                }
            }
        }
    }
    for id in f.keys().filter(|id| !w.contains_key(*id)) {
        problems.push(Problem::Annotation {
            id: id.clone(),
            path: "the annotation".into(),
            found: "present".into(),
            expected: "no such comment in the entry set".into(),
        });
    }
    let mut outer = |name: &str| {
        if found[name] != wanted[name] {
            problems.push(Problem::Annotation {
                id: "(the collection)".into(),
                path: name.into(),
                found: found[name].to_string(),
                expected: wanted[name].to_string(),
            });
        }
    };
    for name in ["@context", "id", "type", "label", "total"] {
        outer(name);
    }
    Ok(problems)
}

/// The first place where two JSON values differ: its path, and both values there.
fn first_difference(a: &Value, b: &Value, path: String) -> Option<(String, String, String)> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| {
                first_difference(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    format!("{path}/{k}"),
                )
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, format!("{path}/{i}"))),
        _ if a == b => None,
        _ => Some((path, a.to_string(), b.to_string())),
    }
}
