//! Two participants behind separate NAT routers review through a mirror's relay.
//!
//! The internet in miniature, in network namespaces made by the test (every address
//! exists only inside them): a switch, the mirror at 10.70.0.1 on it running the relay,
//! and two home routers at 10.70.0.11 and 10.70.0.12, each translating for its own home
//! network (10.71.1.0/24, 10.71.2.0/24) with `iptables` masquerade and dropping whatever
//! does not answer a connection from inside. No route leads into a home network: the
//! participants cannot reach each other but through what their routers let back in.
//! Each knows only the mirror's address and the space's id.
//!
//! The mirror holds nothing of the space (it follows nothing), so whatever reaches one
//! participant from the other came over a connection between the two: relayed by the
//! mirror, or direct once hole punching (DCUtR) opened one through both routers.
//!
//! - Routers that give every connection a random port (symmetric NAT) leave no way to
//!   punch through: the sync must go through the relay, and does.
//! - Routers that keep a connection's port where they can (Linux's masquerade) may let
//!   hole punching through; the test reports whether it upgraded the link.
//!
//! Needs root, `ip`, `iptables` and `sysctl`: without them the tests say so and pass,
//! unless `MARGIN_REQUIRE_NETNS=1` (as CI sets where namespaces work).

use crate::common;

use std::time::{Duration, Instant};

use common::netns::{Namespaces, or_skip};
use common::running::{RunningNode, eventually};
use common::*;
use serde_json::Value;

/// The mirror's address on the switch.
const MIRROR: &str = "10.70.0.1";

/// The address of home router `n` (1 or 2) on the switch: its home's public address.
fn router(n: usize) -> String {
    format!("10.70.0.{}", 10 + n)
}

/// The address of the participant's machine in home `n`.
fn machine(n: usize) -> String {
    format!("10.71.{n}.2")
}

/// How the home routers pick the public port of a connection from inside.
#[derive(Clone, Copy)]
enum Ports {
    /// The inside port where it is free (Linux's masquerade): the address the mirror
    /// sees is the one a peer dials, so hole punching can meet it.
    Kept,
    /// A random port for every connection (symmetric NAT): no peer can guess it.
    Random,
}

/// The namespaces: the switch, the mirror, and two homes behind their routers.
struct Internet {
    /// Deleted, with everything in them, when the test ends.
    _namespaces: Namespaces,
    mirror: String,
    /// The participants' machines, in homes 1 and 2.
    homes: [String; 2],
}

impl Internet {
    fn new(ports: Ports) -> Result<Internet, String> {
        let mut ns = Namespaces::new(&["iptables", "sysctl"])?;
        let switch = ns.add("switch")?;
        ns.bridge(&switch, "switch")?;
        let mirror = ns.add("mirror")?;
        ns.veth(
            (&mirror, "eth0", Some(&format!("{MIRROR}/24"))),
            (&switch, "mirror", None),
        )?;
        ns.plug(&switch, "mirror", "switch")?;
        let masquerade = match ports {
            Ports::Kept => "MASQUERADE",
            Ports::Random => "MASQUERADE --random-fully",
        };
        let mut homes = vec![];
        for n in 1..=2 {
            let gateway = ns.add(&format!("router{n}"))?;
            let home = ns.add(&format!("home{n}"))?;
            let port = format!("router{n}");
            ns.veth(
                (&gateway, "wan", Some(&format!("{}/24", router(n)))),
                (&switch, &port, None),
            )?;
            ns.plug(&switch, &port, "switch")?;
            ns.veth(
                (&gateway, "lan", Some(&format!("10.71.{n}.1/24"))),
                (&home, "eth0", Some(&format!("{}/24", machine(n)))),
            )?;
            ns.exec(&home, &format!("ip route add default via 10.71.{n}.1"))?;
            for step in [
                "sysctl -qw net.ipv4.ip_forward=1",
                &format!("iptables -t nat -A POSTROUTING -o wan -j {masquerade}"),
                "iptables -A FORWARD -i lan -o wan -j ACCEPT",
                "iptables -A FORWARD -i wan -o lan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
                "iptables -P FORWARD DROP",
                // Nor does the router answer what nobody inside asked for: unsolicited
                // packets are dropped, not refused.
                "iptables -A INPUT -i wan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
                "iptables -A INPUT -i wan -j DROP",
            ] {
                ns.exec(&gateway, step)?;
            }
            homes.push(home);
        }
        let [a, b] = <[String; 2]>::try_from(homes).expect("two homes");
        Ok(Internet {
            _namespaces: ns,
            mirror,
            homes: [a, b],
        })
    }
}

/// Amina and Bruno reviewing behind their routers, once Bruno joined Amina's space.
/// The nodes stop before the namespaces go.
struct Review {
    mirror: RunningNode,
    a: RunningNode,
    b: RunningNode,
    /// How long from the mirror's start until Bruno held the space.
    joined: Duration,
    _internet: Internet,
}

