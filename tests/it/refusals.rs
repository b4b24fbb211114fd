//! Refusals: what a participant may not do, and what a node must not accept.
//!
//! Every test runs the `margin` binary in real, temporary homes. A refusal must be one
//! clear line on stderr and a non-zero exit, and must leave nothing behind: the space,
//! the draft log, the comments, the stances and the state digest are what they were.
//! Entries only travel between homes in bundles, so a participant first imports the
//! others' bundles and then tries the forbidden action on their own node. Bundles with
//! forged or unauthorized entries are built here with `margin_core`, in the layout of
//! `docs/protocol.md` section 5.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};

use common::*;
use margin_core::prelude::*;
use serde_json::{Value, json};

// ---- a review space ------------------------------------------------------------------

/// A review space convened by Amina (convener, editor and registrar), with the v1 draft
/// of the Best Practice Forum report imported.
struct Review {
    amina: Participant,
    space: String,
    draft: String,
}

impl Review {
    /// `margin space create` with extra arguments (`--policy`, `--opens`, `--closes`).
    fn new(create: &[&str]) -> Review {
        let amina = Participant::init("Amina", "government");
        let mut args = vec!["space", "create", "BPF Cybersecurity 2026"];
        args.extend_from_slice(create);
        let space = field(&amina.json(&args), "space");
        let v1 = fixture("bpf-draft-v1.md");
        let draft = field(&amina.json(&["draft", "import", &space, s(&v1)]), "draft");
        Review {
            amina,
            space,
            draft,
        }
    }

    /// A new participant who has imported Amina's bundle.
    fn join(&self, name: &str, group: &str) -> Participant {
        let p = Participant::init(name, group);
        sync(&self.amina, &p, &self.space);
        p
    }

    /// Amina comments on the paragraph starting with `starts`; returns the comment id.
    fn amina_comments(&self, starts: &str, body: &str) -> String {
        let p = para(&self.amina, &self.draft, starts);
        field(
            &self
                .amina
                .json(&["comment", &self.draft, "--para", &p, "--body", body]),
            "comment",
        )
    }
}

const CORE: &str = "[Participants agreed that the protection";
const NORMS: &str = "Most contributions described";

