//! Taking part through a mirror without trusting it: on a mirror started with
//! `--public-participation`, a visitor in Chromium makes a key that stays in the
//! browser, comments and objects, reads a draft and signs a comment with the network
//! cut (sent when it returns); a second node syncs from the mirror and shows the
//! comments under the visitor's name and key. The mirror's home holds no key of the
//! visitor, and an entry altered on its way is refused. On the public draft page, the
//! visitor comments on a selected passage, replies, edits and retracts with the forms of
//! the node's own pages; a second node shows all of it, and after the next version the
//! passage comment says what the text now reads, and one on a deleted sentence is an
//! orphan.

use margin_core::entry::{Entry, Unverified};
use serde_json::Value;

use crate::common;
use crate::common::running::{RunningNode, eventually};
use crate::common::web::{browser_or_skip, run_browser_script};
use crate::common::*;

#[test]
fn a_visitor_takes_part_through_a_mirror_that_cannot_forge() {
    let Some((chromium, dir)) =
        browser_or_skip("a_visitor_takes_part_through_a_mirror_that_cannot_forge")
    else {
        return;
    };
    let (maria, space, draft) = review();
    let pid = para(&maria, &draft, "Coordinated vulnerability disclosure");
    let shown = maria.json(&["draft", "show", &draft]);
    let n = shown["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["paragraphs"].as_array().unwrap())
        .find(|p| p["id"] == pid.as_str())
        .and_then(|p| p["n"].as_u64())
        .expect("the paragraph's number");
    let bruno = Participant::init("Bruno Keller", "government");
    bruno.import(&maria.bundle(&space));

    // A read-only mirror has no way in.
    let read_only = RunningNode::start(Participant::new("Read-only"), &["--public", "127.0.0.1:0"]);
    let ro = public_address(&read_only);
    let answer = common::http::send(&ro, "POST", "/api/entries", &[], vec![1, 2, 3]);
    assert_eq!(
        answer.status, 404,
        "no entries taken without --public-participation"
    );
    assert_eq!(
        common::http::send(&ro, "GET", "/participate", &[], vec![]).status,
        404
    );
    drop(read_only);

    let mirror = RunningNode::start(
        maria,
        &["--public", "127.0.0.1:0", "--public-participation"],
    );
    let site = public_address(&mirror);
    let reader = RunningNode::start(bruno, &["--bootstrap", &mirror.addr()]);

    // The public site is an installable app: a manifest, an icon, a service worker.
    let manifest = common::http::send(&site, "GET", "/manifest.webmanifest", &[], vec![]);
    assert_eq!(
        manifest.header("content-type"),
        Some("application/manifest+json")
    );
    let manifest: Value = serde_json::from_slice(&manifest.bytes).expect("JSON");
    assert_eq!(manifest["display"], "standalone");
    assert_eq!(manifest["icons"][0]["src"], "/static/icon.svg");
    let home = common::http::send(&site, "GET", "/", &[], vec![]).text();
    assert!(home.contains(r#"rel="manifest""#), "{home}");
    assert!(home.contains(r#"data-site="public""#), "{home}");
    let worker = common::http::send(&site, "GET", "/sw.js", &[], vec![]);
    assert_eq!(worker.status, 200);

    let work = tempfile::tempdir().expect("a directory");
    let out_file = work.path().join("visitor.json");
    run_browser_script(
        &chromium,
        &dir,
        "participate.mjs",
        &[
            ("MARGIN_PUBLIC", format!("http://{site}")),
            ("MARGIN_PARA", n.to_string()),
            ("MARGIN_DRAFT", draft.clone()),
            ("MARGIN_OUT", out_file.display().to_string()),
        ],
    );
    let visitor: Value =
        serde_json::from_slice(&std::fs::read(&out_file).expect("the visitor's record")).unwrap();
    let did = visitor["did"].as_str().unwrap().to_owned();
    let comment = visitor["comment"].as_str().unwrap().to_owned();

    // The second node has the comment and the objection, under the visitor's name and key.
    eventually("the reader's node has the visitor's comment", || {
        reader
            .p
            .run(&["comments", &draft, "--json"])
            .status
            .success()
            && reader
                .p
                .ok(&["comments", &draft, "--json"])
                .contains(&comment)
    });
    let comments: Value = reader.p.json(&["comments", &draft]);
    let listed = comments
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| std::iter::once(t).chain(t["replies"].as_array().into_iter().flatten()))
        .map(|t| {
            if t.get("comment").is_some() {
                &t["comment"]
            } else {
                t
            }
        })
        .find(|c| c["id"] == comment.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("the comment is not listed: {comments}"));
    assert_eq!(listed["author"]["name"], "Visitor From Afar", "{listed}");
    assert_eq!(listed["author"]["key"], did.as_str(), "{listed}");
    assert_eq!(listed["kind"], "objection");
    // The comment signed offline, sent when the connection returned.
    let offline = visitor["offline"].as_str().unwrap().to_owned();
    eventually("the reader's node has the comment written offline", || {
        reader
            .p
            .ok(&["comments", &draft, "--json"])
            .contains(&offline)
    });
    eventually("the reader's node has the visitor's objection", || {
        reader
            .p
            .ok(&["stances", &draft])
            .contains("The figure is wrong.")
    });

    // The mirror never held the visitor's key: its home has its own keys only, and the
    // browser sent it nothing but entries the visitor signed.
    let whoami = mirror.p.json(&["whoami"]);
    assert_ne!(whoami["key"], did.as_str());
    // The home's keys: the participant's and the node's network key, both its own.
    let mut keys: Vec<String> = std::fs::read_dir(mirror.p.home())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".key"))
        .collect();
    keys.sort();
    assert_eq!(keys, ["identity.key", "node.key"]);
    assert_eq!(
        visitor["other_posts"], 0,
        "the browser posted nothing but entries"
    );
    for bytes in visitor["posted"].as_array().unwrap() {
        let bytes = hex::decode(bytes.as_str().unwrap()).unwrap();
        let entry = Entry::<Unverified>::decode(&bytes)
            .expect("an entry")
            .verify()
            .expect("signed by the visitor");
        assert_eq!(
            hex::encode(entry.author().0),
            visitor["key"].as_str().unwrap()
        );
    }

    // An entry altered on its way is refused: by margin-core, and by the mirror itself.
    let posted: Vec<Vec<u8>> = visitor["posted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| hex::decode(h.as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(
        posted.len(),
        5,
        "a profile, a comment, a stance, and the comment written offline, tried without a \
         connection and sent when it returned"
    );
    assert_eq!(posted[3], posted[4], "the same signed bytes, sent later");
    let mut altered = posted[1].clone();
    let last = altered.len() - 3;
    altered[last] ^= 0x20; // a letter of the comment's text, in another case
    let judged = Entry::<Unverified>::decode(&altered).map(|e| e.verify().is_ok());
    assert!(
        !matches!(judged, Ok(true)),
        "an altered comment must not verify"
    );
    let refused = common::http::send(&site, "POST", "/api/entries", &[], altered);
    assert!(
        refused.status == 400 || refused.status == 422,
        "{}",
        refused.text()
    );
    let forged_stance = {
        let mut s = posted[2].clone();
        let at = s.len() - 70; // inside the signed header, before the signature
        s[at] ^= 1;
        s
    };
    let refused = common::http::send(&site, "POST", "/api/entries", &[], forged_stance);
    assert!(
        refused.status == 400 || refused.status == 422,
        "{}",
        refused.text()
    );
    // Not a participant's entry: the space's charter, whoever signed it.
    let stored = maria_charter(&mirror, &space);
    let refused = common::http::send(&site, "POST", "/api/entries", &[], stored);
    assert_eq!(refused.status, 403, "{}", refused.text());
}

const TWELVE: &str = "Twelve contributions described a policy in force";
const WORKSHOPS: &str =
    "Short workshops without follow-up were reported to have little lasting effect.";

/// A draft's comments as a node lists them, replies among them.
fn listed(node: &RunningNode, draft: &str) -> Vec<Value> {
    let comments: Value = node.p.json(&["comments", draft]);
    comments
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|t| std::iter::once(t).chain(t["replies"].as_array().into_iter().flatten()))
        .map(|t| {
            if t.get("comment").is_some() {
                t["comment"].clone()
            } else {
                t.clone()
            }
        })
        .collect()
}

fn comment_starting(comments: &[Value], short: &str) -> Value {
    comments
        .iter()
        .find(|c| c["id"].as_str().is_some_and(|id| id.starts_with(short)))
        .cloned()
        .unwrap_or_else(|| panic!("no comment {short} in {comments:?}"))
}

#[test]
fn a_visitor_comments_on_a_passage_replies_edits_and_retracts_from_the_draft_page() {
    let Some((chromium, dir)) = browser_or_skip(
        "a_visitor_comments_on_a_passage_replies_edits_and_retracts_from_the_draft_page",
    ) else {
        return;
    };
    let (maria, space, draft) = review();
    maria.ok(&["draft", "tag", &draft, "v1"]);
    // Someone else's comment, which the visitor may answer but not edit.
    let intro = para(&maria, &draft, "The Forum met");
    let others = field(
        &maria.json(&[
            "comment",
            &draft,
            "--para",
            &intro,
            "--body",
            "From the editor.",
        ]),
        "comment",
    );
    let bruno = Participant::init("Bruno Keller", "government");
    bruno.import(&maria.bundle(&space));
    let mirror = RunningNode::start(
        maria,
        &["--public", "127.0.0.1:0", "--public-participation"],
    );
    let site = public_address(&mirror);
    let reader = RunningNode::start(bruno, &["--bootstrap", &mirror.addr()]);

    let work = tempfile::tempdir().expect("a directory");
    let out_file = work.path().join("visitor.json");
    run_browser_script(
        &chromium,
        &dir,
        "draft_take_part.mjs",
        &[
            ("MARGIN_PUBLIC", format!("http://{site}")),
            ("MARGIN_DRAFT", draft.clone()),
            ("MARGIN_QUOTE", TWELVE.to_owned()),
            ("MARGIN_DELETED", WORKSHOPS.to_owned()),
            ("MARGIN_OTHERS_COMMENT", others[..12].to_owned()),
            ("MARGIN_OUT", out_file.display().to_string()),
            (
                "MARGIN_ARTIFACTS",
                common::web::browser_artifacts().display().to_string(),
            ),
        ],
    );
    let visitor: Value =
        serde_json::from_slice(&std::fs::read(&out_file).expect("the visitor's record")).unwrap();
    let did = visitor["did"].as_str().unwrap().to_owned();
    assert_eq!(
        visitor["other_posts"], 0,
        "the browser posted nothing but entries"
    );
    let posted: Vec<Entry<margin_core::entry::Verified>> = visitor["posted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            Entry::<Unverified>::decode(&hex::decode(h.as_str().unwrap()).unwrap())
                .expect("an entry")
                .verify()
                .expect("signed by the visitor")
        })
        .collect();
    let kinds: Vec<_> = posted.iter().map(|e| e.kind().name()).collect();
    assert_eq!(
        kinds.len(),
        7,
        "a profile, two comments, a stance, a reply, an edit, a retraction: {kinds:?}"
    );
    let passage = visitor["passage"].as_str().unwrap();
    let reply = visitor["reply"].as_str().unwrap();

    // The second node shows it all under the visitor's name and key.
    let mut comments = vec![];
    eventually("the reader's node has the edit and the retraction", || {
        comments = listed(&reader, &draft);
        comments.iter().any(|c| c["edited"] == true)
            && comments.iter().any(|c| c["retracted"] == true)
    });
    let on_passage = comment_starting(&comments, passage);
    assert_eq!(
        on_passage["author"]["name"], "Visitor From Afar",
        "{on_passage}"
    );
    assert_eq!(on_passage["author"]["key"], did.as_str(), "{on_passage}");
    assert_eq!(on_passage["kind"], "question");
    assert_eq!(
        on_passage["body"],
        "Which twelve contributions? Edited in the browser."
    );
    assert_eq!(on_passage["quote"]["exact"], TWELVE, "{on_passage}");
    assert_eq!(on_passage["anchor"]["state"], "anchored", "{on_passage}");
    assert_eq!(on_passage["anchor"]["text"], TWELVE, "{on_passage}");
    let answer = comment_starting(&comments, reply);
    assert_eq!(answer["parent"], on_passage["id"], "{answer}");
    assert_eq!(answer["retracted"], true, "{answer}");
    assert_eq!(answer["author"]["key"], did.as_str());
    let gone = comments
        .iter()
        .find(|c| c["quote"]["exact"] == WORKSHOPS)
        .cloned()
        .expect("the comment on the workshops sentence");
    assert_eq!(gone["kind"], "objection");
    assert_eq!(gone["author"]["key"], did.as_str());
    eventually("the reader's node has the visitor's objection", || {
        reader
            .p
            .ok(&["stances", &draft])
            .contains("Twelve is not what was counted.")
    });

    // The editor's next version: the passage comment follows its words, the comment on
    // the deleted sentence is an orphan, on the reader's node as for the CLI's comments.
    let v2 = fixture("bpf-draft-v2.md");
    mirror.p.ok(&[
        "draft",
        "update",
        &draft,
        v2.to_str().unwrap(),
        "--message",
        "v2",
    ]);
    eventually("the reader's node has v2", || {
        reader
            .p
            .ok(&["draft", "show", &draft, "--markdown"])
            .contains("Fourteen contributions")
    });
    let comments = listed(&reader, &draft);
    let on_passage = comment_starting(&comments, passage);
    assert_eq!(on_passage["anchor"]["state"], "anchored", "{on_passage}");
    assert_eq!(
        on_passage["anchor"]["text"], "Fourteen contributions described a policy in force",
        "{on_passage}"
    );
    assert_eq!(on_passage["quote"]["exact"], TWELVE);
    assert_eq!(on_passage["version"]["tag"], "v1", "{on_passage}");
    let gone = comment_starting(&comments, &gone["id"].as_str().unwrap()[..12]);
    assert_eq!(gone["anchor"]["state"], "orphaned", "{gone}");
    // The public page says so too.
    let page = common::http::send(&site, "GET", &format!("/drafts/{draft}"), &[], vec![]).text();
    assert!(
        page.contains("Fourteen contributions described a policy in force"),
        "the page shows what the passage now reads"
    );
}

