//! Entries built and signed in a browser are Margin entries: inside Chromium, the
//! script a node serves (`/static/entry.js`) rebuilds every test vector of
//! docs/protocol.md from its fields, byte for byte, and signs entries of every kind a
//! participant makes, which margin-core then decodes, finds canonical and verifies as it
//! does a peer's.

use margin_core::body::{Body, CommentKind, Outline, StanceValue};
use margin_core::entry::{Entry, Kind, Unverified};
use margin_core::vectors::vectors;
use serde_json::{Value, json};

use crate::common::running::RunningNode;
use crate::common::web::{browser_or_skip, run_browser_script};
use crate::common::*;

#[test]
fn the_browsers_entries_match_the_protocol_vectors_and_verify() {
    let Some((chromium, dir)) =
        browser_or_skip("the_browsers_entries_match_the_protocol_vectors_and_verify")
    else {
        return;
    };
    let node = RunningNode::start(Participant::init("Host", "technical-community"), &[]);
    let http = node
        .info()
        .and_then(|i| i["http"].as_str().map(str::to_owned))
        .expect("the node's HTTP address");
    let work = tempfile::tempdir().expect("a directory");
    let given: Vec<Value> = vectors()
        .iter()
        .map(|v| {
            json!({
                "name": v.name,
                "seed": hex::encode(v.seed),
                "public": margin_core::key::SigningKey::from_seed(v.seed).public().to_string(),
                "entry": hex::encode(v.entry.bytes()),
                "id": v.entry.id().to_hex(),
            })
        })
        .collect();
    assert_eq!(given.len(), 9);
    let vectors_file = work.path().join("vectors.json");
    std::fs::write(&vectors_file, serde_json::to_vec(&given).unwrap()).unwrap();
    let made_file = work.path().join("made.json");
    let out = run_browser_script(
        &chromium,
        &dir,
        "entries.mjs",
        &[
            ("MARGIN_NODE", format!("http://{http}")),
            ("MARGIN_VECTORS", vectors_file.display().to_string()),
            ("MARGIN_OUT", made_file.display().to_string()),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("ok: 9 vectors"), "{stdout}");

    // What the browser signed, judged as a node judges a peer's entries.
    let made: Vec<Value> =
        serde_json::from_slice(&std::fs::read(&made_file).expect("the entries")).expect("JSON");
    assert_eq!(made.len(), 9, "{made:?}");
    let mut kinds = vec![];
    for m in &made {
        let name = m["name"].as_str().unwrap();
        let bytes = hex::decode(m["entry"].as_str().unwrap()).unwrap();
        let entry = Entry::<Unverified>::decode(&bytes)
            .unwrap_or_else(|e| panic!("{name}: not a canonical entry: {e}"))
            .verify()
            .unwrap_or_else(|e| panic!("{name}: does not verify: {e}"));
        assert_eq!(entry.id().to_hex(), m["id"], "{name}: the browser's id");
        assert_eq!(
            hex::encode(entry.author().0),
            m["key"],
            "{name}: the author"
        );
        kinds.push(entry.kind());
        match (name, entry.body().expect("a body")) {
            ("anchored comment", Body::Comment(c)) => {
                let a = c.anchor.as_ref().expect("an anchor");
                let q = a.quote.as_ref().expect("a quote");
                assert_eq!(q.exact, "Twelve contributions");
                assert_eq!(q.prefix, "most often described. ");
                assert_eq!(q.suffix, " described a policy");
                assert_eq!(a.start.as_ref().map(|b| b.to_vec()), Some(vec![1u8, 2]));
                assert_eq!(a.end.as_ref().map(|b| b.to_vec()), Some(vec![0xffu8]));
                assert_eq!(c.kind, CommentKind::Suggestion);
                assert_eq!(c.text, "Say fourteen — ١٤.");
                assert_eq!(c.heads.len(), 2);
                assert!(matches!(
                    entry.outline(),
                    Some(Outline::Comment {
                        alternative: true,
                        ..
                    })
                ));
            }
            ("reply with blank suggestion", Body::Comment(c)) => {
                assert!(c.text.len() > 5 * 1024, "long enough for BLAKE3's tree");
                assert!(c.parent.is_some());
                assert!(matches!(
                    entry.outline(),
                    Some(Outline::Comment {
                        alternative: false,
                        ..
                    })
                ));
            }
            ("stance on an edited alternative", Body::AlternativeStance(s)) => {
                assert_eq!(s.value, StanceValue::Object);
                assert!(s.wording.is_some());
            }
            _ => {}
        }
    }
    // The browser's link code is a consent `margin device add` accepts, and a link made
    // with it verifies.
    let link: Value = serde_json::from_slice(
        &std::fs::read(made_file.with_extension("json.link")).expect("the link code"),
    )
    .expect("JSON");
    let consent = margin_core::link::Consent::from_code(link["code"].as_str().expect("a code"))
        .expect("a good code");
    assert_eq!(hex::encode(consent.key.0), link["key"]);
    let identity = margin_core::key::SigningKey::from_seed([7; 32]);
    margin_core::link::KeyLink::sign(
        &identity,
        margin_core::link::Relation::Device {
            name: "phone".into(),
        },
        consent,
        margin_core::Timestamp::now(),
    )
    .expect("a link to the browser's key");
    for kind in [
        Kind::Comment,
        Kind::CommentEdit,
        Kind::Retraction,
        Kind::Profile,
        Kind::Stance,
        Kind::CoSign,
        Kind::AlternativeStance,
        Kind::Erasure,
    ] {
        assert!(kinds.contains(&kind), "no {kind:?} built");
    }
}
