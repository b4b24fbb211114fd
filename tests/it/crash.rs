//! Crash safety: a node killed without warning (SIGKILL, as a crash or a power cut does)
//! at random moments, during heavy ingest from a peer and during authoring, loses
//! nothing it acknowledged and leaves a store that checks clean; a `margin init` killed
//! at any moment leaves a home that works or one that `init` completes.
//!
//! After each kill: `margin store check` passes (SQLite's integrity check included);
//! every comment the node had acknowledged is still there, whether to a peer (listed by
//! its API, which is what it tells others it holds) or to its author (the `margin
//! comment` that exited with the comment's id); and at the end sync resumes and both
//! nodes agree. `MARGIN_CRASH_ROUNDS` sets how many kills (6 by default; the crash
//! script in docs/security.md runs 50), `MARGIN_CRASH_SEED` the random moments.

use crate::common;

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::running::{RunningNode, eventually};
use common::*;
use margin_core::body::CommentKind;
use margin_node::node::NewComment;
use margin_node::{Home, Node};
use serde_json::Value;

/// A small generator of random moments, seeded so that a failing run can be repeated.
struct Moments(u64);

impl Moments {
    fn new() -> Moments {
        let seed = std::env::var("MARGIN_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| u64::from(std::process::id()));
        eprintln!("crash moments: MARGIN_CRASH_SEED={seed}");
        Moments(seed)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }

    fn millis(&mut self, from: u64, to: u64) -> Duration {
        Duration::from_millis(from + self.below(to - from))
    }
}

/// Comments the source writes while the victim is down, for it to fetch in each ingest
/// round: enough that ingesting them takes longer than most waits before the kill.
const BATCH: usize = 800;

fn rounds() -> usize {
    std::env::var("MARGIN_CRASH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6)
}

/// The comment ids `margin comments DRAFT` lists in `p`'s home.
fn stored_comments(p: &Participant, draft: &str) -> BTreeSet<String> {
    p.json(&["comments", draft])
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["id"].as_str().map(str::to_owned))
        .collect()
}

/// The comment ids a running node's API lists, if it answered.
fn listed_comments(node: &RunningNode, draft: &str) -> Option<BTreeSet<String>> {
    let http = node.info()?["http"].as_str()?.to_owned();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    let text = agent
        .get(format!("http://{http}/api/drafts/{draft}/comments"))
        .call()
        .ok()?
        .body_mut()
        .read_to_string()
        .ok()?;
    let list: Value = serde_json::from_str(&text).ok()?;
    Some(
        list.as_array()?
            .iter()
            .filter_map(|c| c["id"].as_str().map(str::to_owned))
            .collect(),
    )
}

/// `margin store check` must pass in `p`'s home.
fn check_clean(p: &Participant, round: usize, what: &str) {
    let out = p.run(&["--json", "store", "check"]);
    assert!(
        out.status.success(),
        "round {round} ({what}): the store does not check clean after the kill:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes `n` comments in `p`'s home through the node library, as the CLI writes them,
/// while its node runs.
fn write_comments(
    p: &Participant,
    draft: &str,
    paras: &[margin_core::ParaId],
    n: usize,
    tag: usize,
) {
    let mut node = Node::open(Home::at(p.home())).expect("the source's node");
    for i in 0..n {
        node.comment(
            draft,
            NewComment {
                para: Some(&paras[i % paras.len()]),
                quote: None,
                text: &format!("Batch {tag}, remark {i}: the text should say who decides."),
                kind: CommentKind::Comment,
                suggestion: None,
                reply: None,
                version: None,
            },
        )
        .expect("a comment");
    }
}

#[test]
fn a_node_killed_at_random_moments_loses_nothing_it_acknowledged() {
    let mut moments = Moments::new();
    let source = Participant::init("Source", "academia");
    let space = source.json(&["space", "create", "Crash safety"])["space"]
        .as_str()
        .expect("space id")
        .to_owned();
    let v1 = fixture("bpf-draft-v1.md");
    let draft = source.json(&["draft", "import", &space, v1.to_str().expect("UTF-8")])["draft"]
        .as_str()
        .expect("draft id")
        .to_owned();
    let shown = source.json(&["draft", "show", &draft]);
    let paras: Vec<margin_core::ParaId> = shown["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .flat_map(|s| s["paragraphs"].as_array().cloned().unwrap_or_default())
        .map(|p| p["id"].as_str().expect("paragraph id").into())
        .collect();
    let para = paras[0].to_string();
    let source = RunningNode::start(source, &[]);
    let bootstrap = source.addr();
    let started = Instant::now();
    let mut victim = RunningNode::start(
        Participant::init("Victim", "civil-society"),
        &["--bootstrap", &bootstrap],
    );
    let invite = source.p.json(&["space", "invite", &space])["invite"]
        .as_str()
        .expect("invite")
        .to_owned();
    let mut start_took = started.elapsed();
    victim.p.ok(&["space", "join", &invite, "--timeout", "60"]);

    // Everything each node acknowledged, to a peer or to its author.
    let mut acknowledged: BTreeSet<String> = BTreeSet::new();
    let mut authored: BTreeSet<String> = BTreeSet::new();
    let mut kills_mid_command = 0;
    let mut kills_mid_ingest = 0;
    for round in 0..rounds() {
        let ingest = round % 2 == 0;
        if ingest {
            // The victim is down while the source writes a batch; it fetches the batch
            // when it starts, and is killed while it ingests.
            victim.kill();
            write_comments(&source.p, &draft, &paras, BATCH, round);
            // Killed at any moment of its start: loading, connecting, fetching,
            // ingesting. Ingest begins about when the node listens (later as the store
            // grows) and takes a few tenths of a second.
            victim.launch();
            let ms = start_took.as_millis() as u64;
            let deadline = Instant::now() + moments.millis(ms / 2, ms * 3 / 2 + 300);
            while Instant::now() < deadline {
                if let Some(listed) = listed_comments(&victim, &draft) {
                    acknowledged.extend(listed);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            victim.kill();
        } else {
            // The participant comments from the CLI while the node runs; both the node
            // and the command in progress are killed.
            let deadline = Instant::now() + moments.millis(300, 3_000);
            let mut n = 0;
            let mut running: Option<Child> = None;
            while Instant::now() < deadline {
                match running.as_mut().map(|c| c.try_wait()) {
                    None => {
                        n += 1;
                        running = Some(
                            Command::new(margin_bin())
                                .args(["--json", "comment", &draft, "--para", &para, "--body"])
                                .arg(format!("Round {round}, comment {n}: clarify the scope."))
                                .env("MARGIN_HOME", victim.p.home())
                                .stdin(Stdio::null())
                                .stdout(Stdio::piped())
                                .stderr(Stdio::piped())
                                .spawn()
                                .expect("margin comment"),
                        );
                    }
                    Some(Ok(Some(_))) => {
                        let out = running
                            .take()
                            .expect("a command")
                            .wait_with_output()
                            .expect("its output");
                        assert!(
                            out.status.success(),
                            "round {round}: margin comment failed: {}",
                            String::from_utf8_lossy(&out.stderr)
                        );
                        let printed: Value =
                            serde_json::from_slice(&out.stdout).expect("the comment's id");
                        authored.insert(printed["comment"].as_str().expect("id").to_owned());
                    }
                    Some(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
            if let Some(mut child) = running {
                let _ = child.kill();
                let _ = child.wait();
                kills_mid_command += 1;
            }
            victim.kill();
        }
        let what = if ingest { "ingest" } else { "authoring" };
        check_clean(&victim.p, round, what);
        let held = stored_comments(&victim.p, &draft);
        if ingest && held.len() < stored_comments(&source.p, &draft).len() {
            kills_mid_ingest += 1;
        }
        let lost: Vec<&String> = acknowledged
            .iter()
            .chain(&authored)
            .filter(|id| !held.contains(*id))
            .collect();
        assert!(
            lost.is_empty(),
            "round {round} ({what}): {} acknowledged comments lost, e.g. {:?}",
            lost.len(),
            lost.first()
        );
        eprintln!(
            "round {round} ({what}): killed; {} comments held, {} acknowledged to the peer's side, {} to the author",
            held.len(),
            acknowledged.len(),
            authored.len()
        );
        let started = Instant::now();
        victim.restart();
        start_took = started.elapsed();
    }
    eprintln!(
        "{kills_mid_ingest} kills landed before the ingest was complete, \
         {kills_mid_command} while a `margin comment` ran"
    );

    // Sync resumes: both nodes end with every comment, and agree.
    victim.wait_in_sync(&space, 1);
    source.wait_in_sync(&space, 1);
    eventually("both nodes hold the same entries", || {
        source.p.digest(&space) == victim.p.digest(&space)
    });
    let at_source = stored_comments(&source.p, &draft);
    assert!(
        authored.iter().all(|id| at_source.contains(id)),
        "comments written on the victim never reached the source"
    );
    check_clean(&victim.p, rounds(), "at the end");
}

#[test]
fn an_init_killed_at_any_moment_leaves_a_home_that_works_or_that_init_completes() {
    let mut moments = Moments::new();
    for round in 0..12 {
        let dir = tempfile::tempdir().expect("a home");
        let mut child = Command::new(margin_bin())
            .args(["init", "--name", "Ana", "--stakeholder", "civil-society"])
            .env("MARGIN_HOME", dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("margin init");
        std::thread::sleep(moments.millis(0, 40));
        let _ = child.kill();
        let _ = child.wait();
        let whoami = Command::new(margin_bin())
            .args(["whoami"])
            .env("MARGIN_HOME", dir.path())
            .output()
            .expect("margin whoami");
        if whoami.status.success() {
            continue;
        }
        let again = Command::new(margin_bin())
            .args(["init", "--name", "Ana", "--stakeholder", "civil-society"])
            .env("MARGIN_HOME", dir.path())
            .output()
            .expect("margin init again");
        assert!(
            again.status.success(),
            "round {round}: after a killed init, `margin whoami` says {} and `margin init` refuses: {}",
            String::from_utf8_lossy(&whoami.stderr),
            String::from_utf8_lossy(&again.stderr)
        );
        let whoami = Command::new(margin_bin())
            .args(["whoami"])
            .env("MARGIN_HOME", dir.path())
            .output()
            .expect("margin whoami");
        assert!(whoami.status.success(), "round {round}");
    }
}

#[test]
fn a_damaged_database_file_is_reported_and_not_repaired_blindly() {
    let p = Participant::init("Ana", "civil-society");
    let space = p.json(&["space", "create", "Damaged"])["space"]
        .as_str()
        .expect("space id")
        .to_owned();
    let v1 = fixture("bpf-draft-v1.md");
    p.ok(&["draft", "import", &space, v1.to_str().expect("UTF-8")]);
    p.ok(&["store", "check"]);
    // Overwrite a page in the middle of the file, as a failing disk would.
    let db = p.home().join("margin.db");
    let mut bytes = std::fs::read(&db).expect("the database");
    // The page size is in the file's header (bytes 16 and 17, big-endian; 1 is 64 KiB).
    let page = match u16::from_be_bytes([bytes[16], bytes[17]]) {
        1 => 65536,
        n => usize::from(n),
    };
    assert!(
        bytes.len() > 4 * page,
        "a database of {} bytes",
        bytes.len()
    );
    let at = (bytes.len() / page / 2) * page;
    for (i, b) in bytes[at..at + page].iter_mut().enumerate() {
        *b = (i * 7 + 3) as u8;
    }
    std::fs::write(&db, &bytes).expect("damaged");
    let check = p.run(&["store", "check"]);
    assert!(!check.status.success(), "a damaged file checked clean");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(
        said.contains("damaged") || said.contains("malformed"),
        "store check said: {said}"
    );
    let repair = p.run(&["store", "check", "--repair"]);
    assert!(!repair.status.success(), "a damaged file was 'repaired'");
    assert!(
        String::from_utf8_lossy(&repair.stderr).contains("backup"),
        "store check --repair said: {}",
        String::from_utf8_lossy(&repair.stderr)
    );
}
