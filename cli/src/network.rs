//! Commands about the network: running the node, asking a running node about its peers
//! and sync state, invites, mirrors and blocks.
//!
//! A running node is found through the `node.json` it writes in its home; its local
//! HTTP API answers the questions. Settings (spaces to follow, blocks, peers to dial) are
//! written to the store, where the node picks them up within a second, so they work
//! whether or not the node runs.

use std::time::{Duration, Instant};

use margin_core::Timestamp;
use margin_core::id::SpaceId;
use margin_core::key::PublicKey;
use margin_daemon::info::{self, NodeInfo};
use margin_daemon::{self as daemon, DaemonConfig, Routers, Status};
use margin_node::{Home, Node, NodeError};
use margin_store::FollowMode;
use serde_json::json;

use crate::args::{BlockTarget, MirrorCommand, NodeArgs, SyncCommand};
use crate::output::{emit, field};

/// `margin node`: runs until interrupted.
pub fn node(home: Home, a: NodeArgs) -> Result<(), NodeError> {
    let parse = |list: &[String]| -> Result<Vec<_>, NodeError> {
        list.iter()
            .map(|text| {
                text.parse()
                    .map_err(|e| NodeError::Invalid(format!("'{text}' is not a multiaddress: {e}")))
            })
            .collect()
    };
    let listen = if a.listen.is_empty() {
        DaemonConfig::default_listen()
    } else {
        parse(&a.listen)?
    };
    let config = DaemonConfig {
        listen,
        bootstrap: parse(&a.bootstrap)?,
        mdns: !a.no_mdns,
        http: a.http,
        public: a.public,
        relay_server: a.relay_server,
        relays: parse(&a.relay)?,
        external: parse(&a.external)?,
        mirror_all: a.mirror_all,
    };
    // A protected key is unlocked now, once: the node signs what its participant writes
    // in the web interface, and asks no one anything once it runs.
    if matches!(home.is_protected(), Ok(true)) {
        home.identity()?;
    }
    let home = home.with_passphrase(|what| {
        Err(NodeError::Invalid(format!(
            "{what} changed since the node started: restart the node to unlock it"
        )))
    });
    // The daemon serves; the web interface is built on its handle.
    daemon::run(home, config, |handle| Routers {
        local: margin_web::local_router(&handle),
        public: margin_web::router::public_router_with(&handle, a.public_participation),
    })
}

/// The running node of this home, or an error saying how to start it.
fn running(home: &Home) -> Result<NodeInfo, NodeError> {
    info::read(home).ok_or_else(|| {
        NodeError::Invalid(format!(
            "no node is running for {}: start one with `margin node`",
            home.dir().display()
        ))
    })
}

fn get_status(node: &NodeInfo) -> Result<Status, NodeError> {
    let url = format!("http://{}/api/node", node.http);
    let text = ureq::get(&url)
        .call()
        .and_then(|mut r| r.body_mut().read_to_string())
        .map_err(|e| unreachable_node(node, e))?;
    serde_json::from_str(&text)
        .map_err(|e| NodeError::Invalid(format!("the node at {} answered oddly: {e}", node.http)))
}

fn unreachable_node(node: &NodeInfo, e: ureq::Error) -> NodeError {
    NodeError::Invalid(format!(
        "the node (pid {}) does not answer at {}: {e}; is it still running?",
        node.pid, node.http
    ))
}

/// `margin peers`.
pub fn peers(home: &Home, json: bool) -> Result<(), NodeError> {
    let status = get_status(&running(home)?)?;
    let value = json!({ "peers": status.peers, "banned": status.banned });
    emit(json, &value, |_| {
        let peers = &status.peers;
        if peers.is_empty() {
            println!("No peers connected.");
        }
        for p in peers {
            let spaces: Vec<String> = p
                .spaces
                .iter()
                .map(|l| {
                    let state = if l.in_sync { "in sync" } else { "syncing" };
                    format!("{} {state}", margin_core::id::short(&l.space))
                })
                .collect();
            println!(
                "{}  {}{}",
                p.peer,
                p.addresses.first().map(String::as_str).unwrap_or("?"),
                if p.relayed { " (relayed)" } else { "" }
            );
            println!(
                "    spaces: {}    penalty: {}    entries accepted: {}, refused: {}",
                if spaces.is_empty() {
                    "none shared".to_owned()
                } else {
                    spaces.join(", ")
                },
                p.penalty,
                p.accepted,
                p.refused
            );
            if let Some(reason) = &p.last_refusal {
                println!("    last refused: {reason}");
            }
        }
        for b in &status.banned {
            println!(
                "{}  banned until {} ({:?})",
                b.peer,
                margin_space::view::format_time(b.until),
                b.offence
            );
        }
    });
    Ok(())
}

