//! The fixture drafts through import, update, tag, show, diff and comments, checked
//! through the JSON a script or the web interface would read.

use crate::common;

use common::*;
use serde_json::Value;

const WORKSHOPS: &str =
    "Short workshops without follow-up were reported to have little lasting effect.";

struct Review {
    editor: Participant,
    space: String,
    draft: String,
}

fn review() -> Review {
    let editor = Participant::init("Maria Okafor", "technical-community");
    let space = editor.json(&["space", "create", "BPF"])["space"]
        .as_str()
        .unwrap()
        .to_owned();
    let v1 = fixture("bpf-draft-v1.md");
    let imported = editor.json(&["draft", "import", &space, v1.to_str().unwrap()]);
    assert_eq!(imported["paragraphs"], 23);
    let draft = imported["draft"].as_str().unwrap().to_owned();
    editor.ok(&["draft", "tag", &draft, "v1"]);
    Review {
        editor,
        space,
        draft,
    }
}

fn update_to_v2(r: &Review) {
    let v2 = fixture("bpf-draft-v2.md");
    r.editor.ok(&[
        "draft",
        "update",
        &r.draft,
        v2.to_str().unwrap(),
        "--message",
        "v2",
    ]);
    r.editor.ok(&["draft", "tag", &r.draft, "v2"]);
}

