//! The seed corpora: real entries, bundles, documents, changes, sync transcripts and
//! request bodies, made by Margin's own encoders from the fixture. Written to
//! `fuzz/corpus/` by `cargo test -p margin-fuzz -- --ignored write_seeds`.

use std::collections::BTreeMap;

use margin_core::prelude::*;
use margin_draft::Draft;
use margin_sync::announce::Announcement;
use margin_sync::prelude::*;

use crate::fixture::{TIME, editor, editor_actor, fixture};
use crate::sync::{LOCAL, Memory, Node, Record, Scene, record};

/// Seed files, each a name and its bytes.
pub type Files = Vec<(String, Vec<u8>)>;

/// Seeds by target.
pub type Seeds = BTreeMap<&'static str, Files>;

pub fn seeds() -> Seeds {
    let entries = entries();
    let mut seeds = Seeds::new();
    seeds.insert(
        "entry",
        entries
            .iter()
            .map(|(name, e)| (name.clone(), e.bytes().to_vec()))
            .collect(),
    );
    seeds.insert("bundle", bundles(&entries));
    seeds.insert("markdown", markdown());
    seeds.insert("docx", document("bpf-draft.docx", crate::draft::DOCX_PARTS));
    seeds.insert("odt", document("bpf-draft.odt", crate::draft::ODT_PARTS));
    seeds.insert("draft_change", changes());
    seeds.insert("pack", packs());
    seeds.insert("sync", transcripts(&entries));
    let (json, form) = bodies();
    seeds.insert("web_json", json);
    seeds.insert("web_form", form);
    seeds
}

fn fixture_file(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A document of `tests/fixtures`, whole and as its NUL-separated XML parts.
fn document(name: &str, parts: &[&str]) -> Files {
    use std::io::Read;
    let file = fixture_file(name);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&file)).expect("a zip");
    let mut joined = Vec::new();
    for (n, part) in parts.iter().enumerate() {
        if n > 0 {
            joined.push(0);
        }
        if let Ok(mut f) = zip.by_name(part) {
            f.read_to_end(&mut joined).expect("a part reads");
        }
    }
    vec![(name.to_owned(), file), (format!("{name}.parts"), joined)]
}

/// The fixture's entries, an entry of every other kind in its space, a stub, and the
/// protocol's test vectors.
fn entries() -> Vec<(String, Entry)> {
    let f = fixture();
    let key = editor();
    let other = SigningKey::from_seed([2; 32]);
    let comment = f.entries[2].id();
    let heads = f.doc.heads();
    let para = f.para.clone();
    let mut out: Vec<(String, Entry)> = f
        .entries
        .iter()
        .map(|e| (e.kind().name().to_owned(), e.clone()))
        .collect();
    let refs = vec![f.charter, f.draft, comment];
    let bodies = vec![
        Body::Stance(Stance {
            draft: f.draft,
            para: para.clone(),
            heads: heads.clone(),
            value: StanceValue::Object,
            reason: Some("Not only governments.".into()),
        }),
        Body::Disposition(Disposition {
            comment,
            value: DispositionValue::Partly,
            note: "Reworded in v2.".into(),
            revision: None,
        }),
        Body::VersionTag(VersionTag {
            draft: f.draft,
            name: "v1 for public comment".into(),
            heads: heads.clone(),
        }),
        Body::CommentEdit(CommentEdit {
            comment,
            text: "Capacity building is everyone's job.".into(),
            suggestion: Some("a responsibility of every stakeholder".into()),
        }),
        Body::Retraction(Retraction { comment }),
        Body::Erasure(Erasure { comment }),
        Body::Moderation(Moderation {
            target: comment,
            hidden: true,
            reason: "Off topic.".into(),
        }),
        Body::Reattach(Reattach {
            comment,
            heads: heads.clone(),
            anchor: margin_space::view::wire_anchor(
                &f.doc
                    .anchor(&para, Some("Capacity"), &heads)
                    .expect("the quote anchors"),
            ),
        }),
        Body::CharterAmendment(CharterAmendment {
            changes: vec![
                CharterChange::Grant {
                    role: Role::Editor,
                    key: other.public(),
                },
                CharterChange::Title("BPF on Cybersecurity 2026".into()),
            ],
        }),
        Body::Registration(Registration {
            participant: other.public(),
            stakeholder: "civil-society".into(),
            region: "Africa".into(),
        }),
        Body::Membership(Membership {
            member: other.public(),
            active: true,
        }),
        Body::CoSign(CoSign {
            comment,
            coalition: None,
            withdrawn: false,
        }),
        Body::AlternativeStance(AlternativeStance {
            comment,
            wording: None,
            value: StanceValue::Support,
            reason: None,
        }),
    ];
    for (n, body) in bodies.iter().enumerate() {
        let time = Timestamp::from_millis(TIME + 10 + n as u64);
        let entry =
            Entry::sign(&key, Some(f.charter), time, refs.clone(), body).expect("the body signs");
        out.push((body.kind().name().to_owned(), entry));
    }
    let profile = Body::Profile(Profile {
        name: "Amina Diallo".into(),
        affiliation: "Civil Society Network".into(),
        stakeholder: "civil-society".into(),
        region: "Africa".into(),
    });
    let time = Timestamp::from_millis(TIME + 5);
    let profile = Entry::sign(&other, None, time, vec![], &profile).expect("the profile signs");
    out.push(("profile".into(), profile));
    let stub = f.entries[2].stub().expect("a comment is sealed");
    out.push(("comment-stub".into(), stub));
    for vector in margin_core::vectors::vectors() {
        out.push((format!("vector-{}", vector.name), vector.entry));
    }
    out.into_iter()
        .map(|(name, e)| (format!("{name}-{}", e.id().short()), e))
        .collect()
}

