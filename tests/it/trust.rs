//! Trust rules that must hold between parties who do not trust each other, tried as a
//! participant and a hostile convener would: one wrong clock must not close the comment
//! period for everyone; a revoked convener cannot appoint a proxy; two conveners revoking
//! each other leave the space governable; a registered-only space takes nothing from
//! unregistered keys; the same entries give the same view whatever order they came in; a
//! home restored from a backup does not publish a conflicting revision.
//!
//! Homes exchange entries by bundles, so what each node has seen is exactly what the
//! test says. A node's clock is shifted by injecting an offset into the node, not by
//! waiting.

use crate::common;

use common::*;
use margin_core::body::StanceValue;
use margin_node::Home;
use margin_node::node::{Node, Outcome};
use serde_json::Value;

const DAY: i64 = 24 * 60 * 60 * 1000;

fn id(v: &Value, field: &str) -> String {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("no {field} in {v}"))
        .to_owned()
}

/// Sends everything `from` holds of `space` to `to`, as a bundle; returns the report.
fn send(from: &Participant, to: &Participant, space: &str) -> Value {
    to.import(&from.bundle(space))
}

fn keys(show: &Value, role: &str) -> Vec<String> {
    show[role]
        .as_array()
        .unwrap_or_else(|| panic!("no {role} in {show}"))
        .iter()
        .map(|p| id(p, "key"))
        .collect()
}

/// A space created by `convener`, with the sample draft imported.
fn space_with_draft(convener: &Participant, extra: &[&str]) -> (String, String) {
    let mut args = vec!["space", "create", "Trust"];
    args.extend_from_slice(extra);
    let space = id(&convener.json(&args), "space");
    let file = fixture("bpf-draft-v1.md");
    let draft = id(
        &convener.json(&["draft", "import", &space, file.to_str().expect("UTF-8")]),
        "draft",
    );
    (space, draft)
}

#[test]
fn one_wrong_clock_does_not_close_the_comment_period_for_everyone() {
    let editor = Participant::init("Editor", "academia");
    let (space, draft) = space_with_draft(&editor, &["--closes", "2027-06-30"]);
    let reader = Participant::init("Reader", "civil-society");
    send(&editor, &reader, &space);

    // The editor's clock runs 800 days ahead: their revision is dated in 2029.
    {
        let mut node = Node::open(Home::at(editor.home())).expect("the editor's node");
        node.set_clock_offset(800 * DAY);
        let v2 = std::fs::read_to_string(fixture("bpf-draft-v2.md")).expect("v2");
        node.update_draft(&draft, &v2, "revised with a wrong clock")
            .expect("the editor's own node accepts it")
            .expect("a revision");
    }
    let report = send(&editor, &reader, &space);
    assert_eq!(report["held"], 1, "{report}");
    assert_eq!(report["accepted"], 0, "{report}");

    // The reader comments today, inside the period: accepted, dated by their own clock.
    // The future revision is not among what the reader holds (nor passes on).
    let before = reader.json(&["space", "show", &space])["entries"]
        .as_u64()
        .expect("entries");
    let para = para(&reader, &draft, "Coordinated vulnerability disclosure");
    reader.ok(&[
        "comment",
        &draft,
        "--para",
        &para,
        "--kind",
        "objection",
        "--body",
        "This paragraph overstates the consensus.",
    ]);
    reader.ok(&[
        "stance",
        &draft,
        "--para",
        &para,
        "object",
        "--reason",
        "Not this wording.",
    ]);
    let after = reader.json(&["space", "show", &space])["entries"]
        .as_u64()
        .expect("entries");
    assert_eq!(after, before + 3, "a profile, a comment and a stance");

    // A node whose clock has reached that date applies it.
    let mut node = Node::open(Home::at(reader.home())).expect("the reader's node");
    node.set_clock_offset(800 * DAY + 60_000);
    let released = node.release_due().expect("release what is due");
    assert!(
        released
            .iter()
            .any(|(_, o)| matches!(o, Outcome::Accepted { .. })),
        "{released:?}"
    );
}