/// Amina writes a space behind router 1; Bruno, behind router 2, knowing the space's id
/// and the mirror alone, joins it and answers; each gets the other's comment. `None`
/// where namespaces cannot be made (the test was skipped).
fn review_behind_nats(test: &str, ports: Ports) -> Option<Review> {
    let internet = or_skip(test, Internet::new(ports))?;
    let began = Instant::now();
    let mirror = RunningNode::start(
        Participant::new("Mirror").in_netns(&internet.mirror),
        &[
            "--relay-server",
            "--listen",
            &format!("/ip4/{MIRROR}/tcp/4790"),
        ],
    );
    let relay = mirror.addr();
    let listen = |n: usize| format!("/ip4/{}/tcp/4790", machine(n));

    let amina = Participant::init("Amina", "government").in_netns(&internet.homes[0]);
    let space = field(
        &amina.json(&["space", "create", "Behind two NATs"]),
        "space",
    );
    let draft = field(
        &amina.json(&[
            "draft",
            "import",
            &space,
            fixture("bpf-draft-v1.md").to_str().expect("UTF-8 path"),
        ]),
        "draft",
    );
    let pid = para(&amina, &draft, "Coordinated vulnerability");
    let from_a = field(
        &amina.json(&[
            "comment",
            &draft,
            "--para",
            &pid,
            "--body",
            "Written behind NAT 1.",
        ]),
        "comment",
    );
    let a = RunningNode::start(amina, &["--listen", &listen(1), "--relay", &relay]);
    eventually(
        "Amina's node holds a reservation at the mirror's relay",
        || {
            a.info().is_some_and(|i| {
                i["addresses"].as_array().is_some_and(|l| {
                    l.iter()
                        .any(|x| x.as_str().is_some_and(|x| x.contains("/p2p-circuit")))
                })
            })
        },
    );

    // Bruno's node asks the mirror's DHT who holds the space, and the two nodes meet
    // through the relay.
    let b = RunningNode::start(
        Participant::init("Bruno", "academia").in_netns(&internet.homes[1]),
        &["--listen", &listen(2), "--relay", &relay],
    );
    let invite = format!("margin://space/{space}");
    let joined = b.p.json(&["space", "join", &invite, "--timeout", "60"]);
    assert_eq!(joined["fetched"], true, "{joined}\n{}", b.log_tail());
    let joined = began.elapsed();
    assert!(comment_ids(&b.p, &draft).contains(&from_a));
    assert_eq!(b.p.digest(&space), a.p.digest(&space));
    let from_b = field(
        &b.p.json(&[
            "comment",
            &draft,
            "--para",
            &pid,
            "--body",
            "Read behind NAT 2.",
        ]),
        "comment",
    );
    eventually("Amina has Bruno's comment", || {
        comment_ids(&a.p, &draft).contains(&from_b)
    });
    // The mirror never held the space: the entries came over a connection between
    // Amina's and Bruno's nodes.
    assert!(
        !mirror.p.run(&["space", "show", &space]).status.success(),
        "the mirror holds the space: it was to relay only"
    );
    Some(Review {
        mirror,
        a,
        b,
        joined,
        _internet: internet,
    })
}

impl Review {
    /// What Bruno's node knows of its link to Amina's (from `margin peers --json`).
    fn link(&self) -> Value {
        let amina = self.a.peer_id();
        self.b
            .peers()
            .into_iter()
            .find(|p| p["peer"] == amina.as_str())
            .expect("Amina's node is Bruno's peer")
    }

    /// Whether `link` went through the mirror's relay.
    fn through_relay(&self, link: &Value) -> bool {
        link["addresses"]
            .to_string()
            .contains(&format!("/p2p/{}/p2p-circuit", self.mirror.peer_id()))
    }

    /// What both nodes logged of hole punching.
    fn punching(&self) -> String {
        [&self.a, &self.b]
            .iter()
            .flat_map(|node| {
                let name = node.p.name.clone();
                node.log()
                    .lines()
                    .filter(|l| l.contains("hole punching"))
                    .map(|l| format!("{name}: {l}"))
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A link's path as `margin peers` shows it.
fn path(link: &Value) -> String {
    let kind = if link["relayed"] == true {
        "relayed"
    } else {
        "direct"
    };
    format!("{kind}, connections seen: {}", link["addresses"])
}

#[test]
fn participants_behind_two_nats_sync_through_the_mirrors_relay() {
    let Some(review) = review_behind_nats(
        "participants_behind_two_nats_sync_through_the_mirrors_relay",
        Ports::Random,
    ) else {
        return;
    };
    // Neither router's ports can be guessed: the link is the relayed one, and stays so.
    let link = review.link();
    assert!(
        link["relayed"] == true && review.through_relay(&link),
        "Bruno's link to Amina: {}",
        path(&link)
    );
    println!(
        "behind routers with random ports, Bruno joined through the relay {:.1} s after the mirror started; {}\n{}",
        review.joined.as_secs_f64(),
        path(&link),
        review.punching()
    );
}

#[test]
fn hole_punching_between_two_nats_that_keep_ports_is_reported() {
    let Some(review) = review_behind_nats(
        "hole_punching_between_two_nats_that_keep_ports_is_reported",
        Ports::Kept,
    ) else {
        return;
    };
    let link = review.link();
    assert!(
        review.through_relay(&link)
            || link["addresses"]
                .to_string()
                .contains(&format!("/ip4/{}/", router(1))),
        "Bruno reached Amina neither through the relay nor at her router: {link}"
    );
    // DCUtR tries as soon as the relayed connection is up. Report what became of it: it
    // depends on the routers, and is not required.
    let deadline = Instant::now() + Duration::from_secs(10);
    let link = loop {
        let link = review.link();
        if link["relayed"] == false || Instant::now() > deadline {
            break link;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let outcome = if link["relayed"] == false {
        "hole punching upgraded the link to a direct one"
    } else {
        "hole punching did not upgrade the link; it stays relayed"
    };
    println!(
        "behind routers that keep ports, Bruno joined {:.1} s after the mirror started; {outcome}: {}\n{}",
        review.joined.as_secs_f64(),
        path(&link),
        review.punching()
    );
}
