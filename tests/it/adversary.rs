//! A misbehaving peer against honest nodes. The adversary is built from Margin's own
//! network and sync libraries, as anyone could build one, and speaks the real protocol
//! to real `margin node` processes on loopback: it offers forged, unauthorized and
//! malformed entries, sends garbage and an oversize frame, and gossips a forgery. Each is
//! refused with its reason, nothing of it is stored, the peer is penalized and then
//! banned, and the honest nodes go on syncing.

use crate::common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::running::{RunningNode, eventually};
use common::*;
use margin_core::prelude::*;
use margin_net::{Multiaddr, Net, NetConfig, NetEvent, PeerId};
use margin_sync::announce::Announcement;
use margin_sync::batch;
use margin_sync::limits::MAX_FRAME_BYTES;
use margin_sync::message::Message;
use serde_json::Value;

fn field(v: &Value, name: &str) -> String {
    v[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {v}"))
        .to_owned()
}

/// A hostile node: a libp2p swarm speaking `/margin/sync/3` by hand.
pub(crate) struct Adversary {
    pub(crate) net: Net,
    pub(crate) honest: PeerId,
    /// What it answers `Want`s with, by the id it claimed.
    pub(crate) offered: HashMap<EntryId, Vec<u8>>,
    pub(crate) key: SigningKey,
    /// How it answers `Want`s.
    pub(crate) answer: Answer,
}

/// How the adversary answers a `Want`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// `Entries` batches, as any node.
    Batches,
    /// `Packed`, as a node packs a draft's revisions.
    Packed,
    /// A `Packed` whose pack is garbage.
    GarbagePack,
}

impl Adversary {
    /// Connects to the honest node at `addr` and says it holds `space`.
    pub(crate) async fn connect(addr: &str, space: SpaceId, seed: u64) -> Adversary {
        Adversary::connect_advertising(addr, space, seed, vec![]).await
    }

    /// As [`Adversary::connect`], advertising `external` as its addresses.
    pub(crate) async fn connect_advertising(
        addr: &str,
        space: SpaceId,
        seed: u64,
        external: Vec<Multiaddr>,
    ) -> Adversary {
        Adversary::try_connect(addr, space, seed, external)
            .await
            .expect("the adversary connects")
    }

    /// As [`Adversary::connect_advertising`], or `None` when the honest node does not
    /// let it connect within 30 s.
    pub(crate) async fn try_connect(
        addr: &str,
        space: SpaceId,
        seed: u64,
        external: Vec<Multiaddr>,
    ) -> Option<Adversary> {
        let config = NetConfig {
            listen: vec!["/ip4/127.0.0.1/tcp/0".parse().expect("address")],
            bootstrap: vec![addr.parse::<Multiaddr>().expect("address")],
            mdns: false,
            relay_server: false,
            relays: vec![],
            external,
        };
        let keypair =
            margin_net::Keypair::ed25519_from_bytes(seed_bytes(seed)).expect("ed25519 seed");
        let mut net = Net::new(keypair, &config).expect("adversary network");
        net.join_space(&space);
        let honest: PeerId = addr
            .rsplit("/p2p/")
            .next()
            .and_then(|p| p.parse().ok())
            .expect("peer id in address");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let event = tokio::time::timeout_at(deadline.into(), net.next_event())
                .await
                .ok()?;
            if matches!(event, NetEvent::Connected { peer, .. } if peer == honest) {
                break;
            }
        }
        let mut adversary = Adversary {
            net,
            honest,
            offered: HashMap::new(),
            key: SigningKey::from_seed(seed_bytes(seed)),
            answer: Answer::Batches,
        };
        adversary.send(&Message::Hello {
            spaces: vec![space],
            empty: vec![],
            echo: false,
            now: Timestamp::now(),
        });
        adversary.pump(Duration::from_millis(500)).await;
        Some(adversary)
    }

    pub(crate) fn send(&mut self, message: &Message) {
        self.net.send(self.honest, message.encode());
    }

    /// Announces `bytes` as an entry of `space`, and serves it when asked.
    pub(crate) fn offer(&mut self, space: SpaceId, bytes: Vec<u8>) -> EntryId {
        let id = EntryId::of_entry(&bytes);
        self.offered.insert(id, bytes);
        self.send(&Message::Have {
            space,
            ids: vec![id],
        });
        id
    }

    /// Signs `count` profiles of `space` that refer to `missing` (an entry nobody will
    /// deliver), named `Parked {label}{n}`, and keeps them to serve when asked; returns
    /// their ids, not yet announced.
    pub(crate) fn park_profiles(
        &mut self,
        space: SpaceId,
        missing: EntryId,
        count: u64,
        label: &str,
    ) -> Vec<EntryId> {
        (0..count)
            .map(|n| {
                let profile = Body::Profile(Profile {
                    name: format!("Parked {label}{n}"),
                    affiliation: String::new(),
                    stakeholder: String::new(),
                    region: String::new(),
                });
                let bytes = Entry::sign(
                    &self.key,
                    Some(space),
                    Timestamp::now().saturating_add_millis(n),
                    vec![missing],
                    &profile,
                )
                .expect("signs")
                .into_bytes();
                let id = EntryId::of_entry(&bytes);
                self.offered.insert(id, bytes);
                id
            })
            .collect()
    }

    /// Handles the network for `duration`: answers `Want`s with what it offered and
    /// ignores everything else.
    pub(crate) async fn pump(&mut self, duration: Duration) {
        let deadline = Instant::now() + duration;
        while let Ok(event) = tokio::time::timeout_at(deadline.into(), self.net.next_event()).await
        {
            if let NetEvent::Frame { peer, frame, .. } = event
                && peer == self.honest
                && let Ok(Message::Want {
                    space,
                    request,
                    ids,
                }) = Message::decode(&frame)
            {
                let entries: Vec<Vec<u8>> = ids
                    .iter()
                    .filter_map(|id| self.offered.get(id).cloned())
                    .collect();
                let count = u32::try_from(entries.len()).expect("a few entries");
                let pack = match self.answer {
                    Answer::Batches => None,
                    Answer::Packed => margin_draft::pack::pack(&entries, |_, _| None),
                    Answer::GarbagePack => Some(vec![1, 0xde, 0xad, 0xbe, 0xef]),
                };
                if let Some(pack) = pack {
                    self.send(&Message::Packed {
                        space,
                        request,
                        count,
                        last: true,
                        resume: None,
                        pack,
                    });
                    continue;
                }
                let parts = batch::encode(&entries);
                let total = parts.len();
                for (n, (count, batch)) in parts.into_iter().enumerate() {
                    self.send(&Message::Entries {
                        space,
                        request,
                        count,
                        last: n + 1 == total,
                        resume: None,
                        batch,
                    });
                }
            }
        }
    }

    /// Whether the honest node still keeps a connection to it.
    pub(crate) fn connected(&self) -> bool {
        self.net.is_connected(&self.honest)
    }
}