#[test]
fn a_later_stance_wins_even_when_the_clock_steps_back() {
    let editor = Participant::init("Editor", "academia");
    let (_space, draft) = space_with_draft(&editor, &[]);
    let para = margin_core::ParaId::from(para(
        &editor,
        &draft,
        "Coordinated vulnerability disclosure",
    ));
    let mut node = Node::open(Home::at(editor.home())).expect("the editor's node");
    node.stance(&draft, &para, StanceValue::Object, Some("first thought"))
        .expect("a stance");
    // The computer's clock is corrected a minute back before the second stance.
    node.set_clock_offset(-60_000);
    node.stance(&draft, &para, StanceValue::Support, Some("on reflection"))
        .expect("a stance");
    drop(node);
    let stances = editor.json(&["stances", &draft]);
    let text = stances.to_string();
    assert!(text.contains("on reflection"), "{text}");
    assert!(!text.contains("first thought"), "{text}");
}

#[test]
fn a_revoked_convener_cannot_appoint_a_proxy_by_naming_an_old_charter() {
    let b = Participant::init("Convener B", "government");
    let c = Participant::init("Convener C", "private-sector");
    let x = Participant::init("Proxy X", "private-sector");
    let (space, _draft) = space_with_draft(&b, &[]);
    let (c_key, x_key) = (c.key(), x.key());
    b.ok(&["space", "grant", &space, "convener", &c_key]);
    b.ok(&["space", "grant", &space, "editor", &c_key]);
    send(&b, &c, &space);

    // B revokes C. C, not having received it (or pretending so), appoints X.
    b.ok(&["space", "revoke", &space, "convener", &c_key]);
    b.ok(&["space", "revoke", &space, "editor", &c_key]);
    c.ok(&["space", "grant", &space, "convener", &x_key]);
    c.ok(&["space", "grant", &space, "editor", &x_key]);
    // X, on C's word, appoints someone else in turn.
    send(&c, &x, &space);
    x.ok(&["space", "grant", &space, "editor", &b.key()]);

    // Everything reaches everyone.
    send(&c, &b, &space);
    send(&x, &b, &space);
    send(&b, &c, &space);
    send(&b, &x, &space);
    for home in [&b, &c, &x] {
        let shown = home.json(&["space", "show", &space]);
        let conveners = keys(&shown, "conveners");
        let editors = keys(&shown, "editors");
        assert_eq!(conveners, vec![b.key()], "{}: {shown}", home.name);
        assert!(
            !editors.contains(&x_key),
            "{}: X is an editor: {shown}",
            home.name
        );
        assert!(
            !editors.contains(&c_key),
            "{}: C is an editor: {shown}",
            home.name
        );
    }
    // Every node reaches the same state.
    assert_eq!(b.digest(&space), c.digest(&space));
    assert_eq!(b.digest(&space), x.digest(&space));
}

#[test]
fn two_conveners_revoking_each_other_leave_the_senior_one() {
    let b = Participant::init("Convener B", "government");
    let c = Participant::init("Convener C", "civil-society");
    let (space, _draft) = space_with_draft(&b, &[]);
    let (b_key, c_key) = (b.key(), c.key());
    b.ok(&["space", "grant", &space, "convener", &c_key]);
    send(&b, &c, &space);

    // Concurrently: B revokes C, C revokes B.
    b.ok(&["space", "revoke", &space, "convener", &c_key]);
    c.ok(&["space", "revoke", &space, "convener", &b_key]);
    send(&b, &c, &space);
    send(&c, &b, &space);
    for home in [&b, &c] {
        let shown = home.json(&["space", "show", &space]);
        assert_eq!(keys(&shown, "conveners"), vec![b_key.clone()], "{shown}");
    }
    assert_eq!(b.digest(&space), c.digest(&space));
    // The space stays governable: B amends it, and C's node agrees.
    b.ok(&["space", "amend", &space, "--title", "Still governed"]);
    send(&b, &c, &space);
    assert_eq!(
        c.json(&["space", "show", &space])["title"],
        "Still governed"
    );
}

#[test]
fn a_registered_only_space_takes_nothing_from_unregistered_keys() {
    use margin_core::body::{Body, Profile};
    use margin_core::entry::Entry;
    use margin_core::key::SigningKey;

    let convener = Participant::init("Convener", "government");
    let (space, _draft) = space_with_draft(&convener, &["--policy", "registered"]);
    let space_id = space.parse().expect("a space id");
    let mut node = Node::open(Home::at(convener.home())).expect("the convener's node");
    let charter_heads = node
        .load_space(&space_id)
        .expect("the space")
        .charter_heads();
    let stranger = SigningKey::from_seed([42; 32]);
    let profile = Body::Profile(Profile {
        name: "Unregistered".into(),
        affiliation: "Nowhere".into(),
        stakeholder: "private-sector".into(),
        region: String::new(),
    });
    let entry = Entry::sign(
        &stranger,
        Some(space_id),
        margin_core::Timestamp::now(),
        charter_heads,
        &profile,
    )
    .expect("a profile entry");
    let outcomes = node
        .receive_entries(vec![entry.bytes().to_vec()])
        .expect("receive");
    assert!(
        matches!(&outcomes[..], [(_, Outcome::Rejected(reason))] if reason.contains("registered")),
        "{outcomes:?}"
    );
}

