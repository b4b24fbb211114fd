//! `margin node`: the long-running daemon. It owns the network (margin-net), keeps the
//! store (through the store worker), announces what the CLI writes, takes in what peers
//! send, and serves a local HTTP API.
//!
//! The store stays the integration point: the CLI writes entries whether or not a
//! daemon runs, and the daemon notices new entries by their sequence number.

pub mod api;
pub mod events;
pub mod http;
pub mod info;
pub mod worker;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use libp2p::identity::Keypair;
use margin_core::entry::{Entry, Kind};
use margin_core::id::SpaceId;
use margin_core::limits::MAX_SMALL_ENTRY_BYTES;
use margin_net::{Multiaddr, Net, NetConfig, NetEvent, PeerId};
use serde::Serialize;

use crate::error::NodeError;
use crate::home::Home;
use info::NodeInfo;
use worker::Worker;

/// How `margin node` was asked to run.
#[derive(Clone, Debug)]
pub struct DaemonConfig {
    pub listen: Vec<Multiaddr>,
    pub bootstrap: Vec<Multiaddr>,
    pub mdns: bool,
    /// The local API and web UI (127.0.0.1:7420 by default).
    pub http: SocketAddr,
    /// A mirror's public read-only view, when set.
    pub public: Option<SocketAddr>,
    pub relay_server: bool,
}

impl DaemonConfig {
    /// The default listen addresses: TCP and QUIC on all interfaces, port 4242.
    pub fn default_listen() -> Vec<Multiaddr> {
        ["/ip4/0.0.0.0/tcp/4242", "/ip4/0.0.0.0/udp/4242/quic-v1"]
            .iter()
            .filter_map(|a| a.parse().ok())
            .collect()
    }
}

/// Misbehaviour points past which a peer is disconnected and banned.
const BAN_THRESHOLD: u32 = 100;
/// How long a ban lasts.
const BAN_DURATION: Duration = Duration::from_secs(3600);
/// How often the store is checked for entries the CLI wrote.
const POLL: Duration = Duration::from_millis(200);

/// What the daemon knows of a peer beyond the network layer.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PeerState {
    pub peer: String,
    pub addresses: Vec<String>,
    pub agent: Option<String>,
    pub rtt_ms: Option<u64>,
    pub spaces: Vec<String>,
    pub penalty: u32,
    pub refused: u64,
    pub received: u64,
}

/// A snapshot the HTTP API serves.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Status {
    pub peer_id: String,
    pub addresses: Vec<String>,
    pub http: String,
    pub spaces: Vec<String>,
    pub peers: Vec<PeerState>,
    pub banned: Vec<String>,
}

struct Daemon {
    home: Home,
    net: Net,
    worker: Worker,
    status: Arc<RwLock<Status>>,
    events: events::Events,
    http: SocketAddr,
    last_seq: i64,
    spaces: BTreeSet<SpaceId>,
    penalties: BTreeMap<PeerId, u32>,
    refused: BTreeMap<PeerId, u64>,
    received: BTreeMap<PeerId, u64>,
    banned: BTreeMap<PeerId, Instant>,
}