fn s(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

fn field(v: &Value, name: &str) -> String {
    v[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {v}"))
        .to_owned()
}

/// `to` imports a bundle of everything `from` holds of the space; returns the report.
fn sync(from: &Participant, to: &Participant, space: &str) -> Value {
    to.import(&from.bundle(space))
}

/// Everything a participant sees of a space and its draft, with the state digest and
/// the number of entries.
fn state(p: &Participant, space: &str, draft: &str) -> Value {
    json!({
        "space": p.json(&["space", "show", space]),
        "log": p.json(&["draft", "log", draft]),
        "comments": p.json(&["comments", draft]),
        "stances": p.json(&["stances", draft]),
    })
}

/// [`state`] as it must be on every node holding the same entries: `margin comments`
/// lists comments in the order this node accepted them, so they are put in id order.
fn portable(p: &Participant, space: &str, draft: &str) -> Value {
    let mut v = state(p, space, draft);
    let comments = v["comments"].as_array_mut().expect("comments");
    comments.sort_by_key(|c| field(c, "id"));
    v
}

/// [`state`] without the digest and entry count, for participants who never took part in
/// the space before: their first action publishes their profile in it even when the
/// action itself is refused (see `refused_action_publishes_nothing_not_even_a_profile`).
fn seen(p: &Participant, space: &str, draft: &str) -> Value {
    let mut v = state(p, space, draft);
    let show = v["space"].as_object_mut().expect("space view");
    show.remove("digest");
    show.remove("entries");
    v
}

/// Runs a command that must be refused: non-zero exit, and exactly one line on stderr,
/// `margin: …`, that mentions `reason`. Returns that line.
fn refused(p: &Participant, args: &[&str], reason: &str) -> String {
    let err = p.fails(args);
    let line = err.trim_end();
    assert!(
        line.starts_with("margin: ") && !line.contains('\n'),
        "{}: margin {}: the refusal should be one line, got:\n{err}",
        p.name,
        args.join(" ")
    );
    assert!(
        line.contains(reason),
        "{}: margin {}: the refusal should mention {reason:?}, got {line:?}",
        p.name,
        args.join(" ")
    );
    line.to_owned()
}

// ---- bundles and entries made by hand ------------------------------------------------

const MAGIC: &[u8] = b"margin-bundle-v1\n";

/// The entries of a bundle file, checking its layout on the way.
fn read_bundle(path: &Path) -> Vec<Vec<u8>> {
    let bytes = fs::read(path).expect("read bundle");
    assert!(bytes.starts_with(MAGIC), "bundle magic");
    let (body, checksum) = bytes.split_at(bytes.len() - 32);
    assert_eq!(blake3::hash(body).as_bytes(), checksum, "bundle checksum");
    let mut at = MAGIC.len() + 32;
    let count = u64::from_le_bytes(body[at..at + 8].try_into().expect("count"));
    at += 8;
    let mut entries = vec![];
    for _ in 0..count {
        let len = u32::from_le_bytes(body[at..at + 4].try_into().expect("length")) as usize;
        at += 4;
        entries.push(body[at..at + len].to_vec());
        at += len;
    }
    assert_eq!(at, body.len(), "bytes after the last entry");
    entries
}

/// A bundle of `entries` (`count` entries claimed), with a correct checksum.
fn bundle_bytes_claiming(space: &str, count: u64, entries: &[Vec<u8>]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(id(space).as_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    for e in entries {
        out.extend_from_slice(&(e.len() as u32).to_le_bytes());
        out.extend_from_slice(e);
    }
    let checksum = blake3::hash(&out);
    out.extend_from_slice(checksum.as_bytes());
    out
}

fn bundle_bytes(space: &str, entries: &[Vec<u8>]) -> Vec<u8> {
    bundle_bytes_claiming(space, entries.len() as u64, entries)
}

/// Writes `bytes` as a file in `p`'s home and returns its path.
fn write_file(p: &Participant, name: &str, bytes: &[u8]) -> PathBuf {
    let path = p.home().join(name);
    fs::write(&path, bytes).expect("write file");
    path
}

fn id(text: &str) -> EntryId {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn id_of(bytes: &[u8]) -> String {
    EntryId::of_entry(bytes).to_string()
}

fn decode(bytes: &[u8]) -> Entry<Unverified> {
    Entry::decode(bytes).expect("a bundle entry decodes")
}

/// The entries of a given kind, decoded.
fn of_kind(entries: &[Vec<u8>], kind: Kind) -> Vec<Entry<Unverified>> {
    entries
        .iter()
        .map(|e| decode(e))
        .filter(|e| e.kind() == kind)
        .collect()
}

/// A key nobody in the space knows.
fn stranger() -> SigningKey {
    SigningKey::from_seed([0x5a; 32])
}

/// An entry of the space signed now by `key`.
fn signed(key: &SigningKey, space: &str, refs: &[&str], body: Body) -> Vec<u8> {
    let refs = refs.iter().map(|r| id(r)).collect();
    Entry::sign(key, Some(id(space)), Timestamp::now(), refs, &body)
        .expect("sign entry")
        .into_bytes()
}

/// The heads of the draft's current version.
fn heads(p: &Participant, draft: &str) -> Vec<ChangeHash> {
    p.json(&["draft", "show", draft])["version"]["heads"]
        .as_array()
        .expect("heads")
        .iter()
        .map(|h| {
            let bytes = hex::decode(h.as_str().expect("hex head")).expect("hex head");
            bytes.try_into().expect("32-byte head")
        })
        .collect()
}

fn comment_body(draft: &str, heads: Vec<ChangeHash>, text: &str) -> Body {
    Body::Comment(Comment {
        draft: id(draft),
        heads,
        anchor: None,
        kind: CommentKind::Comment,
        text: text.to_owned(),
        suggestion: None,
        parent: None,
    })
}

/// The refusals of an import report, as (id, reason).
fn refusals(report: &Value) -> Vec<(String, String)> {
    report["rejected"]
        .as_array()
        .expect("rejected")
        .iter()
        .map(|r| (field(r, "id"), field(r, "reason")))
        .collect()
}

/// The reason the entry `id` was refused, from an import report.
fn reason_for(report: &Value, id: &str) -> String {
    refusals(report)
        .into_iter()
        .find(|(r, _)| r == id)
        .map(|(_, reason)| reason)
        .unwrap_or_else(|| panic!("{id} is not among the refused entries of {report}"))
}

fn count(report: &Value, name: &str) -> u64 {
    report[name]
        .as_u64()
        .unwrap_or_else(|| panic!("no {name} count in {report}"))
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

/// The ids of the entries of a bundle file.
fn ids_in(path: &Path) -> Vec<String> {
    read_bundle(path).iter().map(|e| id_of(e)).collect()
}

// ---- 1. authorization on the participant's own node -----------------------------------

#[test]
fn a_non_editor_cannot_revise_or_tag_the_draft() {
    let r = Review::new(&[]);
    let bruno = r.join("Bruno", "civil-society");
    bruno.ok(&[
        "comment",
        &r.draft,
        "--body",
        "Please define the public core.",
    ]);
    let before = state(&bruno, &r.space, &r.draft);

    let v2 = fixture("bpf-draft-v2.md");
    refused(
        &bruno,
        &["draft", "update", &r.draft, s(&v2)],
        "only an editor may change a draft",
    );
    refused(
        &bruno,
        &["draft", "tag", &r.draft, "v1"],
        "only an editor may tag a version",
    );

    assert_eq!(
        state(&bruno, &r.space, &r.draft),
        before,
        "a refused revision or tag left a trace"
    );
    // Nothing of it travels either: Amina receives Bruno's comment, and no revision or tag.
    let report = sync(&bruno, &r.amina, &r.space);
    assert_eq!(refusals(&report), vec![]);
    let log = r.amina.json(&["draft", "log", &r.draft]);
    assert_eq!(log["revisions"].as_array().map(Vec::len), Some(1), "{log}");
    assert_eq!(log["versions"], json!([]));
    assert_eq!(r.amina.digest(&r.space), bruno.digest(&r.space));
}

#[test]
fn a_non_editor_cannot_dispose_of_or_reattach_comments() {
    let r = Review::new(&[]);
    let amina_comment = r.amina_comments(CORE, "Say who agreed.");
    let bruno = r.join("Bruno", "civil-society");
    let own = field(
        &bruno.json(&["comment", &r.draft, "--body", "A glossary would help."]),
        "comment",
    );
    let before = state(&bruno, &r.space, &r.draft);

    for comment in [&amina_comment, &own] {
        refused(
            &bruno,
            &["dispose", comment, "accepted"],
            "only an editor may dispose of comments",
        );
    }
    let p = para(&bruno, &r.draft, NORMS);
    refused(
        &bruno,
        &["comment", "reattach", &amina_comment, "--para", &p],
        "only an editor may re-attach comments",
    );

    let after = state(&bruno, &r.space, &r.draft);
    assert_eq!(
        after, before,
        "a refused disposition or re-attachment left a trace"
    );
    for c in after["comments"].as_array().expect("comments") {
        assert_eq!(c["disposition"], Value::Null, "{c}");
        assert_eq!(c["reattached"], json!(false), "{c}");
    }
}

#[test]
fn a_non_convener_cannot_change_roles_or_the_charter() {
    let r = Review::new(&[]);
    let bruno = r.join("Bruno", "civil-society");
    bruno.ok(&["comment", &r.draft, "--body", "Thank you for the draft."]);
    let before = state(&bruno, &r.space, &r.draft);
    let (bruno_key, amina_key) = (bruno.key(), r.amina.key());

    let why = "only a convener may amend the charter";
    refused(
        &bruno,
        &["space", "grant", &r.space, "editor", &bruno_key],
        why,
    );
    refused(
        &bruno,
        &["space", "grant", &r.space, "convener", &bruno_key],
        why,
    );
    refused(
        &bruno,
        &["space", "revoke", &r.space, "editor", &amina_key],
        why,
    );
    refused(
        &bruno,
        &["space", "amend", &r.space, "--closes", "2020-01-01"],
        why,
    );

    let after = state(&bruno, &r.space, &r.draft);
    assert_eq!(after, before, "a refused amendment left a trace");
    let editors: Vec<&Value> = after["space"]["editors"]
        .as_array()
        .expect("editors")
        .iter()
        .collect();
    assert_eq!(editors.len(), 1);
    assert_eq!(editors[0]["key"], json!(amina_key));
}

#[test]
fn a_non_registrar_cannot_register_anyone() {
    let r = Review::new(&["--policy", "registered"]);
    let bruno = r.join("Bruno", "civil-society");
    let before = seen(&bruno, &r.space, &r.draft);

    let bruno_key = bruno.key();
    refused(
        &bruno,
        &[
            "register",
            &r.space,
            &bruno_key,
            "--stakeholder",
            "civil-society",
        ],
        "only a registrar may register participants",
    );
    // Still unregistered, so still unable to comment.
    refused(
        &bruno,
        &["comment", &r.draft, "--body", "Let me in."],
        "registered participants only",
    );

    assert_eq!(
        seen(&bruno, &r.space, &r.draft),
        before,
        "a refused registration left a trace"
    );
}

#[test]
fn only_the_author_may_edit_or_retract_a_comment() {
    let r = Review::new(&[]);
    let amina_comment = r.amina_comments(CORE, "Say who agreed.");
    let bruno = r.join("Bruno", "civil-society");
    let bruno_comment = field(
        &bruno.json(&["comment", &r.draft, "--body", "A glossary would help."]),
        "comment",
    );
    sync(&bruno, &r.amina, &r.space);
    let bruno_before = state(&bruno, &r.space, &r.draft);
    let amina_before = state(&r.amina, &r.space, &r.draft);

    // A participant cannot reword or withdraw someone else's comment...
    refused(
        &bruno,
        &[
            "comment",
            "edit",
            &amina_comment,
            "--body",
            "Everyone agreed.",
        ],
        "only the comment's author may edit it",
    );
    refused(
        &bruno,
        &["comment", "retract", &amina_comment],
        "only the comment's author may retract it",
    );
    // ...and neither can the convener and editor.
    refused(
        &r.amina,
        &[
            "comment",
            "edit",
            &bruno_comment,
            "--body",
            "No glossary needed.",
        ],
        "only the comment's author may edit it",
    );
    refused(
        &r.amina,
        &["comment", "retract", &bruno_comment],
        "only the comment's author may retract it",
    );

    assert_eq!(state(&bruno, &r.space, &r.draft), bruno_before);
    assert_eq!(state(&r.amina, &r.space, &r.draft), amina_before);

    // The author can.
    bruno.ok(&[
        "comment",
        "edit",
        &bruno_comment,
        "--body",
        "A glossary of terms would help.",
    ]);
    let comments = bruno.json(&["comments", &r.draft]);
    let mine = comments
        .as_array()
        .expect("comments")
        .iter()
        .find(|c| c["id"] == json!(bruno_comment))
        .expect("Bruno's comment");
    assert_eq!(mine["body"], json!("A glossary of terms would help."));
    assert_eq!(mine["edited"], json!(true));
}

#[test]
fn comments_and_stances_after_the_period_closed_are_refused() {
    let r = Review::new(&["--closes", "2020-01-01"]);
    let before = state(&r.amina, &r.space, &r.draft);
    let p = para(&r.amina, &r.draft, CORE);

    let why = "the comment period closed at 2020-01-02T00:00:00Z";
    refused(&r.amina, &["comment", &r.draft, "--body", "Too late?"], why);
    refused(
        &r.amina,
        &["comment", &r.draft, "--para", &p, "--body", "Too late?"],
        why,
    );
    refused(
        &r.amina,
        &["stance", &r.draft, "--para", &p, "support"],
        why,
    );

    assert_eq!(
        state(&r.amina, &r.space, &r.draft),
        before,
        "a refused comment or stance left a trace"
    );
    // The same holds for another participant who received the space.
    let bruno = r.join("Bruno", "civil-society");
    refused(&bruno, &["comment", &r.draft, "--body", "Too late?"], why);
    refused(
        &bruno,
        &[
            "stance",
            &r.draft,
            "--para",
            &p,
            "object",
            "--reason",
            "Not this wording.",
        ],
        why,
    );
    assert_eq!(bruno.json(&["comments", &r.draft]), json!([]));
    assert_eq!(bruno.json(&["stances", &r.draft])["paragraphs"], json!([]));
}

#[test]
fn comments_and_stances_before_the_period_opens_are_refused() {
    let r = Review::new(&["--opens", "2099-01-01"]);
    let before = state(&r.amina, &r.space, &r.draft);
    let p = para(&r.amina, &r.draft, CORE);

    let why = "the comment period opens at 2099-01-01T00:00:00Z";
    refused(
        &r.amina,
        &["comment", &r.draft, "--para", &p, "--body", "Too early?"],
        why,
    );
    refused(&r.amina, &["stance", &r.draft, "--para", &p, "accept"], why);

    assert_eq!(
        state(&r.amina, &r.space, &r.draft),
        before,
        "a refused comment or stance left a trace"
    );
}

#[test]
fn registered_policy_refuses_unregistered_keys_until_a_registrar_registers_them() {
    let r = Review::new(&["--policy", "registered"]);
    let bruno = r.join("Bruno", "civil-society");
    let p = para(&bruno, &r.draft, CORE);
    let before = seen(&bruno, &r.space, &r.draft);

    let why = "this space accepts comments and stances from registered participants only, and the author is not registered";
    let comment = [
        "comment",
        &r.draft,
        "--para",
        &p,
        "--body",
        "Name the stakeholders who agreed.",
    ];
    refused(&bruno, &comment, why);
    refused(
        &bruno,
        &[
            "stance",
            &r.draft,
            "--para",
            &p,
            "object",
            "--reason",
            "Not this wording.",
        ],
        why,
    );
    assert_eq!(
        seen(&bruno, &r.space, &r.draft),
        before,
        "a refused comment or stance left a trace"
    );

    // The registrar registers Bruno's key; once Bruno has the registration, the same
    // comment and stance are accepted.
    r.amina.ok(&[
        "register",
        &r.space,
        &bruno.key(),
        "--stakeholder",
        "civil-society",
    ]);
    sync(&r.amina, &bruno, &r.space);
    let id = field(&bruno.json(&comment), "comment");
    bruno.ok(&[
        "stance",
        &r.draft,
        "--para",
        &p,
        "object",
        "--reason",
        "Not this wording.",
    ]);

    let comments = bruno.json(&["comments", &r.draft]);
    assert_eq!(comments.as_array().map(Vec::len), Some(1), "{comments}");
    assert_eq!(comments[0]["id"], json!(id));
    assert_eq!(comments[0]["author"]["name"], json!("Bruno"));
    // And the registrar's node accepts them too.
    let report = sync(&bruno, &r.amina, &r.space);
    assert_eq!(refusals(&report), vec![]);
    assert_eq!(count(&report, "pending"), 0);
    assert_eq!(r.amina.digest(&r.space), bruno.digest(&r.space));
}

#[test]
fn a_granted_editor_can_revise_and_a_revoked_one_no_longer_can() {
    let r = Review::new(&[]);
    let bruno = Participant::init("Bruno", "technical-community");
    let bruno_key = bruno.key();
    r.amina
        .ok(&["space", "grant", &r.space, "editor", &bruno_key]);
    sync(&r.amina, &bruno, &r.space);

    // Granted: Bruno revises and tags, and Amina accepts his revision.
    let v2 = fixture("bpf-draft-v2.md");
    let revision = bruno.json(&["draft", "update", &r.draft, s(&v2)])["revision"].clone();
    assert!(revision.is_string(), "no revision recorded: {revision}");
    bruno.ok(&["draft", "tag", &r.draft, "v2"]);
    let report = sync(&bruno, &r.amina, &r.space);
    assert_eq!(refusals(&report), vec![]);

    // Revoked: once Bruno has the revocation, he can no longer revise or tag.
    r.amina
        .ok(&["space", "revoke", &r.space, "editor", &bruno_key]);
    sync(&r.amina, &bruno, &r.space);
    let before = state(&bruno, &r.space, &r.draft);
    let v1 = fixture("bpf-draft-v1.md");
    refused(
        &bruno,
        &["draft", "update", &r.draft, s(&v1)],
        "only an editor may change a draft",
    );
    refused(
        &bruno,
        &["draft", "tag", &r.draft, "v3"],
        "only an editor may tag a version",
    );
    assert_eq!(
        state(&bruno, &r.space, &r.draft),
        before,
        "a refused revision left a trace"
    );

    // What he did while he was an editor stays.
    let log = before["log"].clone();
    let revisions = log["revisions"].as_array().expect("revisions");
    assert_eq!(revisions.len(), 2, "{log}");
    assert!(revisions.iter().any(|x| x["revision"] == revision), "{log}");
    let editors = before["space"]["editors"].as_array().expect("editors");
    assert!(
        editors.iter().all(|e| e["key"] != json!(bruno_key)),
        "{editors:?}"
    );
    assert_eq!(r.amina.digest(&r.space), bruno.digest(&r.space));
}

// ---- 2. forged or unauthorized entries arriving in a bundle ---------------------------

#[test]
fn an_entry_whose_signature_is_not_its_authors_is_refused_on_import() {
    let r = Review::new(&[]);
    let genuine = r.amina.bundle(&r.space);
    let entries = read_bundle(&genuine);
    let amina_key = decode(&entries[0]).author();

    // A comment signed by a stranger, with Amina's key grafted into the author field.
    let body = comment_body(
        &r.draft,
        heads(&r.amina, &r.draft),
        "Amina withdraws the draft.",
    );
    let mut forged = signed(&stranger(), &r.space, &[&r.space, &r.draft], body);
    forged[35..67].copy_from_slice(amina_key.as_bytes());
    assert_eq!(
        decode(&forged).author(),
        amina_key,
        "the author field is at bytes 35..67"
    );
    let forged_id = id_of(&forged);

    let dana = Participant::init("Dana", "academia");
    let mut all = entries.clone();
    all.push(forged);
    let report = dana.import(&write_file(
        &dana,
        "forged.margin",
        &bundle_bytes(&r.space, &all),
    ));

    assert_eq!(refusals(&report).len(), 1, "{report}");
    let reason = reason_for(&report, &forged_id);
    assert!(reason.contains("signature"), "{reason}");
    assert_eq!(count(&report, "pending"), 0);
    assert_eq!(dana.json(&["comments", &r.draft]), json!([]));
    assert_eq!(dana.digest(&r.space), r.amina.digest(&r.space));
    assert!(
        !ids_in(&dana.bundle(&r.space)).contains(&forged_id),
        "the forged entry was stored"
    );
}

#[test]
fn stranger_comments_and_stances_in_a_registered_space_are_refused_on_import() {
    let r = Review::new(&["--policy", "registered"]);
    let bruno = r.join("Bruno", "civil-society");
    let registration = field(
        &r.amina.json(&[
            "register",
            &r.space,
            &bruno.key(),
            "--stakeholder",
            "civil-society",
        ]),
        "registration",
    );
    let entries = read_bundle(&r.amina.bundle(&r.space));
    let h = heads(&r.amina, &r.draft);
    let p = para(&r.amina, &r.draft, CORE);

    let key = stranger();
    let plain = signed(
        &key,
        &r.space,
        &[&r.space, &r.draft],
        comment_body(&r.draft, h.clone(), "Let me in."),
    );
    // Citing somebody else's registration does not help.
    let borrowed = signed(
        &key,
        &r.space,
        &[&r.space, &r.draft, &registration],
        comment_body(&r.draft, h.clone(), "I am Bruno, honestly."),
    );
    let stance = signed(
        &key,
        &r.space,
        &[&r.space, &r.draft],
        Body::Stance(Stance {
            draft: id(&r.draft),
            para: p.into(),
            heads: h,
            value: StanceValue::Object,
            reason: None,
        }),
    );
    let forged = [plain, borrowed, stance];

    let dana = Participant::init("Dana", "academia");
    dana.import(&r.amina.bundle(&r.space));
    let mut all = entries.clone();
    all.extend(forged.iter().cloned());
    let report = dana.import(&write_file(
        &dana,
        "strangers.margin",
        &bundle_bytes(&r.space, &all),
    ));

    assert_eq!(count(&report, "accepted"), 0, "{report}");
    assert_eq!(
        count(&report, "duplicate"),
        entries.len() as u64,
        "{report}"
    );
    assert_eq!(count(&report, "pending"), 0, "{report}");
    assert_eq!(refusals(&report).len(), forged.len(), "{report}");
    for e in &forged {
        let reason = reason_for(&report, &id_of(e));
        assert!(reason.contains("registered"), "{reason}");
    }
    assert_eq!(dana.json(&["comments", &r.draft]), json!([]));
    assert_eq!(dana.json(&["stances", &r.draft])["paragraphs"], json!([]));
    assert_eq!(dana.digest(&r.space), r.amina.digest(&r.space));
}

#[test]
fn entries_beyond_their_authors_role_are_refused_on_import() {
    let r = Review::new(&[]);
    let c = r.amina_comments(CORE, "Say who agreed.");
    let genuine = r.amina.bundle(&r.space);
    let entries = read_bundle(&genuine);
    let h = heads(&r.amina, &r.draft);
    let p = para(&r.amina, &r.draft, NORMS);
    let draft_change = of_kind(&entries, Kind::DraftChange)
        .remove(0)
        .body()
        .cloned()
        .expect("a draft change is never a stub");

    let key = stranger();
    let (space, draft) = (r.space.as_str(), r.draft.as_str());
    let anchor = Anchor {
        para: p.into(),
        start: None,
        end: None,
        quote: None,
    };
    let forged: Vec<(Vec<u8>, &str)> = vec![
        (
            signed(&key, space, &[space], draft_change),
            "only an editor may change a draft",
        ),
        (
            signed(
                &key,
                space,
                &[space, draft],
                Body::VersionTag(VersionTag {
                    draft: id(draft),
                    name: "final".into(),
                    heads: h.clone(),
                }),
            ),
            "only an editor may tag a version",
        ),
        (
            signed(
                &key,
                space,
                &[space, &c],
                Body::Disposition(Disposition {
                    comment: id(&c),
                    value: DispositionValue::Declined,
                    note: "No.".into(),
                    revision: None,
                }),
            ),
            "only an editor may dispose of comments",
        ),
        (
            signed(
                &key,
                space,
                &[space, draft, &c],
                Body::Reattach(Reattach {
                    comment: id(&c),
                    heads: h,
                    anchor,
                }),
            ),
            "only an editor may re-attach comments",
        ),
        (
            signed(
                &key,
                space,
                &[space],
                Body::CharterAmendment(CharterAmendment {
                    changes: vec![CharterChange::Grant {
                        role: Role::Editor,
                        key: key.public(),
                    }],
                }),
            ),
            "only a convener may amend the charter",
        ),
        (
            signed(
                &key,
                space,
                &[space],
                Body::Registration(Registration {
                    participant: key.public(),
                    stakeholder: "government".into(),
                    region: String::new(),
                }),
            ),
            "only a registrar may register participants",
        ),
        (
            signed(
                &key,
                space,
                &[space, &c],
                Body::CommentEdit(CommentEdit {
                    comment: id(&c),
                    text: "Everyone agreed.".into(),
                    suggestion: None,
                }),
            ),
            "only the comment's author may edit it",
        ),
        (
            signed(
                &key,
                space,
                &[space, &c],
                Body::Retraction(Retraction { comment: id(&c) }),
            ),
            "only the comment's author may retract it",
        ),
        (
            signed(
                &key,
                space,
                &[space, &c],
                Body::Moderation(Moderation {
                    target: id(&c),
                    hidden: true,
                    reason: "Off topic.".into(),
                }),
            ),
            "only a convener may hide entries",
        ),
    ];

    let dana = Participant::init("Dana", "academia");
    dana.import(&genuine);
    let mut all = entries.clone();
    all.extend(forged.iter().map(|(e, _)| e.clone()));
    let report = dana.import(&write_file(
        &dana,
        "unauthorized.margin",
        &bundle_bytes(space, &all),
    ));

    assert_eq!(count(&report, "accepted"), 0, "{report}");
    assert_eq!(
        count(&report, "duplicate"),
        entries.len() as u64,
        "{report}"
    );
    assert_eq!(count(&report, "pending"), 0, "{report}");
    assert_eq!(refusals(&report).len(), forged.len(), "{report}");
    for (entry, why) in &forged {
        let reason = reason_for(&report, &id_of(entry));
        assert!(reason.contains(why), "expected {why:?}, got {reason:?}");
    }

    // Nothing of it is stored: Dana sees what Amina sees, and passes on only Amina's entries.
    assert_eq!(
        portable(&dana, space, draft),
        portable(&r.amina, space, draft)
    );
    let mut stored = ids_in(&dana.bundle(space));
    let mut expected: Vec<String> = entries.iter().map(|e| id_of(e)).collect();
    stored.sort();
    expected.sort();
    assert_eq!(stored, expected);
}

#[test]
fn malformed_entries_in_an_intact_bundle_are_refused_on_import() {
    let r = Review::new(&[]);
    let genuine = r.amina.bundle(&r.space);
    let entries = read_bundle(&genuine);

    // Bytes that are no entry at all, framed in a bundle whose checksum is right.
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let noise: Vec<u8> = (0..300)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect();
    // A real entry with one byte too many at the end of its header.
    let profile = &entries[1];
    let mut trailing = profile[..profile.len() - 64].to_vec();
    trailing.push(0);
    trailing.extend_from_slice(&profile[profile.len() - 64..]);
    let bad = [noise, trailing];

    let dana = Participant::init("Dana", "academia");
    dana.import(&genuine);
    let before = state(&dana, &r.space, &r.draft);
    let mut all = entries.clone();
    all.extend(bad.iter().cloned());
    let report = dana.import(&write_file(
        &dana,
        "malformed.margin",
        &bundle_bytes(&r.space, &all),
    ));

    assert_eq!(count(&report, "accepted"), 0, "{report}");
    assert_eq!(
        count(&report, "duplicate"),
        entries.len() as u64,
        "{report}"
    );
    assert_eq!(refusals(&report).len(), bad.len(), "{report}");
    for e in &bad {
        let reason = reason_for(&report, &id_of(e));
        // Noise whose first byte names no envelope format is refused as such.
        assert!(
            reason.contains("malformed") || reason.contains("unknown entry format"),
            "{reason}"
        );
    }
    assert_eq!(state(&dana, &r.space, &r.draft), before);
}

#[test]
fn an_entry_whose_refs_are_missing_waits_as_pending_until_they_arrive() {
    let r = Review::new(&[]);
    let c = r.amina_comments(CORE, "Say who agreed.");
    let p = para(&r.amina, &r.draft, CORE);
    r.amina.ok(&["stance", &r.draft, "--para", &p, "support"]);
    let genuine = r.amina.bundle(&r.space);
    let entries = read_bundle(&genuine);

    // Without the draft, the comment and the stance on it cannot be checked.
    let without_draft: Vec<Vec<u8>> = entries
        .iter()
        .filter(|e| id_of(e) != r.draft)
        .cloned()
        .collect();
    assert_eq!(without_draft.len(), entries.len() - 1);
    let dana = Participant::init("Dana", "academia");
    let report = dana.import(&write_file(
        &dana,
        "partial.margin",
        &bundle_bytes(&r.space, &without_draft),
    ));
    assert_eq!(count(&report, "pending"), 2, "{report}");
    assert_eq!(refusals(&report), vec![]);
    let show = dana.json(&["space", "show", &r.space]);
    assert_eq!(show["pending"], json!(2), "{show}");
    assert_eq!(show["drafts"], json!([]), "{show}");
    dana.fails(&["comments", &r.draft]);
    dana.fails(&["comment", "edit", &c, "--body", "x"]);

    // When the draft arrives, they are checked and accepted.
    let report = dana.import(&genuine);
    assert_eq!(count(&report, "pending"), 0, "{report}");
    assert_eq!(refusals(&report), vec![]);
    assert_eq!(dana.json(&["space", "show", &r.space])["pending"], json!(0));
    assert_eq!(
        portable(&dana, &r.space, &r.draft),
        portable(&r.amina, &r.space, &r.draft)
    );
}

// ---- 3. damaged bundle files ----------------------------------------------------------

#[test]
fn damaged_bundle_files_are_refused_whole() {
    let r = Review::new(&[]);
    let bruno = r.join("Bruno", "civil-society");
    r.amina_comments(CORE, "Say who agreed.");
    let genuine = r.amina.bundle(&r.space);
    let good = fs::read(&genuine).expect("read bundle");
    let entries = read_bundle(&genuine);
    let dana = Participant::init("Dana", "academia");

    let mid = good.len() / 2;
    let mut flipped = good.clone();
    flipped[mid] ^= 0x01;
    let mut garbage = good.clone();
    garbage.extend_from_slice(b"and some more bytes");
    let mut magic = good.clone();
    magic[..MAGIC.len()].copy_from_slice(b"margin-bundle-v9\n");
    let variants: Vec<(&str, Vec<u8>, &str)> = vec![
        ("one byte flipped", flipped, "checksum mismatch"),
        (
            "one byte short",
            good[..good.len() - 1].to_vec(),
            "checksum mismatch",
        ),
        ("cut in half", good[..mid].to_vec(), "checksum mismatch"),
        ("garbage appended", garbage, "checksum mismatch"),
        ("wrong magic", magic, "not a Margin bundle"),
        ("a few bytes", good[..20].to_vec(), "too short"),
        ("empty", vec![], "too short"),
        (
            "one entry more claimed than carried",
            bundle_bytes_claiming(&r.space, entries.len() as u64 + 1, &entries),
            "missing",
        ),
        (
            "one entry fewer claimed than carried",
            bundle_bytes_claiming(&r.space, entries.len() as u64 - 1, &entries),
            "unexpected bytes",
        ),
    ];

    let bruno_spaces = bruno.json(&["space", "list"]);
    let bruno_state = state(&bruno, &r.space, &r.draft);
    for (i, (what, bytes, why)) in variants.iter().enumerate() {
        let path = write_file(&bruno, &format!("damaged-{i}.margin"), bytes);
        for p in [&bruno, &dana] {
            let line = refused(p, &["bundle", "import", s(&path)], "is damaged");
            assert!(line.contains(why), "{what}: expected {why:?} in {line:?}");
            assert!(line.ends_with("nothing was imported"), "{what}: {line}");
        }
    }
    assert_eq!(bruno.json(&["space", "list"]), bruno_spaces);
    assert_eq!(
        state(&bruno, &r.space, &r.draft),
        bruno_state,
        "Bruno took in part of a damaged bundle"
    );
    assert_eq!(
        dana.json(&["space", "list"]),
        json!([]),
        "Dana took in part of a damaged bundle"
    );
}

#[test]
fn a_tampered_entry_under_a_recomputed_checksum_is_refused_and_its_dependents_wait() {
    let r = Review::new(&[]);
    r.amina_comments(CORE, "Say who agreed.");
    let bruno = r.join("Bruno", "civil-society");
    let p = para(&bruno, &r.draft, NORMS);
    bruno.ok(&["comment", &r.draft, "--para", &p, "--body", "Which norms?"]);
    bruno.ok(&["stance", &r.draft, "--para", &p, "accept"]);
    let genuine = bruno.bundle(&r.space);
    let entries = read_bundle(&genuine);

    // Change the draft creation's message "Imported" to "imported": the entry still
    // decodes, but its signature no longer matches; everything about the draft depends on it.
    let mut tampered = entries.clone();
    let at = tampered
        .iter()
        .position(|e| id_of(e) == r.draft)
        .expect("the draft's entry");
    let draft_entry = &mut tampered[at];
    let pos = draft_entry
        .windows(8)
        .rposition(|w| w == b"Imported")
        .expect("the revision message");
    draft_entry[pos] = b'i';
    let tampered_id = id_of(draft_entry);
    let dependents = entries
        .iter()
        .filter(|e| decode(e).refs().contains(&id(&r.draft)))
        .count();
    assert_eq!(
        dependents, 3,
        "Amina's comment, Bruno's comment and Bruno's stance"
    );

    let dana = Participant::init("Dana", "academia");
    let report = dana.import(&write_file(
        &dana,
        "tampered.margin",
        &bundle_bytes(&r.space, &tampered),
    ));
    assert_eq!(refusals(&report).len(), 1, "{report}");
    let reason = reason_for(&report, &tampered_id);
    assert!(reason.contains("signature"), "{reason}");
    assert_eq!(count(&report, "pending"), dependents as u64, "{report}");
    // The charter and both profiles are accepted.
    assert_eq!(
        count(&report, "accepted"),
        (entries.len() - 1 - dependents) as u64,
        "{report}"
    );
    let show = dana.json(&["space", "show", &r.space]);
    assert_eq!(show["drafts"], json!([]), "{show}");
    assert_eq!(
        show["entries"],
        json!(entries.len() - 1 - dependents),
        "{show}"
    );
    assert_eq!(show["pending"], json!(dependents), "{show}");
    assert!(!ids_in(&dana.bundle(&r.space)).contains(&tampered_id));

    // The genuine entry completes the space.
    let report = dana.import(&genuine);
    assert_eq!(refusals(&report), vec![]);
    assert_eq!(dana.json(&["space", "show", &r.space])["pending"], json!(0));
    assert_eq!(dana.digest(&r.space), bruno.digest(&r.space));
}

// ---- 4. idempotence and order ---------------------------------------------------------

#[test]
fn importing_the_same_bundle_twice_changes_nothing() {
    let r = Review::new(&[]);
    r.amina_comments(CORE, "Say who agreed.");
    let bruno = r.join("Bruno", "civil-society");
    let p = para(&bruno, &r.draft, CORE);
    bruno.ok(&[
        "comment",
        &r.draft,
        "--para",
        &p,
        "--body",
        "Agreed by whom?",
    ]);
    bruno.ok(&[
        "stance",
        &r.draft,
        "--para",
        &p,
        "object",
        "--reason",
        "Not this wording.",
    ]);
    let bundle = bruno.bundle(&r.space);
    let n = read_bundle(&bundle).len() as u64;

    let dana = Participant::init("Dana", "academia");
    let first = dana.import(&bundle);
    assert_eq!(
        first,
        json!({ "accepted": n, "duplicate": 0, "pending": 0, "rejected": [] })
    );
    let before = state(&dana, &r.space, &r.draft);
    let again = dana.import(&bundle);
    assert_eq!(
        again,
        json!({ "accepted": 0, "duplicate": n, "pending": 0, "rejected": [] })
    );
    assert_eq!(state(&dana, &r.space, &r.draft), before);
    assert_eq!(dana.digest(&r.space), bruno.digest(&r.space));

    // Offering Bruno his own entries back changes nothing for him either.
    let own = bruno.import(&bundle);
    assert_eq!(
        own,
        json!({ "accepted": 0, "duplicate": n, "pending": 0, "rejected": [] })
    );
}

#[test]
fn three_participants_bundles_in_any_order_give_the_same_state() {
    let r = Review::new(&[]);
    let a1 = r.amina.bundle(&r.space);
    let bruno = Participant::init("Bruno", "civil-society");
    let chen = Participant::init("Chen", "private-sector");
    bruno.import(&a1);
    chen.import(&a1);

    let core = para(&bruno, &r.draft, CORE);
    let b_comment = field(
        &bruno.json(&[
            "comment",
            &r.draft,
            "--para",
            &core,
            "--quote",
            "shared responsibility",
            "--body",
            "Whose?",
        ]),
        "comment",
    );
    bruno.ok(&[
        "stance",
        &r.draft,
        "--para",
        &core,
        "object",
        "--reason",
        "Too vague.",
    ]);
    let b = bruno.bundle(&r.space);

    chen.ok(&[
        "comment",
        &r.draft,
        "--body",
        "Operators should be consulted.",
    ]);
    chen.ok(&["stance", &r.draft, "--para", &core, "support"]);
    chen.import(&b);
    chen.ok(&[
        "comment",
        &r.draft,
        "--reply",
        &b_comment,
        "--body",
        "All stakeholders, surely.",
    ]);
    let c = chen.bundle(&r.space);

    r.amina.import(&b);
    r.amina.ok(&[
        "dispose",
        &b_comment,
        "accepted",
        "--note",
        "Clarified in v2.",
    ]);
    r.amina
        .ok(&["draft", "update", &r.draft, s(&fixture("bpf-draft-v2.md"))]);
    r.amina.ok(&["draft", "tag", &r.draft, "v2"]);
    let a2 = r.amina.bundle(&r.space);

    let xavier = Participant::init("Xavier", "academia");
    for bundle in [&a2, &b, &c] {
        assert_eq!(refusals(&xavier.import(bundle)), vec![]);
    }
    let yuki = Participant::init("Yuki", "academia");
    for bundle in [&c, &b, &a2] {
        assert_eq!(refusals(&yuki.import(bundle)), vec![]);
    }
    r.amina.import(&c);

    let x = portable(&xavier, &r.space, &r.draft);
    assert_eq!(x["space"]["pending"], json!(0));
    assert_eq!(
        x["comments"].as_array().map(Vec::len),
        Some(3),
        "{}",
        x["comments"]
    );
    assert_eq!(x, portable(&yuki, &r.space, &r.draft));
    assert_eq!(x, portable(&r.amina, &r.space, &r.draft));
}

#[test]
fn entries_in_reverse_order_or_split_across_bundles_give_the_same_state() {
    let r = Review::new(&[]);
    let c = r.amina_comments(CORE, "Say who agreed.");
    let bruno = r.join("Bruno", "civil-society");
    let p = para(&bruno, &r.draft, CORE);
    bruno.ok(&["comment", &r.draft, "--reply", &c, "--body", "Seconded."]);
    bruno.ok(&[
        "stance",
        &r.draft,
        "--para",
        &p,
        "object",
        "--reason",
        "Not this wording.",
    ]);
    sync(&bruno, &r.amina, &r.space);
    r.amina
        .ok(&["draft", "update", &r.draft, s(&fixture("bpf-draft-v2.md"))]);
    r.amina.ok(&["dispose", &c, "accepted"]);
    let entries = read_bundle(&r.amina.bundle(&r.space));
    let expected = portable(&r.amina, &r.space, &r.draft);

    // Effects before causes, in one bundle.
    let reversed: Vec<Vec<u8>> = entries.iter().rev().cloned().collect();
    let dana = Participant::init("Dana", "academia");
    let report = dana.import(&write_file(
        &dana,
        "reversed.margin",
        &bundle_bytes(&r.space, &reversed),
    ));
    assert_eq!(refusals(&report), vec![]);
    assert_eq!(portable(&dana, &r.space, &r.draft), expected);
    assert_eq!(
        sorted(ids_in(&dana.bundle(&r.space))),
        sorted(entries.iter().map(|e| id_of(e)).collect())
    );

    // The later half first, before the node has even seen the space's charter.
    let (first, later) = entries.split_at(entries.len() / 2);
    let erin = Participant::init("Erin", "academia");
    let report = erin.import(&write_file(
        &erin,
        "later.margin",
        &bundle_bytes(&r.space, later),
    ));
    assert_eq!(count(&report, "pending"), later.len() as u64, "{report}");
    let report = erin.import(&write_file(
        &erin,
        "first.margin",
        &bundle_bytes(&r.space, first),
    ));
    assert_eq!(refusals(&report), vec![]);
    assert_eq!(portable(&erin, &r.space, &r.draft), expected);
}

// ---- bugs these tests found, now fixed -------------------------------------------------

#[test]
fn refused_action_publishes_nothing_not_even_a_profile() {
    let r = Review::new(&[]);
    let bruno = r.join("Bruno", "civil-society");
    let before = state(&bruno, &r.space, &r.draft);
    let v2 = fixture("bpf-draft-v2.md");
    refused(
        &bruno,
        &["draft", "update", &r.draft, s(&v2)],
        "only an editor may change a draft",
    );
    assert_eq!(
        state(&bruno, &r.space, &r.draft),
        before,
        "the refused update stored an entry"
    );
}

#[test]
fn an_import_report_counts_an_entry_that_waited_only_as_accepted() {
    let r = Review::new(&[]);
    r.amina_comments(CORE, "Say who agreed.");
    let entries = read_bundle(&r.amina.bundle(&r.space));
    let n = entries.len() as u64;
    // Effects before causes: the comment waits for the draft, which comes next.
    let reversed: Vec<Vec<u8>> = entries.iter().rev().cloned().collect();
    let erin = Participant::init("Erin", "academia");
    let path = write_file(&erin, "reversed.margin", &bundle_bytes(&r.space, &reversed));
    let report = erin.import(&path);
    assert_eq!(erin.json(&["space", "show", &r.space])["pending"], json!(0));
    assert_eq!(
        report,
        json!({ "accepted": n, "duplicate": 0, "pending": 0, "rejected": [] })
    );
}

#[test]
fn entries_that_arrived_before_their_charter_are_passed_on() {
    let r = Review::new(&[]);
    let bruno = r.join("Bruno", "civil-society");
    bruno.ok(&["comment", &r.draft, "--body", "A glossary would help."]);
    let entries = read_bundle(&bruno.bundle(&r.space));
    // Bruno's profile is in the later half; it names nothing but the charter.
    let (first, later) = entries.split_at(3);
    assert!(later.iter().any(|e| decode(e).kind() == Kind::Profile));

    let erin = Participant::init("Erin", "academia");
    erin.import(&write_file(
        &erin,
        "later.margin",
        &bundle_bytes(&r.space, later),
    ));
    erin.import(&write_file(
        &erin,
        "first.margin",
        &bundle_bytes(&r.space, first),
    ));
    assert_eq!(erin.digest(&r.space), bruno.digest(&r.space));
    let all = sorted(entries.iter().map(|e| id_of(e)).collect());
    assert_eq!(
        sorted(ids_in(&erin.bundle(&r.space))),
        all,
        "Erin's bundle lacks entries"
    );

    let fay = Participant::init("Fay", "academia");
    fay.import(&erin.bundle(&r.space));
    assert_eq!(fay.digest(&r.space), bruno.digest(&r.space));
}

/// The rules a chair relies on hold whatever front end wrote the entry: an objection
/// names its reason and a declined comment its note, from the CLI as from the web.
#[test]
fn an_objection_needs_a_reason_and_declining_needs_a_note() {
    let r = Review::new(&[]);
    let p = para(&r.amina, &r.draft, "[Governments should establish");
    let before = state(&r.amina, &r.space, &r.draft);
    refused(
        &r.amina,
        &["stance", &r.draft, "--para", &p, "object"],
        "an objection needs a reason: give --reason",
    );
    refused(
        &r.amina,
        &["stance", &r.draft, "--para", &p, "object", "--reason", "  "],
        "an objection needs a reason",
    );
    let comment = r.amina_comments("[Governments should establish", "Too strong?");
    let with_comment = state(&r.amina, &r.space, &r.draft);
    assert_ne!(with_comment, before);
    refused(
        &r.amina,
        &["dispose", &comment, "declined"],
        "declining a comment needs a note: give --note",
    );
    assert_eq!(
        state(&r.amina, &r.space, &r.draft),
        with_comment,
        "a refused stance or disposition left a trace"
    );
    // With them, both are taken; a support needs no reason, an answer other than
    // declined no note.
    r.amina.ok(&[
        "stance",
        &r.draft,
        "--para",
        &p,
        "object",
        "--reason",
        "Too strong.",
    ]);
    r.amina.ok(&["stance", &r.draft, "--para", &p, "support"]);
    r.amina.ok(&["dispose", &comment, "noted"]);
    r.amina
        .ok(&["dispose", &comment, "declined", "--note", "Out of scope."]);
}
