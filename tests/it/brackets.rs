//! Bracketed variants through the `margin` command: the sample draft's two bracketed
//! wordings of ¶12 offered as alternatives, stances on each, both side by side with
//! their support, and the editor's choice put into the draft without brackets.

use crate::common;

use std::path::PathBuf;

use common::*;
use serde_json::Value;

const ESTABLISH: &str =
    "Governments should establish legal safe harbours for good-faith security researchers.";
const CONSIDER: &str = "Governments should consider legal safe harbours for good-faith security researchers where national law permits.";

/// Everyone's entries reach everyone, by bundles.
fn exchange(space: &str, people: &[&Participant]) {
    let bundles: Vec<PathBuf> = people.iter().map(|p| p.bundle(space)).collect();
    for p in people {
        for b in &bundles {
            p.import(b);
        }
    }
}

/// The listing of paragraph `para` in `margin brackets DRAFT --json`.
fn listed(p: &Participant, draft: &str, para: &str) -> Option<Value> {
    p.json(&["brackets", draft])["paragraphs"]
        .as_array()
        .expect("paragraphs")
        .iter()
        .find(|x| x["para"] == para)
        .cloned()
}

#[test]
fn bracketed_variants_are_offered_chosen_between_and_accepted() {
    let maria = Participant::init("Maria Okafor", "technical-community");
    let amina = Participant::init("Amina Diallo", "civil-society");
    let bruno = Participant::init("Bruno Keller", "government");
    let space = field(
        &maria.json(&["space", "create", "BPF Cybersecurity"]),
        "space",
    );
    let file = fixture("bpf-draft-v1.md");
    let draft = field(
        &maria.json(&["draft", "import", &space, file.to_str().unwrap()]),
        "draft",
    );
    let carla = Participant::init("Carla Mendes", "private-sector");
    let everyone = [&maria, &amina, &bruno, &carla];
    let first = maria.bundle(&space);
    for p in &everyone[1..] {
        p.import(&first);
    }
    let harbours = para(&amina, &draft, "[Governments should establish");
    let agreed = para(&amina, &draft, "[Participants agreed");

    // Listed before anyone offers them; a single bracketed passage is not a choice.
    let before = listed(&amina, &draft, &harbours).expect("¶12 is listed");
    assert_eq!(before["n"], 12);
    let variants = before["groups"][0]["variants"].as_array().unwrap().clone();
    assert_eq!(variants.len(), 2);
    assert_eq!(variants[0]["text"], ESTABLISH);
    assert_eq!(variants[1]["text"], CONSIDER);
    assert!(variants.iter().all(|v| v["comment"].is_null()));
    assert!(listed(&amina, &draft, &agreed).is_none());
    let text = amina.ok(&["brackets", &draft]);
    assert!(text.contains("¶12"), "{text}");
    assert!(text.contains("not offered yet"), "{text}");
    let err = amina.fails(&["brackets", "offer", &draft, "--para", &agreed]);
    assert!(
        err.contains("no bracketed variants to choose between"),
        "{err}"
    );

    // Amina offers them: one suggestion per variant. Offering again makes nothing, and
    // neither does Bruno's offer once her suggestions have reached him. Carla offers
    // them too before they reach her: the same suggestions, one campaign with Amina's.
    let offer = amina.json(&["brackets", "offer", &draft, "--para", &harbours]);
    let made: Vec<String> = offer["made"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(made.len(), 2);
    let offered = &offer["paragraph"]["groups"][0]["variants"];
    assert_eq!(offered[0]["comment"], made[0].as_str());
    assert_eq!(offered[1]["comment"], made[1].as_str());
    let (establish, consider) = (made[0].clone(), made[1].clone());
    let again = amina.json(&["brackets", "offer", &draft, "--para", &harbours]);
    assert_eq!(again["made"], serde_json::json!([]));
    assert_eq!(again["paragraph"], offer["paragraph"]);
    let apart = carla.json(&["brackets", "offer", &draft, "--para", &harbours]);
    assert_eq!(apart["made"].as_array().unwrap().len(), 2);
    exchange(&space, &everyone);
    let bruno_offer = bruno.json(&["brackets", "offer", &draft, "--para", &harbours]);
    assert_eq!(bruno_offer["made"], serde_json::json!([]));
    assert_eq!(
        bruno_offer["paragraph"]["groups"][0]["variants"][1]["comment"],
        consider.as_str()
    );

    // Each takes a stance on a different variant.
    amina.ok(&[
        "stance",
        &draft,
        "--para",
        &harbours,
        "--alternative",
        &establish,
        "support",
    ]);
    bruno.ok(&[
        "stance",
        &draft,
        "--para",
        &harbours,
        "--alternative",
        &consider,
        "support",
    ]);
    exchange(&space, &everyone);

    // Both variants side by side, each with its support.
    let alternatives = maria.json(&["alternatives", &draft]);
    let p = alternatives["paragraphs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["para"] == harbours.as_str())
        .expect("¶12 has alternatives");
    let alts = p["alternatives"].as_array().unwrap();
    assert_eq!(alts.len(), 2);
    let by_comment = |c: &str| alts.iter().find(|a| a["comment"] == c).expect("listed");
    let (a, b) = (by_comment(&establish), by_comment(&consider));
    assert_eq!(a["text"], ESTABLISH);
    assert_eq!(b["text"], CONSIDER);
    assert_eq!(a["scope"], "passage");
    assert_eq!(a["author"]["name"], "Amina Diallo");
    for alt in [a, b] {
        assert_eq!(alt["comments"].as_array().unwrap().len(), 2, "{alt}");
        assert_eq!(alt["signatories"][0]["participant"]["name"], "Carla Mendes");
    }
    assert_eq!(a["support"]["tally"]["support"], 1);
    assert_eq!(a["support"]["by_group"]["civil-society"]["support"], 1);
    assert_eq!(b["support"]["tally"]["support"], 1);
    assert_eq!(b["support"]["by_group"]["government"]["support"], 1);
    let text = maria.ok(&["alternatives", &draft]);
    assert_eq!(text.matches("for the same passage").count(), 1, "{text}");
    assert!(
        text.contains(&format!("\"{ESTABLISH}\"")) && text.contains(&format!("\"{CONSIDER}\"")),
        "{text}"
    );

    // The editor chooses the second: ¶12 reads it, without brackets, and keeps its id.
    let accepted = maria.json(&["accept", &consider, "--note", "Closer to national law."]);
    assert_eq!(accepted["text"], CONSIDER);
    assert_eq!(
        para(&maria, &draft, "Governments should consider"),
        harbours
    );
    let markdown = maria.ok(&["draft", "show", &draft, "--markdown"]);
    assert!(
        markdown.contains(&format!("\n\n{CONSIDER}\n\n")),
        "{markdown}"
    );
    assert!(!markdown.contains("[Governments should"), "{markdown}");
    assert!(listed(&maria, &draft, &harbours).is_none());
    let err = maria.fails(&["brackets", "offer", &draft, "--para", &harbours]);
    assert!(err.contains("no bracketed variants"), "{err}");
}
