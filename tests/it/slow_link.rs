//! A newcomer joins a space of 1 000 comments over a 64 kbit/s link: the participant
//! Margin exists for. Two network namespaces made by the test, joined by a veth pair
//! shaped on both ends with `tc tbf` (10.79.x.0/24 exists only inside them); a mirror in
//! one holds the space, a fresh node in the other joins it. The join must complete, and
//! the bytes the kernel counted on the newcomer's connections (`ss -ti`, libp2p's own
//! traffic included) must stay within 1.5x the entries' size compressed whole with
//! `zstd -19`. The time it took is printed; the benchmark `slow_link` measures it.
//!
//! Needs root (namespaces, `tc`) and `ip`, `tc`, `ss`: without them the test says so
//! and passes, unless `MARGIN_REQUIRE_NETNS=1` (as CI sets where namespaces work), in
//! which case it fails.

use crate::common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use margin_core::body::CommentKind;
use margin_node::Home;
use margin_node::node::{NewComment, Node};

/// Two namespaces and the veth pair between them, removed on drop.
struct Link {
    names: [String; 2],
}

impl Link {
    /// Makes the namespaces, or says why it cannot.
    fn new(rate: &str) -> Result<Link, String> {
        let tag = std::process::id() % 100_000;
        let names = [format!("margin-sl{tag}-m"), format!("margin-sl{tag}-n")];
        let link = Link {
            names: names.clone(),
        };
        let (a, b) = (format!("msl{tag}a"), format!("msl{tag}b"));
        let subnet = 1 + tag % 250;
        let steps = [
            format!("ip netns add {}", names[0]),
            format!("ip netns add {}", names[1]),
            format!("ip link add {a} type veth peer name {b}"),
            format!("ip link set {a} netns {}", names[0]),
            format!("ip link set {b} netns {}", names[1]),
            format!("ip -n {} addr add 10.79.{subnet}.1/24 dev {a}", names[0]),
            format!("ip -n {} addr add 10.79.{subnet}.2/24 dev {b}", names[1]),
            format!("ip -n {} link set {a} up", names[0]),
            format!("ip -n {} link set {b} up", names[1]),
            format!("ip -n {} link set lo up", names[0]),
            format!("ip -n {} link set lo up", names[1]),
            format!(
                "ip netns exec {} tc qdisc add dev {a} root tbf rate {rate} burst 4kb latency 400ms",
                names[0]
            ),
            format!(
                "ip netns exec {} tc qdisc add dev {b} root tbf rate {rate} burst 4kb latency 400ms",
                names[1]
            ),
        ];
        for step in steps {
            let out = Command::new("sh")
                .args(["-c", &step])
                .output()
                .map_err(|e| format!("{step}: {e}"))?;
            if !out.status.success() {
                return Err(format!(
                    "{step}: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
        }
        Ok(link)
    }

    fn address(&self, side: usize) -> String {
        let tag = std::process::id() % 100_000;
        format!("10.79.{}.{}", 1 + tag % 250, side + 1)
    }

    /// `margin ARGS` in `home`, inside namespace `side`.
    fn margin(&self, side: usize, home: &Path, args: &[&str]) -> Command {
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &self.names[side]])
            .arg(margin_bin())
            .arg("--home")
            .arg(home)
            .args(args)
            .env_remove("MARGIN_LOG");
        command
    }

    /// Bytes sent and received on the established TCP connections of namespace `side`.
    fn bytes_on_link(&self, side: usize) -> u64 {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.names[side]])
            .args(["ss", "-tinH", "state", "established"])
            .output()
            .expect("run ss");
        let text = String::from_utf8_lossy(&out.stdout);
        let re = regex::Regex::new(r"bytes_(?:sent|received):(\d+)").expect("a regex");
        re.captures_iter(&text)
            .map(|c| c[1].parse::<u64>().expect("a count"))
            .sum()
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        for name in &self.names {
            let _ = Command::new("ip").args(["netns", "del", name]).status();
        }
    }
}

/// A `margin node` process, killed on drop.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Words to write comments with: the sample draft's.
fn words() -> Vec<String> {
    let text = std::fs::read_to_string(fixture("bpf-draft-v1.md")).expect("the fixture");
    text.split_whitespace().map(str::to_owned).collect()
}

#[test]
fn a_newcomer_joins_a_thousand_comments_over_64_kbits() {
    let can = std::process::Command::new("sh")
        .args(["-c", "command -v ip && command -v tc && command -v ss"])
        .output()
        .is_ok_and(|o| o.status.success());
    let link = match can.then(|| Link::new("64kbit")) {
        Some(Ok(link)) => link,
        why => {
            let reason = match why {
                Some(Err(e)) => e,
                _ => "ip, tc or ss is missing".into(),
            };
            assert!(
                std::env::var("MARGIN_REQUIRE_NETNS").is_err(),
                "network namespaces are required here: {reason}"
            );
            say_skipped(
                "a_newcomer_joins_a_thousand_comments_over_64_kbits",
                &format!("this test needs network namespaces and tc ({reason})"),
            );
            return;
        }
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
            node.comment(
                &draft,
                NewComment {
                    para: Some(&para),
                    quote: None,
                    text: &body.join(" "),
                    kind: CommentKind::Comment,
                    suggestion: None,
                    reply: None,
                    version: None,
                },
            )
            .expect("a comment");
        }
    }
    let bundle = author.bundle(&space);
    let raw = std::fs::read(&bundle).expect("the bundle");
    let packed = zstd::bulk::compress(&raw, 19).expect("zstd").len() as u64;

    let mirror = Participant::init("Mirror", "technical-community");
    let newcomer = Participant::init("Newcomer", "civil-society");
    mirror.import(&bundle);

    let mut nodes = vec![];
    for (side, p) in [(0, &mirror), (1, &newcomer)] {
        let log = std::fs::File::create(p.home().join("node.log")).expect("a log");
        let child = link
            .margin(
                side,
                p.home(),
                &[
                    "node",
                    "--no-mdns",
                    "--listen",
                    &format!("/ip4/{}/tcp/4790", link.address(side)),
                    "--http",
                    "127.0.0.1:0",
                ],
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start a node");
        nodes.push(Process(child));
    }
    // The mirror's invite, once it listens.
    let started = Instant::now();
    let invite = loop {
        let out = link
            .margin(0, mirror.home(), &["space", "invite", &space])
            .output()
            .expect("invite");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        if out.status.success() && text.contains("peer=") {
            break text.lines().last().expect("an invite").to_owned();
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the mirror never listened"
        );
        std::thread::sleep(Duration::from_millis(200));
    };

    let began = Instant::now();
    let joined = link
        .margin(1, newcomer.home(), &["space", "join", &invite])
        .output()
        .expect("join");
    let waited = link
        .margin(
            1,
            newcomer.home(),
            &["sync", "wait", &space, "--timeout", "300"],
        )
        .output()
        .expect("sync wait");
    let took = began.elapsed();
    let moved = link.bytes_on_link(1);
    let log = std::fs::read_to_string(newcomer.home().join("node.log")).unwrap_or_default();
    assert!(
        waited.status.success(),
        "the newcomer did not get in sync: {}{}\n{log}",
        String::from_utf8_lossy(&joined.stderr),
        String::from_utf8_lossy(&waited.stderr)
    );
    let entries = |p: &Participant| p.json(&["space", "show", &space])["entries"].clone();
    assert_eq!(entries(&newcomer), entries(&mirror));
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