#[test]
fn the_same_entries_give_the_same_views_whatever_order_they_arrived_in() {
    let editor = Participant::init("Editor", "academia");
    let (space, draft) = space_with_draft(&editor, &[]);
    let a = Participant::init("Amina", "civil-society");
    let b = Participant::init("Bruno", "private-sector");
    for p in [&a, &b] {
        send(&editor, p, &space);
    }
    let para_a = para(&a, &draft, "Coordinated vulnerability disclosure");
    let para_b = para(&b, &draft, "Coordinated vulnerability disclosure");
    a.ok(&[
        "comment",
        &draft,
        "--para",
        &para_a,
        "--kind",
        "objection",
        "--body",
        "From Amina.",
    ]);
    b.ok(&[
        "comment",
        &draft,
        "--para",
        &para_b,
        "--kind",
        "objection",
        "--body",
        "From Bruno.",
    ]);
    a.ok(&[
        "stance",
        &draft,
        "--para",
        &para_a,
        "object",
        "--reason",
        "Not this wording.",
    ]);
    b.ok(&["stance", &draft, "--para", &para_b, "support"]);
    let (bundle_a, bundle_b) = (a.bundle(&space), b.bundle(&space));

    // Two readers get the same entries in opposite orders.
    let first = Participant::init("First", "technical-community");
    let second = Participant::init("Second", "technical-community");
    first.import(&bundle_a);
    first.import(&bundle_b);
    second.import(&bundle_b);
    second.import(&bundle_a);
    for args in [
        vec!["comments", draft.as_str()],
        vec!["stances", draft.as_str()],
        vec!["objections", draft.as_str()],
        vec!["consensus", draft.as_str()],
    ] {
        let mut with_json = vec!["--json"];
        with_json.extend_from_slice(&args);
        assert_eq!(
            first.ok(&with_json),
            second.ok(&with_json),
            "margin {} differs with the order entries arrived in",
            args.join(" ")
        );
    }
    assert_eq!(first.digest(&space), second.digest(&space));
}

#[test]
fn a_home_restored_from_a_backup_does_not_publish_a_conflicting_revision() {
    let editor = Participant::init("Editor", "academia");
    let (space, draft) = space_with_draft(&editor, &[]);
    let reader = Participant::init("Reader", "civil-society");
    let (v1, v2) = (fixture("bpf-draft-v1.md"), fixture("bpf-draft-v2.md"));
    let (v1, v2) = (v1.to_str().expect("UTF-8"), v2.to_str().expect("UTF-8"));

    // A backup of the editor's home, then a revision that reaches the reader.
    let backup = tempfile::tempdir().expect("a backup folder");
    copy_dir(editor.home(), backup.path());
    editor.ok(&[
        "draft",
        "update",
        &draft,
        v2,
        "--message",
        "after the backup",
    ]);
    send(&editor, &reader, &space);

    // The home is restored from the backup (the last revision is lost to it), and the
    // editor revises again.
    copy_dir(backup.path(), editor.home());
    editor.ok(&[
        "draft",
        "update",
        &draft,
        v2,
        "--message",
        "again, restored",
    ]);
    editor.ok(&["draft", "update", &draft, v1, "--message", "and back"]);
    let report = send(&editor, &reader, &space);
    assert_eq!(
        report["rejected"].as_array().map(Vec::len),
        Some(0),
        "the reader refused the restored home's revisions: {report}"
    );
    assert_eq!(report["accepted"], 2, "{report}");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from).expect("read the home") {
        let entry = entry.expect("an entry");
        if entry.file_type().expect("a file type").is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
}

