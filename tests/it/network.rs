//! Nodes as real processes on loopback (or, for a partition, in network namespaces),
//! syncing real entries: what participants expect of the network. Every node is a
//! `margin node` process in its own home; every entry is written by the `margin` CLI (or,
//! for bulk, by the node library, exactly as the CLI writes it) while the nodes run.

use crate::common;

use common::netns::{Namespaces, or_skip};
use common::running::{RunningNode, eventually};
use common::*;
use margin_core::body::CommentKind;
use margin_core::entry::Part;
use margin_node::node::NewComment;
use margin_node::{Home, Node};
use serde_json::Value;

fn s(p: &std::path::Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// Amina's space with the v1 fixture draft: (participant, space, draft).
fn convene() -> (Participant, String, String) {
    let amina = Participant::init("Amina", "government");
    let space = field(
        &amina.json(&["space", "create", "BPF on Cybersecurity 2026"]),
        "space",
    );
    let draft = field(
        &amina.json(&["draft", "import", &space, s(&fixture("bpf-draft-v1.md"))]),
        "draft",
    );
    (amina, space, draft)
}

/// A new participant's node that bootstraps from `via` and joins `space` by invite
/// from `inviter`.
fn join(
    name: &str,
    group: &str,
    inviter: &RunningNode,
    via: &[&RunningNode],
    space: &str,
) -> RunningNode {
    join_as(Participant::init(name, group), &[], inviter, via, space)
}

/// [`join`] for a participant made already, whose node starts with `extra` arguments.
fn join_as(
    p: Participant,
    extra: &[&str],
    inviter: &RunningNode,
    via: &[&RunningNode],
    space: &str,
) -> RunningNode {
    let mut args = extra.to_vec();
    let addrs: Vec<String> = via.iter().map(|n| n.addr()).collect();
    for a in &addrs {
        args.push("--bootstrap");
        args.push(a.as_str());
    }
    let node = RunningNode::start(p, &args);
    let invite = field(&inviter.p.json(&["space", "invite", space]), "invite");
    let joined = node.p.json(&["space", "join", &invite, "--timeout", "60"]);
    assert_eq!(joined["fetched"], true, "{joined}");
    node
}

fn revisions(p: &Participant, draft: &str) -> usize {
    p.json(&["draft", "log", draft])["revisions"]
        .as_array()
        .map_or(0, Vec::len)
}

fn entries(p: &Participant, space: &str) -> u64 {
    p.json(&["space", "show", space])["entries"]
        .as_u64()
        .expect("entry count")
}

/// The parts of `space`'s entries in `home`, in the order that node accepted them.
fn parts_as_accepted(home: &std::path::Path, space: &str) -> Vec<Part> {
    let node = Node::open(Home::at(home)).expect("open the store");
    let id = node.locate_space(space).expect("the space");
    node.store()
        .space_entries(&id)
        .expect("the entries")
        .iter()
        .map(|e| Part::of(e.kind()))
        .collect()
}

#[test]
fn a_newcomer_is_sent_who_takes_part_and_the_draft_before_the_discussion() {
    // Comments written between revisions: in time order, the latest revision would
    // reach a newcomer only after the comments written before it.
    let (amina, space, draft) = convene();
    write_comments(amina.home(), &draft, 6);
    amina.ok(&["draft", "update", &draft, s(&fixture("bpf-draft-v2.md"))]);
    write_comments(amina.home(), &draft, 6);
    let written = parts_as_accepted(amina.home(), &space);
    assert!(
        !written.is_sorted(),
        "the space must interleave revisions and comments: {written:?}"
    );

    let n1 = RunningNode::start(amina, &[]);
    let bruno = join("Bruno", "civil-society", &n1, &[&n1], &space);
    let received = parts_as_accepted(bruno.p.home(), &space);
    assert_eq!(received.len(), written.len(), "every entry arrived");
    assert!(
        received.is_sorted(),
        "people, then the draft, then the discussion: {received:?}"
    );
    assert_eq!(received.last(), Some(&Part::Discussion));
}

/// A draft's revisions reach a newcomer packed: their changes in one Automerge bundle
/// beside their signed envelopes, rebuilt byte for byte and verified on arrival. The
/// newcomer's draft has every revision, the same text, the same state as the mirror's.
#[test]
fn a_newcomer_receives_a_drafts_revisions_packed_and_rebuilds_each_exactly() {
    let (amina, space, draft) = convene();
    let v2 = std::fs::read_to_string(fixture("bpf-draft-v2.md")).expect("the fixture");
    let dir = tempfile::tempdir().expect("a temporary directory");
    for n in 1..=8 {
        let path = dir.path().join(format!("draft-{n}.md"));
        std::fs::write(&path, format!("{v2}\nRevised in round {n}.\n")).expect("written");
        amina.ok(&[
            "draft",
            "update",
            &draft,
            s(&path),
            "--message",
            &format!("Round {n}"),
        ]);
    }
    write_comments(amina.home(), &draft, 3);
    let n1 = RunningNode::start(amina, &[]);
    let bruno = join("Bruno", "civil-society", &n1, &[&n1], &space);
    bruno.wait_in_sync(&space, 1);
    assert_eq!(
        revisions(&bruno.p, &draft),
        9,
        "the import and eight revisions"
    );
    assert_eq!(bruno.p.digest(&space), n1.p.digest(&space));
    let read = |p: &Participant| p.ok(&["draft", "show", &draft, "--markdown"]);
    assert_eq!(read(&bruno.p), read(&n1.p));
    let packed: u64 = bruno
        .peers()
        .iter()
        .filter_map(|p| p["traffic"]["packed_entries"].as_u64())
        .sum();
    assert!(packed >= 9, "the revisions came packed ({packed} entries)");
    // Every entry the newcomer holds is the author's, byte for byte.
    let bytes = |home: &std::path::Path| {
        let node = Node::open(Home::at(home)).expect("open the store");
        let id = node.locate_space(&space).expect("the space");
        let mut all: Vec<Vec<u8>> = node
            .store()
            .space_entries(&id)
            .expect("the entries")
            .iter()
            .map(|e| e.bytes().to_vec())
            .collect();
        all.sort();
        all
    };
    assert_eq!(bytes(bruno.p.home()), bytes(n1.p.home()));
}

#[test]
fn five_nodes_share_a_comment_and_a_revision_and_reach_the_same_state() {
    let (amina, space, draft) = convene();
    let n1 = RunningNode::start(amina, &[]);
    let n2 = join("Bruno", "civil-society", &n1, &[&n1], &space);
    let n3 = join("Chen", "technical-community", &n1, &[&n1, &n2], &space);
    let n4 = join("Dalia", "private-sector", &n1, &[&n2, &n3], &space);
    let n5 = join("Emeka", "academia", &n1, &[&n3, &n4], &space);
    let nodes = [&n1, &n2, &n3, &n4, &n5];

    // Amina makes Bruno an editor; his node learns it.
    let bruno = n2.p.key();
    n1.p.ok(&["space", "grant", &space, "editor", &bruno]);
    eventually("Bruno's node knows he is an editor", || {
        n2.p.json(&["space", "show", &space])["editors"]
            .as_array()
            .is_some_and(|e| e.iter().any(|p| p["key"] == bruno.as_str()))
    });

    // A comment made on node 1 reaches all five.
    let pid = para(&n1.p, &draft, "Coordinated vulnerability");
    let comment = field(
        &n1.p.json(&[
            "comment",
            &draft,
            "--para",
            &pid,
            "--quote",
            "Twelve contributions",
            "--kind",
            "objection",
            "--body",
            "Which twelve? Name them in an annex.",
        ]),
        "comment",
    );
    for n in nodes {
        eventually(&format!("{} has the comment", n.p.name), || {
            comment_ids(&n.p, &draft).contains(&comment)
        });
    }

    // A revision made on node 2 reaches all five.
    n2.p.ok(&[
        "draft",
        "update",
        &draft,
        s(&fixture("bpf-draft-v2.md")),
        "--message",
        "Second reading",
    ]);
    for n in nodes {
        eventually(&format!("{} has the revision", n.p.name), || {
            revisions(&n.p, &draft) == 2
        });
    }

    for n in nodes {
        n.wait_in_sync(&space, 1);
    }
    let digest = n1.p.digest(&space);
    for n in nodes {
        assert_eq!(n.p.digest(&space), digest, "{} differs", n.p.name);
    }
    // The comment is anchored to the revised passage on every node alike.
    let view = n5.p.json(&["comments", &draft]);
    let c = view
        .as_array()
        .and_then(|a| a.iter().find(|c| c["id"] == comment.as_str()))
        .expect("comment on node 5");
    assert_eq!(c["author"]["name"], "Amina");
    assert_eq!(c["kind"], "objection");
}

/// Writes `n` comments in `home`'s store as the CLI would, while its node runs.
fn write_comments(home: &std::path::Path, draft: &str, n: usize) {
    let mut node = Node::open(Home::at(home)).expect("open the store");
    for i in 0..n {
        node.comment(
            draft,
            NewComment {
                para: None,
                quote: None,
                text: &format!("Bulk comment number {i}"),
                kind: CommentKind::Comment,
                suggestion: None,
                reply: None,
                version: None,
            },
        )
        .expect("comment");
    }
}

#[test]
fn a_node_stopped_while_others_wrote_a_thousand_entries_catches_up_after_restart() {
    let (amina, space, draft) = convene();
    let n1 = RunningNode::start(amina, &[]);
    let n2 = join("Bruno", "civil-society", &n1, &[&n1], &space);
    let mut n3 = join("Chen", "technical-community", &n1, &[&n1, &n2], &space);
    n3.stop();

    write_comments(n1.p.home(), &draft, 600);
    write_comments(n2.p.home(), &draft, 400);
    let total = entries(&n1.p, &space).max(entries(&n2.p, &space));
    n1.wait_in_sync(&space, 1);
    n2.wait_in_sync(&space, 1);
    assert!(entries(&n1.p, &space) >= 1000 + 3);
    assert_eq!(entries(&n1.p, &space), entries(&n2.p, &space));
    assert!(total >= entries(&n1.p, &space) - 400);

    // Chen comes back: his node redials the peers it met and catches up.
    let before = entries(&n3.p, &space);
    assert!(
        before < 10,
        "Chen's node had {before} entries before restarting"
    );
    n3.restart();
    n3.wait_in_sync(&space, 1);
    eventually("Chen has every entry", || {
        entries(&n3.p, &space) == entries(&n1.p, &space)
    });
    assert_eq!(n3.p.digest(&space), n1.p.digest(&space));
    assert_eq!(comment_ids(&n3.p, &draft).len(), 1000);
}

/// Five machines on one network, in namespaces made by the test (10.72.0.0/24 exists
/// only inside them): the left half's on one switch, the right half's on another, the
/// two switches joined by one cable that the test pulls out and plugs back in.
struct Halves {
    namespaces: Namespaces,
    switch: String,
    machines: Vec<String>,
}

impl Halves {
    fn new(left: usize, right: usize) -> Result<Halves, String> {
        let mut namespaces = Namespaces::new(&[])?;
        let switch = namespaces.add("switch")?;
        for bridge in ["left", "right"] {
            namespaces.bridge(&switch, bridge)?;
        }
        namespaces.veth((&switch, "cable-l", None), (&switch, "cable-r", None))?;
        namespaces.plug(&switch, "cable-l", "left")?;
        namespaces.plug(&switch, "cable-r", "right")?;
        let mut machines = vec![];
        for n in 1..=left + right {
            let machine = namespaces.add(&format!("n{n}"))?;
            let port = format!("n{n}");
            namespaces.veth(
                (&machine, "eth0", Some(&format!("10.72.0.{n}/24"))),
                (&switch, &port, None),
            )?;
            namespaces.plug(&switch, &port, if n <= left { "left" } else { "right" })?;
            machines.push(machine);
        }
        Ok(Halves {
            namespaces,
            switch,
            machines,
        })
    }

    /// `p`, on machine `n` (from 1).
    fn place(&self, p: Participant, n: usize) -> Participant {
        p.in_netns(&self.machines[n - 1])
    }

    /// Where the node on machine `n` listens.
    fn listen(n: usize) -> String {
        format!("/ip4/10.72.0.{n}/tcp/4790")
    }

    /// Pulls the cable out (`up` false) or plugs it back in.
    fn cable(&self, up: bool) {
        let state = if up { "up" } else { "down" };
        self.namespaces
            .exec(&self.switch, &format!("ip link set dev cable-l {state}"))
            .expect("the cable between the halves");
    }
}

/// The network is cut in two while both halves write; once it heals, every node has
/// every entry. The cut is a real one: the cable between the halves' switches is pulled
/// out, so packets are lost, not refused, and the nodes are not told.
#[test]
fn after_a_partition_heals_both_sides_converge_with_nothing_lost() {
    let Some(net) = or_skip(
        "after_a_partition_heals_both_sides_converge_with_nothing_lost",
        Halves::new(2, 3),
    ) else {
        return;
    };
    let (amina, space, draft) = convene();
    let n1 = RunningNode::start(net.place(amina, 1), &["--listen", &Halves::listen(1)]);
    let newcomer = |name: &str, group: &str, n: usize, via: &[&RunningNode]| {
        let p = net.place(Participant::init(name, group), n);
        join_as(p, &["--listen", &Halves::listen(n)], &n1, via, &space)
    };
    let n2 = newcomer("Bruno", "civil-society", 2, &[&n1]);
    let n3 = newcomer("Chen", "technical-community", 3, &[&n1, &n2]);
    let n4 = newcomer("Dalia", "private-sector", 4, &[&n3]);
    let n5 = newcomer("Emeka", "academia", 5, &[&n3, &n4]);
    let left = [&n1, &n2];
    let right = [&n3, &n4, &n5];
    for n in left.iter().chain(right.iter()) {
        n.wait_in_sync(&space, 1);
    }

    // Cut the network in two; both sides write.
    net.cable(false);
    let pid = para(&n1.p, &draft, "Coordinated vulnerability");
    let mut written = vec![];
    for (n, body) in [
        (&n1, "Left: the annex should list the twelve."),
        (&n2, "Left: agreed, with sources."),
        (&n3, "Right: the twelve are in the 2025 report."),
        (&n5, "Right: cite it, then."),
    ] {
        written.push(field(
            &n.p.json(&["comment", &draft, "--para", &pid, "--body", body]),
            "comment",
        ));
    }
    n4.p.ok(&["stance", &draft, "--para", &pid, "accept"]);
    eventually("each side has its own side's comments", || {
        comment_ids(&n2.p, &draft).contains(&written[0])
            && comment_ids(&n4.p, &draft).contains(&written[3])
    });
    assert!(!comment_ids(&n1.p, &draft).contains(&written[2]));
    assert!(!comment_ids(&n3.p, &draft).contains(&written[0]));

    // Heal: plug the cable back in; the nodes find each other again by themselves.
    net.cable(true);
    let healed = std::time::Instant::now();
    for n in left.iter().chain(right.iter()) {
        eventually(&format!("{} has every comment", n.p.name), || {
            let ids = comment_ids(&n.p, &draft);
            written.iter().all(|c| ids.contains(c))
        });
    }
    println!(
        "every node had every comment {:.1} s after the network healed",
        healed.elapsed().as_secs_f64()
    );
    for n in left.iter().chain(right.iter()) {
        n.wait_in_sync(&space, 1);
    }
    let digest = n1.p.digest(&space);
    for n in left.iter().chain(right.iter()) {
        assert_eq!(n.p.digest(&space), digest, "{} differs", n.p.name);
    }
}

#[test]
fn a_mirror_passes_a_comment_between_participants_never_online_together() {
    let (amina, space, draft) = convene();
    let mirror = RunningNode::start(Participant::new("Mirror"), &["--relay-server"]);
    let mut a = RunningNode::start(amina, &["--bootstrap", &mirror.addr()]);
    mirror.p.ok(&["mirror", "add", &space]);
    eventually("the mirror holds the space", || {
        mirror.p.run(&["space", "show", &space]).status.success()
    });

    let pid = para(&a.p, &draft, "Coordinated vulnerability");
    let comment = field(
        &a.p.json(&[
            "comment",
            &draft,
            "--para",
            &pid,
            "--body",
            "Posted before a long flight.",
        ]),
        "comment",
    );
    eventually("the mirror has Amina's comment", || {
        mirror
            .p
            .run(&["comments", &draft, "--json"])
            .status
            .success()
            && comment_ids(&mirror.p, &draft).contains(&comment)
    });
    a.stop();

    // Bruno, never online with Amina, joins through the mirror's invite.
    let b = join("Bruno", "civil-society", &mirror, &[&mirror], &space);
    assert!(comment_ids(&b.p, &draft).contains(&comment));
    assert_eq!(b.p.digest(&space), mirror.p.digest(&space));
    // The mirror is a participant in nothing: no identity, no profile in the space.
    assert!(mirror.p.run(&["whoami"]).status.code() != Some(0));
}

#[test]
fn a_node_behind_a_relay_is_reached_through_the_mirror() {
    let mirror = RunningNode::start(Participant::new("Mirror"), &["--relay-server"]);
    let (amina, space, draft) = convene();
    // Amina's node is reachable only through the mirror's relay: her invite carries
    // the relayed address alone.
    let a = RunningNode::start(amina, &["--relay", &mirror.addr()]);
    let circuit = format!("{}/p2p-circuit/p2p/{}", mirror.addr(), a.peer_id());
    eventually("Amina's node listens through the relay", || {
        a.info().is_some_and(|i| {
            i["addresses"].as_array().is_some_and(|l| {
                l.iter()
                    .any(|x| x.as_str().is_some_and(|x| x.contains("p2p-circuit")))
            })
        })
    });
    let b = RunningNode::start(Participant::init("Bruno", "academia"), &[]);
    let invite = format!("margin://space/{space}?peer={circuit}");
    let joined = b.p.json(&["space", "join", &invite, "--timeout", "60"]);
    assert_eq!(joined["fetched"], true, "{joined}");
    assert_eq!(b.p.digest(&space), a.p.digest(&space));
    let pid = para(&b.p, &draft, "Coordinated vulnerability");
    let comment = field(
        &b.p.json(&["comment", &draft, "--para", &pid, "--body", "Reached you."]),
        "comment",
    );
    eventually("Amina has Bruno's comment", || {
        comment_ids(&a.p, &draft).contains(&comment)
    });
}

#[test]
fn a_node_finds_who_holds_a_space_through_the_dht() {
    // A hub that holds no space; Amina's and Bruno's nodes only know the hub.
    let hub = RunningNode::start(Participant::new("Hub"), &[]);
    let (amina, space, draft) = convene();
    let a = RunningNode::start(amina, &["--bootstrap", &hub.addr()]);
    let b = RunningNode::start(
        Participant::init("Bruno", "academia"),
        &["--bootstrap", &hub.addr()],
    );
    // An invite with the space's id and no address: Bruno's node must ask the DHT.
    let invite = format!("margin://space/{space}");
    let joined = b.p.json(&["space", "join", &invite, "--timeout", "60"]);
    assert_eq!(joined["fetched"], true, "{joined}\n{}", b.log_tail());
    assert_eq!(b.p.digest(&space), a.p.digest(&space));
    assert_eq!(revisions(&b.p, &draft), 1);
    // The hub was never given the space.
    assert!(!hub.p.run(&["space", "show", &space]).status.success());
}

#[test]
fn a_mirror_of_everything_replicates_what_it_is_offered_except_blocked_keys() {
    let mirror = RunningNode::start(Participant::new("Mirror"), &["--mirror-all"]);
    let (amina, space, draft) = convene();
    let a = RunningNode::start(amina, &["--bootstrap", &mirror.addr()]);
    eventually("the mirror replicates the space it was offered", || {
        mirror.p.run(&["space", "show", &space]).status.success()
    });
    let b = join("Bruno", "civil-society", &a, &[&a], &space);
    let bruno = b.p.key();
    mirror
        .p
        .ok(&["block", "key", &bruno, "--reason", "posts spam"]);
    let listed = mirror.p.json(&["blocked"]);
    assert_eq!(listed[0]["value"], bruno.as_str(), "{listed}");

    let pid = para(&a.p, &draft, "Coordinated vulnerability");
    let spam = field(
        &b.p.json(&["comment", &draft, "--para", &pid, "--body", "Buy now!"]),
        "comment",
    );
    let fine = field(
        &a.p.json(&["comment", &draft, "--para", &pid, "--body", "A real point."]),
        "comment",
    );
    eventually("Amina has Bruno's comment", || {
        comment_ids(&a.p, &draft).contains(&spam)
    });
    eventually("the mirror has Amina's comment", || {
        comment_ids(&mirror.p, &draft).contains(&fine)
    });
    mirror.wait_in_sync(&space, 1);
    assert!(!comment_ids(&mirror.p, &draft).contains(&spam));
    let status = mirror.p.json(&["sync", "status", &space]);
    assert_eq!(status["spaces"][0]["mode"], "mirror", "{status}");
}

#[test]
fn nodes_sync_over_quic() {
    let (amina, space, draft) = convene();
    let a = RunningNode::start(amina, &["--listen", "/ip4/127.0.0.1/udp/0/quic-v1"]);
    let quic = a
        .info()
        .and_then(|i| {
            i["addresses"]
                .as_array()?
                .iter()
                .filter_map(Value::as_str)
                .find(|x| x.contains("/quic-v1/"))
                .map(str::to_owned)
        })
        .expect("a QUIC address");
    let b = RunningNode::start(Participant::init("Bruno", "academia"), &[]);
    let invite = format!("margin://space/{space}?peer={quic}");
    let joined = b.p.json(&["space", "join", &invite, "--timeout", "60"]);
    assert_eq!(joined["fetched"], true, "{joined}");
    let peer = b
        .peers()
        .into_iter()
        .find(|p| p["peer"] == a.peer_id().as_str())
        .expect("Amina's node is a peer");
    assert!(
        peer["addresses"][0]
            .as_str()
            .is_some_and(|x| x.contains("/quic-v1")),
        "{peer}"
    );
    assert_eq!(b.p.digest(&space), a.p.digest(&space));
    assert_eq!(revisions(&b.p, &draft), 1);
}

#[test]
fn an_erased_comment_reaches_a_newcomer_through_a_mirror_as_a_stub_only() {
    const SECRET: &str = "private-number-555-0142";
    let (amina, space, draft) = convene();
    let mirror = RunningNode::start(Participant::new("Mirror"), &[]);
    let mut a = RunningNode::start(amina, &["--bootstrap", &mirror.addr()]);
    mirror.p.ok(&["mirror", "add", &space]);
    let pid = para(&a.p, &draft, "Coordinated vulnerability");
    let comment = field(
        &a.p.json(&[
            "comment",
            &draft,
            "--para",
            &pid,
            "--body",
            &format!("Call me: {SECRET}"),
        ]),
        "comment",
    );
    let reply = field(
        &a.p.json(&[
            "comment",
            &draft,
            "--reply",
            &comment,
            "--body",
            "Second thoughts: do not call.",
        ]),
        "comment",
    );
    eventually("the mirror has both comments", || {
        if !mirror.p.run(&["comments", &draft]).status.success() {
            return false;
        }
        let ids = comment_ids(&mirror.p, &draft);
        ids.contains(&comment) && ids.contains(&reply)
    });
    a.p.ok(&["comment", "retract", &comment, "--erase"]);
    eventually("the mirror drops the text", || {
        !comment_ids(&mirror.p, &draft).contains(&comment)
    });
    a.stop();

    let b = join("Bruno", "civil-society", &mirror, &[&mirror], &space);
    b.wait_in_sync(&space, 1);
    assert_eq!(comment_ids(&b.p, &draft), vec![reply]);
    assert_eq!(b.p.digest(&space), mirror.p.digest(&space));
    assert_eq!(
        b.p.ok(&["--json", "comments", &draft]),
        mirror.p.ok(&["--json", "comments", &draft])
    );
    for p in [&mirror.p, &b.p] {
        let db = std::fs::read(p.home().join("margin.db")).expect("the database");
        assert!(
            !db.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
            "{} still stores the erased text",
            p.name
        );
    }
}
