//! Target: a newcomer joins, over a 64 kbit/s link, a space holding a 100-page draft
//! (about 40 000 words, 30 revisions) and 1 000 comments: the draft is readable within
//! 60 s, the join completes within 5 minutes, and the bytes on the link stay within 1.2×
//! the entries compressed (each on its own with zstd -19, as a protocol that sends
//! entries one by one at best could; the whole set compressed at once is printed too).
//!
//! The revisions are spread among the comments, as in a review where the pen-holder
//! revises while people comment: the latest revision is newer than almost every comment,
//! so a newcomer served in time order would read the draft only once nearly all the
//! discussion had crossed the link. The draft's baseline is its own entries (who takes
//! part and the draft's changes, compressed each) at the link's rate.
//!
//! Two network namespaces joined by a veth pair shaped on both ends with `tc tbf`
//! (`ShapedLink`, as the slow-link test uses), at 64 kbit/s and at 256 kbit/s; a mirror
//! in one holds the space, a fresh node in the other joins it by invite. Every 300 ms
//! the newcomer's CLI is asked for the draft (readable: the same paragraphs as the
//! mirror's current version) and for the space's state digest (complete: the mirror's).
//! Bytes are what the kernel counted on the newcomer's connections (`ss -ti`, TCP
//! payload both ways, libp2p's own traffic included). The baseline printed beside each
//! time is the physical floor: the compressed entries' bits divided by the link's rate.
//!
//! Needs root (namespaces, `tc`) and `ip`, `tc`, `ss`. Every node is stopped at the end.
//!
//! Run: `cargo bench -p margin-cli --bench slow_join` (`MARGIN_BENCH_SCALE=0.1` for a
//! small space).

#[path = "../tests/it/common/mod.rs"]
mod common;
mod support;

use std::time::{Duration, Instant};

use common::netns::ShapedLink;
use common::running::RunningNode;
use common::{Participant, comment_in_process, fixture};
use margin_core::entry::{Entry, Part};
use margin_core::id::SpaceId;
use margin_node::node::Node;
use margin_node::{Home, NodeError};
use serde_json::Value;
use support::*;

const READABLE_S: f64 = 60.0;
const COMPLETE_S: f64 = 300.0;
const MAX_BYTES_RATIO: f64 = 1.2;
/// Give up on a join after this long.
const GIVE_UP: Duration = Duration::from_secs(1200);

fn text(v: &Value, name: &str) -> String {
    v[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {v}"))
        .to_owned()
}

/// A small pseudo-random generator, so every run writes the same space.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize % n.max(1)
    }
}

