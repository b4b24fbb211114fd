//! Bracketed variants: two or more bracketed passages of one paragraph, side by side,
//! that a draft puts forward to choose between.
//!
//! A multistakeholder draft marks contested text with square brackets. A single
//! bracketed passage (`[Participants agreed that …]`) is text not yet agreed; two or more
//! bracketed passages separated only by white space, or by `/` or `or`, are *variants*
//! of one passage, and the draft will keep one of them without its brackets:
//!
//! ```text
//! [Governments should establish safe harbours.] [Governments should consider safe harbours.]
//! ```
//!
//! [`Brackets::read`] finds such groups in a paragraph's text. What it does not read as
//! variants, it says so rather than guess: brackets inside brackets (`[a [b] c]`), a `[`
//! never closed and a `]` never opened are listed as [`Ignored`], with why. Markdown's
//! own uses of brackets are not contested text and are skipped silently: links
//! (`[text](url)`, `[text][ref]`), footnote references (`[^1]`), escaped brackets
//! (`\[`), and empty ones (`[ ]`).
//!
//! Offsets are in code points, as everywhere in this crate (anchors, passages to
//! replace), so that they are the same whatever the script of the text.
//!
//! ```
//! use margin_draft::Brackets;
//!
//! let text = "Parties [shall] [should] report yearly.";
//! let read = Brackets::read(text);
//! let group = &read.groups[0];
//! assert_eq!(group.text, "[shall] [should]");
//! assert_eq!(group.variants[1].text, "should");
//! assert_eq!(group.choose(text, 1), "Parties should report yearly.");
//! ```

use serde::Serialize;

/// What [`Brackets::read`] found in one paragraph's text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Brackets {
    /// The groups of variants, in the order of the text.
    pub groups: Vec<BracketGroup>,
    /// Brackets not read as variants because they are malformed, in the order of the
    /// text.
    pub ignored: Vec<Ignored>,
}

/// Two or more bracketed variants of one passage, side by side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BracketGroup {
    /// Start of the group (its first `[`), in code points.
    pub start: usize,
    /// End of the group (just after its last `]`), in code points.
    pub end: usize,
    /// The group as written, brackets and separators included.
    pub text: String,
    /// The variants, in the order of the text; at least two.
    pub variants: Vec<Variant>,
}

/// One bracketed variant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Variant {
    /// Start of its `[`, in code points.
    pub start: usize,
    /// End (just after its `]`), in code points.
    pub end: usize,
    /// Its wording: what is between the brackets, without white space at either end.
    pub text: String,
}

/// Brackets that are not read as variants, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ignored {
    /// Start, in code points.
    pub start: usize,
    /// End (exclusive), in code points.
    pub end: usize,
    /// The text concerned.
    pub text: String,
    /// Why it is not read as a variant.
    pub reason: IgnoredReason,
}

/// Why brackets are not read as a variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IgnoredReason {
    /// Brackets inside brackets: which passage is the variant is not clear.
    Nested,
    /// A `[` that is never closed.
    Unclosed,
    /// A `]` that closes no `[`.
    Unopened,
}

impl IgnoredReason {
    /// The reason in words, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            IgnoredReason::Nested => "brackets inside brackets",
            IgnoredReason::Unclosed => "a [ that is never closed",
            IgnoredReason::Unopened => "a ] that closes no [",
        }
    }
}

impl Brackets {
    /// Reads the groups of bracketed variants in a paragraph's text.
    pub fn read(text: &str) -> Brackets {
        let chars: Vec<char> = text.chars().collect();
        let (spans, ignored) = balanced_spans(&chars);
        // The spans that can be variants, as (start, end) with end just after the `]`.
        let candidates: Vec<(usize, usize)> = spans
            .into_iter()
            .filter(|&(open, close)| is_variant(&chars, open, close))
            .map(|(open, close)| (open, close + 1))
            .collect();
        let mut groups = vec![];
        let mut run: Vec<(usize, usize)> = vec![];
        for span in candidates {
            let joined = run
                .last()
                .is_some_and(|&(_, end)| is_separator(&chars[end..span.0]));
            if !joined {
                groups.extend(group_of(&run, &chars));
                run.clear();
            }
            run.push(span);
        }
        groups.extend(group_of(&run, &chars));
        Brackets { groups, ignored }
    }