/// The adversary's secret key bytes (of its peer id and of its Margin key).
fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut bytes = [0x5a; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes
}

/// The honest node's record of the adversary, once it has one that `check` accepts.
async fn record_of(node: &RunningNode, peer: &PeerId, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + common::running::PATIENCE;
    loop {
        let record = node
            .peers()
            .into_iter()
            .find(|p| p["peer"] == peer.to_string().as_str());
        if let Some(r) = record.filter(|r| check(r)) {
            return r;
        }
        assert!(
            Instant::now() < deadline,
            "the honest node never recorded the expected penalty:\n{}",
            node.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Entries of `space` that `node` keeps waiting for their refs.
fn waiting(node: &RunningNode, space: &SpaceId) -> usize {
    node.p.json(&["sync", "status", &space.to_hex()])["spaces"][0]["waiting"]
        .as_u64()
        .unwrap_or(0) as usize
}

/// Handles the adversary's network until `node` keeps at least `count` entries of
/// `space` waiting.
async fn pump_until_waiting(
    adversary: &mut Adversary,
    node: &RunningNode,
    space: &SpaceId,
    count: usize,
) {
    let deadline = Instant::now() + common::running::PATIENCE;
    while waiting(node, space) < count {
        assert!(
            Instant::now() < deadline,
            "the node never kept {count} entries waiting ({} waiting)\n{}",
            waiting(node, space),
            node.log_tail()
        );
        adversary.pump(Duration::from_millis(500)).await;
    }
}

fn penalty(record: &Value) -> u64 {
    record["penalty"].as_u64().unwrap_or(0)
}

fn last_refusal(record: &Value) -> String {
    record["last_refusal"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// An honest space on two honest nodes: (Amina's node, Bruno's node, space, draft).
pub(crate) fn honest_network() -> (RunningNode, RunningNode, SpaceId, String) {
    let amina = Participant::init("Amina", "government");
    let space = field(&amina.json(&["space", "create", "BPF 2026"]), "space");
    let v1 = fixture("bpf-draft-v1.md");
    let draft = field(
        &amina.json(&["draft", "import", &space, v1.to_str().expect("path")]),
        "draft",
    );
    let a = RunningNode::start(amina, &[]);
    let b = RunningNode::start(
        Participant::init("Bruno", "civil-society"),
        &["--bootstrap", &a.addr()],
    );
    let invite = field(&a.p.json(&["space", "invite", &space]), "invite");
    b.p.ok(&["space", "join", &invite, "--timeout", "60"]);
    (a, b, space.parse().expect("space id"), draft)
}

/// A charter amendment by the adversary granting itself the editor role, which only a
/// convener may do: validly signed, unauthorized. `n` ms after now, naming `refs`.
pub(crate) fn unauthorized_amendment(
    adversary: &Adversary,
    space: SpaceId,
    n: u64,
    refs: Vec<EntryId>,
) -> Vec<u8> {
    let body = Body::CharterAmendment(CharterAmendment {
        changes: vec![CharterChange::Grant {
            role: Role::Editor,
            key: adversary.key.public(),
        }],
    });
    Entry::sign(
        &adversary.key,
        Some(space),
        Timestamp::now().saturating_add_millis(n),
        refs,
        &body,
    )
    .expect("signs")
    .into_bytes()
}

/// The honest nodes go on syncing: a comment by `other` reaches `honest`.
fn still_syncing(honest: &RunningNode, other: &RunningNode, draft: &str, body: &str) {
    let pid = para(&other.p, draft, "Coordinated vulnerability");
    let comment = field(
        &other
            .p
            .json(&["comment", draft, "--para", &pid, "--body", body]),
        "comment",
    );
    eventually(
        &format!("{} has {}'s comment", honest.p.name, other.p.name),
        || {
            honest
                .p
                .json(&["comments", draft])
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c["id"] == comment.as_str()))
        },
    );
}

fn entry_count(node: &RunningNode, space: &SpaceId) -> u64 {
    node.p.json(&["space", "show", &space.to_hex()])["entries"]
        .as_u64()
        .expect("entries")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_unauthorized_and_malformed_entries_and_an_oversize_frame_are_refused_and_the_peer_banned()
 {
    let (honest, other, space, draft) = honest_network();
    let before = entry_count(&honest, &space);
    let mut adversary = Adversary::connect(&honest.addr(), space, 66).await;
    let me = adversary.net.local_peer_id();

    // 1. A forged entry: a well-formed profile whose signature was tampered with.
    let profile = Body::Profile(Profile {
        name: "Mallory".into(),
        affiliation: String::new(),
        stakeholder: "civil-society".into(),
        region: String::new(),
    });
    let mut forged = Entry::sign(
        &adversary.key,
        Some(space),
        Timestamp::now(),
        vec![space],
        &profile,
    )
    .expect("signs")
    .into_bytes();
    let last = forged.len() - 1;
    forged[last] ^= 0x01;
    let forged_id = adversary.offer(space, forged);
    adversary.pump(Duration::from_secs(1)).await;
    let record = record_of(&honest, &me, |r| penalty(r) >= 25).await;
    assert!(
        last_refusal(&record).contains("signature does not match"),
        "{record}"
    );

    // 2. An unauthorized entry: validly signed, but only a convener may amend a charter.
    let unauthorized = unauthorized_amendment(&adversary, space, 0, vec![space]);
    let unauthorized_id = adversary.offer(space, unauthorized);
    adversary.pump(Duration::from_secs(1)).await;
    let record = record_of(&honest, &me, |r| penalty(r) >= 50).await;
    assert!(
        last_refusal(&record).contains("only a convener may amend the charter"),
        "{record}"
    );

    // 3. A malformed entry: bytes that are no entry at all.
    let malformed_id = adversary.offer(
        space,
        b"not an entry, but long enough to look like one.................................".to_vec(),
    );
    adversary.pump(Duration::from_secs(1)).await;
    let record = record_of(&honest, &me, |r| penalty(r) >= 75).await;
    // Its first byte ('n') names no envelope format.
    assert!(
        last_refusal(&record).contains("unknown entry format 110"),
        "{record}"
    );
    assert!(adversary.connected(), "banned too early");

    // 4. An oversize frame: refused from its length alone, and the peer is banned.
    adversary
        .net
        .send(adversary.honest, vec![0u8; MAX_FRAME_BYTES + 1]);
    adversary.pump(Duration::from_secs(2)).await;
    eventually("the honest node bans the adversary", || {
        honest
            .banned()
            .iter()
            .any(|b| b["peer"] == me.to_string().as_str())
    });
    let ban = honest
        .banned()
        .into_iter()
        .find(|b| b["peer"] == me.to_string().as_str())
        .expect("ban");
    assert_eq!(ban["offence"], "oversize-frame");
    adversary.pump(Duration::from_secs(1)).await;
    assert!(!adversary.connected(), "the banned peer is still connected");
    // It cannot come back.
    let _ = adversary.net.dial(honest.addr().parse().expect("address"));
    adversary.pump(Duration::from_secs(2)).await;
    assert!(!adversary.connected(), "the banned peer got back in");

    // Nothing of it was stored, on either honest node.
    assert_eq!(entry_count(&honest, &space), before);
    for id in [forged_id, unauthorized_id, malformed_id] {
        for node in [&honest, &other] {
            let out = node.p.run(&["space", "show", &id.to_hex()]);
            assert!(
                !out.status.success(),
                "{} holds {}",
                node.p.name,
                id.short()
            );
        }
    }

    // The honest nodes go on syncing.
    still_syncing(&honest, &other, &draft, "Still here.");
}

/// Revisions delivered packed are rebuilt and then checked as any entry: a forged one is
/// refused with its reason, a pack that does not unpack counts against the sender, and
/// nothing of either is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_revision_in_a_pack_and_a_garbage_pack_are_refused() {
    let (honest, other, space, draft) = honest_network();
    let draft_id: EntryId = draft.parse().expect("a draft id");
    let before = entry_count(&honest, &space);
    let mut adversary = Adversary::connect(&honest.addr(), space, 88).await;
    let me = adversary.net.local_peer_id();
    adversary.answer = Answer::Packed;

    // Two revisions of the draft, their signatures tampered with.
    let revision = |n: u64| {
        let body = Body::DraftChange(DraftChange {
            draft: Some(draft_id),
            changes: vec![serde_bytes::ByteBuf::from(
                format!("no change {n}").into_bytes(),
            )],
            message: format!("Revision {n}"),
        });
        let mut bytes = Entry::sign(
            &adversary.key,
            Some(space),
            Timestamp::now().saturating_add_millis(n),
            vec![draft_id],
            &body,
        )
        .expect("signs")
        .into_bytes();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        bytes
    };
    let forged = [revision(1), revision(2)];
    assert!(
        margin_draft::pack::pack(&forged, |_, _| None).is_some(),
        "the forgeries travel packed"
    );
    let mut ids = vec![];
    for bytes in forged {
        adversary
            .offered
            .insert(EntryId::of_entry(&bytes), bytes.clone());
        ids.push(EntryId::of_entry(&bytes));
    }
    adversary.send(&Message::Have {
        space,
        ids: ids.clone(),
    });
    adversary.pump(Duration::from_secs(1)).await;
    let record = record_of(&honest, &me, |r| penalty(r) >= 25).await;
    assert!(
        last_refusal(&record).contains("signature does not match"),
        "{record}"
    );

    // A pack that is not one.
    adversary.answer = Answer::GarbagePack;
    let unauthorized = unauthorized_amendment(&adversary, space, 1, vec![space]);
    let id = adversary.offer(space, unauthorized);
    ids.push(id);
    adversary.pump(Duration::from_secs(1)).await;
    let record = record_of(&honest, &me, |r| last_refusal(r).contains("pack")).await;
    assert!(penalty(&record) > 25, "{record}");

    assert_eq!(entry_count(&honest, &space), before);
    for id in ids {
        let out = honest.p.run(&["space", "show", &id.to_hex()]);
        assert!(
            !out.status.success(),
            "the honest node holds {}",
            id.short()
        );
    }
    still_syncing(&honest, &other, &draft, "Still here after the packs.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_frames_and_gossiped_forgeries_get_a_peer_banned() {
    let (honest, _other, space, _draft) = honest_network();
    let before = entry_count(&honest, &space);
    let mut adversary = Adversary::connect(&honest.addr(), space, 77).await;
    let me = adversary.net.local_peer_id();

    // Garbage on the sync stream.
    adversary
        .net
        .send(adversary.honest, vec![0xff, 0x13, 0x37, 0x00, 0x42]);
    adversary.pump(Duration::from_secs(1)).await;
    let record = record_of(&honest, &me, |r| penalty(r) >= 25).await;
    assert!(last_refusal(&record).contains("malformed"), "{record}");

    // Forged entries on the space's gossip topic, until the node has had enough.
    let profile = Body::Profile(Profile {
        name: "Mallory".into(),
        affiliation: String::new(),
        stakeholder: String::new(),
        region: String::new(),
    });
    for i in 0..3u64 {
        let mut forged = Entry::sign(
            &adversary.key,
            Some(space),
            Timestamp::now().saturating_add_millis(i),
            vec![space],
            &profile,
        )
        .expect("signs")
        .into_bytes();
        let last = forged.len() - 1;
        forged[last] ^= 0x80;
        adversary
            .net
            .publish(&space, Announcement::Entry(forged).encode());
        adversary.pump(Duration::from_millis(1500)).await;
    }
    eventually("the honest node bans the gossiping forger", || {
        honest
            .banned()
            .iter()
            .any(|b| b["peer"] == me.to_string().as_str())
    });
    assert_eq!(entry_count(&honest, &space), before);
}

/// Entries that wait for an entry the node lacks are judged when it arrives. An
/// adversary parks refused entries behind an entry an honest peer is sure to deliver:
/// once the honest peer delivers it and releases them, the refusals are charged to the
/// adversary that delivered them, never to the honest peer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_of_released_entries_are_charged_to_their_deliverer_not_to_the_honest_peer() {
    let (mut amina, bruno, space, draft) = honest_network();
    let amina_peer = amina.peer_id();
    // Amina comments while her node is down: Bruno does not have it yet.
    amina.stop();
    let pid = para(&amina.p, &draft, "Coordinated vulnerability");
    let comment = field(
        &amina.p.json(&[
            "comment",
            &draft,
            "--para",
            &pid,
            "--body",
            "Written offline.",
        ]),
        "comment",
    );
    let awaited: EntryId = comment.parse().expect("comment id");

    // The adversary parks five charter amendments (which only a convener may make)
    // behind Amina's comment.
    let mut adversary = Adversary::connect(&bruno.addr(), space, 88).await;
    let me = adversary.net.local_peer_id();
    let mut parked = vec![];
    for n in 0..5u64 {
        let entry = unauthorized_amendment(&adversary, space, n, vec![space, awaited]);
        parked.push(adversary.offer(space, entry));
    }
    adversary.pump(Duration::from_secs(2)).await;
    let record = record_of(&bruno, &me, |_| true).await;
    assert_eq!(
        penalty(&record),
        0,
        "waiting entries are not judged yet: {record}"
    );

    // Amina's node comes back and delivers her comment, which releases them.
    amina.restart_with(&["--bootstrap", &bruno.addr()]);
    adversary.pump(Duration::from_secs(1)).await;
    eventually("Bruno has Amina's offline comment", || {
        bruno
            .p
            .json(&["comments", &draft])
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["id"] == comment.as_str()))
    });
    // Their refusals are charged as soon as they are judged: to someone.
    let charged = |who: &str| {
        bruno.banned().iter().any(|b| b["peer"] == who)
            || bruno
                .peers()
                .iter()
                .any(|p| p["peer"] == who && penalty(p) > 0)
    };
    eventually("Bruno charges the refusals of the released entries", || {
        charged(&me.to_string()) || charged(&amina_peer)
    });
    // Not to the honest peer that released them.
    assert!(
        !bruno
            .banned()
            .iter()
            .any(|b| b["peer"] == amina_peer.as_str()),
        "Amina was banned:\n{}",
        bruno.log_tail()
    );
    let amina_record = bruno
        .peers()
        .into_iter()
        .find(|p| p["peer"] == amina_peer.as_str())
        .expect("Bruno still knows Amina");
    assert_eq!(penalty(&amina_record), 0, "{amina_record}");
    // The adversary that delivered them is.
    eventually("Bruno bans the adversary for what it parked", || {
        bruno
            .banned()
            .iter()
            .any(|b| b["peer"] == me.to_string().as_str())
    });
    for id in parked {
        let out = bruno.p.run(&["space", "show", &id.to_hex()]);
        assert!(!out.status.success(), "Bruno holds {}", id.short());
    }
    // And Amina and Bruno go on syncing.
    let reply = field(
        &bruno.p.json(&[
            "comment",
            &draft,
            "--reply",
            &comment,
            "--body",
            "Seen, thank you.",
        ]),
        "comment",
    );
    eventually("Amina has Bruno's reply", || {
        amina
            .p
            .json(&["comments", &draft])
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["id"] == reply.as_str()))
    });
}

