//! `margin node`: the long-running daemon. It owns the network ([`margin_net::Net`]),
//! runs the sync engine on the store thread, and serves HTTP: its own status and control
//! routes ([`api`]) and whatever routers the caller builds on its [`Handle`] (the CLI
//! adds the web interface of `margin-web`; this crate knows nothing of pages).
//!
//! The store stays the integration point: the CLI writes entries whether or not a
//! daemon runs, and the daemon notices new entries by their sequence number, announces
//! them, and tells the web UI.
//!
//! ```text
//!  network ──events──▶ async loop ──jobs──▶ store thread (Engine: Node + sync Service)
//!     ▲                    │  ▲                         │
//!     └──────frames────────┘  └────────actions──────────┘
//! ```

mod addresses;
pub mod api;
pub mod engine;
pub mod events;
mod heard;
pub mod info;
mod lanes;
pub mod worker;

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use margin_core::Timestamp;
use margin_net::{Multiaddr, Net, NetConfig, NetEvent, Reachability};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use engine::{Action, Engine, PeerCounts, Policy, Snapshot, SpaceInfo};
use info::NodeInfo;
use margin_node::error::NodeError;
use margin_node::home::Home;
use margin_node::node::Node;
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
    /// Run a circuit relay server (mirrors).
    pub relay_server: bool,
    /// Relays to be reachable through.
    pub relays: Vec<Multiaddr>,
    /// Addresses at which others reach this node (public address, port forwarding).
    pub external: Vec<Multiaddr>,
    /// Replicate every space a peer offers.
    pub mirror_all: bool,
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

/// How often the engine's timers run and the store is checked for new entries.
const TICK: Duration = Duration::from_millis(200);

/// What the network knows of a peer, with the engine's counts.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PeerState {
    pub peer: String,
    pub addresses: Vec<String>,
    pub agent: Option<String>,
    pub rtt_ms: Option<u64>,
    pub relayed: bool,
    /// Misbehaviour score (it decays); at 100 the peer is banned.
    pub penalty: u32,
    pub accepted: u64,
    pub refused: u64,
    pub last_refusal: Option<String>,
    /// Per shared space: in sync or not, entries pending, last reconciliation.
    pub spaces: Vec<margin_sync::service::LinkStatus>,
    pub traffic: margin_sync::service::Traffic,
}

/// The daemon's state, as the API serves it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Status {
    pub peer_id: String,
    pub addresses: Vec<String>,
    pub http: String,
    pub reachability: Reachability,
    pub mirror_all: bool,
    /// ms since the Unix epoch when this snapshot was taken.
    pub now: Timestamp,
    pub spaces: Vec<SpaceState>,
    pub peers: Vec<PeerState>,
    pub banned: Vec<margin_sync::service::BanStatus<String>>,
    /// Entries asked for and not yet stored.
    pub fetching: usize,
    /// Sync frames dropped because a peer read too slowly.
    pub dropped_frames: u64,
}

impl Status {
    /// What anyone may see: no peer's network address (a participant's IP address), no
    /// list of bans.
    pub fn public(mut self) -> Status {
        for peer in &mut self.peers {
            peer.addresses.clear();
        }
        self.banned.clear();
        self
    }
}

/// One replicated space.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SpaceState {
    pub space: String,
    pub title: Option<String>,
    pub mode: String,
    /// Valid entries held.
    pub entries: usize,
    /// Entries waiting for the entries they refer to.
    pub waiting: i64,
    /// What peers delivered since the node started.
    pub received: margin_sync::service::Received,
    /// Connected peers that hold it.
    pub peers: usize,
    /// Every such peer reconciled with no difference and nothing is left to fetch.
    pub in_sync: bool,
    /// When the last reconciliation with any peer finished (ms).
    pub last_sync: Option<Timestamp>,
}

/// What the daemon shares with the HTTP side: handlers reach the node through the store
/// thread, read the latest status snapshot and listen to events. Cheap to clone.
#[derive(Clone)]
pub struct Handle {
    pub home: Home,
    /// Runs store and Automerge work off the async reactor.
    pub worker: Worker,
    /// The daemon's latest network and sync snapshot.
    pub status: Arc<RwLock<Status>>,
    /// Entries stored and sync changes, as they happen.
    pub events: events::Events,
}

/// The HTTP routers the daemon serves: on its local address, and on the public address
/// of a mirror when it has one.
pub struct Routers {
    pub local: axum::Router,
    pub public: axum::Router,
}

struct Daemon {
    home: Home,
    net: Net,
    worker: Worker,
    actions: mpsc::UnboundedReceiver<Action>,
    status: Arc<RwLock<Status>>,
    events: events::Events,
    http: SocketAddr,
    public: Option<SocketAddr>,
}

