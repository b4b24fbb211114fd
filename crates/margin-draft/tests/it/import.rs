//! Word and OpenDocument drafts, made by a word processor, read as Markdown drafts.

use margin_draft::import::{FileKind, to_markdown};
use margin_draft::{Draft, Timestamp};

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name);
    std::fs::read(path).expect("fixture")
}

/// What both fixtures say (they were written by LibreOffice Writer from
/// `tests/fixtures/bpf-draft.fodt`): the footnote is left out, the table's cells are
/// paragraphs, the numbered and bulleted lists are lists.
const EXPECTED: &str = "# Best Practice Forum on Cybersecurity: draft output

# Introduction

This draft collects the contributions received during the first comment period.

Twelve contributions described a policy in force; the others described proposals.

# Findings

1. Capacity building is a shared responsibility of all stakeholders.
2. Governments should publish national cybersecurity strategies.

Encryption must not be weakened [by lawful access mechanisms].

- Regional CERTs share incident data.
- Academia & civil society contribute research.

Region

Contributions

## Voix et langues

Les participants ont souligné l’importance d’un accès équitable à la formation.

يجب أن تكون بناء القدرات مسؤولية مشتركة.
";

#[test]
fn a_word_document_reads_as_markdown() {
    let bytes = fixture("bpf-draft.docx");
    assert_eq!(FileKind::detect("draft.DOCX", &bytes), FileKind::Docx);
    assert_eq!(FileKind::detect("draft", &bytes), FileKind::Docx);
    assert_eq!(to_markdown(FileKind::Docx, &bytes).unwrap(), EXPECTED);
}

#[test]
fn an_opendocument_text_reads_as_markdown() {
    let bytes = fixture("bpf-draft.odt");
    assert_eq!(FileKind::detect("draft.odt", &bytes), FileKind::Odt);
    assert_eq!(FileKind::detect("draft", &bytes), FileKind::Odt);
    assert_eq!(to_markdown(FileKind::Odt, &bytes).unwrap(), EXPECTED);
}

#[test]
fn an_imported_document_is_a_draft_with_numbered_paragraphs() {
    let md = to_markdown(FileKind::Odt, &fixture("bpf-draft.odt")).unwrap();
    let actor = automerge::ActorId::from(&[7u8; 36][..]);
    let (draft, _) = Draft::import(actor, &md, None, Timestamp::from_millis(0), "v1").unwrap();
    let view = draft.view(None).unwrap();
    assert_eq!(
        view.title,
        "Best Practice Forum on Cybersecurity: draft output"
    );
    let paragraphs: Vec<_> = view.sections.iter().flat_map(|s| &s.paragraphs).collect();
    assert_eq!(paragraphs.len(), 11);
    assert!(paragraphs[4].bracketed);
    assert_eq!(draft.render_markdown(None).unwrap(), md);
}

#[test]
fn damaged_and_hostile_files_are_refused_with_a_reason() {
    let docx = fixture("bpf-draft.docx");
    for (kind, bytes) in [
        (FileKind::Docx, b"not a zip".to_vec()),
        (FileKind::Odt, b"PK\x03\x04 truncated".to_vec()),
        (FileKind::Docx, docx[..docx.len() / 2].to_vec()),
        (FileKind::Odt, docx.clone()),
        (FileKind::Markdown, vec![0xff, 0xfe, 0x00]),
    ] {
        let err = to_markdown(kind, &bytes).unwrap_err();
        assert!(!err.to_string().is_empty());
    }
    // Every truncation of a real document fails cleanly or reads; none panics.
    for cut in (0..docx.len()).step_by(97) {
        let _ = to_markdown(FileKind::Docx, &docx[..cut]);
    }
}

#[test]
fn a_flat_opendocument_text_reads_as_markdown() {
    let bytes = fixture("bpf-draft.fodt");
    assert_eq!(FileKind::detect("draft.fodt", &bytes), FileKind::FlatOdt);
    assert_eq!(FileKind::detect("draft", &bytes), FileKind::FlatOdt);
    assert_eq!(to_markdown(FileKind::FlatOdt, &bytes).unwrap(), EXPECTED);
}

#[test]
fn xml_empty_files_and_files_without_paragraphs_are_refused_with_a_reason() {
    let fodt = fixture("bpf-draft.fodt");
    // Read as Markdown, a flat OpenDocument file is still not imported as raw XML.
    let refused = to_markdown(FileKind::Markdown, &fodt)
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("the file is XML, not Markdown"),
        "{refused}"
    );
    let svg = b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>";
    let refused = to_markdown(FileKind::FlatOdt, svg).unwrap_err().to_string();
    assert!(
        refused.contains("not a flat OpenDocument text"),
        "{refused}"
    );
    let sheet = String::from_utf8(fodt.clone()).unwrap().replace(
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
    );
    let refused = to_markdown(FileKind::FlatOdt, sheet.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(refused.contains("of another kind"), "{refused}");
    for empty in [&b""[..], b"  \n\n\t\n", "\u{feff}\n".as_bytes()] {
        let refused = to_markdown(FileKind::Markdown, empty)
            .unwrap_err()
            .to_string();
        assert!(refused.contains("no paragraph or heading"), "{refused}");
    }
    let text = String::from_utf8(fodt).unwrap();
    let start = text.find("<office:text").unwrap();
    let end = text.find("</office:text>").unwrap() + "</office:text>".len();
    let emptied = format!("{}<office:text/>{}", &text[..start], &text[end..]);
    let refused = to_markdown(FileKind::FlatOdt, emptied.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(refused.contains("no paragraph or heading"), "{refused}");
}