/// Markdown of about `bytes` bytes whose words do not repeat in any pattern a
/// compressor could use: a draft whose entry is about as large as its text.
pub(crate) fn incompressible_markdown(bytes: usize) -> String {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut text = String::from("# A long report\n\n");
    while text.len() < bytes {
        for _ in 0..60 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let len = 3 + (state >> 60) as usize;
            for i in 0..len {
                let bits = state.rotate_right(i as u32 * 5);
                text.push(char::from(b'a' + (bits % 26) as u8));
            }
            text.push(' ');
        }
        text.push_str("end.\n\n");
    }
    text
}

/// Asking is cheap, serving is not: a peer that asks again and again for the largest
/// entry of a space gets what its serving budget allows (a burst, then a steady rate),
/// not a copy per request, and the node goes on syncing with honest peers meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_requests_for_the_largest_entry_are_served_within_a_byte_budget() {
    let (honest, other, space, draft) = honest_network();
    let large = honest.p.home().join("large.md");
    std::fs::write(&large, incompressible_markdown(600 * 1024)).expect("write the draft");
    let big = field(
        &honest.p.json(&[
            "draft",
            "import",
            &space.to_hex(),
            large.to_str().expect("path"),
        ]),
        "draft",
    );
    let big: EntryId = big.parse().expect("draft id");

    let mut adversary = Adversary::connect(&honest.addr(), space, 99).await;
    let started = Instant::now();
    // 300 requests of one token each; before answers were bounded by bytes served,
    // each made the node read and send the whole entry again.
    for request in 0..300u64 {
        adversary.send(&Message::Want {
            space,
            request: 1_000 + request,
            ids: vec![big; margin_sync::limits::MAX_WANT_IDS],
        });
    }
    let mut served = 0usize;
    let mut largest = 0usize;
    let deadline = Instant::now() + Duration::from_secs(6);
    while let Ok(event) = tokio::time::timeout_at(deadline.into(), adversary.net.next_event()).await
    {
        if let NetEvent::Frame { peer, frame, .. } = event
            && peer == adversary.honest
            && let Ok(Message::Entries { batch, count, .. }) = Message::decode(&frame)
        {
            for entry in batch::decode(&batch, count).expect("a well-formed batch") {
                largest = largest.max(entry.len());
                served += entry.len();
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let config = margin_sync::service::Config::default();
    let allowed = f64::from(config.serve_burst)
        + f64::from(config.serve_per_second) * elapsed
        + largest as f64;
    assert!(largest > 500 * 1024, "the draft's entry is {largest} bytes");
    assert!(
        (served as f64) <= allowed,
        "served {served} bytes in {elapsed:.1} s; the budget allows {allowed:.0}"
    );

    // The honest nodes go on syncing meanwhile.
    still_syncing(&honest, &other, &draft, "Still in sync.");
}

/// A penalized peer cannot wipe its record by going away and coming back: its score
/// (and its budgets) wait for it for a ban's duration.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_reconnects_keeps_its_penalty() {
    let (honest, _other, space, _draft) = honest_network();
    let mut adversary = Adversary::connect(&honest.addr(), space, 44).await;
    let me = adversary.net.local_peer_id();
    for n in 0..3 {
        let entry = unauthorized_amendment(&adversary, space, n, vec![space]);
        adversary.offer(space, entry);
    }
    adversary.pump(Duration::from_secs(1)).await;
    record_of(&honest, &me, |r| penalty(r) >= 75).await;

    // It goes away and comes back with the same peer id.
    drop(adversary);
    eventually("the honest node sees the adversary leave", || {
        !honest
            .peers()
            .iter()
            .any(|p| p["peer"] == me.to_string().as_str())
    });
    let mut adversary = Adversary::connect(&honest.addr(), space, 44).await;
    let record = record_of(&honest, &me, |_| true).await;
    assert!(
        penalty(&record) >= 70,
        "the record was wiped by reconnecting: {record}"
    );
    // Two more refusals are enough to get it banned.
    for n in 3..5 {
        let entry = unauthorized_amendment(&adversary, space, n, vec![space]);
        adversary.offer(space, entry);
    }
    adversary.pump(Duration::from_secs(1)).await;
    eventually("the honest node bans the returning adversary", || {
        honest
            .banned()
            .iter()
            .any(|b| b["peer"] == me.to_string().as_str())
    });
}

/// A mirror of everything follows what peers offer; a peer naming hundreds of spaces
/// that do not exist gets a few of them tried (until their charter would have
/// arrived), none recorded as mirrored, while a real space offered by an honest peer is
/// mirrored as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mirror_of_everything_tries_few_of_the_spaces_a_peer_names_and_keeps_only_real_ones() {
    let mirror = RunningNode::start(Participant::new("Mirror"), &["--mirror-all"]);
    let real = EntryId([1; 32]);
    let mut adversary = Adversary::connect(&mirror.addr(), real, 33).await;
    let invented: Vec<SpaceId> = (0..300u16)
        .map(|n| {
            let mut bytes = [7u8; 32];
            bytes[..2].copy_from_slice(&n.to_le_bytes());
            EntryId(bytes)
        })
        .collect();
    adversary.send(&Message::Hello {
        spaces: invented.clone(),
        empty: vec![],
        echo: false,
        now: Timestamp::now(),
    });
    adversary.pump(Duration::from_secs(2)).await;
    let held = |node: &RunningNode| -> usize {
        node.p.json(&["sync", "status"])["spaces"]
            .as_array()
            .map_or(0, |s| s.len())
    };
    let tried = held(&mirror);
    assert!(
        (1..=8 + 1).contains(&tried),
        "the mirror holds {tried} spaces after a peer named 301"
    );

    // An honest peer's real space is mirrored, and recorded as such.
    let amina = Participant::init("Amina", "government");
    let space = field(&amina.json(&["space", "create", "BPF 2026"]), "space");
    let _a = RunningNode::start(amina, &["--bootstrap", &mirror.addr()]);
    eventually("the mirror replicates the real space", || {
        mirror.p.run(&["space", "show", &space]).status.success()
    });
    eventually("the real space is recorded as mirrored", || {
        mirror.p.json(&["sync", "status", &space])["spaces"][0]["mode"] == "mirror"
    });
    // None of the invented ones is recorded: after a restart they are gone.
    drop(adversary);
    let mut mirror = mirror;
    mirror.stop();
    mirror.restart();
    for id in invented.iter().take(20) {
        let status = mirror.p.json(&["sync", "status"]);
        let listed = status["spaces"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["space"] == id.to_hex().as_str()));
        assert!(
            !listed,
            "the mirror still follows invented space {}",
            id.short()
        );
    }
}