/// Runs the daemon until SIGINT or SIGTERM, serving the routers `http` builds once the
/// store thread is up.
pub fn run(
    home: Home,
    config: DaemonConfig,
    http: impl FnOnce(Handle) -> Routers,
) -> Result<(), NodeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .thread_name("margin-node")
        .build()
        .map_err(|e| NodeError::Invalid(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(serve(home, config, http))
}

async fn serve(
    home: Home,
    config: DaemonConfig,
    http: impl FnOnce(Handle) -> Routers,
) -> Result<(), NodeError> {
    let key = info::node_key(&home)?;
    let local = key.public().to_peer_id();
    let (actions_tx, actions) = mpsc::unbounded_channel();
    let policy = Policy {
        mirror_all: config.mirror_all,
    };
    let worker = {
        let home = home.clone();
        Worker::start(move || {
            let node = Node::open(home)?;
            Engine::new(node, local, policy, actions_tx)
        })?
    };
    let net_config = NetConfig {
        listen: config.listen.clone(),
        bootstrap: config.bootstrap.clone(),
        mdns: config.mdns,
        relay_server: config.relay_server,
        relays: config.relays.clone(),
        external: config.external.clone(),
    };
    let net = Net::new(key, &net_config).map_err(|e| NodeError::Invalid(e.to_string()))?;
    let status = Arc::new(RwLock::new(Status {
        peer_id: local.to_string(),
        mirror_all: config.mirror_all,
        ..Default::default()
    }));
    let listener = tokio::net::TcpListener::bind(config.http)
        .await
        .map_err(|e| NodeError::Invalid(format!("cannot serve HTTP on {}: {e}", config.http)))?;
    let http_addr = listener
        .local_addr()
        .map_err(|e| NodeError::Invalid(format!("cannot serve HTTP: {e}")))?;
    let events = events::channel();
    let routers = http(Handle {
        home: home.clone(),
        worker: worker.clone(),
        status: status.clone(),
        events: events.clone(),
    });
    serve_http(listener, routers.local);
    let mut public_addr = None;
    if let Some(public) = config.public {
        let listener = tokio::net::TcpListener::bind(public).await.map_err(|e| {
            NodeError::Invalid(format!("cannot serve the public view on {public}: {e}"))
        })?;
        // The address actually bound: port 0 asks the system for a free one.
        let bound = listener.local_addr().unwrap_or(public);
        serve_http(listener, routers.public);
        tracing::info!(target: "node", "public read-only view on http://{bound}");
        public_addr = Some(bound);
    }
    tracing::info!(target: "node", "peer id {local}; HTTP API on http://{http_addr}");
    let mut daemon = Daemon {
        home,
        net,
        worker,
        actions,
        status,
        events,
        http: http_addr,
        public: public_addr,
    };
    daemon.worker.call_engine(|engine| engine.start()).await??;
    daemon.write_info();
    let result = daemon.run_loop().await;
    // The next start begins where this run ends, instead of replaying what came since.
    let stopping = |node: &mut margin_node::node::Node| {
        node.catch_up_index()?;
        node.save_snapshots()
    };
    match daemon.worker.call(stopping).await {
        Ok(Ok(n)) => tracing::debug!(target: "node", "{n} spaces' snapshots saved"),
        Ok(Err(e)) | Err(e) => {
            tracing::warn!(target: "node", "could not save the spaces' snapshots: {e}")
        }
    }
    info::remove(&daemon.home);
    tracing::info!(target: "node", "stopped");
    result
}

fn serve_http(listener: tokio::net::TcpListener, app: axum::Router) {
    tokio::spawn(async move {
        // The peer's address reaches the handlers: a public site that takes part
        // budgets entries per address.
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(target: "http", "the HTTP server stopped: {e}");
        }
    });
}