#[test]
fn a_convener_hides_a_comment_with_a_reason_everyone_sees_and_anyone_mutes_locally() {
    let convener = Participant::init("Convener", "government");
    let (space, draft) = space_with_draft(&convener, &[]);
    let troll = Participant::init("Troll", "private-sector");
    let reader = Participant::init("Reader", "civil-society");
    send(&convener, &troll, &space);
    let para = para(&troll, &draft, "Coordinated vulnerability disclosure");
    let comment = id(
        &troll.json(&[
            "comment",
            &draft,
            "--para",
            &para,
            "--body",
            "Abusive words here.",
        ]),
        "comment",
    );
    send(&troll, &convener, &space);

    // Only a convener may hide, and only with a reason.
    let refused = troll.fails(&["hide", &comment, "--reason", "I dislike it"]);
    assert!(refused.contains("only a convener"), "{refused}");
    convener.ok(&[
        "hide",
        &comment,
        "--reason",
        "Personal attack (code of conduct, 3.2)",
    ]);
    send(&convener, &reader, &space);

    // Every participant sees the reason where the comment was, not its words.
    let shown = reader.ok(&["comments", &draft]);
    assert!(
        shown.contains("hidden by a convener: Personal attack (code of conduct, 3.2)"),
        "{shown}"
    );
    assert!(!shown.contains("Abusive words"), "{shown}");
    // It stays counted, as hidden, in the comment-resolution matrix.
    let csv = reader.ok(&["export", &draft, "--format", "csv"]);
    assert!(csv.contains("hidden by a convener"), "{csv}");

    // Muting is local: the reader stops seeing the troll's words; others still do.
    let troll_key = troll.key();
    convener.ok(&["unhide", &comment, "--reason", "Apology received"]);
    send(&convener, &reader, &space);
    reader.ok(&["mute", &troll_key, "--reason", "not for me"]);
    let muted = reader.json(&["comments", &draft]);
    assert_eq!(muted[0]["muted"], true, "{muted}");
    assert_eq!(muted[0]["body"], "", "{muted}");
    assert!(
        reader
            .ok(&["comments", &draft])
            .contains("muted on this node")
    );
    assert!(
        convener
            .ok(&["comments", &draft])
            .contains("Abusive words here.")
    );
    reader.ok(&["unmute", &troll_key]);
    assert!(
        reader
            .ok(&["comments", &draft])
            .contains("Abusive words here.")
    );
}

