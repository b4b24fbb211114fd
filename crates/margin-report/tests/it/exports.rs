//! Exports of the reference review, and their verification: a faithful file passes, an
//! altered cell, a dropped row or a changed line is named.

use margin_consensus::Options;
use margin_consensus::test::{Bpf, bpf};
use margin_report::verify::{self, Problem};
use margin_report::{Export, Format};
use serde_json::Value;

fn export() -> (Bpf, Export) {
    let b = bpf();
    let draft = b.fixture.draft;
    let export = Export::new(&b.fixture.space, &draft, Options::default()).unwrap();
    (b, export)
}

fn text(e: &Export, format: Format) -> String {
    String::from_utf8(e.render(format).unwrap()).unwrap()
}

#[test]
fn every_export_names_its_origin_and_verifies() {
    let (b, e) = export();
    let space = b.fixture.space.id().to_string();
    let digest = b.fixture.space.entry_set_digest();
    for format in Format::ALL {
        let bytes = e.render(format).unwrap();
        assert!(
            verify::check(&bytes, &e).unwrap().is_empty(),
            "{format:?} does not verify"
        );
        if format == Format::Automerge {
            let manifest: Value = serde_json::from_str(&e.automerge_manifest().unwrap()).unwrap();
            assert_eq!(manifest["space"], space.as_str());
            assert_eq!(manifest["entry_set"], digest.as_str());
            continue;
        }
        let p = verify::provenance(&bytes).unwrap();
        assert_eq!(p.format, format.name());
        assert_eq!(p.space, space);
        assert_eq!(p.entry_set, digest);
        assert_eq!(p.entries, b.fixture.entries.len());
    }
}

#[test]
fn the_matrix_has_a_row_per_comment_with_its_answer() {
    let (b, e) = export();
    let rows = e.rows();
    // Six objection comments: R3, G3, R1, C1, T1 (retracted), G1.
    assert_eq!(rows.len(), 6);
    let row = |id: margin_core::id::EntryId| {
        rows.iter()
            .find(|r| r.entry() == id.to_string())
            .expect("a row")
    };
    let g1 = row(b.g1_on_5);
    assert_eq!(g1.cell("Paragraph"), "5");
    assert_eq!(g1.cell("Quoted text"), "measuring cyber capacity");
    assert_eq!(g1.cell("Author"), "Gabriela");
    assert_eq!(g1.cell("Stakeholder group"), "government");
    assert_eq!(g1.cell("Region"), "Latin America");
    assert_eq!(g1.cell("Kind"), "objection");
    assert_eq!(g1.cell("State"), "accommodated");
    assert_eq!(g1.cell("Disposition"), "accepted");
    assert_eq!(g1.cell("Editor's note"), "Reworded.");
    assert_eq!(g1.cell("Revision"), b.revision.to_string());
    let t1 = row(b.t1_on_4);
    assert_eq!(t1.cell("State"), "withdrawn");
    // A whole-paragraph comment quotes the paragraph as it read.
    assert_eq!(
        row(b.r3_on_1).cell("Quoted text"),
        "Capacity building is a shared responsibility of all stakeholders."
    );
    // In paragraph order.
    let paras: Vec<&str> = rows.iter().map(|r| r.cell("Paragraph")).collect();
    assert_eq!(paras, ["1", "2", "2", "3", "4", "5"]);
    let csv = text(&e, Format::Matrix);
    assert!(csv.starts_with("Comment-resolution matrix,Draft report on cyber capacity\r\n"));
    assert!(csv.contains("\r\nRow,Paragraph,Paragraph id,Quoted text,Author,"));
}

#[test]
fn an_altered_cell_is_named_by_row_and_column() {
    let (_, e) = export();
    let csv = text(&e, Format::Matrix);
    let altered = csv.replace("Reworded.", "Rejected.");
    let problems = verify::check(altered.as_bytes(), &e).unwrap();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    match &problems[0] {
        Problem::Cell {
            row,
            column,
            found,
            expected,
            ..
        } => {
            assert_eq!(row, "6");
            assert_eq!(*column, "Editor's note");
            assert_eq!(found, "Rejected.");
            assert_eq!(expected, "Reworded.");
        }
        other => panic!("expected a cell problem, got {other:?}"),
    }
    assert!(
        problems[0]
            .to_string()
            .starts_with("row 6, column Editor's note:")
    );
}

#[test]
fn a_dropped_row_names_the_missing_comment() {
    let (b, e) = export();
    let csv = text(&e, Format::Matrix);
    let id = b.r1_on_2.to_string();
    let kept: Vec<&str> = csv.split("\r\n").filter(|l| !l.contains(&id)).collect();
    let problems = verify::check(kept.join("\r\n").as_bytes(), &e).unwrap();
    assert_eq!(
        problems,
        [Problem::MissingComment {
            entry: id,
            author: "Rahul".into(),
            row: Some(3),
        }]
    );
}

#[test]
fn a_spreadsheet_round_trip_still_verifies() {
    // LF line ends, a byte order mark, every field quoted: what spreadsheets write back.
    let (_, e) = export();
    let csv = text(&e, Format::Matrix);
    let mut rewritten = String::from("\u{feff}");
    for line in csv.split("\r\n") {
        rewritten.push_str(line);
        rewritten.push('\n');
    }
    assert!(verify::check(rewritten.as_bytes(), &e).unwrap().is_empty());
}

