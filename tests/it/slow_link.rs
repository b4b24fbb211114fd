//! A newcomer joins a space of 1 000 comments over a 64 kbit/s link: the participant
//! Margin exists for. Two network namespaces made by the test, joined by a veth pair
//! shaped on both ends with `tc tbf` (10.79.0.0/24 exists only inside them); a mirror in
//! one holds the space, a fresh node in the other joins it. The join must complete, and
//! the bytes the kernel counted on the newcomer's connections (`ss -ti`, libp2p's own
//! traffic included) must stay within 1.5x the entries' size compressed whole with
//! `zstd -19`. The time it took is printed; the benchmark `slow_link` measures it.
//!
//! Needs root (namespaces, `tc`) and `ip`, `tc`, `ss`: without them the test says so
//! and passes, unless `MARGIN_REQUIRE_NETNS=1` (as CI sets where namespaces work), in
//! which case it fails (`common::netns`).

use crate::common;

use std::time::Instant;

use common::netns::{ShapedLink as Link, or_skip};
use common::running::RunningNode;
use common::*;
use margin_node::Home;
use margin_node::node::Node;

/// Words to write comments with: the sample draft's.
fn words() -> Vec<String> {
    let text = std::fs::read_to_string(fixture("bpf-draft-v1.md")).expect("the fixture");
    text.split_whitespace().map(str::to_owned).collect()
}

#[test]
fn a_newcomer_joins_a_thousand_comments_over_64_kbits() {
    let Some(link) = or_skip(
        "a_newcomer_joins_a_thousand_comments_over_64_kbits",
        Link::new("64kbit"),
    ) else {
        return;
    };

    // The space: the sample draft and 1 000 comments of 15 to 60 of its words, written
    // in-process (the CLI would take minutes in a debug build).
    let author = Participant::init("Author", "academia");
    let space = author.json(&["space", "create", "Slow link"])["space"]
        .as_str()
        .expect("space id")
        .to_owned();
    let fixture_path = fixture("bpf-draft-v1.md");
    let draft = author.json(&[
        "draft",
        "import",
        &space,
        fixture_path.to_str().expect("UTF-8 path"),
    ])["draft"]
        .as_str()
        .expect("draft id")
        .to_owned();
    let shown = author.json(&["draft", "show", &draft]);
    let paras: Vec<margin_core::ParaId> = shown["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .flat_map(|s| s["paragraphs"].as_array().cloned().unwrap_or_default())
        .filter(|p| p["text"].as_str().is_some_and(|t| t.len() > 60))
        .map(|p| p["id"].as_str().expect("paragraph id").into())
        .collect();
    let words = words();
    {
        let mut node = Node::open(Home::at(author.home())).expect("the author's node");
        let mut seed: u64 = 12;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        for _ in 0..1_000 {
            let count = 15 + next(45);
            let body: Vec<&str> = (0..count)
                .map(|_| words[next(words.len())].as_str())
                .collect();
            let para = paras[next(paras.len())].clone();
            comment_in_process(&mut node, &draft, &para, &body.join(" "));
        }
    }
    let bundle = author.bundle(&space);
    let raw = std::fs::read(&bundle).expect("the bundle");
    let packed = zstd::bulk::compress(&raw, 19).expect("zstd").len() as u64;

    let mirror = Participant::init("Mirror", "technical-community").in_netns(&link.names[0]);
    let newcomer = Participant::init("Newcomer", "civil-society").in_netns(&link.names[1]);
    mirror.import(&bundle);
    let mirror = RunningNode::start(mirror, &["--listen", &link.listen(0)]);
    let newcomer = RunningNode::start(newcomer, &["--listen", &link.listen(1)]);
    let invite = mirror.p.json(&["space", "invite", &space])["invite"]
        .as_str()
        .expect("an invite")
        .to_owned();

    let began = Instant::now();
    let joined = newcomer.p.run(&["space", "join", &invite]);
    let waited = newcomer
        .p
        .run(&["sync", "wait", &space, "--timeout", "300"]);
    let took = began.elapsed();
    let moved = link.bytes_on_link(1);
    assert!(
        waited.status.success(),
        "the newcomer did not get in sync: {}{}\n{}",
        String::from_utf8_lossy(&joined.stderr),
        String::from_utf8_lossy(&waited.stderr),
        newcomer.log()
    );
    let entries = |p: &Participant| p.json(&["space", "show", &space])["entries"].clone();
    assert_eq!(entries(&newcomer.p), entries(&mirror.p));
    println!(
        "joined in {:.1} s over 64 kbit/s; {moved} bytes on the link, {:.2}x the entries with zstd -19 ({packed} bytes; {} raw)",
        took.as_secs_f64(),
        moved as f64 / packed as f64,
        raw.len()
    );
    assert!(
        moved * 2 <= packed * 3,
        "{moved} bytes crossed the link for {packed} bytes of compressed entries"
    );
}
