//! Target: a newcomer fetching the sample draft with 200 revisions moves at most 1.5× the
//! draft's floor on its TCP connections, as the kernel counts them (`ss -ti`, TCP payload
//! both ways, libp2p's own traffic included): the draft's Automerge file (what Automerge
//! itself would send) plus one 64-byte signature per revision.
//!
//! The author imports the sample draft of the fixtures and revises it 199 times (a
//! sentence added to or a word changed in one paragraph each time), through the node
//! library as the CLI does. A mirror in one network namespace holds the space; a fresh
//! node in another joins it by invite over a veth pair shaped to 10 Mbit/s with `tc tbf`
//! (`ShapedLink`, as the slow-join benchmark uses), and the benchmark waits until the
//! newcomer's state digest is the mirror's.
//!
//! Needs root (namespaces, `tc`) and `ip`, `tc`, `ss`. Every node is stopped at the end.
//!
//! Run: `cargo bench -p margin-cli --bench draft_wire`

#[path = "../tests/it/common/mod.rs"]
mod common;
mod support;

use std::time::{Duration, Instant};

use common::netns::ShapedLink;
use common::running::RunningNode;
use common::{Participant, fixture};
use margin_core::id::SpaceId;
use margin_node::{Home, Node};
use serde_json::Value;
use support::*;

const MAX_RATIO: f64 = 1.5;
const GIVE_UP: Duration = Duration::from_secs(300);

fn text(v: &Value, name: &str) -> String {
    v[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {v}"))
        .to_owned()
}

fn main() {
    let revisions = scaled(200).max(2);
    println!(
        "# A newcomer fetches the sample draft with {revisions} revisions, counted by the kernel\n"
    );
    println!("machine: {}\n", machine());
    let author = Participant::init("Author", "academia");
    let space = text(
        &author.json(&["space", "create", "BPF on Cybersecurity"]),
        "space",
    );
    let v1 = fixture("bpf-draft-v1.md");
    let draft = text(
        &author.json(&["draft", "import", &space, v1.to_str().expect("UTF-8")]),
        "draft",
    );
    let mut markdown = std::fs::read_to_string(&v1).expect("the fixture");
    let (saved, signatures) = {
        let mut node = Node::open(Home::at(author.home())).expect("the author's node");
        let words: Vec<String> = markdown.split_whitespace().map(str::to_owned).collect();
        for r in 1..revisions {
            let mut paragraphs: Vec<String> = markdown.split("\n\n").map(str::to_owned).collect();
            let editable: Vec<usize> = (0..paragraphs.len())
                .filter(|i| !paragraphs[*i].starts_with('#') && paragraphs[*i].len() > 60)
                .collect();
            let at = editable[(r * 7919) % editable.len()];
            if r % 3 == 0 {
                paragraphs[at].push_str(&format!(" Revised in round {r}."));
            } else {
                let mut line: Vec<String> = paragraphs[at].split(' ').map(str::to_owned).collect();
                let w = 1 + (r * 31) % (line.len() - 1);
                line[w] = words[(r * 131) % words.len()].to_lowercase();
                paragraphs[at] = line.join(" ");
            }
            markdown = paragraphs.join("\n\n");
            node.update_draft(&draft, &markdown, &format!("round {r}"))
                .expect("a revision");
        }
        let id: SpaceId = node.locate_space(&space).expect("the space");
        let draft_id = node.resolve(&draft).expect("the draft");
        let saved = node
            .with_space(&id, |state| {
                Ok::<_, margin_node::NodeError>(
                    state.draft(&draft_id).expect("the draft").doc.save().len(),
                )
            })
            .expect("the space");
        (saved as u64, 64 * revisions as u64)
    };
    let bundle = author.bundle(&space);
    let floor = saved + signatures;
    let mut sizes = Table::new(&["what", "bytes"]);
    sizes.row(&[
        "the draft's Automerge file (`save`)".into(),
        thousands(saved),
    ]);
    sizes.row(&[
        format!("{revisions} signatures of 64 bytes"),
        thousands(signatures),
    ]);
    sizes.row(&["floor: both".into(), thousands(floor)]);
    sizes.print();
    println!();

    let link = match ShapedLink::new("10mbit") {
        Ok(link) => link,
        Err(why) => {
            println!("cannot make the shaped link ({why}): run as root with ip, tc and ss");
            return;
        }
    };
    let mirror = Participant::init("Mirror", "technical-community").in_netns(&link.names[0]);
    let newcomer = Participant::init("Newcomer", "civil-society").in_netns(&link.names[1]);
    mirror.import(&bundle);
    let want = text(&mirror.json(&["space", "show", &space]), "digest");
    let mirror = RunningNode::start(mirror, &["--listen", &link.listen(0)]);
    let newcomer = RunningNode::start(newcomer, &["--listen", &link.listen(1)]);
    let invite = text(&mirror.p.json(&["space", "invite", &space]), "invite");
    let began = Instant::now();
    newcomer.p.run(&["space", "join", &invite, "--no-wait"]);
    let mut complete = None;
    while began.elapsed() < GIVE_UP && complete.is_none() {
        std::thread::sleep(Duration::from_millis(200));
        let out = newcomer.p.run(&["--json", "space", "show", &space]);
        let shown: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        if shown["digest"] == want.as_str() {
            complete = Some(began.elapsed().as_secs_f64());
        }
    }
    // The confirming reconciliation and the connection's keep-alives after it are part
    // of a join; give them a moment.
    std::thread::sleep(Duration::from_secs(2));
    let bytes = link.bytes_on_link(1);
    let packed: u64 = newcomer
        .peers()
        .iter()
        .filter_map(|p| p["traffic"]["packed_entries"].as_u64())
        .sum();
    drop(newcomer);
    drop(mirror);
    let ratio = bytes as f64 / floor as f64;
    println!(
        "complete after {}; {packed} entries arrived packed\n",
        complete.map_or("never".into(), |s| format!("{s:.1} s"))
    );
    let mut table = Table::new(&[
        "revisions",
        "bytes on the link (kernel)",
        "floor (Automerge file + signatures)",
        "÷ floor",
        "target ≤ 1.5×",
    ]);
    table.row(&[
        revisions.to_string(),
        thousands(bytes),
        thousands(floor),
        format!("{ratio:.2}×"),
        verdict(complete.is_some() && ratio <= MAX_RATIO).into(),
    ]);
    table.print();
}
