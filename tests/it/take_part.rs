//! Taking part through a mirror without trusting it: on a mirror started with
//! `--public-participation`, a visitor in Chromium makes a key that stays in the
//! browser, comments and objects, reads a draft and signs a comment with the network
//! cut (sent when it returns); a second node syncs from the mirror and shows the
//! comments under the visitor's name and key. The mirror's home holds no key of the
//! visitor, and an entry altered on its way is refused.

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