/// A compressed Automerge change of a few kilobytes can inflate to gigabytes, on every
/// node and again at every start. An editor (a key with the role, turned hostile) sends
/// one: it is refused before it is inflated, with its reason, and its sender penalized.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_change_that_would_inflate_without_bound_is_refused_before_it_is_inflated() {
    use std::io::Write;

    let (honest, _other, space, draft) = honest_network();
    let mut adversary = Adversary::connect(&honest.addr(), space, 22).await;
    let me = adversary.net.local_peer_id();
    let grant: EntryId = field(
        &honest.p.json(&[
            "space",
            "grant",
            &space.to_hex(),
            "editor",
            &adversary.key.public().to_string(),
        ]),
        "amendment",
    )
    .parse()
    .expect("amendment id");

    // Deflated zeros, twice the bound once inflated, in a compressed change chunk.
    let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    deflate
        .write_all(&vec![0u8; 2 * margin_draft::MAX_CHANGE_BYTES])
        .expect("deflates");
    let deflated = deflate.finish().expect("deflates");
    let mut bomb = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 2];
    let mut len = deflated.len();
    while len >= 0x80 {
        bomb.push((len & 0x7f) as u8 | 0x80);
        len >>= 7;
    }
    bomb.push(len as u8);
    bomb.extend_from_slice(&deflated);
    let draft_id: EntryId = draft.parse().expect("draft id");
    let body = Body::DraftChange(DraftChange {
        draft: Some(draft_id),
        changes: vec![bomb.into()],
        message: "a revision".into(),
    });
    let entry = Entry::sign(
        &adversary.key,
        Some(space),
        Timestamp::now(),
        vec![draft_id, grant],
        &body,
    )
    .expect("signs");
    adversary.pump(Duration::from_secs(1)).await;
    let id = adversary.offer(space, entry.into_bytes());
    adversary.pump(Duration::from_secs(2)).await;
    let record = record_of(&honest, &me, |r| penalty(r) >= 25).await;
    assert!(
        last_refusal(&record).contains("inflates to more than 8 MiB"),
        "{record}"
    );
    assert!(
        !honest
            .p
            .run(&["space", "show", &id.to_hex()])
            .status
            .success()
    );
    // The draft reads as before.
    assert!(para(&honest.p, &draft, "Coordinated vulnerability").len() > 1);
}