/// Runs the daemon until SIGINT or SIGTERM.
pub fn run(home: Home, config: DaemonConfig) -> Result<(), NodeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .thread_name("margin-node")
        .build()
        .map_err(|e| NodeError::Invalid(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(serve(home, config))
}

async fn serve(home: Home, config: DaemonConfig) -> Result<(), NodeError> {
    let key = info::node_key(&home)?;
    let worker = Worker::start(home.clone())?;
    let net_config = NetConfig {
        listen: config.listen.clone(),
        bootstrap: config.bootstrap.clone(),
        mdns: config.mdns,
        relay_server: config.relay_server,
    };
    let net = Net::new(key, &net_config).map_err(|e| NodeError::Invalid(e.to_string()))?;
    let status = Arc::new(RwLock::new(Status {
        peer_id: net.local_peer_id().to_string(),
        ..Default::default()
    }));
    let listener = tokio::net::TcpListener::bind(config.http)
        .await
        .map_err(|e| NodeError::Invalid(format!("cannot serve HTTP on {}: {e}", config.http)))?;
    let http_addr = listener
        .local_addr()
        .map_err(|e| NodeError::Invalid(format!("cannot serve HTTP: {e}")))?;
    let events = events::channel();
    let state = Arc::new(http::AppState {
        home: home.clone(),
        worker: worker.clone(),
        status: status.clone(),
        events: events.clone(),
    });
    serve_http(listener, http::local_router(state.clone()));
    if let Some(public) = config.public {
        let listener = tokio::net::TcpListener::bind(public).await.map_err(|e| {
            NodeError::Invalid(format!("cannot serve the public view on {public}: {e}"))
        })?;
        serve_http(listener, http::public_router(state.clone()));
        tracing::info!(target: "node", "public read-only view on http://{public}");
    }
    tracing::info!(target: "node", "peer id {}; HTTP API on http://{http_addr}", net.local_peer_id());
    let mut daemon = Daemon {
        home,
        net,
        worker,
        status,
        events,
        http: http_addr,
        last_seq: 0,
        spaces: BTreeSet::new(),
        penalties: BTreeMap::new(),
        refused: BTreeMap::new(),
        received: BTreeMap::new(),
        banned: BTreeMap::new(),
    };
    daemon.start().await?;
    let result = daemon.run_loop().await;
    info::remove(&daemon.home);
    tracing::info!(target: "node", "stopped");
    result
}

fn serve_http(listener: tokio::net::TcpListener, app: axum::Router) {
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(target: "http", "the HTTP server stopped: {e}");
        }
    });
}

impl Daemon {
    async fn start(&mut self) -> Result<(), NodeError> {
        let spaces = self.worker.call(|node| node.store().space_ids()).await??;
        for space in spaces {
            self.join(space);
        }
        // Everything already stored counts as new once: announce it to whoever listens.
        self.last_seq = 0;
        self.publish_status();
        Ok(())
    }

    fn join(&mut self, space: SpaceId) {
        if self.spaces.insert(space) {
            self.net.join_space(&space);
        }
    }

    async fn run_loop(&mut self) -> Result<(), NodeError> {
        let mut poll = tokio::time::interval(POLL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut terminate = signal_terminate()?;
        loop {
            tokio::select! {
                event = self.net.next_event() => self.on_net(event).await,
                _ = poll.tick() => self.on_tick().await?,
                _ = tokio::signal::ctrl_c() => {
                    tracing::info!(target: "node", "interrupted; shutting down");
                    return Ok(());
                }
                _ = terminate.recv() => {
                    tracing::info!(target: "node", "terminated; shutting down");
                    return Ok(());
                }
            }
        }
    }

    async fn on_tick(&mut self) -> Result<(), NodeError> {
        // Lift bans that ran out.
        let now = Instant::now();
        let expired: Vec<PeerId> = self
            .banned
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(p, _)| *p)
            .collect();
        for peer in expired {
            self.banned.remove(&peer);
            self.penalties.remove(&peer);
            self.net.unban(peer);
        }
        // Announce what was written since the last look (by the CLI or by sync).
        let since = self.last_seq;
        let fresh = self
            .worker
            .call(move |node| node.store().entries_since(since, 1024))
            .await??;
        for (seq, entry) in fresh {
            self.last_seq = seq;
            let space = entry.space_or_self();
            self.join(space);
            // Nobody listening is fine.
            let _ = self.events.send(events::Event::stored(&entry));
            if entry.kind() != Kind::DraftChange || entry.bytes().len() <= MAX_SMALL_ENTRY_BYTES {
                self.net.publish(&space, entry.into_bytes());
            }
        }
        self.publish_status();
        Ok(())
    }