fn texts(view: &Value) -> Vec<String> {
    view["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["paragraphs"].as_array().unwrap().iter())
        .map(|p| p["text"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn drafts_round_trip_byte_for_byte_through_every_version() {
    let r = review();
    let v1 = std::fs::read_to_string(fixture("bpf-draft-v1.md")).unwrap();
    let v2 = std::fs::read_to_string(fixture("bpf-draft-v2.md")).unwrap();
    assert_eq!(r.editor.ok(&["draft", "show", &r.draft, "--markdown"]), v1);
    update_to_v2(&r);
    assert_eq!(r.editor.ok(&["draft", "show", &r.draft, "--markdown"]), v2);
    assert_eq!(
        r.editor
            .ok(&["draft", "show", &r.draft, "--markdown", "--version", "v1"]),
        v1
    );
    assert_eq!(
        r.editor
            .ok(&["draft", "show", &r.draft, "--markdown", "--version", "v2"]),
        v2
    );

    let view = r
        .editor
        .json(&["draft", "show", &r.draft, "--version", "v1"]);
    assert_eq!(view["version"]["tag"], "v1");
    let paragraphs = texts(&view);
    for line in v1.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let text = line
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .trim_start_matches(". ");
        assert!(
            paragraphs.iter().any(|p| p == text),
            "missing paragraph {text:?}"
        );
    }
    assert!(paragraphs.contains(&"تم استلام مساهمات باللغة العربية وتُرجمت إلى الإنكليزية، والنصوص الأصلية متاحة عند الطلب.".to_owned()));
    assert!(paragraphs.contains(&"Les contributions reçues en français ont été traduites ; les originaux sont disponibles sur demande.".to_owned()));
    let bracketed: Vec<&Value> = view["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["paragraphs"].as_array().unwrap().iter())
        .filter(|p| p["bracketed"] == true)
        .collect();
    assert_eq!(
        bracketed.len(),
        3,
        "three paragraphs carry bracketed text in v1"
    );

    // Updating with the same file records nothing.
    let again = r.editor.json(&[
        "draft",
        "update",
        &r.draft,
        fixture("bpf-draft-v2.md").to_str().unwrap(),
    ]);
    assert_eq!(again["revision"], Value::Null);
}

#[test]
fn update_keeps_paragraph_ids_and_diff_names_the_changes() {
    let r = review();
    let before = r.editor.json(&["draft", "show", &r.draft]);
    let cvd = para(&r.editor, &r.draft, "Coordinated vulnerability");
    let intro = para(&r.editor, &r.draft, "This report collects");
    update_to_v2(&r);
    assert_eq!(para(&r.editor, &r.draft, "Coordinated vulnerability"), cvd);
    assert_eq!(para(&r.editor, &r.draft, "This report collects"), intro);
    let after = r.editor.json(&["draft", "show", &r.draft]);
    assert_eq!(
        texts(&before).len(),
        texts(&after).len(),
        "one paragraph removed, one added"
    );

    let diff = r.editor.json(&["draft", "diff", &r.draft, "v1", "v2"]);
    let changes: Vec<(&str, &str)> = diff["paragraphs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["change"].as_str().unwrap()))
        .collect();
    assert!(changes.contains(&(cvd.as_str(), "changed")));
    assert_eq!(changes.iter().filter(|(_, c)| *c == "removed").count(), 1);
    assert_eq!(changes.iter().filter(|(_, c)| *c == "added").count(), 2);
    let words = &diff["paragraphs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == cvd.as_str())
        .unwrap()["words"];
    assert!(
        words
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["op"] == "delete" && w["text"] == "Twelve")
    );
    assert!(
        words
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["op"] == "insert" && w["text"] == "Fourteen")
    );

    let log = r.editor.json(&["draft", "log", &r.draft]);
    assert_eq!(log["revisions"].as_array().unwrap().len(), 2);
    assert_eq!(log["revisions"][1]["message"], "v2");
}

#[test]
fn comments_follow_their_passage_or_become_orphans_and_keep_their_quote() {
    let r = review();
    let amina = Participant::init("Amina Diallo", "civil-society");
    amina.import(&r.editor.bundle(&r.space));
    let cvd = para(&amina, &r.draft, "Coordinated vulnerability");
    let workshops = para(&amina, &r.draft, "Short workshops");
    let twelve = amina.json(&[
        "comment",
        &r.draft,
        "--para",
        &cvd,
        "--quote",
        "Twelve contributions described a policy in force",
        "--kind",
        "question",
        "--body",
        "Which ones?",
    ])["comment"]
        .as_str()
        .unwrap()
        .to_owned();
    let gone = amina.json(&[
        "comment",
        &r.draft,
        "--para",
        &workshops,
        "--quote",
        WORKSHOPS,
        "--kind",
        "objection",
        "--body",
        "Not true.",
    ])["comment"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = amina.json(&[
        "comment",
        &r.draft,
        "--reply",
        &twelve,
        "--body",
        "And where?",
    ])["comment"]
        .as_str()
        .unwrap()
        .to_owned();
    r.editor.import(&amina.bundle(&r.space));
    update_to_v2(&r);

    let comments = r.editor.json(&["comments", &r.draft]);
    let find = |id: &str| {
        comments
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()
            .clone()
    };
    let c = find(&twelve);
    assert_eq!(c["author"]["name"], "Amina Diallo");
    assert_eq!(c["author"]["stakeholder"], "civil-society");
    assert!(
        c["author"]["key"]
            .as_str()
            .unwrap()
            .starts_with("did:key:z6Mk")
    );
    assert_eq!(c["kind"], "question");
    assert_eq!(c["body"], "Which ones?");
    assert_eq!(c["version"]["tag"], "v1");
    assert_eq!(
        c["quote"]["exact"],
        "Twelve contributions described a policy in force"
    );
    assert_eq!(c["anchor"]["state"], "anchored");
    assert_eq!(
        c["anchor"]["text"],
        "Fourteen contributions described a policy in force"
    );
    assert_eq!(c["anchor"]["para"], cvd.as_str());

    let o = find(&gone);
    assert_eq!(o["anchor"]["state"], "orphaned");
    assert_eq!(o["quote"]["exact"], WORKSHOPS);
    assert_eq!(o["kind"], "objection");

    assert_eq!(find(&reply)["parent"], twelve.as_str());
    // Replies come with their thread when listing one paragraph.
    let on_cvd = r.editor.json(&["comments", &r.draft, "--para", &cvd]);
    let ids: Vec<&str> = on_cvd
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![twelve.as_str(), reply.as_str()]);

    // An editor re-attaches the orphan; it is anchored again.
    let capacity = para(&r.editor, &r.draft, "Capacity-building programmes were");
    let said = r.editor.ok(&[
        "comment",
        "reattach",
        &gone,
        "--para",
        &capacity,
        "--quote",
        "ran over several years",
    ]);
    assert!(
        said.contains("It is now about ¶") && said.contains("\"ran over several years\""),
        "the new passage, not the old one: {said}"
    );
    let listed = r.editor.ok(&["comments", &r.draft, "--para", &capacity]);
    assert!(
        listed.contains("re-attached by an editor to ¶")
            && listed.contains("\"ran over several years\""),
        "{listed}"
    );
    let o = r.editor.json(&["comments", &r.draft, "--para", &capacity]);
    assert_eq!(o[0]["anchor"]["state"], "anchored");
    assert_eq!(o[0]["anchor"]["text"], "ran over several years");
    assert_eq!(o[0]["reattached"], true);
    assert_eq!(
        o[0]["quote"]["exact"], WORKSHOPS,
        "the original quote is kept"
    );

    // Edits and retractions by the author, dispositions by the editor.
    amina.import(&r.editor.bundle(&r.space));
    amina.ok(&["comment", "edit", &twelve, "--body", "Which ones, please?"]);
    amina.ok(&["comment", "retract", &reply]);
    r.editor.import(&amina.bundle(&r.space));
    r.editor
        .ok(&["dispose", &twelve, "partly", "--note", "Counts updated."]);
    let comments = r.editor.json(&["comments", &r.draft]);
    let find = |id: &str| {
        comments
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(find(&twelve)["body"], "Which ones, please?");
    assert_eq!(find(&twelve)["edited"], true);
    assert_eq!(find(&twelve)["disposition"]["value"], "partly");
    assert_eq!(find(&twelve)["disposition"]["note"], "Counts updated.");
    assert_eq!(find(&reply)["retracted"], true);
}

#[test]
fn the_latest_stance_of_each_participant_counts() {
    let r = review();
    let harbours = para(&r.editor, &r.draft, "[Governments should establish");
    r.editor.ok(&[
        "stance",
        &r.draft,
        "--para",
        &harbours,
        "object",
        "--reason",
        "too strong",
    ]);
    r.editor
        .ok(&["stance", &r.draft, "--para", &harbours, "accept"]);
    let kenji = Participant::init("Kenji Tanaka", "private-sector");
    kenji.import(&r.editor.bundle(&r.space));
    kenji.ok(&["stance", &r.draft, "--para", &harbours, "support"]);
    r.editor.import(&kenji.bundle(&r.space));
    let stances = r.editor.json(&["stances", &r.draft]);
    let p = &stances["paragraphs"][0];
    assert_eq!(p["para"], harbours.as_str());
    assert_eq!(p["tally"]["support"], 1);
    assert_eq!(p["tally"]["accept"], 1);
    assert_eq!(p["tally"]["object"], 0);
    assert_eq!(p["stances"].as_array().unwrap().len(), 2);
}

#[test]
fn search_finds_text_and_comments_and_survives_a_rebuild() {
    let r = review();
    let cvd = para(&r.editor, &r.draft, "Coordinated vulnerability");
    let comment = r.editor.json(&[
        "comment",
        &r.draft,
        "--para",
        &cvd,
        "--body",
        "Triage capacity is the bottleneck",
    ])["comment"]
        .as_str()
        .unwrap()
        .to_owned();
    let digest = r.editor.digest(&r.space);
    let hits = r.editor.json(&["search", "triage"]);
    let kinds: Vec<&str> = hits
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"comment") && kinds.contains(&"paragraph"),
        "{hits}"
    );
    assert_eq!(
        r.editor
            .json(&["search", "francais"])
            .as_array()
            .unwrap()
            .len(),
        1,
        "accents are ignored"
    );

    let rebuilt = r.editor.json(&["store", "rebuild"]);
    assert_eq!(rebuilt["spaces"][0]["digest"], digest.as_str());
    assert_eq!(r.editor.digest(&r.space), digest);
    assert_eq!(r.editor.json(&["search", "triage"]), hits);

    // An edit replaces the comment's row (also after the rebuild); a retraction removes it.
    let comment_hits = |word: &str| -> usize {
        r.editor
            .json(&["search", word])
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["kind"] == "comment")
            .count()
    };
    r.editor.ok(&[
        "comment",
        "edit",
        &comment,
        "--body",
        "Staffing is the bottleneck",
    ]);
    assert_eq!(comment_hits("triage"), 0, "the old wording is gone");
    assert_eq!(comment_hits("staffing"), 1);
    assert_eq!(comment_hits("bottleneck"), 1, "one row per comment");
    r.editor.ok(&["comment", "retract", &comment]);
    assert_eq!(comment_hits("bottleneck"), 0);
}

#[test]
fn ids_can_be_shortened_and_wrong_ids_get_clear_errors() {
    let r = review();
    let short = &r.draft[..8];
    assert_eq!(
        r.editor.json(&["draft", "show", short])["draft"],
        r.draft.as_str()
    );
    let err = r.editor.fails(&["draft", "show", &r.space]);
    assert!(err.contains("is a charter, not a draft"), "{err}");
    let err = r.editor.fails(&["draft", "show", "ffffffff"]);
    assert!(
        err.contains("nothing in this node is called 'ffffffff'"),
        "{err}"
    );
    let err = r
        .editor
        .fails(&["comment", &r.draft, "--para", "pnope", "--body", "x"]);
    assert!(err.contains("no paragraph 'pnope'"), "{err}");
    let err = Participant::new("nobody").fails(&["whoami"]);
    assert!(err.contains("margin init"), "{err}");
}

#[test]
fn the_secret_key_is_readable_by_its_owner_only_and_whoami_names_the_participant() {
    use std::os::unix::fs::PermissionsExt;
    let p = Participant::init("Kenji", "technical-community");
    let mode = std::fs::metadata(p.home().join("identity.key"))
        .expect("key file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "key file mode {mode:o}");
    let me = p.json(&["whoami"]);
    assert_eq!(me["name"], "Kenji");
    assert_eq!(me["stakeholder"], "technical-community");
    assert!(
        me["key"]
            .as_str()
            .is_some_and(|k| k.starts_with("did:key:z6Mk")),
        "{me}"
    );
    let err = p.fails(&["init", "--name", "Someone else"]);
    assert!(err.contains("refusing to overwrite"), "{err}");
    assert_eq!(p.json(&["whoami"])["key"], me["key"]);
}

/// Maria revises, Bruno (also an editor) revises on top of her revision, then Maria
/// revises again. With one Automerge actor per home, her new change depended on her own
/// previous change as well as on the current heads, but the revision named only the
/// entries carrying the heads, so her own space refused it: "an Automerge change depends
/// on a change the entry does not name". Found by the random schedules of
/// `tests/it/convergence.rs`; every revision is now made by a fresh actor, whose first
/// change depends on the heads alone.
#[test]
fn an_editor_revises_again_after_another_editor_revised_on_top_of_their_revision() {
    let r = review();
    let bruno = Participant::init("Bruno", "civil-society");
    r.editor
        .ok(&["space", "grant", &r.space, "editor", &bruno.key()]);
    let edited = r.editor.home().join("edited.md");
    let v1 = std::fs::read_to_string(fixture("bpf-draft-v1.md")).expect("fixture");
    std::fs::write(&edited, format!("{v1}\nOne more paragraph.\n")).expect("write");
    r.editor.ok(&[
        "draft",
        "update",
        &r.draft,
        edited.to_str().unwrap(),
        "--message",
        "Maria's edit",
    ]);
    bruno.import(&r.editor.bundle(&r.space));
    bruno.ok(&[
        "draft",
        "update",
        &r.draft,
        fixture("bpf-draft-v2.md").to_str().unwrap(),
        "--message",
        "Bruno's second reading",
    ]);
    r.editor.import(&bruno.bundle(&r.space));
    r.editor.ok(&[
        "draft",
        "update",
        &r.draft,
        fixture("bpf-draft-v1.md").to_str().unwrap(),
        "--message",
        "Back to the first reading",
    ]);
}

/// `margin draft show … | head -1`: the reader stops after one line and closes the pipe
/// while the command still has far more to write than the pipe holds. The command ends
/// as any Unix tool does (quietly, by SIGPIPE), never with a panic and exit code 101.
#[test]
fn a_closed_pipe_ends_a_command_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let editor = Participant::init("Maria Okafor", "technical-community");
    let space = editor.json(&["space", "create", "BPF"])["space"]
        .as_str()
        .expect("space")
        .to_owned();
    // About 300 KB of text: several times what a pipe holds.
    let long: String = (1..=2000)
        .map(|n| format!("Paragraph {n} says what the working group found about topic {n}, with enough words to fill a line or two of the draft.\n\n"))
        .collect();
    let path = editor.home().join("long.md");
    std::fs::write(&path, format!("# A long draft\n\n{long}")).expect("write the draft");
    let draft = editor.json(&["draft", "import", &space, path.to_str().expect("path")])["draft"]
        .as_str()
        .expect("draft")
        .to_owned();

    let mut child = Command::new(margin_bin())
        .args(["draft", "show", &draft])
        .env("MARGIN_HOME", editor.home())
        .env_remove("MARGIN_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run margin");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("the first line");
    // The reader is dropped here: the pipe is closed with most of the draft unwritten.
    let out = child.wait_with_output().expect("margin ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!first.is_empty(), "the first line arrives");
    assert!(!stderr.contains("panicked"), "no panic: {stderr}");
    assert_ne!(
        out.status.code(),
        Some(101),
        "not a panic's exit code: {stderr}"
    );
    assert!(
        stderr.trim().is_empty(),
        "nothing on standard error: {stderr}"
    );
}