/// Entries whose refs are unknown wait before anything else is checked. A stranger (a
/// key with no entry and no role in the space) may park only small entries: large ones
/// are not kept, so a flood of them writes nothing (sync would fetch them again once
/// what they refer to is here), while small ones from newcomers still wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_cannot_park_large_entries_waiting_for_refs_that_never_come() {
    let (honest, _other, space, _draft) = honest_network();
    let store_bytes = |node: &RunningNode| -> u64 {
        std::fs::read_dir(node.p.home())
            .expect("home")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with("margin.db"))
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum()
    };
    let before = store_bytes(&honest);
    let mut adversary = Adversary::connect(&honest.addr(), space, 11).await;
    let never = EntryId([9; 32]);
    // Forty entries of 100 KB each, waiting for an entry that does not exist.
    for n in 0..40u64 {
        let body = Body::DraftChange(DraftChange {
            draft: Some(never),
            changes: vec![vec![n as u8; 100 * 1024].into()],
            message: format!("parked {n}"),
        });
        let entry = Entry::sign(
            &adversary.key,
            Some(space),
            Timestamp::now().saturating_add_millis(n),
            vec![space, never],
            &body,
        )
        .expect("signs");
        adversary.offer(space, entry.into_bytes());
    }
    // And one small profile of a newcomer, also waiting for it.
    let profile = Body::Profile(Profile {
        name: "Newcomer".into(),
        affiliation: String::new(),
        stakeholder: "academia".into(),
        region: String::new(),
    });
    let small = Entry::sign(
        &adversary.key,
        Some(space),
        Timestamp::now(),
        vec![space, never],
        &profile,
    )
    .expect("signs");
    adversary.offer(space, small.into_bytes());
    adversary.pump(Duration::from_secs(5)).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while waiting(&honest, &space) != 1 {
        assert!(
            Instant::now() < deadline,
            "the small entry does not wait: {}\n{}",
            honest.p.json(&["sync", "status", &space.to_hex()]),
            honest.log_tail()
        );
        adversary.pump(Duration::from_millis(200)).await;
    }
    adversary.pump(Duration::from_secs(2)).await;
    assert_eq!(
        waiting(&honest, &space),
        1,
        "large entries of a stranger were kept waiting"
    );
    let grown = store_bytes(&honest).saturating_sub(before);
    assert!(
        grown < 1024 * 1024,
        "the store grew by {grown} bytes for 4 MB of parked entries"
    );
}