/// A space by full id, or by a prefix of one the store holds.
fn space_id(home: &Home, text: &str) -> Result<SpaceId, NodeError> {
    if let Ok(id) = text.parse() {
        return Ok(id);
    }
    Node::open(home.clone())?.locate_space(text)
}

/// `margin sync …`.
pub fn sync(home: &Home, c: SyncCommand, json: bool) -> Result<(), NodeError> {
    match c {
        SyncCommand::Status { space } => {
            let node = running(home)?;
            let mut status = get_status(&node)?;
            if let Some(text) = space {
                let id = space_id(home, &text)?.to_hex();
                status.spaces.retain(|s| s.space == id);
                for p in &mut status.peers {
                    p.spaces.retain(|l| l.space == id);
                }
                status.peers.retain(|p| !p.spaces.is_empty());
            }
            let value = json!({
                "peer_id": status.peer_id,
                "spaces": status.spaces,
                "peers": status.peers.iter().map(|p| json!({
                    "peer": p.peer,
                    "spaces": p.spaces,
                })).collect::<Vec<_>>(),
                "fetching": status.fetching,
            });
            emit(json, &value, |_| print_status(&status));
            Ok(())
        }
        SyncCommand::Wait {
            space,
            timeout,
            min_peers,
        } => {
            let space = space_id(home, &space)?;
            wait_in_sync(home, &space, Duration::from_secs(timeout), min_peers, json)
        }
    }
}

fn print_status(status: &Status) {
    if status.spaces.is_empty() {
        println!("The node replicates no space yet.");
    }
    for s in &status.spaces {
        let title = s.title.as_deref().unwrap_or("(not fetched yet)");
        let state = match (s.peers, s.in_sync) {
            (0, _) => "no peer holds it".to_owned(),
            (n, true) => format!("in sync with {n} peer(s)"),
            (n, false) => format!("syncing with {n} peer(s)"),
        };
        println!(
            "{}  {title}  [{}]",
            margin_core::id::short(&s.space),
            s.mode
        );
        println!(
            "    {} entries, {} waiting for refs; {state}; last sync {}",
            s.entries,
            s.waiting,
            s.last_sync
                .map(margin_space::view::format_time)
                .unwrap_or_else(|| "never".into())
        );
    }
    for p in &status.peers {
        for l in &p.spaces {
            println!(
                "  {} {}: {}, {} pending{}",
                margin_core::id::short(&l.space),
                p.peer,
                if l.in_sync { "in sync" } else { "not in sync" },
                l.pending,
                if l.reconciling { ", reconciling" } else { "" }
            );
        }
    }
}

