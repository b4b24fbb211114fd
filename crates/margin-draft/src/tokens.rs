//! Word-level comparison of two texts: the tokens that revisions and diffs are made of.
//!
//! A token is a run of whitespace, a single punctuation mark, or a run of anything else
//! (a word, in any script). Diffing token sequences makes a replaced word one
//! delete-and-insert, which keeps Automerge edits small and comment cursors meaningful.

use similar::{Algorithm, DiffTag, capture_diff_slices, diff_ratio};

/// Splits `text` into word, whitespace and punctuation tokens (their concatenation is `text`).
pub(crate) fn tokenize(text: &str) -> Vec<&str> {
    #[derive(PartialEq)]
    enum Class {
        Space,
        Punct,
        Word,
    }
    fn class(c: char) -> Class {
        if c.is_whitespace() {
            Class::Space
        } else if is_punct(c) {
            Class::Punct
        } else {
            Class::Word
        }
    }
    let mut out = Vec::new();
    let mut start = 0;
    let mut current: Option<Class> = None;
    for (i, c) in text.char_indices() {
        let k = class(c);
        let boundary = match &current {
            None => false,
            Some(prev) => *prev != k || k == Class::Punct,
        };
        if boundary {
            out.push(&text[start..i]);
            start = i;
        }
        current = Some(k);
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

fn is_punct(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(
            c,
            '«' | '»'
                | '‹'
                | '›'
                | '“'
                | '”'
                | '„'
                | '‘'
                | '’'
                | '‚'
                | '—'
                | '–'
                | '…'
                | '¿'
                | '¡'
                | '·'
                | '،'
                | '؛'
                | '؟'
                | '۔'
                | '。'
                | '、'
                | '，'
                | '：'
                | '；'
                | '！'
                | '？'
                | '（'
                | '）'
                | '「'
                | '」'
        )
}

/// How alike two texts are, character by character: 1.0 equal, 0.0 nothing in common.
pub(crate) fn char_ratio(a: &str, b: &str) -> f32 {
    if a == b {
        return 1.0;
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let ops = capture_diff_slices(Algorithm::Myers, &a, &b);
    diff_ratio(&ops, a.len(), b.len())
}

/// One text edit in Unicode code points, positioned in the text as already edited by
/// the splices before it (so splices apply in order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Splice {
    pub pos: usize,
    pub del: usize,
    pub insert: String,
}

/// The smallest token-level splices that turn `old` into `new`.
pub(crate) fn splices(old: &str, new: &str) -> Vec<Splice> {
    let old_tokens = tokenize(old);
    let new_tokens = tokenize(new);
    let mut out = Vec::new();
    let mut pos = 0; // position in the edited text, in code points
    for op in capture_diff_slices(Algorithm::Myers, &old_tokens, &new_tokens) {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        let del: usize = old_tokens[old_range]
            .iter()
            .map(|t| t.chars().count())
            .sum();
        let insert: String = new_tokens[new_range].concat();
        match tag {
            DiffTag::Equal => pos += del,
            DiffTag::Delete | DiffTag::Insert | DiffTag::Replace => {
                pos += insert.chars().count();
                out.push(Splice {
                    pos: pos - insert.chars().count(),
                    del,
                    insert,
                });
            }
        }
    }
    out
}

/// Whether a run of words is kept, added or removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WordOp {
    /// In both versions.
    Equal,
    /// Only in the newer version.
    Insert,
    /// Only in the older version.
    Delete,
}

/// A run of text with what happened to it between two versions.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct WordChange {
    /// Kept, added or removed.
    pub op: WordOp,
    /// The text of the run (words with their spaces and punctuation).
    pub text: String,
}

/// Word-level differences from `old` to `new`; consecutive runs never share an `op`,
/// and a replaced run is given as its deletion followed by its insertion.
pub(crate) fn word_changes(old: &str, new: &str) -> Vec<WordChange> {
    let old_tokens = tokenize(old);
    let new_tokens = tokenize(new);
    let mut out: Vec<WordChange> = Vec::new();
    let mut push = |op: WordOp, text: String| {
        if text.is_empty() {
            return;
        }
        match out.last_mut() {
            Some(last) if last.op == op => last.text.push_str(&text),
            _ => out.push(WordChange { op, text }),
        }
    };
    for op in capture_diff_slices(Algorithm::Myers, &old_tokens, &new_tokens) {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        let removed = old_tokens[old_range].concat();
        let added = new_tokens[new_range].concat();
        match tag {
            DiffTag::Equal => push(WordOp::Equal, removed),
            _ => {
                push(WordOp::Delete, removed);
                push(WordOp::Insert, added);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(old: &str, splices: &[Splice]) -> String {
        let mut chars: Vec<char> = old.chars().collect();
        for s in splices {
            chars.splice(s.pos..s.pos + s.del, s.insert.chars());
        }
        chars.into_iter().collect()
    }

    #[test]
    fn tokens_cover_text() {
        let t = "Les contributions reçues ; l'IGF, «ok»… تم استلام";
        assert_eq!(tokenize(t).concat(), t);
        assert_eq!(tokenize("a, b")[..], ["a", ",", " ", "b"]);
    }

    #[test]
    fn replaced_word_is_one_splice() {
        let old = "Twelve contributions described a policy in force.";
        let new = "Fourteen contributions described a policy in force.";
        let s = splices(old, new);
        assert_eq!(
            s,
            [Splice {
                pos: 0,
                del: 6,
                insert: "Fourteen".into()
            }]
        );
        assert_eq!(apply(old, &s), new);
    }

    #[test]
    fn splices_apply_in_order() {
        let old = "é un deux trois quatre, cinq";
        let new = "é un trois QUATRE; cinq six";
        assert_eq!(apply(old, &splices(old, new)), new);
    }

    #[test]
    fn word_changes_mark_replacements() {
        let w = word_changes("a big dog", "a small dog");
        assert_eq!(
            w.iter()
                .map(|c| (c.op, c.text.as_str()))
                .collect::<Vec<_>>(),
            [
                (WordOp::Equal, "a "),
                (WordOp::Delete, "big"),
                (WordOp::Insert, "small"),
                (WordOp::Equal, " dog")
            ]
        );
    }
}