/// A peer advertising many addresses gets a few of them remembered (and redialled),
/// not all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_advertising_many_addresses_gets_a_few_remembered() {
    let (honest, _other, space, _draft) = honest_network();
    let advertised: Vec<Multiaddr> = (0..60u16)
        .map(|n| {
            format!(
                "/ip4/127.0.{}.{}/tcp/{}",
                1 + n / 200,
                1 + n % 200,
                20_000 + n
            )
            .parse()
            .expect("address")
        })
        .collect();
    let adversary = Adversary::connect_advertising(&honest.addr(), space, 12, advertised).await;
    let me = adversary.net.local_peer_id().to_string();
    let db = honest.p.home().join("margin.db");
    let remembered = || -> Option<usize> {
        let conn = rusqlite::Connection::open(&db).ok()?;
        let text: String = conn
            .query_row(
                "SELECT addresses FROM peers WHERE peer = ?1",
                [me.as_str()],
                |r| r.get(0),
            )
            .ok()?;
        Some(text.split_whitespace().count())
    };
    eventually("the honest node remembers the adversary", || {
        remembered().is_some()
    });
    let count = remembered().unwrap_or_default();
    // It advertised 61 (its listen address and 60 more).
    assert_eq!(
        count,
        margin_store::network::MAX_PEER_ADDRESSES,
        "{count} addresses remembered"
    );
    drop(adversary);
}

