//! Consensus and outputs through the `margin` command: a draft imported from Word,
//! objections co-signed and posted as a campaign, a coalition, an alternative wording
//! accepted into a revision; then the figures, every export, and `margin verify`
//! accepting faithful files and refusing altered ones.

use crate::common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

struct Review {
    maria: Participant,
    amina: Participant,
    bruno: Participant,
    carla: Participant,
    coalition: Participant,
    space: String,
    draft: String,
    strategies: String,
    encryption: String,
    objection: String,
    campaign: String,
    suggestion: String,
}

fn id(v: &Value, field: &str) -> String {
    v[field].as_str().expect("an id").to_owned()
}

/// Everyone's entries reach everyone, by bundles.
fn exchange(space: &str, people: &[&Participant]) {
    let bundles: Vec<PathBuf> = people.iter().map(|p| p.bundle(space)).collect();
    for p in people {
        for b in &bundles {
            p.import(b);
        }
    }
}

fn review() -> Review {
    let maria = Participant::init("Maria Okafor", "technical-community");
    let amina = Participant::init("Amina Diallo", "civil-society");
    let bruno = Participant::init("Bruno Keller", "government");
    let carla = Participant::init("Carla Mendes", "private-sector");
    let coalition = Participant::init("Digital Rights Coalition", "civil-society");
    let space = id(
        &maria.json(&["space", "create", "BPF Cybersecurity"]),
        "space",
    );
    let docx = fixture("bpf-draft.docx");
    let imported = maria.json(&["draft", "import", &space, docx.to_str().unwrap()]);
    assert_eq!(imported["paragraphs"], 11);
    let draft = id(&imported, "draft");
    maria.ok(&["draft", "tag", &draft, "v1"]);
    // The same text as OpenDocument is the same version: nothing to record.
    let odt = fixture("bpf-draft.odt");
    let same = maria.json(&["draft", "update", &draft, odt.to_str().unwrap()]);
    assert_eq!(same["revision"], Value::Null);
    let everyone = [&maria, &amina, &bruno, &carla, &coalition];
    let first = maria.bundle(&space);
    for p in &everyone[1..] {
        p.import(&first);
    }

    let strategies = para(&maria, &draft, "Governments should publish");
    let encryption = para(&maria, &draft, "Encryption must not");
    let objection = id(
        &amina.json(&[
            "comment",
            &draft,
            "--para",
            &strategies,
            "--kind",
            "objection",
            "--body",
            "Publication can expose weaknesses.",
        ]),
        "comment",
    );
    let suggestion = id(
        &amina.json(&[
            "comment",
            &draft,
            "--para",
            &encryption,
            "--quote",
            "[by lawful access mechanisms]",
            "--body",
            "Say what the forum agreed.",
            "--suggest",
            "by any means",
        ]),
        "comment",
    );
    // The same objection from another key: a campaign.
    let campaign = id(
        &carla.json(&[
            "comment",
            &draft,
            "--para",
            &strategies,
            "--kind",
            "objection",
            "--body",
            "Publication  can expose weaknesses. ",
        ]),
        "comment",
    );
    exchange(&space, &everyone);
    let bruno_key = bruno.key();
    coalition.ok(&["coalition", "add", &space, &bruno_key]);
    exchange(&space, &everyone);
    let coalition_key = coalition.key();
    bruno.ok(&["cosign", &objection, "--coalition", &coalition_key]);
    bruno.ok(&["stance", &draft, "--para", &strategies, "support"]);
    bruno.ok(&[
        "stance",
        &draft,
        "--para",
        &encryption,
        "--alternative",
        &suggestion,
        "support",
    ]);
    carla.ok(&[
        "stance",
        &draft,
        "--para",
        &encryption,
        "--alternative",
        &suggestion,
        "accept",
    ]);
    carla.ok(&[
        "stance",
        &draft,
        "--para",
        &encryption,
        "object",
        "--reason",
        "Brackets must be resolved first.",
    ]);
    exchange(&space, &everyone);
    Review {
        maria,
        amina,
        bruno,
        carla,
        coalition,
        space,
        draft,
        strategies,
        encryption,
        objection,
        campaign,
        suggestion,
    }
}

