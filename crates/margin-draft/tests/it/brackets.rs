//! Bracketed variants: which brackets of a paragraph are variants to choose between,
//! what choosing one makes of the paragraph, and which brackets are refused, and why.

use margin_draft::{Brackets, IgnoredReason};
use proptest::prelude::*;

const HARBOURS: &str = "[Governments should establish legal safe harbours for good-faith security researchers.] [Governments should consider legal safe harbours for good-faith security researchers where national law permits.]";

fn variants(text: &str) -> Vec<Vec<String>> {
    Brackets::read(text)
        .groups
        .iter()
        .map(|g| g.variants.iter().map(|v| v.text.clone()).collect())
        .collect()
}

#[test]
fn brackets_of_the_sample_draft() {
    let read = Brackets::read(HARBOURS);
    assert!(read.ignored.is_empty());
    let [group] = &read.groups[..] else {
        panic!("one group: {read:?}")
    };
    assert_eq!((group.start, group.end), (0, HARBOURS.chars().count()));
    assert_eq!(group.text, HARBOURS);
    assert_eq!(
        group.choose(HARBOURS, 0),
        "Governments should establish legal safe harbours for good-faith security researchers."
    );
    assert_eq!(
        group.choose(HARBOURS, 1),
        "Governments should consider legal safe harbours for good-faith security researchers where national law permits."
    );
    // The whole sample draft: that paragraph is its only group; the single bracketed
    // passages are text not yet agreed, not variants.
    let sample = include_str!("../../../../tests/fixtures/bpf-draft-v1.md");
    let groups: Vec<_> = sample
        .split("\n\n")
        .filter(|p| !Brackets::read(p).groups.is_empty())
        .collect();
    assert_eq!(groups, [HARBOURS]);
    assert!(
        sample
            .split("\n\n")
            .all(|p| Brackets::read(p).ignored.is_empty())
    );
}

#[test]
fn brackets_a_single_passage_is_not_a_choice() {
    let text = "[Participants agreed that the public core is a shared responsibility.]";
    assert!(Brackets::read(text).is_empty());
    assert!(Brackets::read("No brackets at all.").is_empty());
}

#[test]
fn brackets_separated_by_space_slash_or_or() {
    assert_eq!(variants("[a] [b]"), [["a", "b"]]);
    assert_eq!(variants("x [a]/[b] y"), [["a", "b"]]);
    assert_eq!(variants("x [a] / [b] y"), [["a", "b"]]);
    assert_eq!(variants("x [a] or [b] OR [c]."), [["a", "b", "c"]]);
    assert_eq!(variants("[ a  b ]\n[b]"), [["a  b", "b"]]);
    // Anything else between them makes two single passages.
    assert!(variants("[a] and [b]").is_empty());
    assert!(variants("[a], [b]").is_empty());
    // Two groups in one paragraph.
    let text = "States [shall] [should] report [yearly] [every two years].";
    assert_eq!(
        variants(text),
        [["shall", "should"], ["yearly", "every two years"]]
    );
    let read = Brackets::read(text);
    assert_eq!(
        read.groups[1].choose(text, 1),
        "States [shall] [should] report every two years."
    );
}

#[test]
fn brackets_nested_unclosed_and_unopened_are_refused_with_the_reason() {
    let read = Brackets::read("[a [b] c] [d]");
    assert!(read.groups.is_empty(), "{read:?}");
    assert_eq!(read.ignored.len(), 1);
    assert_eq!(read.ignored[0].reason, IgnoredReason::Nested);
    assert_eq!(read.ignored[0].text, "[a [b] c]");

    let read = Brackets::read("[a] [b] and [c [d] e");
    assert_eq!(read.groups.len(), 1, "the group before is still read");
    assert_eq!(read.ignored[0].reason, IgnoredReason::Unclosed);
    assert_eq!(read.ignored[0].text, "[c [d] e");

    let read = Brackets::read("a] [b] [c]");
    assert_eq!(read.groups.len(), 1);
    assert_eq!(read.ignored[0].reason, IgnoredReason::Unopened);
    assert_eq!((read.ignored[0].start, read.ignored[0].end), (1, 2));
}

#[test]
fn brackets_of_markdown_are_not_variants() {
    // Links, link references, footnotes, escaped and empty brackets.
    assert!(Brackets::read("See [the report](https://example.org) [here](x).").is_empty());
    assert!(Brackets::read("See [the report][1] [b][2].").is_empty());
    assert!(Brackets::read("As noted [^1] [^2].").is_empty());
    assert!(Brackets::read(r"Literal \[a\] \[b\].").is_empty());
    assert!(variants("Tick [ ] [x] [y]") == [["x", "y"]]);
    assert!(variants("[a][b]").is_empty(), "a link reference");
}

