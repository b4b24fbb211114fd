//! Test helpers: participants' homes in temporary directories, and the `margin` binary
//! run in them exactly as a user runs it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The `margin` binary Cargo built for these tests.
pub fn margin_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_margin"))
}

/// The shared fixtures folder (`tests/fixtures`).
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
}

/// Says that `test` did not run and why, past the test harness's capture of output, so
/// the skip shows in every run's output and not only when a test fails.
pub fn say_skipped(test: &str, why: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// A participant with their own home directory. Clones share the home, which is removed
/// with the last of them.
#[derive(Clone)]
pub struct Participant {
    pub name: String,
    home: std::sync::Arc<tempfile::TempDir>,
    /// The network namespace their commands (and node) run in, if not the test's own.
    netns: Option<String>,
}

impl Participant {
    /// A fresh home; no identity yet.
    pub fn new(name: &str) -> Participant {
        Participant {
            name: name.to_owned(),
            home: std::sync::Arc::new(tempfile::tempdir().expect("temporary home")),
            netns: None,
        }
    }

    /// A home that starts as a copy of the directory `dir` (a fixture home, or another
    /// participant's home while no node runs in it).
    pub fn copy_of(name: &str, dir: &Path) -> Participant {
        let p = Participant::new(name);
        copy_dir(dir, p.home());
        p
    }

    /// A fresh home with an identity (`margin init`).
    pub fn init(name: &str, stakeholder: &str) -> Participant {
        let p = Participant::new(name);
        p.ok(&["init", "--name", name, "--stakeholder", stakeholder]);
        p
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// The same participant, whose commands and node run inside the network namespace
    /// `netns` (see [`netns::Namespaces`]): its node listens and its CLI reaches the node
    /// there.
    pub fn in_netns(mut self, netns: &str) -> Participant {
        self.netns = Some(netns.to_owned());
        self
    }

    /// `margin` in this home (and this participant's namespace), arguments to add.
    pub fn command(&self) -> Command {
        let mut command = match &self.netns {
            Some(netns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", netns]).arg(margin_bin());
                c
            }
            None => Command::new(margin_bin()),
        };
        command
            .env("MARGIN_HOME", self.home.path())
            .env_remove("MARGIN_LOG");
        command
    }

    /// Runs `margin ARGS` in this home.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run margin")
    }

    /// Runs and expects success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{}: margin {} failed:\n{}",
            self.name,
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8 output")
    }

    /// Runs with `--json` and expects success; returns the parsed output.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.ok(&all);
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("margin {} printed no JSON ({e}): {out}", args.join(" ")))
    }

    /// Runs and expects failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "{}: margin {} should have failed but printed:\n{}",
            self.name,
            args.join(" "),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stderr).expect("UTF-8 errors")
    }

    /// This participant's key (did:key:…).
    pub fn key(&self) -> String {
        self.json(&["whoami"])["key"]
            .as_str()
            .expect("key")
            .to_owned()
    }

    /// Writes a bundle of the space and returns its path (inside this home).
    pub fn bundle(&self, space: &str) -> PathBuf {
        let path = self.home().join(format!("bundle-{}.margin", rand_suffix()));
        self.ok(&[
            "bundle",
            "create",
            space,
            "--out",
            path.to_str().expect("UTF-8 path"),
        ]);
        path
    }

    /// Imports a bundle file and returns the report.
    pub fn import(&self, bundle: &Path) -> Value {
        self.json(&["bundle", "import", bundle.to_str().expect("UTF-8 path")])
    }

    /// The space's state digest.
    pub fn digest(&self, space: &str) -> String {
        self.json(&["space", "show", space])["digest"]
            .as_str()
            .expect("digest")
            .to_owned()
    }
}

/// Copies the files of `from` into `to`, recursively, writable whatever their mode was.
pub fn copy_dir(from: &Path, to: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for item in std::fs::read_dir(from).expect("read the directory to copy") {
        let item = item.expect("directory entry");
        let target = to.join(item.file_name());
        if item.file_type().expect("file type").is_dir() {
            std::fs::create_dir_all(&target).expect("create a directory");
            copy_dir(&item.path(), &target);
        } else {
            std::fs::copy(item.path(), &target).expect("copy a file");
            let mut mode = std::fs::metadata(&target).expect("metadata").permissions();
            mode.set_mode(mode.mode() | 0o600);
            std::fs::set_permissions(&target, mode).expect("make the copy writable");
        }
    }
}

fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The string `name` of a command's JSON output.
pub fn field(v: &Value, name: &str) -> String {
    v[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {v}"))
        .to_owned()
}

/// The ids of the comments on `draft` that `p` holds.
pub fn comment_ids(p: &Participant, draft: &str) -> Vec<String> {
    p.json(&["comments", draft])
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["id"].as_str().map(str::to_owned))
        .collect()
}

/// The id of the paragraph of `draft` whose text starts with `starts`.
pub fn para(p: &Participant, draft: &str, starts: &str) -> String {
    let view = p.json(&["draft", "show", draft]);
    view["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["paragraphs"].as_array().cloned().unwrap_or_default())
        .find(|para| para["text"].as_str().is_some_and(|t| t.starts_with(starts)))
        .and_then(|para| para["id"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no paragraph starting with {starts:?}"))
}
pub mod clock;
pub mod http;
pub mod netns;
pub mod running;
pub mod web;

/// Writes a plain comment on paragraph `para` of `draft` through a node opened in-process
/// (thousands of comments would take minutes through the CLI of a debug build).
pub fn comment_in_process(
    node: &mut margin_node::Node,
    draft: &str,
    para: &margin_core::ParaId,
    text: &str,
) {
    node.comment(
        draft,
        margin_node::node::NewComment {
            para: Some(para),
            quote: None,
            text,
            kind: margin_core::body::CommentKind::Comment,
            suggestion: None,
            reply: None,
            version: None,
        },
    )
    .expect("a comment");
}