fn bundles(entries: &[(String, Entry)]) -> Files {
    let f = fixture();
    let space: Vec<Vec<u8>> = entries
        .iter()
        .filter(|(_, e)| e.space() == Some(f.charter) || e.id() == f.charter)
        .map(|(_, e)| e.bytes().to_vec())
        .collect();
    vec![
        (
            "fixture.margin".into(),
            margin_node::bundle::encode(&f.charter, &space[..3]),
        ),
        (
            "every-kind.margin".into(),
            margin_node::bundle::encode(&f.charter, &space),
        ),
        (
            "concurrent-revisions.margin".into(),
            fixture_file("concurrent-revisions.margin"),
        ),
    ]
}

fn markdown() -> Files {
    let texts = [
        ("fixture.md", crate::fixture::MARKDOWN),
        ("empty.md", ""),
        (
            "blocks.md",
            "Title line\n\n# One\n\n## Two\n\n### Three\n\n1. first\n2. second\n\n- a\n- b\n\n\\# not a heading\n\nText [bracketed] and [more [nested]] text.\n",
        ),
        (
            "scripts.md",
            "# مسودة\n\nالفقرة الأولى من المسودة.\n\n# 草案\n\n第一段。\n\nÉté — naïve café 🌍.\r\n\r\nCRLF line.\n",
        ),
    ];
    let mut out: Files = texts
        .iter()
        .map(|(name, text)| ((*name).to_owned(), text.as_bytes().to_vec()))
        .collect();
    for name in ["bpf-draft-v1.md", "bpf-draft-v2.md"] {
        out.push((name.into(), fixture_file(name)));
    }
    out
}