impl Adversary {
    /// Handles the network for `duration` as [`Adversary::pump`] does, and returns the
    /// id announcements the honest node passed on to it by gossip.
    async fn hear_ids(&mut self, duration: Duration) -> Vec<Vec<EntryId>> {
        let mut heard = vec![];
        let deadline = Instant::now() + duration;
        while let Ok(event) = tokio::time::timeout_at(deadline.into(), self.net.next_event()).await
        {
            if let NetEvent::Gossip { from, data, .. } = event
                && from == self.honest
                && let Ok(Announcement::Ids(ids)) = Announcement::decode(&data)
            {
                heard.push(ids);
            }
        }
        heard
    }
}

/// A gossiped announcement of ids is passed on only by a node that fetched and accepted
/// what it names: an adversary's announcement of ids nobody serves stops at the first
/// honest node, while a true one (a large draft an honest node imported) travels on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gossiped_ids_are_passed_on_only_once_their_entries_are_here() {
    // Bruno's node is the one the adversary and a listener reach; Amina's, an editor's,
    // is the other honest node.
    let (amina, bruno, space, _draft) = honest_network();
    let mut adversary = Adversary::connect(&bruno.addr(), space, 93).await;
    let mut listener = Adversary::connect(&bruno.addr(), space, 94).await;
    // The listener hears the space only through Bruno's node (the discovery of peers
    // would otherwise connect it to the others).
    listener.net.ban(adversary.net.local_peer_id());
    listener
        .net
        .ban(amina.peer_id().parse().expect("Amina's peer id"));
    // Both join the honest node's mesh for the space's topic.
    tokio::join!(
        adversary.pump(Duration::from_secs(2)),
        listener.pump(Duration::from_secs(2))
    );

    let made_up: Vec<EntryId> = (1..=3u8)
        .map(|n| EntryId::of_entry(&[n, 0x5a, 0xa5]))
        .collect();
    adversary
        .net
        .publish(&space, Announcement::Ids(made_up.clone()).encode());
    // A true announcement: a draft too large to gossip whole, imported by Amina, whose
    // node announces its id.
    let large = amina.p.home().join("large.md");
    std::fs::write(&large, incompressible_markdown(100 * 1024)).expect("write the draft");
    let imported = field(
        &amina.p.json(&[
            "draft",
            "import",
            &space.to_hex(),
            large.to_str().expect("path"),
        ]),
        "draft",
    );
    let (_, heard) = tokio::join!(
        adversary.pump(Duration::from_secs(12)),
        listener.hear_ids(Duration::from_secs(12))
    );
    let named: Vec<String> = heard.iter().flatten().map(|id| id.to_hex()).collect();
    assert!(
        !heard.iter().flatten().any(|id| made_up.contains(id)),
        "the honest node passed on ids nobody serves: {named:?}"
    );
    assert!(
        named.contains(&imported),
        "the honest node did not pass on the true announcement of {imported}: {named:?}\n{}",
        bruno.log_tail()
    );
}

