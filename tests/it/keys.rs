//! A participant's key protected by a passphrase, and moved to another home: `margin init
//! --passphrase`, `margin key protect / unprotect / export / import`, and `margin node`
//! unlocking the key once at start. Passphrases come from files here (`--passphrase-file`,
//! `MARGIN_PASSPHRASE_FILE`), as for a service: the commands run without a terminal.
//! What Margin writes must be standard age files: the tests decrypt them with the age
//! crate's own reader, not Margin's.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::running::{PATIENCE, RunningNode};
use common::*;
use margin_core::key::SigningKey;
use serde_json::{Value, json};

/// Passphrase files, each in a folder of their own (not in a home).
struct Secrets {
    dir: tempfile::TempDir,
}

impl Secrets {
    fn new() -> Secrets {
        Secrets {
            dir: tempfile::tempdir().expect("a folder for passphrases"),
        }
    }

    /// A file holding `passphrase` and a line ending, as an editor writes it.
    fn file(&self, name: &str, passphrase: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, format!("{passphrase}\n")).expect("write a passphrase file");
        path
    }

    /// A path for a file to be written (an export).
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn text(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// `margin --passphrase-file FILE ARGS`, expecting success; returns stdout.
fn ok_with(p: &Participant, file: &Path, args: &[&str]) -> String {
    let mut all = vec!["--passphrase-file", text(file)];
    all.extend_from_slice(args);
    p.ok(&all)
}

/// `margin --json --passphrase-file FILE ARGS`, expecting success.
fn json_with(p: &Participant, file: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--passphrase-file", text(file)];
    all.extend_from_slice(args);
    p.json(&all)
}

/// `margin --passphrase-file FILE ARGS`, expecting failure; returns stderr.
fn fails_with(p: &Participant, file: &Path, args: &[&str]) -> String {
    let mut all = vec!["--passphrase-file", text(file)];
    all.extend_from_slice(args);
    p.fails(&all)
}

/// What an age file decrypts to with `passphrase`, read by the age crate itself.
fn age_decrypt(path: &Path, passphrase: &str) -> Vec<u8> {
    let bytes = std::fs::read(path).expect("the encrypted file");
    let identity = age::scrypt::Identity::new(passphrase.to_owned().into());
    age::decrypt(&identity, &bytes).expect("a standard age file with this passphrase")
}

/// A space with a draft, made by `editor` (whose key may need `passphrase`).
fn space_with_draft(editor: &Participant, passphrase: Option<&Path>) -> (String, String) {
    let run = |args: &[&str]| match passphrase {
        Some(file) => json_with(editor, file, args),
        None => editor.json(args),
    };
    let space = field(&run(&["space", "create", "Keys review"]), "space");
    let draft = field(
        &run(&["draft", "import", &space, text(&fixture("bpf-draft-v1.md"))]),
        "draft",
    );
    (space, draft)
}

/// Ana, whose key is protected from `margin init` on by the passphrase in the file
/// returned, with a space and a draft.
fn protected_ana(secrets: &Secrets) -> (Participant, PathBuf, String) {
    let right = secrets.file("right", "correct horse battery staple");
    let ana = Participant::new("Ana");
    ok_with(&ana, &right, &["init", "--name", "Ana", "--passphrase"]);
    let (_, draft) = space_with_draft(&ana, Some(&right));
    (ana, right, draft)
}

fn comment_count(p: &Participant, draft: &str) -> usize {
    p.json(&["comments", draft])
        .as_array()
        .expect("comments")
        .len()
}

#[test]
fn a_key_protected_at_init_is_asked_for_by_what_signs_and_never_by_what_reads() {
    let secrets = Secrets::new();
    let right = secrets.file("right", "correct horse battery staple");
    let ana = Participant::new("Ana");
    let made = json_with(
        &ana,
        &right,
        &[
            "init",
            "--name",
            "Ana",
            "--stakeholder",
            "civil-society",
            "--passphrase",
        ],
    );
    assert_eq!(made["protected"], true);
    let key = field(&made, "key");

    // The key file holds no key in the clear: it is an age file whose contents are what
    // an unprotected key file holds, the seed of the same key.
    let key_file = ana.home().join("identity.key");
    let stored = std::fs::read_to_string(&key_file).expect("the key file");
    assert!(
        stored.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"),
        "{stored}"
    );
    let clear =
        String::from_utf8(age_decrypt(&key_file, "correct horse battery staple")).expect("text");
    let seed: [u8; 32] = hex::decode(clear.trim())
        .expect("hex")
        .try_into()
        .expect("32 bytes");
    assert_eq!(SigningKey::from_seed(seed).public().to_string(), key);
    assert!(!stored.contains(clear.trim()));

    // Reading needs no passphrase.
    let whoami = ana.json(&["whoami"]);
    assert_eq!(whoami["key"], key.as_str());
    assert_eq!(whoami["protected"], true);
    assert!(
        ana.ok(&["whoami"])
            .contains("key: protected by a passphrase")
    );

    // Signing does: without it, one line saying how to give it.
    let refused = ana.fails(&["space", "create", "Keys review"]);
    assert_eq!(
        refused,
        format!(
            "margin: the key in {} is protected by a passphrase, and none was given: type it at a terminal, or give --passphrase-file FILE or set MARGIN_PASSPHRASE_FILE\n",
            ana.home().display()
        )
    );
    assert!(
        ana.json(&["space", "list"])
            .as_array()
            .expect("spaces")
            .is_empty()
    );

    // With it (the flag, or the variable services use), every signing command works.
    let (_, draft) = space_with_draft(&ana, Some(&right));
    let out = ana
        .command()
        .env("MARGIN_PASSPHRASE_FILE", &right)
        .args(["comment", &draft, "--body", "Signed with the passphrase."])
        .output()
        .expect("run margin");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let para = ana.json(&["draft", "show", &draft])["sections"][0]["paragraphs"][0]["id"]
        .as_str()
        .expect("a paragraph")
        .to_owned();
    ok_with(
        &ana,
        &right,
        &["stance", &draft, "--para", &para, "support"],
    );

    // What only reads runs without it.
    for args in [
        vec!["comments", draft.as_str()],
        vec!["stances", draft.as_str()],
        vec!["draft", "show", draft.as_str()],
        vec!["news"],
        vec!["space", "list"],
    ] {
        ana.ok(&args);
    }
    let comments = ana.json(&["comments", &draft]);
    assert_eq!(comments[0]["author"]["key"], key.as_str());
}

#[test]
fn a_wrong_passphrase_is_one_line_and_changes_nothing() {
    let secrets = Secrets::new();
    let (ana, right, draft) = protected_ana(&secrets);
    let wrong = secrets.file("wrong", "incorrect horse");
    let key_file = ana.home().join("identity.key");
    let before = std::fs::read(&key_file).expect("the key file");

    for args in [
        vec!["comment", draft.as_str(), "--body", "Never written."],
        vec!["draft", "tag", draft.as_str(), "v1"],
        vec!["key", "unprotect"],
        vec!["key", "export", "--out", text(&secrets.path("never.age"))],
    ] {
        let out = ana
            .command()
            .arg("--passphrase-file")
            .arg(&wrong)
            .args(&args)
            .output()
            .expect("run margin");
        assert_eq!(out.status.code(), Some(1), "margin {}", args.join(" "));
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!(
                "margin: wrong passphrase for the key in {}\n",
                ana.home().display()
            ),
            "margin {}",
            args.join(" ")
        );
        assert!(out.stdout.is_empty());
    }
    assert_eq!(comment_count(&ana, &draft), 0);
    let log = ana.json(&["draft", "log", &draft]);
    assert_eq!(log["versions"], json!([]), "{log}");
    assert_eq!(std::fs::read(&key_file).expect("the key file"), before);
    assert!(!secrets.path("never.age").exists());
    // The right passphrase still signs.
    ok_with(
        &ana,
        &right,
        &["comment", &draft, "--body", "With the right one."],
    );
    assert_eq!(comment_count(&ana, &draft), 1);
}