    async fn on_net(&mut self, event: NetEvent) {
        match event {
            NetEvent::Listening(_) | NetEvent::Connected { .. } | NetEvent::Disconnected { .. } => {
                self.write_info();
            }
            NetEvent::Gossip { space, from, data } => {
                if !self.spaces.contains(&space) {
                    return;
                }
                self.take_in(from, vec![data]).await;
            }
            NetEvent::SyncRequest { channel, .. } => {
                self.net.respond(channel, vec![]);
            }
            NetEvent::SyncResponse { .. } | NetEvent::Providers { .. } => {}
            NetEvent::SyncFailure {
                peer,
                error,
                misbehaviour,
            } => {
                tracing::debug!(target: "sync", "exchange with {peer} failed: {error}");
                if misbehaviour {
                    self.penalize(peer, 20, &error);
                }
            }
        }
        self.publish_status();
    }

    /// Offers entries from a peer to the store; refusals count against the peer.
    async fn take_in(&mut self, from: PeerId, raw: Vec<Vec<u8>>) {
        let n = raw.len() as u64;
        match self.worker.call(move |node| node.receive(raw)).await {
            Ok(Ok(report)) => {
                *self.received.entry(from).or_default() += n;
                for refusal in &report.rejected {
                    *self.refused.entry(from).or_default() += 1;
                    self.penalize(from, 10, &refusal.reason);
                }
            }
            Ok(Err(e)) | Err(e) => {
                tracing::warn!(target: "node", "could not store entries from {from}: {e}")
            }
        }
    }

    fn penalize(&mut self, peer: PeerId, points: u32, reason: &str) {
        let total = self.penalties.entry(peer).or_default();
        *total += points;
        tracing::info!(target: "node", "peer {peer} penalized ({total}): {reason}");
        if *total >= BAN_THRESHOLD && !self.banned.contains_key(&peer) {
            tracing::warn!(target: "node", "peer {peer} banned for {} s", BAN_DURATION.as_secs());
            self.banned.insert(peer, Instant::now() + BAN_DURATION);
            self.net.ban(peer);
        }
    }

    fn publish_status(&mut self) {
        let peers = self
            .net
            .connected()
            .into_iter()
            .map(|peer| {
                let info = self.net.peer_info(&peer).cloned().unwrap_or_default();
                PeerState {
                    peer: peer.to_string(),
                    addresses: info.addresses,
                    agent: info.agent,
                    rtt_ms: info.rtt_ms,
                    spaces: vec![],
                    penalty: self.penalties.get(&peer).copied().unwrap_or(0),
                    refused: self.refused.get(&peer).copied().unwrap_or(0),
                    received: self.received.get(&peer).copied().unwrap_or(0),
                }
            })
            .collect();
        if let Ok(mut s) = self.status.write() {
            s.addresses = self
                .net
                .listen_addresses()
                .iter()
                .map(|a| a.to_string())
                .collect();
            s.http = self.http.to_string();
            s.spaces = self.spaces.iter().map(|s| s.to_string()).collect();
            s.peers = peers;
            s.banned = self.banned.keys().map(|p| p.to_string()).collect();
        }
    }

    fn write_info(&self) {
        let info = NodeInfo {
            peer_id: self.net.local_peer_id().to_string(),
            addresses: self
                .net
                .listen_addresses()
                .iter()
                .map(|a| a.to_string())
                .collect(),
            http: self.http.to_string(),
            pid: std::process::id(),
        };
        if let Err(e) = info::write(&self.home, &info) {
            tracing::warn!(target: "node", "cannot write the node's address file: {e}");
        }
    }
}

#[cfg(unix)]
fn signal_terminate() -> Result<tokio::signal::unix::Signal, NodeError> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| NodeError::Invalid(format!("cannot watch for SIGTERM: {e}")))
}

/// Decodes a keypair for tests and tools.
pub fn keypair_from_seed(seed: [u8; 32]) -> Result<Keypair, NodeError> {
    Keypair::ed25519_from_bytes(seed).map_err(|e| NodeError::Invalid(e.to_string()))
}

/// An entry received from the network, decoded, for callers that want to inspect it.
pub fn peek(bytes: &[u8]) -> Option<Entry<margin_core::entry::Unverified>> {
    Entry::decode(bytes).ok()
}