/// Asks the node to reconcile `space` with every peer, then waits until each link has
/// reconciled since with no difference, nothing is being fetched, and nothing waits.
fn wait_in_sync(
    home: &Home,
    space: &SpaceId,
    timeout: Duration,
    min_peers: usize,
    json: bool,
) -> Result<(), NodeError> {
    let node = running(home)?;
    let started = Instant::now();
    let hex = space.to_hex();
    let mut since = None;
    loop {
        let status = get_status(&node)?;
        let state = status.spaces.iter().find(|s| s.space == hex);
        let peers = state.map_or(0, |s| s.peers);
        if peers >= min_peers && since.is_none() {
            since = Some(request_reconcile(home, &node, space)?);
        }
        if let (Some(since), Some(state)) = (since, state) {
            let links: Vec<_> = status
                .peers
                .iter()
                .flat_map(|p| p.spaces.iter())
                .filter(|l| l.space == hex)
                .collect();
            let done = links
                .iter()
                .all(|l| l.in_sync && l.last_sync.is_some_and(|t| t >= since))
                && state.waiting == 0
                && status.fetching == 0
                && links.len() >= min_peers;
            if done {
                let value = json!({
                    "space": hex, "in_sync": true, "peers": links.len(), "entries": state.entries,
                });
                emit(json, &value, |_| {
                    println!(
                        "In sync with {} peer(s): {} entries.",
                        links.len(),
                        state.entries
                    )
                });
                return Ok(());
            }
        }
        if started.elapsed() >= timeout {
            let detail = match state {
                None => "the node does not replicate this space".to_owned(),
                Some(s) => format!(
                    "{} peer(s), {} entries held, {} waiting, {} being fetched",
                    s.peers, s.entries, s.waiting, status.fetching
                ),
            };
            return Err(NodeError::Invalid(format!(
                "not in sync after {} s: {detail}",
                timeout.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Asks the running node to reconcile `space` now, with the token of its home (the
/// request makes the node work, so it needs the token like a write).
fn request_reconcile(
    home: &Home,
    node: &NodeInfo,
    space: &SpaceId,
) -> Result<Timestamp, NodeError> {
    let url = format!(
        "http://{}/api/sync/reconcile?space={}",
        node.http,
        space.to_hex()
    );
    let token = margin_web::auth::read_token(home).ok_or_else(|| {
        NodeError::Invalid(format!(
            "the running node has no API token in {}",
            home.dir().display()
        ))
    })?;
    let text = ureq::post(&url)
        .header("Authorization", &format!("Bearer {token}"))
        .send_empty()
        .and_then(|mut r| r.body_mut().read_to_string())
        .map_err(|e| unreachable_node(node, e))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| NodeError::Invalid(format!("the node answered oddly: {e}")))?;
    value["since"]
        .as_u64()
        .map(Timestamp::from_millis)
        .ok_or_else(|| NodeError::Invalid("the node answered without a time".into()))
}

/// The text of an invite to `space` reachable at `addresses`.
fn invite_text(space: &SpaceId, addresses: &[String]) -> String {
    let peers: Vec<String> = addresses.iter().map(|a| format!("peer={a}")).collect();
    format!("margin://space/{}?{}", space.to_hex(), peers.join("&"))
}

/// What an invite says: a space and where to find it.
fn parse_invite(text: &str) -> Result<(SpaceId, Vec<String>), NodeError> {
    let bad = || {
        NodeError::Invalid(format!(
            "'{text}' is not an invite: it should read margin://space/ID?peer=ADDRESS…"
        ))
    };
    let rest = text
        .trim()
        .strip_prefix("margin://space/")
        .ok_or_else(bad)?;
    let (id, query) = rest.split_once('?').unwrap_or((rest, ""));
    let space: SpaceId = id.parse().map_err(|_| bad())?;
    let mut peers = vec![];
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let addr = part.strip_prefix("peer=").ok_or_else(bad)?;
        let parsed: margin_net::Multiaddr = addr.parse().map_err(|e| {
            NodeError::Invalid(format!("the invite's address '{addr}' is not valid: {e}"))
        })?;
        peers.push(parsed.to_string());
    }
    Ok((space, peers))
}

/// `margin space invite SPACE`.
pub fn invite(node: &Node, space: &str, json: bool) -> Result<(), NodeError> {
    let space = node.locate_space(space)?;
    let running = running(node.home())?;
    let addresses: Vec<String> = running
        .addresses
        .into_iter()
        .filter(|a| !a.contains("/p2p-circuit/") || a.ends_with(&running.peer_id))
        .collect();
    if addresses.is_empty() {
        return Err(NodeError::Invalid(
            "the node has no address peers can reach yet; is it listening?".into(),
        ));
    }
    let text = invite_text(&space, &addresses);
    emit(json, &field("invite", text.clone()), |_| println!("{text}"));
    Ok(())
}

/// `margin space join INVITE`.
pub fn join(
    mut node: Node,
    invite: &str,
    wait: bool,
    timeout: u64,
    json: bool,
) -> Result<(), NodeError> {
    let (space, addresses) = parse_invite(invite)?;
    node.store_mut().follow(&space, FollowMode::Member)?;
    for addr in &addresses {
        let peer = addr.rsplit("/p2p/").next().unwrap_or(addr);
        node.store_mut()
            .remember_peer(peer, std::slice::from_ref(addr), true)?;
    }
    let home = node.home().clone();
    drop(node);
    let Some(running) = info::read(&home) else {
        let value = json!({ "space": space.to_hex(), "joined": true, "fetched": false });
        emit(json, &value, |_| {
            println!(
                "Joined space {}. It will be fetched when `margin node` runs.",
                space.short()
            )
        });
        return Ok(());
    };
    if !wait {
        let value = json!({ "space": space.to_hex(), "joined": true, "fetched": false });
        emit(json, &value, |_| {
            println!("Joined space {}; the node is fetching it.", space.short())
        });
        return Ok(());
    }
    let entries = fetch_with_progress(&home, &running, &space, Duration::from_secs(timeout))?;
    let title =
        Node::open(home)?.with_space(&space, |s| Ok::<_, NodeError>(s.charter().title.clone()))?;
    let value = json!({ "space": space.to_hex(), "joined": true, "fetched": true, "entries": entries, "title": title });
    emit(json, &value, |_| {
        println!("Joined \"{title}\" ({}): {entries} entries.", space.short())
    });
    Ok(())
}

/// Waits until the node holds the space and is in sync with the peers that have it,
/// showing entries and bytes as they arrive.
fn fetch_with_progress(
    home: &Home,
    node: &NodeInfo,
    space: &SpaceId,
    timeout: Duration,
) -> Result<usize, NodeError> {
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    let started = Instant::now();
    let hex = space.to_hex();
    let result = loop {
        let status = get_status(node)?;
        if let Some(s) = status.spaces.iter().find(|s| s.space == hex) {
            bar.set_message(format!(
                "{} entries, {} from peers ({}), {} peer(s)",
                s.entries,
                s.received.entries,
                indicatif::HumanBytes(s.received.bytes),
                s.peers
            ));
            let held = Node::open(home.clone())?.store().contains(space)?;
            if held && s.peers > 0 && s.in_sync && status.fetching == 0 {
                break Ok(s.entries);
            }
        }
        if started.elapsed() >= timeout {
            break Err(NodeError::Invalid(format!(
                "the space did not arrive within {} s; the node keeps trying (see `margin sync status`)",
                timeout.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    bar.finish_and_clear();
    result
}

/// `margin mirror …`.
pub fn mirror(home: &Home, c: MirrorCommand, json: bool) -> Result<(), NodeError> {
    let mut node = Node::open(home.clone())?;
    match c {
        MirrorCommand::Add { space } => {
            let id = space_id(home, &space)?;
            node.store_mut().follow(&id, FollowMode::Mirror)?;
            emit(json, &field("mirror", id.to_hex()), |_| {
                println!("Mirroring space {}.", id.short())
            });
        }
        MirrorCommand::Remove { space } => {
            let id = space_id(home, &space)?;
            if !node.store_mut().unfollow(&id)? {
                return Err(NodeError::NotFound(format!("{space} on the mirror list")));
            }
            emit(json, &field("removed", id.to_hex()), |_| {
                println!(
                    "Space {} is no longer mirrored (what is stored stays).",
                    id.short()
                )
            });
        }
        MirrorCommand::List => {
            let list: Vec<String> = node
                .store()
                .follows()?
                .into_iter()
                .filter(|f| f.mode == FollowMode::Mirror)
                .map(|f| f.space.to_hex())
                .collect();
            emit(json, &list, |list| {
                if list.is_empty() {
                    println!("No space is on the mirror list.");
                }
                for s in list {
                    println!("{s}");
                }
            });
        }
    }
    Ok(())
}

fn block_value(
    what: BlockTarget,
    value: &str,
) -> Result<(margin_core::vocabulary::BlockTarget, String), NodeError> {
    match what {
        BlockTarget::Key => {
            let key: PublicKey =
                value
                    .parse()
                    .map_err(|e: margin_core::key::error::KeyError| {
                        NodeError::Invalid(e.to_string())
                    })?;
            Ok((margin_core::vocabulary::BlockTarget::Key, key.to_string()))
        }
        BlockTarget::Peer => {
            let peer: margin_net::PeerId = value.parse().map_err(|_| {
                NodeError::Invalid(format!(
                    "'{value}' is not a peer id (they look like 12D3Koo…)"
                ))
            })?;
            Ok((margin_core::vocabulary::BlockTarget::Peer, peer.to_string()))
        }
    }
}

/// `margin block key|peer VALUE`.
pub fn block(
    home: &Home,
    what: BlockTarget,
    value: &str,
    reason: &str,
    json: bool,
) -> Result<(), NodeError> {
    let (what, value) = block_value(what, value)?;
    Node::open(home.clone())?
        .store_mut()
        .block(what, &value, reason)?;
    emit(json, &json!({ "blocked": what, "value": value }), |_| {
        println!("Blocked {what} {value}.")
    });
    Ok(())
}

/// `margin unblock key|peer VALUE`.
pub fn unblock(home: &Home, what: BlockTarget, value: &str, json: bool) -> Result<(), NodeError> {
    let (what, value) = block_value(what, value)?;
    if !Node::open(home.clone())?
        .store_mut()
        .unblock(what, &value)?
    {
        return Err(NodeError::NotFound(format!(
            "{what} {value} among the blocked"
        )));
    }
    emit(json, &json!({ "unblocked": what, "value": value }), |_| {
        println!("Unblocked {what} {value}.")
    });
    Ok(())
}

/// `margin blocked`.
pub fn blocked(home: &Home, json: bool) -> Result<(), NodeError> {
    let list = Node::open(home.clone())?.store().blocked()?;
    emit(json, &list, |list| {
        if list.is_empty() {
            println!("Nothing is blocked.");
        }
        for b in list {
            println!("{} {}  {}", b.what, b.value, b.reason);
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invites_round_trip() {
        let space = SpaceId::from_bytes([5; 32]);
        let addrs = vec![
            "/ip4/127.0.0.1/tcp/4242/p2p/12D3KooWKFsgqBrqvbMg2wThK8F5oFVGP3nfKE6Kf89LjrvKmsYD"
                .to_owned(),
        ];
        let text = invite_text(&space, &addrs);
        assert_eq!(parse_invite(&text).expect("parses"), (space, addrs));
        assert!(parse_invite("https://example.org").is_err());
        assert!(parse_invite("margin://space/zz").is_err());
        assert!(
            parse_invite(&format!("margin://space/{}?peer=/nonsense", space.to_hex())).is_err()
        );
    }
}