#[test]
fn brackets_in_any_script_count_code_points() {
    let text = "Les États [doivent] [peuvent] — الدول [يجب] [ينبغي] 🛡️.";
    let read = Brackets::read(text);
    assert_eq!(read.groups.len(), 2);
    let chars: Vec<char> = text.chars().collect();
    for g in &read.groups {
        assert_eq!(chars[g.start..g.end].iter().collect::<String>(), g.text);
    }
    assert_eq!(
        read.groups[1].choose(text, 1),
        "Les États [doivent] [peuvent] — الدول ينبغي 🛡️."
    );
    assert_eq!(
        read.groups[0].choose(text, 0),
        "Les États doivent — الدول [يجب] [ينبغي] 🛡️."
    );
}

// ---- properties ---------------------------------------------------------------------

/// Whether `text` has a `[` or `]` that no backslash escapes.
fn has_unescaped_bracket(text: &str) -> bool {
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '[' | ']' => return true,
            _ => {}
        }
    }
    false
}

const WORDS: &[&str] = &[
    "norms",
    "states",
    "la",
    "sécurité",
    "الأمن",
    "red,",
    "IGF.",
    "a",
    "política",
    "should",
    "日本語",
    "🛡️",
    "or",
    "/",
];

fn words() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 0..5).prop_map(|w| w.join(" "))
}

fn wording() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 1..5).prop_map(|w| w.join(" "))
}

fn separator() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&[" ", "  ", "\n", " / ", "/", " or "][..])
}

/// Any text, brackets, backslashes and several scripts included.
fn any_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(
            &[
                "[", "]", "\\", "(", " ", "/", "or", "^", "a", "é", "ب", "🛡️", "\n", "x y",
            ][..],
        ),
        0..40,
    )
    .prop_map(|p| p.concat())
}

proptest! {
    /// Choosing a variant replaces the group with that variant's wording and keeps the
    /// text around it exactly.
    #[test]
    fn brackets_choosing_keeps_the_surrounding_text(
        prefix in words(),
        suffix in words(),
        wordings in prop::collection::vec((wording(), separator()), 2..5),
    ) {
        let mut group = String::new();
        for (i, (w, sep)) in wordings.iter().enumerate() {
            if i > 0 {
                group.push_str(sep);
            }
            group.push_str(&format!("[{w}]"));
        }
        let text = format!("{prefix} {group} {suffix}");
        let read = Brackets::read(&text);
        prop_assert!(read.ignored.is_empty());
        prop_assert_eq!(read.groups.len(), 1);
        let g = &read.groups[0];
        prop_assert_eq!(&g.text, &group);
        prop_assert_eq!(g.variants.len(), wordings.len());
        for (i, (w, _)) in wordings.iter().enumerate() {
            prop_assert_eq!(&g.variants[i].text, w.trim());
            prop_assert_eq!(g.choose(&text, i), format!("{prefix} {} {suffix}", w.trim()));
        }
    }

    /// Whatever the text, reading it never fails, and what it finds is where it says:
    /// groups of two or more well-formed variants, in order, apart from one another and
    /// from the brackets it refuses.
    #[test]
    fn brackets_of_any_text_are_well_formed(text in any_text()) {
        let read = Brackets::read(&text);
        let chars: Vec<char> = text.chars().collect();
        let slice = |s: usize, e: usize| chars[s..e].iter().collect::<String>();
        let mut spans: Vec<(usize, usize)> = vec![];
        for g in &read.groups {
            prop_assert!(g.variants.len() >= 2);
            prop_assert!(g.start < g.end && g.end <= chars.len());
            prop_assert_eq!(slice(g.start, g.end), g.text.clone());
            prop_assert_eq!(g.variants[0].start, g.start);
            prop_assert_eq!(g.variants[g.variants.len() - 1].end, g.end);
            for (i, v) in g.variants.iter().enumerate() {
                prop_assert_eq!(chars[v.start], '[');
                prop_assert_eq!(chars[v.end - 1], ']');
                prop_assert!(!v.text.is_empty());
                prop_assert!(!has_unescaped_bracket(&v.text), "{:?}", v.text);
                let chosen = g.choose(&text, i);
                prop_assert_eq!(
                    chosen,
                    format!("{}{}{}", slice(0, g.start), v.text, slice(g.end, chars.len()))
                );
            }
            spans.push((g.start, g.end));
        }
        for i in &read.ignored {
            prop_assert!(i.start < i.end && i.end <= chars.len());
            prop_assert_eq!(slice(i.start, i.end), i.text.clone());
            spans.push((i.start, i.end));
        }
        spans.sort_unstable();
        for w in spans.windows(2) {
            prop_assert!(w[0].1 <= w[1].0, "overlapping spans {:?}", spans);
        }
        if !text.contains(['[', ']']) {
            prop_assert!(read.is_empty());
        }
    }

    /// A variant with brackets inside it is never read as one: its group loses it.
    #[test]
    fn brackets_nested_are_never_variants(
        a in wording(), b in wording(), inner in wording(), sep in separator(),
    ) {
        let text = format!("[{a}]{sep}[{b} [{inner}]]");
        let read = Brackets::read(&text);
        prop_assert!(read.groups.is_empty());
        prop_assert_eq!(read.ignored.len(), 1);
        prop_assert_eq!(read.ignored[0].reason, IgnoredReason::Nested);
    }
}