/// The files of a home's database (its write-ahead log included) in which `needle`
/// appears. Bundles the test wrote into the home are files the user made, not the node.
fn home_contains(p: &Participant, needle: &str) -> Vec<String> {
    let mut found = vec![];
    for entry in std::fs::read_dir(p.home()).expect("read the home") {
        let path = entry.expect("an entry").path();
        let bundle = path.extension().is_some_and(|e| e == "margin");
        if path.is_file() && !bundle {
            let bytes = std::fs::read(&path).expect("read a file");
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

#[test]
fn an_author_erases_a_comment_and_every_node_drops_its_text() {
    const SECRET: &str = "call-me-at-555-0199";
    let convener = Participant::init("Convener", "government");
    let (space, draft) = space_with_draft(&convener, &[]);
    let author = Participant::init("Author", "civil-society");
    let mirror = Participant::init("Mirror", "technical-community");
    send(&convener, &author, &space);
    let para = para(&author, &draft, "Coordinated vulnerability disclosure");
    let comment = id(
        &author.json(&[
            "comment",
            &draft,
            "--para",
            &para,
            "--kind",
            "objection",
            "--body",
            &format!("Too weak. Reach me to discuss: {SECRET}"),
        ]),
        "comment",
    );
    author.ok(&[
        "comment",
        "edit",
        &comment,
        "--body",
        &format!("Too weak; {SECRET}-edited"),
    ]);
    send(&author, &convener, &space);
    let reply = id(
        &convener.json(&[
            "comment",
            &draft,
            "--reply",
            &comment,
            "--body",
            "Thank you; we will strengthen it.",
        ]),
        "comment",
    );
    convener.ok(&["dispose", &comment, "noted"]);
    send(&convener, &mirror, &space);
    send(&convener, &author, &space);
    // A node that never hears of the erasure, to offer the full text later.
    let laggard = Participant::init("Laggard", "academia");
    send(&convener, &laggard, &space);
    assert!(!home_contains(&mirror, SECRET).is_empty());

    // Only the author can erase; a forged erasure by someone else takes no effect.
    let refused = convener.fails(&["comment", "retract", &comment, "--erase"]);
    assert!(refused.contains("only its author"), "{refused}");
    let erasure = id(
        &author.json(&["comment", "retract", &comment, "--erase"]),
        "erasure",
    );
    assert!(!author.ok(&["comments", &draft]).contains(SECRET));
    send(&author, &mirror, &space);

    // The mirror honours it: the text is gone from what it shows, searches and stores.
    let shown = mirror.ok(&["comments", &draft]);
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(
        shown.contains("in reply to a comment its author erased"),
        "{shown}"
    );
    assert!(
        shown.contains("Thank you; we will strengthen it."),
        "{shown}"
    );
    let search = mirror.json(&["search", "555-0199"]);
    assert_eq!(search.as_array().map(Vec::len), Some(0), "{search}");
    let leftovers = home_contains(&mirror, SECRET);
    assert!(leftovers.is_empty(), "the text is still in {leftovers:?}");
    let check = mirror.ok(&["store", "check"]);
    assert!(check.contains("The store agrees with itself"), "{check}");

    // A newcomer who joins from the mirror alone receives stubs, never the text, and
    // sees what the mirror sees, byte for byte.
    let newcomer = Participant::init("Newcomer", "academia");
    let report = send(&mirror, &newcomer, &space);
    assert_eq!(report["rejected"], serde_json::json!([]), "{report}");
    assert_eq!(report["pending"], 0, "{report}");
    assert!(home_contains(&newcomer, SECRET).is_empty());
    for args in [
        ["--json", "comments", draft.as_str()],
        ["--json", "objections", draft.as_str()],
        ["--json", "consensus", draft.as_str()],
    ] {
        assert_eq!(mirror.ok(&args), newcomer.ok(&args), "{args:?}");
    }
    assert_eq!(mirror.digest(&space), newcomer.digest(&space));
    assert!(
        newcomer
            .ok(&["comments", &draft])
            .contains("Thank you; we will strengthen it.")
    );
    let listed = newcomer.json(&["comments", &draft]);
    let ids: Vec<String> = listed
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| id(c, "id"))
        .collect();
    assert_eq!(ids, vec![reply.clone()], "{listed}");
    assert_eq!(listed[0]["parent"], comment.as_str());
    assert_eq!(listed[0]["parent_erased"], true);

    // The full text offered later by a node that missed the erasure is not taken back.
    send(&laggard, &newcomer, &space);
    assert!(home_contains(&newcomer, SECRET).is_empty());
    // And the laggard, once it receives the erasure, drops the text too.
    send(&mirror, &laggard, &space);
    let leftovers = home_contains(&laggard, SECRET);
    assert!(leftovers.is_empty(), "the text is still in {leftovers:?}");
    assert_eq!(
        laggard.ok(&["--json", "comments", &draft]),
        mirror.ok(&["--json", "comments", &draft])
    );
    let _ = erasure;
}

#[test]
fn a_stub_without_its_authors_erasure_is_not_taken() {
    use margin_core::entry::Entry;
    let convener = Participant::init("Convener", "government");
    let (space, draft) = space_with_draft(&convener, &[]);
    let author = Participant::init("Author", "civil-society");
    send(&convener, &author, &space);
    let para = para(&author, &draft, "Coordinated vulnerability disclosure");
    let comment = id(
        &author.json(&[
            "comment",
            &draft,
            "--para",
            &para,
            "--body",
            "Keep this text.",
        ]),
        "comment",
    );
    // A hostile mirror strips the text of someone's comment without being asked to.
    let bundle = std::fs::read(author.bundle(&space)).expect("read the bundle");
    let (space_id, entries) = margin_node::bundle::decode(&bundle).expect("a bundle");
    let stripped: Vec<Vec<u8>> = entries
        .into_iter()
        .map(|bytes| {
            let entry = Entry::decode(&bytes).expect("an entry");
            match entry.stub() {
                Some(stub) if entry.id().to_string() == comment => stub.bytes().to_vec(),
                _ => bytes,
            }
        })
        .collect();
    let forged = author.home().join("stripped.margin");
    std::fs::write(&forged, margin_node::bundle::encode(&space_id, &stripped))
        .expect("write the bundle");

    let reader = Participant::init("Reader", "academia");
    let report = reader.import(&forged);
    assert_eq!(report["withheld"], 1, "{report}");
    assert_eq!(reader.json(&["comments", &draft]), serde_json::json!([]));
    // The genuine entry is taken when it comes.
    send(&author, &reader, &space);
    assert!(reader.ok(&["comments", &draft]).contains("Keep this text."));
}