#[test]
fn protecting_changing_and_removing_the_passphrase_keep_the_same_key() {
    let secrets = Secrets::new();
    let first = secrets.file("first", "first passphrase");
    let second = secrets.file("second", "second passphrase");
    let ben = Participant::init("Ben", "academia");
    let key = ben.key();
    let (_, draft) = space_with_draft(&ben, None);

    // No terminal and no passphrase: nothing changes.
    let refused = ben.fails(&["key", "protect"]);
    assert!(refused.contains("--passphrase-file FILE"), "{refused}");
    assert!(
        !std::fs::read_to_string(ben.home().join("identity.key"))
            .expect("the key file")
            .contains("AGE")
    );

    let protected = json_with(&ben, &first, &["key", "protect"]);
    assert_eq!(
        protected,
        json!({ "key": key, "home": ben.home().display().to_string(), "protected": true })
    );
    assert!(
        ben.fails(&["comment", &draft, "--body", "x"])
            .contains("protected by a passphrase")
    );
    ok_with(
        &ben,
        &first,
        &["comment", &draft, "--body", "With the first passphrase."],
    );

    // A new passphrase: the current one from --passphrase-file, the new one from its own
    // file (never the same file for both).
    let same_file = fails_with(&ben, &first, &["key", "protect"]);
    assert!(same_file.contains("--new-passphrase-file"), "{same_file}");
    json_with(
        &ben,
        &first,
        &["key", "protect", "--new-passphrase-file", text(&second)],
    );
    assert!(
        fails_with(&ben, &first, &["comment", &draft, "--body", "x"]).contains("wrong passphrase")
    );
    ok_with(
        &ben,
        &second,
        &["comment", &draft, "--body", "With the second passphrase."],
    );

    let unprotected = json_with(&ben, &second, &["key", "unprotect"]);
    assert_eq!(unprotected["protected"], false);
    assert_eq!(unprotected["key"], key.as_str());
    ben.ok(&["comment", &draft, "--body", "In the clear again."]);
    assert_eq!(ben.key(), key);
    assert_eq!(ben.json(&["whoami"])["protected"], false);
    assert_eq!(comment_count(&ben, &draft), 3);
}