fn changes() -> Files {
    let f = fixture();
    let time = Timestamp::from_millis(TIME + 20);
    let import = f
        .doc
        .change_bytes(&f.doc.heads()[0])
        .expect("the import is in the draft");
    let mut doc = f.doc.clone();
    let revision = doc
        .update(
            editor_actor(),
            &crate::fixture::MARKDOWN.replace("shared", "common"),
            time,
            "v2",
        )
        .expect("the revision is made")
        .expect("the text changed");
    let mut doc = f.doc.clone();
    let rewrite = doc
        .update(
            editor_actor(),
            "# Rewritten\n\nEverything else went.\n\n- one item\n",
            time,
            "v2",
        )
        .expect("the revision is made")
        .expect("the text changed");
    // Automerge compresses a large change: an import of a long draft.
    let long: String = (0..300)
        .map(|n| format!("Paragraph {n} says something about item {}.\n\n", n * 7))
        .collect();
    let (_, raw) = Draft::import(editor_actor(), &long, None, time, "v1").expect("imports");
    let compressed = automerge::Change::try_from(raw.as_slice())
        .expect("a change")
        .bytes()
        .to_vec();
    // The revisions are ones the space accepts from its editor.
    for change in [&revision, &rewrite] {
        let body = Body::DraftChange(DraftChange {
            draft: Some(f.draft),
            changes: vec![serde_bytes::ByteBuf::from(change.clone())],
            message: "v2".into(),
        });
        let refs = vec![f.charter, f.draft];
        let entry = Entry::sign(&editor(), Some(f.charter), time, refs, &body).expect("signs");
        let mut space = f.space.clone();
        assert_eq!(space.apply(entry)[0].1, margin_space::Verdict::Accepted);
    }
    vec![
        ("import".into(), import),
        ("revision".into(), revision),
        ("rewrite".into(), rewrite),
        ("compressed-import".into(), compressed),
    ]
}

/// What a real peer holding more of the fixture's space says to the node, in each scene.
fn transcripts(entries: &[(String, Entry)]) -> Files {
    let f = fixture();
    let held: Vec<Entry> = entries
        .iter()
        .filter(|(_, e)| e.space() == Some(f.charter) || e.id() == f.charter)
        .map(|(_, e)| e.clone())
        .collect();
    let extra = held.last().expect("entries").clone();
    let mut out = Vec::new();
    for scene in [0, 1, 2, 3].map(Scene::of) {
        let mut transcript = vec![scene.byte()];
        let mut node = Node::new(scene);
        let store = Memory(held.clone());
        let mut remote = Service::new(scene.peer, Config::default());
        let now = node.now;
        let mut inbox: Vec<Output<u8>> = remote.join(now, f.charter, &store);
        inbox.extend(remote.connected(now, LOCAL));
        let mut asked = 0;
        for _ in 0..64 {
            for message in std::mem::take(&mut node.sent) {
                asked += usize::from(matches!(
                    message,
                    Message::Want { .. } | Message::WantRange { .. }
                ));
                inbox.extend(remote.received(node.now, &LOCAL, &message.encode(), &store));
            }
            if inbox.is_empty() {
                break;
            }
            for output in std::mem::take(&mut inbox) {
                match output {
                    Output::Send(_, message) => {
                        let frame = message.encode();
                        transcript.extend(record(Record::Frame, &frame));
                        node.frame(&frame);
                    }
                    Output::Deliver {
                        from,
                        space,
                        entries,
                    } => {
                        let verdicts: Vec<_> = entries
                            .iter()
                            .map(|b| {
                                let e = Entry::decode(b).expect("our entries decode");
                                (e.id(), Verdict::Accepted { time: e.time() })
                            })
                            .collect();
                        inbox.extend(remote.verdicts(node.now, &from, &space, &verdicts));
                    }
                    _ => {}
                }
            }
        }
        assert!(asked > 0, "in {scene:?} the node asks the peer for entries");
        transcript.extend(record(Record::Tick, &[30]));
        transcript.extend(record(
            Record::Gossip,
            &Announcement::of_entry(extra.bytes()).encode(),
        ));
        transcript.extend(record(
            Record::Gossip,
            &Announcement::Ids(vec![extra.id()]).encode(),
        ));
        transcript.extend(record(Record::Reconnect, &[]));
        out.push((format!("scene-{}", scene.byte()), transcript));
    }
    out
}