#[test]
fn a_browser_key_backup_moves_to_a_node_and_a_nodes_key_to_a_browser() {
    let Some((chromium, dir)) =
        browser_or_skip("a_browser_key_backup_moves_to_a_node_and_a_nodes_key_to_a_browser")
    else {
        return;
    };
    let (maria, _, draft) = review();
    let work = tempfile::tempdir().expect("a directory");
    let passphrase = "correct horse battery staple";
    let passphrase_file = work.path().join("passphrase");
    std::fs::write(&passphrase_file, format!("{passphrase}\n")).unwrap();
    let with_passphrase = |p: &Participant, args: &[&str]| -> Value {
        let mut all = vec!["--passphrase-file", passphrase_file.to_str().unwrap()];
        all.extend_from_slice(args);
        p.json(&all)
    };

    // Ana's key, exported by the CLI, to be restored in a browser.
    let ana = Participant::init("Ana Export", "civil-society");
    let ana_key = field(&ana.json(&["whoami"]), "key");
    let exported = work.path().join("ana.age");
    with_passphrase(
        &ana,
        &["key", "export", "--out", exported.to_str().unwrap()],
    );

    let mirror = RunningNode::start(
        maria,
        &["--public", "127.0.0.1:0", "--public-participation"],
    );
    let site = public_address(&mirror);
    let backup = work.path().join("browser.age");
    let out_file = work.path().join("out.json");
    run_browser_script(
        &chromium,
        &dir,
        "key_backup.mjs",
        &[
            ("MARGIN_PUBLIC", format!("http://{site}")),
            ("MARGIN_PARA", "3".to_owned()),
            ("MARGIN_PASSPHRASE", passphrase.to_owned()),
            ("MARGIN_CLI_EXPORT", exported.display().to_string()),
            ("MARGIN_CLI_KEY", ana_key.clone()),
            ("MARGIN_BACKUP", backup.display().to_string()),
            ("MARGIN_OUT", out_file.display().to_string()),
        ],
    );
    let seen: Value =
        serde_json::from_slice(&std::fs::read(&out_file).expect("the record")).unwrap();

    // The browser's backup is a standard age file that `margin key import` reads.
    let armored = std::fs::read_to_string(&backup).expect("the backup");
    assert!(
        armored.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"),
        "{armored}"
    );
    let laptop = Participant::new("A laptop");
    let imported = with_passphrase(&laptop, &["key", "import", backup.to_str().unwrap()]);
    assert_eq!(imported["key"], seen["made"], "{imported}");
    let whoami = laptop.json(&["whoami"]);
    assert_eq!(whoami["key"], seen["made"]);
    assert_eq!(whoami["name"], "Backup Visitor");
    assert_eq!(whoami["stakeholder"], "academia");

    // The key restored in the browser signs as Ana, and the mirror took what it signed.
    assert_eq!(seen["restored"], ana_key.as_str());
    let posted = seen["posted"].as_array().unwrap();
    assert_eq!(posted.len(), 2, "a profile in the space, and the comment");
    for bytes in posted {
        let entry = Entry::<Unverified>::decode(&hex::decode(bytes.as_str().unwrap()).unwrap())
            .expect("an entry")
            .verify()
            .expect("signed");
        assert_eq!(entry.author().to_string(), ana_key);
    }
    let comments = listed(&mirror, &draft);
    let signed = comments
        .iter()
        .find(|c| c["author"]["key"] == ana_key.as_str())
        .unwrap_or_else(|| panic!("no comment by Ana: {comments:?}"));
    assert_eq!(signed["author"]["name"], "Ana Export");
    assert_eq!(
        signed["body"],
        "Signed in a browser with the key from margin key export."
    );
}

