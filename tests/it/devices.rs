//! One identity on several devices, a rotated key and a convener's replacement of a lost
//! key, as people do it with the CLI: a new device prints a code, the identity's home
//! links it, and after sync a third node shows what the device signed under the
//! person's name and counts the person once; an unlinked device, a rotated key and a
//! lost key sign entries that count for nothing.
//!
//! Homes exchange entries by bundles, so what each node has seen is what the test says.

use crate::common;

use common::*;
use serde_json::Value;

/// Sends everything `from` holds of `space` to `to`.
fn send(from: &Participant, to: &Participant, space: &str) -> Value {
    to.import(&from.bundle(space))
}

/// A space convened by `chair` with the sample draft; `extra` are `space create` flags.
fn review(chair: &Participant, extra: &[&str]) -> (String, String) {
    let mut args = vec!["space", "create", "Devices"];
    args.extend_from_slice(extra);
    let space = field(&chair.json(&args), "space");
    let file = fixture("bpf-draft-v1.md");
    let draft = field(
        &chair.json(&["draft", "import", &space, file.to_str().expect("UTF-8")]),
        "draft",
    );
    (space, draft)
}

/// (author key, author name, text) of every comment `p` shows on `draft`.
fn comments(p: &Participant, draft: &str) -> Vec<(String, String, String)> {
    p.json(&["comments", draft])
        .as_array()
        .expect("comments")
        .iter()
        .map(|c| {
            (
                field(&c["author"], "key"),
                field(&c["author"], "name"),
                c["body"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The tally of the paragraph `para` of `draft` as `p` counts it.
fn tally(p: &Participant, draft: &str, para: &str) -> (u64, u64) {
    let stances = p.json(&["stances", draft]);
    let found = stances["paragraphs"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["para"] == para)
        .cloned()
        .unwrap_or_default();
    let n = |v: &str| found["tally"][v].as_u64().unwrap_or(0);
    (n("support"), n("object"))
}

/// The texts of comments as `comments` gives them.
fn texts(seen: &[(String, String, String)]) -> Vec<&str> {
    seen.iter().map(|c| c.2.as_str()).collect()
}

/// `thief` comments a moment after what the chair last received and sends it on; what
/// the chair then shows.
fn signed_later(
    thief: &Participant,
    chair: &Participant,
    space: &str,
    draft: &str,
    text: &str,
) -> Vec<(String, String, String)> {
    std::thread::sleep(std::time::Duration::from_millis(5));
    comment(thief, draft, text);
    send(thief, chair, space);
    comments(chair, draft)
}

fn comment(p: &Participant, draft: &str, body: &str) {
    p.ok(&["comment", draft, "--body", body]);
}

#[test]
fn a_linked_device_speaks_as_its_person_and_an_unlinked_one_counts_for_nothing() {
    let chair = Participant::init("Chair", "academia");
    let (space, draft) = review(&chair, &[]);
    let ana = Participant::init("Ana Costa", "civil-society");
    send(&chair, &ana, &space);
    comment(&ana, &draft, "From Ana's own home.");

    // A new device, with no identity yet, shows a code; Ana's home links it.
    let laptop = Participant::new("Ana's laptop");
    let link = laptop.json(&["device", "link"]);
    let code = field(&link, "code");
    assert!(code.starts_with("margin-link:"), "{link}");
    let laptop_key = field(&link, "key");
    assert!(
        ana.fails(&["device", "add", "margin-link:nonsense"])
            .contains("code")
    );
    let added = ana.json(&["device", "add", &code, "--name", "office laptop"]);
    assert_eq!(added["device"], laptop_key.as_str());
    assert_eq!(added["entries"], 1, "{added}");

    // After sync the laptop knows whose device it is.
    send(&ana, &laptop, &space);
    let whoami = laptop.json(&["whoami"]);
    assert_eq!(whoami["key"], ana.key().as_str(), "{whoami}");
    assert_eq!(whoami["device"], laptop_key.as_str(), "{whoami}");
    assert_eq!(ana.json(&["whoami"]).get("device"), None);

    // The laptop comments and objects; the chair sees Ana.
    let harbours = para(&chair, &draft, "Coordinated vulnerability");
    comment(&laptop, &draft, "Written on the laptop.");
    laptop.ok(&[
        "stance",
        &draft,
        "--para",
        &harbours,
        "object",
        "--reason",
        "too strong",
    ]);
    send(&laptop, &chair, &space);
    let seen = comments(&chair, &draft);
    assert!(
        seen.contains(&(
            ana.key(),
            "Ana Costa".into(),
            "Written on the laptop.".into()
        )),
        "{seen:?}"
    );
    assert_eq!(tally(&chair, &draft, &harbours), (0, 1));

    // Ana's later stance from her own home replaces the laptop's: she counts once.
    send(&chair, &ana, &space);
    ana.ok(&["stance", &draft, "--para", &harbours, "support"]);
    send(&ana, &chair, &space);
    assert_eq!(tally(&chair, &draft, &harbours), (1, 0));

    let listed = ana.json(&["device", "list"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["name"], "office laptop");
    assert_eq!(listed[0]["revoked"], Value::Null);
    assert_eq!(laptop.json(&["device", "list"])[0]["this"], true);

    // The laptop is lost. Ana unlinks it; what it signs afterwards counts for nothing,
    // on every node, whatever they heard first.
    let revoked = ana.json(&["device", "revoke", &laptop_key]);
    assert_eq!(revoked["device"], laptop_key.as_str());
    std::thread::sleep(std::time::Duration::from_millis(5));
    comment(&laptop, &draft, "Written by whoever found the laptop.");
    send(&laptop, &chair, &space);
    assert_eq!(
        comments(&chair, &draft).len(),
        3,
        "before the unlink arrives"
    );
    send(&ana, &chair, &space);
    let seen = comments(&chair, &draft);
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(!seen.iter().any(|c| c.2.contains("found the laptop")));
    // What the laptop signed before the unlink stays Ana's.
    assert!(seen.iter().any(|c| c.2 == "Written on the laptop."));
    assert!(ana.json(&["device", "list"])[0]["revoked"].is_string());

    // The laptop itself, once it hears, refuses to sign what would not count.
    send(&ana, &laptop, &space);
    let refused = laptop.fails(&["comment", &draft, "--body", "Still here?"]);
    assert!(
        refused.contains("counts for nothing") || refused.contains("count for nothing"),
        "{refused}"
    );
}

#[test]
fn a_rotated_key_keeps_what_it_signed_and_its_later_entries_count_for_nothing() {
    let chair = Participant::init("Chair", "academia");
    let (space, draft) = review(&chair, &[]);
    let ana = Participant::init("Ana Costa", "civil-society");
    send(&chair, &ana, &space);
    comment(&ana, &draft, "Before the rotation.");
    let old = ana.key();
    // A copy of the home as it was: the old key, leaked.
    let thief = Participant::copy_of("thief", ana.home());

    // A device linked before the rotation.
    let phone = Participant::new("Ana's phone");
    let code = field(&phone.json(&["device", "link"]), "code");
    ana.ok(&["device", "add", &code, "--name", "phone"]);
    let rotated = ana.json(&["key", "rotate"]);
    let new = field(&rotated, "key");
    assert_ne!(new, old);
    assert_eq!(rotated["previous"], old.as_str());
    assert_eq!(ana.key(), new);
    comment(&ana, &draft, "After the rotation.");
    send(&ana, &chair, &space);

    let seen = signed_later(
        &thief,
        &chair,
        &space,
        &draft,
        "Signed with the leaked key.",
    );
    assert_eq!(
        texts(&seen),
        ["Before the rotation.", "After the rotation."],
        "{seen:?}"
    );
    // Both under Ana's name and her current key.
    assert!(
        seen.iter().all(|c| c.0 == new && c.1 == "Ana Costa"),
        "{seen:?}"
    );
    // The device linked by the old key is still hers, listed and unlinked by the new one.
    let phone_key = field(&phone.json(&["whoami"]), "key");
    let listed = ana.json(&["device", "list"]);
    assert_eq!(listed[0]["key"], phone_key.as_str(), "{listed}");
    ana.ok(&["device", "revoke", &phone_key]);
    assert!(ana.json(&["device", "list"])[0]["revoked"].is_string());
}

#[test]
fn a_protected_key_rotates_under_the_same_passphrase() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("passphrase");
    std::fs::write(&file, "correct horse battery staple\n").expect("passphrase file");
    let file = file.to_str().expect("UTF-8");
    let ana = Participant::new("Ana");
    ana.ok(&[
        "--passphrase-file",
        file,
        "init",
        "--name",
        "Ana",
        "--passphrase",
    ]);
    let old = ana.key();
    let rotated = ana.json(&["--passphrase-file", file, "key", "rotate"]);
    assert_eq!(rotated["protected"], true);
    let whoami = ana.json(&["whoami"]);
    assert_eq!(whoami["protected"], true);
    assert_ne!(field(&whoami, "key"), old);
    // The new key signs with the same passphrase.
    ana.ok(&["--passphrase-file", file, "space", "create", "Mine"]);
}

#[test]
fn conveners_attest_a_replacement_for_a_lost_key_in_their_space() {
    let chair = Participant::init("Chair", "academia");
    let (space, draft) = review(&chair, &["--policy", "registered"]);
    let ana = Participant::init("Ana Costa", "government");
    chair.ok(&[
        "register",
        &space,
        &ana.key(),
        "--stakeholder",
        "government",
    ]);
    send(&chair, &ana, &space);
    comment(&ana, &draft, "With the key Ana later lost.");
    send(&ana, &chair, &space);
    let thief = Participant::copy_of("thief", ana.home());

    // Ana's laptop is stolen; she makes a new key on a new home.
    let again = Participant::init("Ana Costa", "government");
    send(&chair, &again, &space);
    assert!(
        again
            .fails(&["comment", &draft, "--body", "Not yet registered."])
            .contains("registered")
    );
    // Only a convener can attest the replacement.
    let refused = again.fails(&[
        "space",
        "replace-key",
        &space,
        &ana.key(),
        &again.key(),
        "--reason",
        "me",
    ]);
    assert!(refused.contains("convener"), "{refused}");
    let attested = chair.json(&[
        "space",
        "replace-key",
        &space,
        &ana.key(),
        &again.key(),
        "--reason",
        "Ana showed her passport at the secretariat",
    ]);
    assert!(attested["replacement"].is_string(), "{attested}");
    send(&chair, &again, &space);
    comment(&again, &draft, "With the replacement key.");
    send(&again, &chair, &space);

    let seen = signed_later(
        &thief,
        &chair,
        &space,
        &draft,
        "Signed with the stolen key.",
    );
    assert_eq!(
        texts(&seen),
        ["With the key Ana later lost.", "With the replacement key."],
        "{seen:?}"
    );
    assert!(seen.iter().all(|c| c.1 == "Ana Costa"), "{seen:?}");
}