/// An example body of every write route, as JSON and as a form.
fn bodies() -> (Files, Files) {
    let f = fixture();
    let comment = f.entries[2].id().to_string();
    let examples: Vec<Vec<(&str, String)>> = vec![
        vec![
            ("para", "p1".into()),
            ("quote", "shared responsibility".into()),
            ("start", "26".into()),
            ("v", "current".into()),
            ("kind", "suggestion".into()),
            ("body", "Say who.".into()),
            ("suggestion", "a responsibility of every stakeholder".into()),
            ("return", "/drafts/x#p-1".into()),
        ],
        vec![("body", "Edited.".into()), ("suggestion", "".into())],
        vec![("erase", "1".into()), ("return", "/".into())],
        vec![
            ("value", "declined".into()),
            ("note", "Out of scope.".into()),
            ("revision", comment.clone()),
        ],
        vec![("action", "hide".into()), ("reason", "Abuse.".into())],
        vec![("action", "unmute".into()), ("reason", "".into())],
        vec![("para", "¶2".into()), ("quote", "CERTs".into())],
        vec![
            ("para", "3".into()),
            ("value", "accept".into()),
            ("reason", "Can live with it.".into()),
        ],
        vec![("name", "v2".into())],
        vec![
            ("markdown", "# Title\r\n\r\nText.\r\n".into()),
            ("message", "v2".into()),
        ],
        vec![
            ("markdown", crate::fixture::MARKDOWN.into()),
            ("title", "Draft".into()),
        ],
        vec![
            ("name", "Amina".into()),
            ("affiliation", "CSN".into()),
            ("stakeholder", "civil-society".into()),
            ("region", "Africa".into()),
        ],
        vec![("space", f.charter.to_string())],
    ];
    assert_eq!(examples.len(), crate::web::ROUTES.len());
    let mut json = Vec::new();
    let mut form = Vec::new();
    for (n, (route, fields)) in crate::web::ROUTES.iter().zip(examples).enumerate() {
        let byte = u8::try_from(n).expect("few routes");
        let mut object = String::from("{");
        let mut query = String::new();
        for (i, (name, value)) in fields.iter().enumerate() {
            if i > 0 {
                object.push(',');
                query.push('&');
            }
            let value = if *name == "start" {
                value.clone()
            } else {
                format!("{value:?}")
            };
            object.push_str(&format!("{name:?}:{value}"));
            query.push_str(&format!("{name}={}", percent(fields[i].1.as_str())));
        }
        object.push('}');
        json.push((*route, byte, object));
        form.push((*route, byte, query));
    }
    let seal = |list: Vec<(&str, u8, String)>| {
        list.into_iter()
            .map(|(route, byte, body)| {
                let mut bytes = vec![byte];
                bytes.extend_from_slice(body.as_bytes());
                (route.to_owned(), bytes)
            })
            .collect()
    };
    (seal(json), seal(form))
}

/// Form encoding of a value.
fn percent(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                char::from(b).to_string()
            }
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The fixture's draft revised twice more, its three revisions packed (with and without
/// their bundle), and the same with the space's other entries among them.
fn packs() -> Files {
    let f = fixture();
    let key = editor();
    let mut doc = f.doc.clone();
    let mut revisions = vec![];
    let mut refs = vec![f.charter, f.draft];
    for (n, markdown) in [
        crate::fixture::MARKDOWN.replace("shared", "common"),
        crate::fixture::MARKDOWN.replace("shared", "joint"),
    ]
    .iter()
    .enumerate()
    {
        let time = Timestamp::from_millis(TIME + 30 + n as u64);
        let change = doc
            .update(editor_actor(), markdown, time, "v2")
            .expect("the revision is made")
            .expect("the text changed");
        let body = Body::DraftChange(DraftChange {
            draft: Some(f.draft),
            changes: vec![serde_bytes::ByteBuf::from(change)],
            message: "v2".into(),
        });
        let entry = Entry::sign(&key, Some(f.charter), time, refs.clone(), &body)
            .expect("signs")
            .into_bytes();
        refs = vec![f.charter, f.draft, EntryId::of_entry(&entry)];
        revisions.push(entry);
    }
    let mut mixed: Vec<Vec<u8>> = f.entries.iter().map(|e| e.bytes().to_vec()).collect();
    mixed.extend(revisions.iter().cloned());
    let bundled = |entries: &[Vec<u8>]| {
        margin_draft::pack::pack(entries, |_, hashes| doc.bundle(hashes)).expect("packs")
    };
    vec![
        ("revisions".into(), bundled(&revisions)),
        (
            "revisions-whole".into(),
            margin_draft::pack::pack(&revisions, |_, _| None).expect("packs"),
        ),
        ("space".into(), bundled(&mixed)),
    ]
}