#[test]
fn the_anchor_of_a_passage_is_made_by_the_mirror_and_bad_requests_are_refused_with_a_reason() {
    let (maria, space, draft) = review();
    maria.ok(&["draft", "tag", &draft, "v1"]);
    let cvd = para(&maria, &draft, "Coordinated vulnerability disclosure");
    let read_only = RunningNode::start(Participant::new("Read-only"), &["--public", "127.0.0.1:0"]);
    let anchor = format!("/api/drafts/{draft}/anchor?para={cvd}");
    let answer = common::http::send(&public_address(&read_only), "GET", &anchor, &[], vec![]);
    assert_eq!(
        answer.status, 404,
        "no anchors without --public-participation"
    );
    drop(read_only);
    let mirror = RunningNode::start(
        maria,
        &["--public", "127.0.0.1:0", "--public-participation"],
    );
    let site = public_address(&mirror);
    let get = |path: &str| {
        let answer = common::http::send(&site, "GET", path, &[], vec![]);
        let json: Value = serde_json::from_slice(&answer.bytes).unwrap_or(Value::Null);
        (answer.status, json, answer.text())
    };

    // A passage, at the version read: the cursors, the quote with its context, the
    // heads, and what the comment refers to.
    let quote = "Twelve%20contributions";
    let (status, made, text) = get(&format!("{anchor}&quote={quote}&v=v1"));
    assert_eq!(status, 200, "{text}");
    assert_eq!(made["draft"], draft.as_str());
    assert_eq!(made["space"], space.as_str());
    assert_eq!(made["anchor"]["para"], cvd.as_str());
    assert_eq!(made["anchor"]["quote"]["exact"], "Twelve contributions");
    assert_eq!(
        made["anchor"]["quote"]["suffix"],
        " described a policy in force."
    );
    assert!(
        made["anchor"]["start"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert!(
        made["anchor"]["end"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert_eq!(made["heads"].as_array().map(Vec::len), Some(1));
    assert!(
        made["refs"]
            .as_array()
            .unwrap()
            .contains(&Value::from(draft.as_str()))
    );
    // A whole paragraph (by its number too), and the whole draft.
    let (status, whole, _) = get(&format!("/api/drafts/{draft}/anchor?para={cvd}"));
    assert_eq!(status, 200);
    assert!(whole["anchor"]["quote"].is_null() && whole["anchor"]["start"].is_null());
    let (status, none, _) = get(&format!("/api/drafts/{}/anchor", &draft[..12]));
    assert_eq!(status, 200);
    assert!(none["anchor"].is_null());

    // Bad requests: refused with a reason, and the node goes on serving.
    let long = "a".repeat(20_000);
    for (path, expected, reason) in [
        (
            format!("/api/drafts/ffffffffffff/anchor?para={cvd}"),
            404,
            "ffffffffffff",
        ),
        (
            format!("/api/drafts/{draft}/anchor?quote=Twelve"),
            400,
            "paragraph",
        ),
        (format!("{anchor}&quote=Thirteen"), 422, "Thirteen"),
        (format!("{anchor}&quote=Twelve&start=twelve"), 400, "start"),
        (format!("{anchor}&quote={long}"), 400, "at most"),
        (format!("/api/drafts/{draft}/anchor?para=999"), 404, "999"),
        (
            format!("/api/drafts/{draft}/anchor?para=p00000000"),
            404,
            "p00000000",
        ),
        (format!("{anchor}&v=v9"), 404, "v9"),
        (format!("{anchor}&v=@zz,00"), 404, "@zz,00"),
        // Bytes that are not UTF-8 are read as replacement characters, found nowhere.
        (format!("{anchor}&quote=%FF%FE"), 422, "does not occur"),
    ] {
        let (status, _, text) = get(&path);
        assert_eq!(status, expected, "{path}: {text}");
        assert!(text.contains(reason), "{path}: {text}");
    }
    let (status, _, text) = get(&format!("{anchor}&quote=the&start=18446744073709551615"));
    assert_eq!(
        status, 200,
        "a start past the end takes the last occurrence: {text}"
    );
    let (status, again, _) = get(&format!("{anchor}&quote={quote}&v=v1"));
    assert_eq!(status, 200);
    assert_eq!(again, made, "the same anchor, asked again");
}

/// What a page may weigh, every byte it loads counted (ARCHITECTURE.md's targets).
const PAGE_BUDGET: u64 = 300_000;

#[test]
fn the_pages_a_visitor_takes_part_on_fit_300_kb_and_a_360_px_screen_and_pass_axe() {
    let Some((chromium, dir)) = browser_or_skip(
        "the_pages_a_visitor_takes_part_on_fit_300_kb_and_a_360_px_screen_and_pass_axe",
    ) else {
        return;
    };
    let (editor, _, sample) = review();
    let intro = para(&editor, &sample, "The Forum met");
    let comment = field(
        &editor.json(&[
            "comment",
            &sample,
            "--para",
            &intro,
            "--body",
            "From the editor.",
        ]),
        "comment",
    );
    let busiest = {
        let mut node = margin_node::Node::open(margin_node::Home::at(editor.home()))
            .expect("the editor's node");
        margin_web::test::large_space(&mut node, 200, 2000).expect("a large space")
    };
    let mirror = RunningNode::start(
        editor,
        &["--public", "127.0.0.1:0", "--public-participation"],
    );
    let site = public_address(&mirror);
    let pages = [
        "/participate".to_owned(),
        format!("/drafts/{sample}"),
        format!("/drafts/{}", busiest.draft.to_hex()),
        format!("/comments/{comment}"),
    ];
    let work = tempfile::tempdir().expect("a directory");
    let out_file = work.path().join("pages.json");
    run_browser_script(
        &chromium,
        &dir,
        "page_budget.mjs",
        &[
            ("MARGIN_PUBLIC", format!("http://{site}")),
            ("MARGIN_PAGES", pages.join(" ")),
            ("MARGIN_OUT", out_file.display().to_string()),
        ],
    );
    let measured: Vec<Value> =
        serde_json::from_slice(&std::fs::read(&out_file).expect("the figures")).unwrap();
    assert_eq!(measured.len(), pages.len());
    for page in &measured {
        let bytes = page["bytes"].as_u64().expect("bytes");
        println!(
            "{}: {bytes} bytes in {} requests, {} px wide",
            page["path"], page["requests"], page["width"]
        );
        assert!(
            bytes <= PAGE_BUDGET,
            "{} loads {bytes} bytes, over the budget of {PAGE_BUDGET}",
            page["path"]
        );
        assert!(
            bytes > 10_000,
            "{}: {bytes} bytes cannot be the page with its scripts",
            page["path"]
        );
        assert!(
            page["width"].as_u64().expect("width") <= 360,
            "{} is wider than a 360 px screen: {page}",
            page["path"]
        );
        assert_eq!(
            page["violations"].as_array().map(Vec::len),
            Some(0),
            "{}: axe-core finds {}",
            page["path"],
            page["violations"]
        );
    }
}

/// Maria's space, "BPF Cybersecurity", with the sample draft (v1): Maria, the space, the
/// draft.
fn review() -> (Participant, String, String) {
    let maria = Participant::init("Maria Okafor", "technical-community");
    let space = field(
        &maria.json(&["space", "create", "BPF Cybersecurity"]),
        "space",
    );
    let v1 = fixture("bpf-draft-v1.md");
    let draft = field(
        &maria.json(&["draft", "import", &space, v1.to_str().unwrap()]),
        "draft",
    );
    (maria, space, draft)
}

fn public_address(node: &RunningNode) -> String {
    node.info()
        .and_then(|i| i["public"].as_str().map(str::to_owned))
        .expect("the public address")
}

/// The bytes of the space's charter, from a bundle of the mirror's.
fn maria_charter(mirror: &RunningNode, space: &str) -> Vec<u8> {
    let bundle = std::fs::read(mirror.p.bundle(space)).expect("a bundle");
    let (_, entries) = margin_node::bundle::decode(&bundle).expect("entries");
    entries
        .into_iter()
        .find(|e| {
            Entry::<Unverified>::decode(e)
                .is_ok_and(|e| e.kind() == margin_core::entry::Kind::Charter)
        })
        .expect("the charter")
}
