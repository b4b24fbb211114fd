//! Whatever participants write — commas, quotes, line breaks, formulas, right-to-left
//! text — the published matrix, report and annotations verify, and a row made to name
//! another entry is found.

use margin_consensus::Options;
use margin_consensus::test::Fixture;
use margin_core::prelude::*;
use margin_report::{Export, Format, verify};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z ,\"'\\n=+@|*_#<>\\[\\]-]{1,40}",
        Just("=HYPERLINK(\"http://x\")".to_owned()),
        Just("'quoted".to_owned()),
        Just("- a list item".to_owned()),
        Just("يجب أن تكون, \"مشتركة\"".to_owned()),
    ]
    .prop_filter("a comment says something", |t| !t.trim().is_empty())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn exports_of_any_text_verify_and_a_dropped_comment_is_found(
        comments in proptest::collection::vec((0..3usize, 1..4usize, text()), 1..6),
    ) {
        let mut f = Fixture::new(Policy::Open, "# R\n\nOne.\n\nTwo.\n\nThree.\n");
        for i in 0..3 {
            f.join(&format!("P{i}"), "civil-society", "Africa");
        }
        for (who, n, body) in &comments {
            f.comment(*who, *n, CommentKind::Comment, None, body);
        }
        let draft = f.draft;
        let export = Export::new(&f.space, &draft, Options::default()).unwrap();
        for format in [Format::Matrix, Format::ReportMarkdown, Format::ReportHtml, Format::Annotations] {
            let bytes = export.render(format).unwrap();
            let problems = verify::check(&bytes, &export).unwrap();
            prop_assert!(problems.is_empty(), "{:?}: {:?}", format, problems);
        }
        // A row made to name another entry: the comment it dropped is named, and so is
        // the entry that is not a comment.
        let csv = String::from_utf8(export.render(Format::Matrix).unwrap()).unwrap();
        let first = export.rows()[0].entry().to_owned();
        let altered = csv.replacen(&first, &"0".repeat(64), 1);
        let problems = verify::check(altered.as_bytes(), &export).unwrap();
        prop_assert!(
            problems.iter().any(|p| matches!(p, verify::Problem::MissingComment { entry, .. } if *entry == first)),
            "{:?}", problems
        );
        prop_assert!(
            problems.iter().any(|p| matches!(p, verify::Problem::UnknownEntry { .. })),
            "{:?}", problems
        );
    }
}