impl Daemon {
    async fn run_loop(&mut self) -> Result<(), NodeError> {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut terminate = signal_terminate()?;
        loop {
            tokio::select! {
                event = self.net.next_event() => self.on_net(event)?,
                Some(action) = self.actions.recv() => self.on_action(action),
                _ = tick.tick() => self.worker.submit(Engine::tick)?,
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

    fn on_net(&mut self, event: NetEvent) -> Result<(), NodeError> {
        match event {
            NetEvent::Listening(_) => self.write_info(),
            NetEvent::Connected { peer, addr, dialer } => {
                self.worker
                    .submit_from(peer, move |engine| engine.connected(peer, &addr, dialer))?;
            }
            NetEvent::Identified { peer, addresses } => {
                self.worker
                    .submit_from(peer, move |engine| engine.identified(&peer, &addresses))?;
            }
            NetEvent::Disconnected { peer } => {
                self.worker
                    .submit_from(peer, move |engine| engine.disconnected(&peer))?;
            }
            NetEvent::Frame {
                peer,
                frame,
                permit,
            } => {
                // The permit goes back when the frame has been handled: until then it
                // counts in the peer's backlog.
                self.worker.submit_from(peer, move |engine| {
                    engine.frame(&peer, &frame);
                    drop(permit);
                })?;
            }
            NetEvent::OversizeFrame { peer, len } => {
                self.worker
                    .submit_from(peer, move |engine| engine.oversize(&peer, len))?;
            }
            NetEvent::BadFrame { peer, reason } => {
                self.worker
                    .submit_from(peer, move |engine| engine.bad_frame(&peer, &reason))?;
            }
            NetEvent::Gossip {
                space,
                from,
                id,
                data,
            } => {
                self.worker
                    .submit_from(from, move |engine| engine.gossip(from, space, id, &data))?;
            }
            NetEvent::Providers { space, peers } => {
                for peer in peers {
                    if !self.net.is_connected(&peer) {
                        tracing::debug!(target: "net", "{peer} holds space {}; dialing", space.short());
                        self.net.dial_peer(peer);
                    }
                }
            }
        }
        Ok(())
    }

    fn on_action(&mut self, action: Action) {
        match action {
            Action::Send(peer, frame) => self.net.send(peer, frame),
            Action::Publish(space, data) => self.net.publish(&space, data),
            Action::Validated(id, peer, acceptance) => self.net.validated(&id, &peer, acceptance),
            Action::Ban(peer) => self.net.ban(peer),
            Action::Unban(peer) => self.net.unban(peer),
            Action::Join(space) => self.net.join_space(&space),
            Action::Leave(space) => self.net.leave_space(&space),
            Action::Dial(addr) => {
                if let Err(e) = self.net.dial(addr) {
                    tracing::debug!(target: "net", "{e}");
                }
            }
            Action::FindProviders(space) => self.net.find_space(&space),
            Action::Provide(space) => self.net.provide(&space),
            Action::Snapshot(snapshot) => self.publish_status(*snapshot),
            Action::Event(event) => {
                // Nobody listening is fine.
                let _ = self.events.send(event);
            }
        }
    }

    /// Merges the engine's snapshot with what the network knows, for the API.
    fn publish_status(&mut self, snapshot: Snapshot) {
        let Snapshot {
            sync,
            spaces,
            counts,
            mirror_all,
        } = snapshot;
        let peers: Vec<PeerState> = sync
            .peers
            .iter()
            .map(|p| {
                let info = p
                    .peer
                    .parse()
                    .ok()
                    .and_then(|id| self.net.peer_info(&id).cloned())
                    .unwrap_or_default();
                let c: PeerCounts = counts.get(&p.peer).cloned().unwrap_or_default();
                PeerState {
                    peer: p.peer.clone(),
                    addresses: info.addresses,
                    agent: info.agent,
                    rtt_ms: info.rtt_ms,
                    relayed: info.relayed,
                    penalty: p.score,
                    accepted: c.accepted,
                    refused: c.refused,
                    last_refusal: c.last_refusal,
                    spaces: p.spaces.clone(),
                    traffic: p.traffic,
                }
            })
            .collect();
        let spaces = spaces
            .into_iter()
            .map(|info: SpaceInfo| {
                let held = sync.spaces.iter().find(|s| s.space == info.space);
                let links: Vec<&margin_sync::service::LinkStatus> = peers
                    .iter()
                    .flat_map(|p| p.spaces.iter())
                    .filter(|l| l.space == info.space)
                    .collect();
                SpaceState {
                    entries: held.map_or(0, |s| s.entries),
                    received: held.map(|s| s.received).unwrap_or_default(),
                    peers: links.len(),
                    in_sync: links.iter().all(|l| l.in_sync) && info.waiting == 0,
                    last_sync: links.iter().filter_map(|l| l.last_sync).max(),
                    space: info.space,
                    title: info.title,
                    mode: info.mode.to_owned(),
                    waiting: info.waiting,
                }
            })
            .collect::<Vec<_>>();
        let in_sync = spaces.iter().all(|s| s.in_sync);
        let peer_count = peers.len();
        let changed = {
            let Ok(mut s) = self.status.write() else {
                return;
            };
            let changed =
                s.peers.len() != peer_count || s.spaces.iter().all(|s| s.in_sync) != in_sync;
            s.addresses = self
                .net
                .listen_addresses()
                .iter()
                .map(|a| a.to_string())
                .collect();
            s.http = self.http.to_string();
            s.reachability = self.net.reachability();
            s.mirror_all = mirror_all;
            s.now = sync.now;
            s.spaces = spaces;
            s.peers = peers;
            s.banned = sync.banned;
            s.fetching = sync.fetching;
            s.dropped_frames = self.net.dropped_frames();
            changed
        };
        if changed {
            let _ = self.events.send(events::Event::Sync {
                peers: peer_count,
                in_sync,
            });
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
            public: self.public.map(|a| a.to_string()),
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