/// The space: the draft imported, revised `revisions - 1` times (a few paragraphs
/// reworded each time), and `comments` comments of 15 to 60 of the draft's words, written
/// between the revisions: the last revision comes after all but the last round's.
fn write_space(
    author: &Participant,
    words: usize,
    revisions: usize,
    comments: usize,
) -> (String, String) {
    let space = text(
        &author.json(&["space", "create", "A 100-page report"]),
        "space",
    );
    let mut markdown = long_draft(11, words * 6);
    let file = author.home().join("report.md");
    std::fs::write(&file, &markdown).expect("write the draft");
    let draft = text(
        &author.json(&["draft", "import", &space, file.to_str().expect("UTF-8")]),
        "draft",
    );
    let mut node = Node::open(Home::at(author.home())).expect("the author's node");
    let mut rng = Lcg(12);
    let shown = author.json(&["draft", "show", &draft]);
    let paras: Vec<margin_core::ParaId> = shown["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .flat_map(|s| s["paragraphs"].as_array().cloned().unwrap_or_default())
        .filter(|p| p["text"].as_str().is_some_and(|t| t.len() > 60))
        .map(|p| text(&p, "id").as_str().into())
        .collect();
    let vocabulary: Vec<String> = std::fs::read_to_string(fixture("bpf-draft-v1.md"))
        .expect("the fixture")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let mut written = 0;
    for r in 1..=revisions {
        // Round r's comments, then (but for the last round) revision r.
        let due = comments * r / revisions;
        while written < due {
            let count = 15 + rng.below(45);
            let body: Vec<&str> = (0..count)
                .map(|_| vocabulary[rng.below(vocabulary.len())].as_str())
                .collect();
            let para = paras[rng.below(paras.len())].clone();
            comment_in_process(&mut node, &draft, &para, &body.join(" "));
            written += 1;
        }
        if r == revisions {
            break;
        }
        let mut paragraphs: Vec<String> = markdown.split("\n\n").map(str::to_owned).collect();
        for _ in 0..3 {
            let i = rng.below(paragraphs.len());
            if !paragraphs[i].starts_with('#') {
                paragraphs[i].push_str(&format!(" Revised in round {r}."));
            }
        }
        markdown = paragraphs.join("\n\n");
        node.update_draft(&draft, &markdown, &format!("round {r}"))
            .expect("a revision");
    }
    (space, draft)
}

/// Every entry of the space, as stored.
fn entries_of(home: &std::path::Path, space: &str) -> Result<Vec<Vec<u8>>, NodeError> {
    let node = Node::open(Home::at(home))?;
    let id: SpaceId = node.locate_space(space)?;
    let ids: Vec<_> = node
        .store()
        .space_items(&id)?
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    Ok(node.store().entry_bytes(&id, &ids)?)
}

struct Joined {
    readable: Option<f64>,
    complete: Option<f64>,
    bytes: u64,
}

fn join(rate: &str, bundle: &std::path::Path, space: &str, draft: &str) -> Result<Joined, String> {
    let link = ShapedLink::new(rate)?;
    let mirror = Participant::init("Mirror", "technical-community").in_netns(&link.names[0]);
    let newcomer = Participant::init("Newcomer", "civil-society").in_netns(&link.names[1]);
    mirror.import(bundle);
    let want_draft = mirror.json(&["draft", "show", draft])["sections"].clone();
    let want_digest = text(&mirror.json(&["space", "show", space]), "digest");
    let mirror = RunningNode::start(mirror, &["--listen", &link.listen(0)]);
    let newcomer = RunningNode::start(newcomer, &["--listen", &link.listen(1)]);
    let invite = text(&mirror.p.json(&["space", "invite", space]), "invite");
    let began = Instant::now();
    newcomer.p.run(&["space", "join", &invite, "--no-wait"]);
    let mut joined = Joined {
        readable: None,
        complete: None,
        bytes: 0,
    };
    while began.elapsed() < GIVE_UP && joined.complete.is_none() {
        std::thread::sleep(Duration::from_millis(300));
        let now = began.elapsed().as_secs_f64();
        if joined.readable.is_none() {
            let out = newcomer.p.run(&["--json", "draft", "show", draft]);
            let shown: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
            if out.status.success() && shown["sections"] == want_draft {
                joined.readable = Some(now);
            }
        }
        let out = newcomer.p.run(&["--json", "space", "show", space]);
        let shown: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        if shown["digest"] == want_digest.as_str() {
            joined.complete = Some(now);
        }
    }
    joined.bytes = link.bytes_on_link(1);
    drop(newcomer);
    drop(mirror);
    Ok(joined)
}

fn seconds(s: Option<f64>) -> String {
    s.map_or_else(|| "never".to_owned(), |s| format!("{s:.1} s"))
}

fn main() {
    let words = scaled(40_000);
    let comments = scaled(1_000);
    println!(
        "# A newcomer joins a {words}-word draft (30 revisions) and {comments} comments over a slow link\n"
    );
    println!("machine: {}\n", machine());
    let author = Participant::init("Author", "academia");
    let (space, draft) = write_space(&author, words, 30, comments);
    let bundle = author.bundle(&space);
    let entries = entries_of(author.home(), &space).expect("the author's entries");
    let raw: usize = entries.iter().map(Vec::len).sum();
    let each: usize = entries
        .iter()
        .map(|e| zstd::bulk::compress(e, 19).expect("zstd").len())
        .sum();
    // What a reader needs before the draft can be shown: who takes part, and the draft.
    let reading: usize = entries
        .iter()
        .filter(|e| {
            Entry::from_trusted_store(e).is_ok_and(|e| Part::of(e.kind()) != Part::Discussion)
        })
        .map(|e| zstd::bulk::compress(e, 19).expect("zstd").len())
        .sum();
    let whole = zstd::bulk::compress(&entries.concat(), 19)
        .expect("zstd")
        .len();
    let mut sizes = Table::new(&["the space's entries", "bytes"]);
    sizes.row(&[
        format!("{} entries, raw", entries.len()),
        thousands(raw as u64),
    ]);
    sizes.row(&[
        "each compressed on its own (zstd -19)".into(),
        thousands(each as u64),
    ]);
    sizes.row(&[
        "of which people and the draft, each compressed".into(),
        thousands(reading as u64),
    ]);
    sizes.row(&[
        "all compressed at once (zstd -19)".into(),
        thousands(whole as u64),
    ]);
    sizes.print();
    println!();

    let mut table = Table::new(&[
        "link",
        "draft readable",
        "floor (people and draft at the link's rate)",
        "target ≤ 60 s",
        "sync complete",
        "target ≤ 5 min",
        "floor (compressed entries at the link's rate)",
        "bytes on the link",
        "÷ entries compressed each",
        "÷ all compressed at once",
        "target ≤ 1.2×",
    ]);
    for (rate, bits_per_second) in [("64kbit", 64_000.0), ("256kbit", 256_000.0)] {
        let joined = match join(rate, &bundle, &space, &draft) {
            Ok(joined) => joined,
            Err(why) => {
                println!("cannot make the shaped link ({why}): run as root with ip, tc and ss");
                return;
            }
        };
        let floor = each as f64 * 8.0 / bits_per_second;
        let reading_floor = reading as f64 * 8.0 / bits_per_second;
        let ratio = joined.bytes as f64 / each as f64;
        table.row(&[
            rate.into(),
            seconds(joined.readable),
            format!("{reading_floor:.1} s"),
            verdict(joined.readable.is_some_and(|s| s <= READABLE_S) || rate != "64kbit").into(),
            seconds(joined.complete),
            verdict(joined.complete.is_some_and(|s| s <= COMPLETE_S) || rate != "64kbit").into(),
            format!("{floor:.1} s"),
            thousands(joined.bytes),
            format!("{ratio:.2}×"),
            format!("{:.2}×", joined.bytes as f64 / whole as f64),
            verdict(ratio <= MAX_BYTES_RATIO).into(),
        ]);
        println!(
            "{rate}: draft readable after {}, complete after {}, {} bytes on the link",
            seconds(joined.readable),
            seconds(joined.complete),
            thousands(joined.bytes)
        );
    }
    println!("\n## Summary (time targets are for 64 kbit/s)\n");
    table.print();
}