/// One peer cannot take all the room a space keeps for entries waiting for their refs:
/// past its share (a quarter of the room), what it delivers is not kept, and the rest
/// stays for others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_peer_gets_a_share_of_the_waiting_room_not_all_of_it() {
    let (amina, bruno, space, draft) = honest_network();
    let mut adversary = Adversary::connect(&amina.addr(), space, 95).await;
    let share = margin_space::MAX_PENDING / 4;
    let missing = EntryId::of_entry(b"an entry nobody will ever deliver");
    let ids = adversary.park_profiles(space, missing, share as u64 + 100, "");
    for chunk in ids.chunks(margin_sync::limits::MAX_HAVE_IDS) {
        adversary.send(&Message::Have {
            space,
            ids: chunk.to_vec(),
        });
    }
    pump_until_waiting(&mut adversary, &amina, &space, share).await;
    adversary.pump(Duration::from_secs(3)).await;
    assert_eq!(
        waiting(&amina, &space),
        share,
        "one peer's entries took more than its share of the waiting room"
    );
    still_syncing(&amina, &bruno, &draft, "Room for us.");
}

/// A banned peer that comes back under a new peer id, from the same address, starts on
/// probation: half as many faults ban it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_peer_id_from_a_banned_peers_address_starts_on_probation() {
    let (amina, bruno, space, draft) = honest_network();
    let banned = |peer: &PeerId| {
        amina
            .banned()
            .iter()
            .any(|b| b["peer"] == peer.to_string().as_str())
    };
    let garbage = |adversary: &mut Adversary| {
        adversary
            .net
            .send(adversary.honest, vec![0xff, 0x13, 0x37, 0x00, 0x42]);
    };
    let mut first = Adversary::connect(&amina.addr(), space, 96).await;
    let first_id = first.net.local_peer_id();
    while !banned(&first_id) {
        garbage(&mut first);
        first.pump(Duration::from_millis(300)).await;
    }
    drop(first);

    // The same address, a new peer id: two malformed frames (25 points each) are enough.
    let mut second = Adversary::connect(&amina.addr(), space, 97).await;
    let second_id = second.net.local_peer_id();
    for _ in 0..2 {
        garbage(&mut second);
        second.pump(Duration::from_millis(300)).await;
    }
    second.pump(Duration::from_secs(1)).await;
    assert!(
        banned(&second_id),
        "a new peer id from a banned peer's address was not on probation\n{}",
        amina.log_tail()
    );
    still_syncing(&amina, &bruno, &draft, "Probation is not for us.");
}

/// Entries that wait for refs nobody ever delivers are forgotten after an hour, and the
/// peer that delivered them is charged for it. The node runs with its clock preloaded
/// (libfaketime), and the test moves that clock two hours on while the entries wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_whose_refs_never_come_are_forgotten_after_an_hour_and_their_deliverer_charged() {
    let Some(clock) = common::clock::ShiftedClock::new(
        "entries_whose_refs_never_come_are_forgotten_after_an_hour_and_their_deliverer_charged",
    ) else {
        return;
    };
    let amina = Participant::init("Amina", "government");
    let space: SpaceId = field(&amina.json(&["space", "create", "BPF 2026"]), "space")
        .parse()
        .expect("space id");
    let node = RunningNode::start_with_env(amina, &[], &clock.env());
    let mut adversary = Adversary::connect(&node.addr(), space, 66).await;
    let me = adversary.net.local_peer_id();
    let missing = EntryId::of_entry(b"an entry nobody will ever deliver");
    let parked = adversary.park_profiles(space, missing, 20, "");
    adversary.send(&Message::Have { space, ids: parked });
    pump_until_waiting(&mut adversary, &node, &space, 20).await;
    let record = record_of(&node, &me, |_| true).await;
    assert_eq!(penalty(&record), 0, "charged before the hour: {record}");

    // Two hours later, for the node.
    clock.shift("+2h");
    let deadline = Instant::now() + common::running::PATIENCE;
    loop {
        adversary.pump(Duration::from_millis(500)).await;
        let charged = node
            .peers()
            .into_iter()
            .find(|p| p["peer"] == me.to_string().as_str())
            .filter(|r| penalty(r) > 0);
        if let Some(record) = charged
            && waiting(&node, &space) == 0
        {
            assert!(
                last_refusal(&record).contains("waited an hour"),
                "charged for something else: {record}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "two hours on, the entries still wait ({}) or their deliverer is not charged\n{}",
            waiting(&node, &space),
            node.log_tail()
        );
    }
}