fn out(p: &Participant, name: &str) -> PathBuf {
    p.home().join(name)
}

fn export(p: &Participant, draft: &str, format: &str, name: &str) -> PathBuf {
    let path = out(p, name);
    p.ok(&[
        "export",
        draft,
        "--format",
        format,
        "--out",
        path.to_str().unwrap(),
    ]);
    path
}

fn verify_fails(p: &Participant, file: &Path) -> (String, String) {
    let o = p.run(&["verify", file.to_str().unwrap()]);
    assert!(!o.status.success(), "verify accepted an altered file");
    (
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

#[test]
fn objections_campaigns_coalitions_and_figures() {
    let r = review();
    let register = r.maria.json(&["objections", &r.draft]);
    let items = register["objections"].as_array().unwrap();
    // Amina's and Carla's identical objections are one, Carla's object stance another.
    assert_eq!(items.len(), 2, "{register:#}");
    let campaign = &items[0];
    assert_eq!(campaign["id"], r.objection.as_str());
    assert_eq!(campaign["comments"][1], r.campaign.as_str());
    assert_eq!(campaign["state"], "open");
    let signatories: Vec<(&str, &str)> = campaign["signatories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["participant"]["name"].as_str().unwrap(),
                s["how"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        signatories.len(),
        2,
        "Carla by the campaign, the coalition by Bruno: {signatories:?}"
    );
    assert!(signatories.contains(&("Carla Mendes", "author")));
    assert!(signatories.contains(&("Digital Rights Coalition", "coalition")));
    assert_eq!(items[1]["source"], "stance");
    assert_eq!(items[1]["text"], "Brackets must be resolved first.");

    let consensus = r.maria.json(&["consensus", &r.draft]);
    let paragraph = |id: &str| {
        consensus["paragraphs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["para"] == id)
            .unwrap()
            .clone()
    };
    let strategies = paragraph(&r.strategies);
    assert_eq!(strategies["status"], "contested");
    assert_eq!(strategies["open_objections"], 1);
    assert_eq!(paragraph(&r.encryption)["status"], "bracketed");
    assert!(consensus["convergence"]["opinion_groups"].is_array());
    let text = r.maria.ok(&["consensus", &r.draft]);
    assert!(text.contains("contested"), "{text}");
    // The text shows the tallies per group and per region that the JSON has.
    assert!(
        text.contains("by group: ") && text.contains("government 1 support"),
        "{text}"
    );
    assert!(text.contains("private-sector 1 object"), "{text}");
    assert!(text.contains("by region: "), "{text}");

    let balance = r.maria.json(&["balance", &r.space]);
    assert_eq!(balance["by_group"]["civil-society"]["comments"], 2);
    assert_eq!(balance["by_group"]["government"]["sign_ons"], 1);
    assert_eq!(balance["by_group"]["private-sector"]["stances"], 1);
    // Maria, the editor, took no stance: the technical community is silent.
    assert_eq!(
        balance["missing_groups"],
        serde_json::json!(["technical-community", "academia", "intergovernmental"])
    );
    let text = r.maria.ok(&["balance", &r.space]);
    assert!(text.contains("no voice from: technical-community, academia, intergovernmental"));

    // The coalition lists its member; a sign-on for a coalition one is not in is refused.
    let members = r.coalition.json(&["coalition", "members", &r.space]);
    assert_eq!(members[0]["member"]["name"], "Bruno Keller");
    let err = r
        .carla
        .fails(&["cosign", &r.objection, "--coalition", &r.coalition.key()]);
    assert!(err.contains("has not admitted you"), "{err}");
    let err = r.amina.fails(&["cosign", &r.objection]);
    assert!(
        err.contains("one cannot co-sign one's own comment"),
        "{err}"
    );
    let _ = &r.bruno;
}

#[test]
fn an_alternative_is_seen_side_by_side_and_accepted_into_a_revision() {
    let r = review();
    let alternatives = r.maria.json(&["alternatives", &r.draft]);
    let p = &alternatives["paragraphs"][0];
    assert_eq!(p["para"], r.encryption.as_str());
    let a = &p["alternatives"][0];
    assert_eq!(a["comment"], r.suggestion.as_str());
    assert_eq!(a["text"], "by any means");
    assert_eq!(a["replaces"], "[by lawful access mechanisms]");
    assert_eq!(a["support"]["tally"]["support"], 1);
    assert_eq!(a["support"]["tally"]["accept"], 1);
    assert_eq!(a["support"]["by_group"]["government"]["support"], 1);
    // The current text: Carla objects; government and private sector took a stance on
    // either wording. Current: government no vote (1/2), private sector 0 of 1 (1/3).
    assert!((p["current"]["consensus"].as_f64().unwrap() - 1.0 / 6.0).abs() < 1e-9);
    // Alternative: government 1 of 1 (2/3), private sector 1 of 1 (2/3).
    assert!((a["support"]["consensus"].as_f64().unwrap() - 4.0 / 9.0).abs() < 1e-9);

    // A stance on an alternative names a comment that proposes one, for that paragraph.
    let err = r.bruno.fails(&[
        "stance",
        &r.draft,
        "--para",
        &r.strategies,
        "--alternative",
        &r.suggestion,
        "support",
    ]);
    assert!(err.contains("is proposed for paragraph"), "{err}");
    let err = r.bruno.fails(&[
        "stance",
        &r.draft,
        "--para",
        &r.strategies,
        "--alternative",
        &r.objection,
        "support",
    ]);
    assert!(err.contains("proposes no alternative wording"), "{err}");

    // Only an editor accepts it.
    let err = r.amina.fails(&["accept", &r.suggestion]);
    assert!(err.contains("only an editor may change a draft"), "{err}");
    let accepted = r
        .maria
        .json(&["accept", &r.suggestion, "--note", "Agreed at the call."]);
    assert_eq!(
        accepted["text"],
        "Encryption must not be weakened by any means."
    );
    let shown = r.maria.ok(&["draft", "show", &r.draft]);
    assert!(shown.contains("Encryption must not be weakened by any means."));
    // The paragraph kept its id; the comment's disposition links the revision.
    assert_eq!(
        para(&r.maria, &r.draft, "Encryption must not"),
        r.encryption
    );
    let comments = r
        .maria
        .json(&["comments", &r.draft, "--para", &r.encryption]);
    let c = comments
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == r.suggestion.as_str())
        .unwrap();
    assert_eq!(c["disposition"]["value"], "accepted");
    assert_eq!(c["disposition"]["revision"], accepted["revision"]);
    assert_eq!(c["disposition"]["note"], "Agreed at the call.");
    // No longer bracketed.
    let consensus = r.maria.json(&["consensus", &r.draft]);
    let status = consensus["paragraphs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["para"] == r.encryption.as_str())
        .unwrap()["status"]
        .clone();
    assert_ne!(status, "bracketed");
}

#[test]
fn every_export_verifies_and_an_altered_or_shortened_one_is_refused() {
    let r = review();
    let csv = export(&r.maria, &r.draft, "csv", "matrix.csv");
    let md = export(&r.maria, &r.draft, "md", "report.md");
    let html = export(&r.maria, &r.draft, "html", "report.html");
    let summary = export(&r.maria, &r.draft, "summary", "summary.md");
    let annotations = export(&r.maria, &r.draft, "annotations", "comments.jsonld");
    let automerge = export(&r.maria, &r.draft, "automerge", "draft.automerge");
    assert!(out(&r.maria, "draft.automerge.json").exists());
    for file in [&csv, &md, &html, &summary, &annotations, &automerge] {
        let v = r.maria.json(&["verify", file.to_str().unwrap()]);
        assert_eq!(v["problems"], serde_json::json!([]), "{}", file.display());
        assert_eq!(v["provenance"]["space"], r.space.as_str());
    }
    let text = r.maria.ok(&["verify", csv.to_str().unwrap()]);
    assert!(text.starts_with("Verified: matrix of"), "{text}");

    // Printing to standard output gives the same bytes.
    let printed = r.maria.ok(&["export", &r.draft, "--format", "csv"]);
    assert_eq!(printed.as_bytes(), std::fs::read(&csv).unwrap());

    // One altered cell: refused, naming the row and the column.
    let original = std::fs::read_to_string(&csv).unwrap();
    let altered = out(&r.maria, "altered.csv");
    std::fs::write(
        &altered,
        original.replacen("Say what the forum agreed.", "Keep the text.", 1),
    )
    .unwrap();
    let (stdout, stderr) = verify_fails(&r.maria, &altered);
    assert!(stdout.contains("column Comment"), "{stdout}");
    assert!(stdout.contains(&r.suggestion), "{stdout}");
    assert!(stdout.contains("\"Keep the text.\""), "{stdout}");
    assert!(
        stderr.contains("does not match the signed entries: 1 difference(s)"),
        "{stderr}"
    );

    // One row dropped: refused, naming the missing comment.
    let shortened = out(&r.maria, "shortened.csv");
    let kept: Vec<&str> = original
        .split("\r\n")
        .filter(|l| !l.contains(&r.suggestion))
        .collect();
    std::fs::write(&shortened, kept.join("\r\n")).unwrap();
    let (stdout, _) = verify_fails(&r.maria, &shortened);
    assert!(
        stdout.contains(&format!(
            "comment {} by Amina Diallo is missing from the export",
            r.suggestion
        )),
        "{stdout}"
    );

    // A report with a changed line is refused too.
    let report = std::fs::read_to_string(&md).unwrap();
    let changed = out(&r.maria, "changed.md");
    std::fs::write(
        &changed,
        report.replacen("Publication can expose weaknesses.", "Nothing to add.", 1),
    )
    .unwrap();
    let (stdout, _) = verify_fails(&r.maria, &changed);
    assert!(stdout.contains("line "), "{stdout}");

    // Another node holding the same entries verifies the published files, even after it
    // received later ones.
    let bundle = r.maria.bundle(&r.space);
    r.carla.import(&bundle);
    r.carla.ok(&[
        "comment",
        &r.draft,
        "--body",
        "A later comment, not in the export.",
    ]);
    for file in [&csv, &html, &automerge] {
        r.carla.ok(&["verify", file.to_str().unwrap()]);
    }
    // A node without the entries cannot vouch for the file, and says why.
    let stranger = Participant::init("Stranger", "academia");
    let err = stranger.fails(&["verify", csv.to_str().unwrap()]);
    assert!(err.contains("does not hold"), "{err}");
    let _ = (&r.amina, &r.bruno, &r.coalition, &r.campaign);
}

#[test]
fn the_matrix_names_the_space_and_groups_the_campaign() {
    let r = review();
    let csv = r.maria.ok(&["export", &r.draft, "--format", "csv"]);
    assert!(csv.starts_with("Comment-resolution matrix,Best Practice Forum on Cybersecurity"));
    assert!(csv.contains(&r.space));
    let header = csv
        .lines()
        .find(|l| l.starts_with("Row,"))
        .expect("a header");
    assert_eq!(
        header,
        "Row,Paragraph,Paragraph id,Quoted text,Author,Affiliation,Stakeholder group,Region,Kind,In reply to row,Comment,Proposed text,Signatories,State,Disposition,Editor's note,Revision,Entry id,Grouped entries"
    );
    let row = csv
        .lines()
        .find(|l| l.contains(&r.objection))
        .expect("the campaign's row");
    assert!(row.contains(&r.campaign), "{row}");
    assert!(
        row.contains("Carla Mendes (private-sector); Digital Rights Coalition (civil-society) via Bruno Keller"),
        "{row}"
    );
    assert_eq!(
        csv.matches(&r.campaign).count(),
        1,
        "one row for the campaign"
    );
}
