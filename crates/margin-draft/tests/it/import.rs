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