    /// Whether the text has nothing to choose between and nothing malformed.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.ignored.is_empty()
    }
}

impl BracketGroup {
    /// `text` (the paragraph this group was read from) with the whole group replaced by
    /// variant `index`'s wording, without brackets: the paragraph as it reads once that
    /// variant is chosen.
    ///
    /// # Panics
    ///
    /// When `index` is not one of the group's variants.
    pub fn choose(&self, text: &str, index: usize) -> String {
        let variant = &self.variants[index];
        text.chars()
            .take(self.start)
            .chain(variant.text.chars())
            .chain(text.chars().skip(self.end))
            .collect()
    }
}

/// Balanced, unnested `[…]` spans (indices of their `[` and `]`), and the malformed
/// brackets. A backslash escapes the character after it, as in Markdown.
fn balanced_spans(chars: &[char]) -> (Vec<(usize, usize)>, Vec<Ignored>) {
    let mut spans = vec![];
    let mut ignored = vec![];
    let refuse = |start: usize, end: usize, reason| Ignored {
        start,
        end,
        text: chars[start..end].iter().collect(),
        reason,
    };
    let mut depth = 0usize;
    let mut open = 0;
    let mut nested = false;
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '[' => {
                if depth == 0 {
                    open = i;
                    nested = false;
                } else {
                    nested = true;
                }
                depth += 1;
            }
            ']' => match depth {
                0 => ignored.push(refuse(i, i + 1, IgnoredReason::Unopened)),
                1 => {
                    depth = 0;
                    if nested {
                        ignored.push(refuse(open, i + 1, IgnoredReason::Nested));
                    } else {
                        spans.push((open, i));
                    }
                }
                _ => depth -= 1,
            },
            _ => {}
        }
        i += 1;
    }
    if depth > 0 {
        ignored.push(refuse(open, chars.len(), IgnoredReason::Unclosed));
    }
    (spans, ignored)
}

/// Whether the balanced span `open..=close` is contested text rather than Markdown: not
/// empty, not a footnote reference (`[^1]`), not part of a link (`[text](url)`,
/// `[text][ref]`).
fn is_variant(chars: &[char], open: usize, close: usize) -> bool {
    let inner = &chars[open + 1..close];
    let blank = inner.iter().all(|c| c.is_whitespace());
    let footnote = inner.first() == Some(&'^');
    let link =
        matches!(chars.get(close + 1), Some('(' | '[')) || (open > 0 && chars[open - 1] == ']');
    !blank && !footnote && !link
}

/// What may stand between two variants of one group: white space, optionally around one
/// `/` or `or`. Nothing at all is not enough (`[a][b]` is a Markdown link reference).
fn is_separator(between: &[char]) -> bool {
    let text: String = between.iter().collect();
    let word = text.trim();
    !text.is_empty() && (word.is_empty() || word == "/" || word.eq_ignore_ascii_case("or"))
}

/// A run of adjacent variants as a group, when there are at least two.
fn group_of(run: &[(usize, usize)], chars: &[char]) -> Option<BracketGroup> {
    let (&(start, _), &(_, end)) = (run.first()?, run.last()?);
    if run.len() < 2 {
        return None;
    }
    let variants = run
        .iter()
        .map(|&(s, e)| Variant {
            start: s,
            end: e,
            text: chars[s + 1..e - 1]
                .iter()
                .collect::<String>()
                .trim()
                .to_owned(),
        })
        .collect();
    Some(BracketGroup {
        start,
        end,
        text: chars[start..end].iter().collect(),
        variants,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators() {
        let sep = |s: &str| is_separator(&s.chars().collect::<Vec<_>>());
        for yes in [" ", "\n", " / ", "/", " or ", " OR ", "\u{a0}"] {
            assert!(sep(yes), "{yes:?}");
        }
        for no in ["", " and ", " // ", " or or ", ", "] {
            assert!(!sep(no), "{no:?}");
        }
    }
}