#[test]
fn a_damaged_key_file_is_one_clear_line_not_a_crash() {
    let secrets = Secrets::new();
    let (ana, right, _) = protected_ana(&secrets);
    let key_file = ana.home().join("identity.key");
    let stored = std::fs::read_to_string(&key_file).expect("the key file");
    std::fs::write(&key_file, &stored[..stored.len() / 2]).expect("damage the key file");
    let out = ana
        .command()
        .arg("--passphrase-file")
        .arg(&right)
        .args(["space", "create", "Never"])
        .output()
        .expect("run margin");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(&format!(
            "margin: the key file {} is damaged: ",
            key_file.display()
        )),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

/// `margin node` that must exit by itself at once: its status and stderr (the process is
/// killed if it is still running after [`PATIENCE`]).
fn node_that_exits(p: &Participant, env: &[(&str, &Path)]) -> (Option<i32>, String) {
    let mut command = p.command();
    command
        .args([
            "node",
            "--no-mdns",
            "--http",
            "127.0.0.1:0",
            "--listen",
            "/ip4/127.0.0.1/tcp/0",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("start margin node");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("the node's status").is_some() {
            break;
        }
        if started.elapsed() > PATIENCE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("margin node went on running without its passphrase");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("the node's output");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_node_with_a_protected_key_unlocks_it_once_at_start() {
    let secrets = Secrets::new();
    let (ana, right, draft) = protected_ana(&secrets);
    let wrong = secrets.file("wrong", "incorrect horse");

    // Without the passphrase, or with a wrong one, the node does not start.
    let (status, stderr) = node_that_exits(&ana, &[]);
    assert_eq!(status, Some(1));
    assert!(
        stderr.contains("protected by a passphrase, and none was given"),
        "{stderr}"
    );
    let (status, stderr) = node_that_exits(&ana, &[("MARGIN_PASSPHRASE_FILE", &wrong)]);
    assert_eq!(status, Some(1));
    assert!(
        stderr.ends_with(&format!(
            "margin: wrong passphrase for the key in {}\n",
            ana.home().display()
        )),
        "{stderr}"
    );

    // With it, the node runs and signs what its participant writes in the web
    // interface, asking nothing more.
    let node = RunningNode::start_with_env(
        ana.clone(),
        &[],
        &[(
            "MARGIN_PASSPHRASE_FILE".to_owned(),
            right.display().to_string(),
        )],
    );
    let info = node.info().expect("node.json");
    let http = info["http"].as_str().expect("the HTTP address").to_owned();
    let token = std::fs::read_to_string(ana.home().join("api.token")).expect("the token");
    let auth = format!("Bearer {}", token.trim());
    let posted = http::send(
        &http,
        "POST",
        &format!("/api/drafts/{draft}/comments"),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        json!({ "kind": "comment", "body": "Signed by the running node." })
            .to_string()
            .into_bytes(),
    );
    assert_eq!(posted.status, 201, "{}", posted.text());
    let comments = ana.json(&["comments", &draft]);
    assert_eq!(comments[0]["body"], "Signed by the running node.");
    assert_eq!(comments[0]["author"]["key"], ana.key().as_str());
    drop(node);
}

#[test]
fn an_exported_identity_signs_in_a_fresh_home_and_another_node_accepts_it() {
    let secrets = Secrets::new();
    let export_pass = secrets.file("export", "a passphrase for the file");
    let wrong = secrets.file("wrong", "not the file's passphrase");
    let ana = Participant::init("Ana", "civil-society");
    let key = ana.key();
    let (space, draft) = space_with_draft(&ana, None);
    let file = secrets.path("ana.age");

    let exported = json_with(&ana, &export_pass, &["key", "export", "--out", text(&file)]);
    assert_eq!(exported, json!({ "key": key, "file": text(&file) }));
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file)
            .expect("the export")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The format: an age file holding the documented JSON.
    let contents: Value =
        serde_json::from_slice(&age_decrypt(&file, "a passphrase for the file")).expect("JSON");
    assert_eq!(contents["format"], "margin-identity");
    assert_eq!(contents["version"], 1);
    assert_eq!(contents["key"], key.as_str());
    assert_eq!(contents["profile"]["name"], "Ana");
    assert_eq!(contents["profile"]["stakeholder"], "civil-society");
    let seed = contents["secret_key"].as_str().expect("the secret key");
    assert_eq!(
        std::fs::read_to_string(ana.home().join("identity.key")).expect("the key file"),
        format!("{seed}\n")
    );
    let written = std::fs::read_to_string(&file).expect("the export");
    assert!(!written.contains(seed) && !written.contains("Ana"));

    // Into a fresh home: the wrong passphrase imports nothing.
    let laptop = Participant::new("Ana's laptop");
    let refused = fails_with(&laptop, &wrong, &["key", "import", text(&file)]);
    assert_eq!(
        refused,
        format!("margin: wrong passphrase for {}\n", file.display())
    );
    assert!(laptop.fails(&["whoami"]).contains("no identity"));

    let imported = json_with(&laptop, &export_pass, &["key", "import", text(&file)]);
    assert_eq!(imported["key"], key.as_str());
    assert_eq!(imported["protected"], true);
    let whoami = laptop.json(&["whoami"]);
    assert_eq!(whoami["key"], key.as_str());
    assert_eq!(whoami["name"], "Ana");
    assert_eq!(whoami["stakeholder"], "civil-society");
    assert_eq!(whoami["protected"], true);
    // Never over a participant already there, unless told.
    let twice = fails_with(&laptop, &export_pass, &["key", "import", text(&file)]);
    assert!(twice.contains("give --replace"), "{twice}");

    // The laptop signs as Ana (with the file's passphrase, which now protects the key)
    // and a third node accepts what it signed.
    laptop.import(&ana.bundle(&space));
    ok_with(
        &laptop,
        &export_pass,
        &["comment", &draft, "--body", "Written on the laptop."],
    );
    let carol = Participant::init("Carol", "government");
    let report = carol.import(&laptop.bundle(&space));
    assert!(
        report["rejected"].as_array().expect("refusals").is_empty(),
        "{report}"
    );
    let comments = carol.json(&["comments", &draft]);
    assert_eq!(comments.as_array().expect("comments").len(), 1);
    assert_eq!(comments[0]["author"]["key"], key.as_str());
    assert_eq!(comments[0]["body"], "Written on the laptop.");
    // And so does the home it came from.
    assert_eq!(ana.import(&laptop.bundle(&space))["accepted"], 1);
}

#[test]
fn an_export_is_never_written_in_the_clear_nor_over_a_file() {
    let secrets = Secrets::new();
    let pass = secrets.file("pass", "a passphrase for the file");
    let empty = secrets.path("empty");
    std::fs::write(&empty, "\n").expect("an empty passphrase file");
    let ana = Participant::init("Ana", "civil-society");
    let file = secrets.path("ana.age");

    // No passphrase, or an empty one: no file.
    let refused = ana.fails(&["key", "export", "--out", text(&file)]);
    assert!(
        refused.contains("protected by a passphrase") || refused.contains("--passphrase-file"),
        "{refused}"
    );
    assert!(!file.exists());
    let refused = fails_with(&ana, &empty, &["key", "export", "--out", text(&file)]);
    assert!(refused.contains("empty"), "{refused}");
    assert!(!file.exists());

    // Not over an existing file, unless --force.
    std::fs::write(&file, "keep me").expect("a file in the way");
    let refused = fails_with(&ana, &pass, &["key", "export", "--out", text(&file)]);
    assert_eq!(
        refused,
        format!(
            "margin: {} already exists; give --force to replace it\n",
            file.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&file).expect("the file"), "keep me");
    ok_with(
        &ana,
        &pass,
        &["key", "export", "--out", text(&file), "--force"],
    );
    let contents: Value =
        serde_json::from_slice(&age_decrypt(&file, "a passphrase for the file")).expect("JSON");
    assert_eq!(contents["key"], ana.key().as_str());

    // An identity in the clear is not an identity file.
    let clear = secrets.path("clear.json");
    std::fs::write(&clear, contents.to_string()).expect("an unencrypted identity");
    let fresh = Participant::new("Fresh");
    let refused = fails_with(&fresh, &pass, &["key", "import", text(&clear)]);
    assert!(refused.contains("it is not encrypted"), "{refused}");
    assert!(fresh.fails(&["whoami"]).contains("no identity"));
}

#[test]
fn an_identity_file_made_by_another_age_program_is_imported() {
    // What a browser, or anyone with age and JSON, writes: the profile's fields and no
    // signed entry, in binary (unarmored) age.
    let key = SigningKey::from_seed([42; 32]);
    let contents = json!({
        "format": "margin-identity",
        "version": 1,
        "key": key.public().to_string(),
        "secret_key": hex::encode(key.to_seed()),
        "profile": { "name": "Dana", "stakeholder": "private-sector", "region": "Africa" },
    });
    let mut recipient = age::scrypt::Recipient::new("from elsewhere".to_owned().into());
    recipient.set_work_factor(16);
    let sealed = age::encrypt(&recipient, contents.to_string().as_bytes()).expect("encrypt");
    let secrets = Secrets::new();
    let file = secrets.path("dana.age");
    std::fs::write(&file, sealed).expect("write the identity file");
    let pass = secrets.file("pass", "from elsewhere");

    let dana = Participant::new("Dana");
    json_with(&dana, &pass, &["key", "import", text(&file)]);
    let whoami = dana.json(&["whoami"]);
    assert_eq!(whoami["key"], key.public().to_string());
    assert_eq!(whoami["name"], "Dana");
    assert_eq!(whoami["region"], "Africa");
    // Its profile was signed anew, by that key: it can write.
    let space = field(
        &json_with(&dana, &pass, &["space", "create", "Dana's"]),
        "space",
    );
    assert!(!space.is_empty());
}