#[test]
fn a_changed_report_line_is_named() {
    let (b, e) = export();
    let md = text(&e, Format::ReportMarkdown);
    assert!(md.contains("#### ¶2 — contested"));
    assert!(md.contains("In the rough: private-sector."));
    let altered = md.replace(
        "Strategies are a national prerogative.",
        "Strategies are fine.",
    );
    let problems = verify::check(altered.as_bytes(), &e).unwrap();
    assert!(!problems.is_empty());
    let first = problems[0].to_string();
    assert!(first.contains("column Objection"), "{first}");
    assert!(first.contains(&b.r1_on_2.to_string()), "{first}");

    let html = text(&e, Format::ReportHtml);
    assert!(html.contains("<h4 dir=\"auto\">¶2 — contested</h4>"));
    let dropped: String = html
        .lines()
        .filter(|l| !l.contains(&b.c1_on_3.to_string()))
        .map(|l| format!("{l}\n"))
        .collect();
    let problems = verify::check(dropped.as_bytes(), &e).unwrap();
    assert!(matches!(
        &problems[0],
        Problem::MissingComment { entry, author, .. }
            if *entry == b.c1_on_3.to_string() && author == "Chidi"
    ));
}

#[test]
fn the_summary_lays_out_convergence_and_divergence() {
    let (_, e) = export();
    let md = text(&e, Format::Summary);
    let convergence = md.split("## Points of divergence").next().unwrap();
    assert!(convergence.contains("¶1: rough consensus"));
    assert!(convergence.contains("supported by every stakeholder group"));
    let divergence = md
        .split("## Points of divergence")
        .nth(1)
        .unwrap()
        .split("## Open objections")
        .next()
        .unwrap();
    for heading in [
        "### ¶2 — contested",
        "### ¶3 — divided",
        "### ¶4 — bracketed",
    ] {
        assert!(divergence.contains(heading), "{heading} in {divergence}");
    }
    // Who holds each view, side by side.
    assert!(divergence.contains("| object | Rahul (private-sector), Rosa (private-sector)"));
    assert!(md.contains("## Chair's assessment"));
    assert!(verify::check(md.as_bytes(), &e).unwrap().is_empty());
}

#[test]
fn annotations_are_web_annotations_with_both_selectors() {
    let (b, e) = export();
    let json: Value = serde_json::from_slice(&e.render(Format::Annotations).unwrap()).unwrap();
    assert_eq!(json["type"], "AnnotationCollection");
    assert_eq!(json["@context"][0], "http://www.w3.org/ns/anno.jsonld");
    let items = json["first"]["items"].as_array().unwrap();
    // The retracted objection is left out.
    assert_eq!(items.len(), 5);
    let g1 = items
        .iter()
        .find(|a| a["id"] == format!("urn:margin:entry:{}", b.g1_on_5))
        .unwrap();
    assert_eq!(g1["motivation"], "assessing");
    let selectors = g1["target"]["selector"].as_array().unwrap();
    assert_eq!(selectors[0]["type"], "TextQuoteSelector");
    assert_eq!(
        selectors[0]["exact"],
        "measuring and comparing cyber capacity"
    );
    assert_eq!(selectors[1]["type"], "TextPositionSelector");
    // The position selects the same text in the draft's Markdown.
    let md = &e.render(Format::Automerge).unwrap();
    let doc = margin_draft::Draft::load(md).unwrap();
    let markdown: Vec<char> = doc.render_markdown(None).unwrap().chars().collect();
    let (start, end) = (
        selectors[1]["start"].as_u64().unwrap() as usize,
        selectors[1]["end"].as_u64().unwrap() as usize,
    );
    let selected: String = markdown[start..end].iter().collect();
    assert_eq!(selected, "measuring and comparing cyber capacity");
    // An altered annotation body is found.
    let text = text(&e, Format::Annotations).replace(
        "Measuring is not enough; compare across regions.",
        "Fine as it is.",
    );
    let problems = verify::check(text.as_bytes(), &e).unwrap();
    assert!(matches!(&problems[..], [Problem::Annotation { path, .. }] if path == "/body/0/value"));
}

#[test]
fn the_automerge_file_is_the_drafts_history() {
    let (b, e) = export();
    let bytes = e.render(Format::Automerge).unwrap();
    let doc = margin_draft::Draft::load(&bytes).unwrap();
    let state = b.fixture.space.draft(&b.fixture.draft).unwrap();
    assert_eq!(doc.heads(), state.doc.heads());
    assert_eq!(
        doc.render_markdown(None).unwrap(),
        margin_consensus::test::BPF_REVISED
    );
    // An older version of the draft is not the version of the entry set.
    let v1: Vec<Vec<u8>> = doc
        .log()
        .iter()
        .take(1)
        .map(|c| doc.change_bytes(&c.hash).unwrap())
        .collect();
    let mut older = margin_draft::Draft::empty();
    older.apply(&v1).unwrap();
    let problems = verify::check(&older.save(), &e).unwrap();
    assert!(matches!(&problems[..], [Problem::Automerge(_)]));
}
