//! The swarm, the sync streams, and the events a node acts on.
//!
//! Sync messages travel on one ordered stream per peer and direction: [`Net::send`]
//! queues a frame for the peer's writer task, which opens the stream on first use;
//! frames from a peer's stream arrive as [`NetEvent::Frame`] in the order it sent them.
//! A peer that falls behind reading loses frames rather than growing our memory: the
//! sync protocol treats a lost frame like a lost packet and asks again later.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use libp2p::gossipsub::{self, MessageAcceptance, MessageId};
use libp2p::kad::store::RecordStore;
use libp2p::multiaddr::Protocol;
use libp2p::swarm::{ConnectionId, SwarmEvent};
use libp2p::{
    Multiaddr, PeerId, StreamProtocol, Swarm, autonat, identify, identity::Keypair, kad, mdns,
    noise, relay, tcp, yamux,
};
use margin_core::id::SpaceId;
use margin_sync::limits::{MAX_FRAME_BYTES, PROTOCOL};
use serde::{Deserialize, Serialize};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use crate::behaviour::{Behaviour, BehaviourConfig, BehaviourEvent};
use crate::framing::{FrameCompressor, FrameDecompressor, FrameError, read_frame, write_frame};
use crate::topic::{provider_key, space_of_topic, space_topic};

/// The sync protocol as libp2p negotiates it.
pub const SYNC_PROTOCOL: StreamProtocol = StreamProtocol::new(PROTOCOL);

/// Frames queued for one peer before further ones are dropped.
const OUTBOUND_QUEUE: usize = 256;
/// How many times in a row a frame is written on a new stream before the writer gives up.
const STREAM_ATTEMPTS: u32 = 3;
/// Events from the stream tasks waiting for the node to take them.
const INBOUND_QUEUE: usize = 1024;
/// The circuit relay protocol a relay server speaks, as identify lists it.
const RELAY_HOP: &str = "/libp2p/circuit/relay/0.2.0/hop";

/// How a node joins the network.
#[derive(Clone, Debug)]
pub struct NetConfig {
    pub listen: Vec<Multiaddr>,
    pub bootstrap: Vec<Multiaddr>,
    pub mdns: bool,
    /// Run a circuit relay server (mirrors).
    pub relay_server: bool,
    /// Relays to be reachable through (each `/…/p2p/RELAY`); more are used automatically
    /// when AutoNAT finds this node unreachable.
    pub relays: Vec<Multiaddr>,
    /// Addresses at which others reach this node, announced as confirmed (a mirror with
    /// a public address or port forwarding). A relay server serves only once it has one.
    pub external: Vec<Multiaddr>,
}

#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("cannot set up the network: {0}")]
    Setup(String),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: Multiaddr, reason: String },
    #[error("cannot dial {addr}: {reason}")]
    Dial { addr: Multiaddr, reason: String },
}

/// What happened on the network.
#[derive(Debug)]
pub enum NetEvent {
    Listening(Multiaddr),
    Connected {
        peer: PeerId,
        addr: Multiaddr,
        /// We dialed: `addr` is where the peer listens (else it is the peer's side of an
        /// inbound connection, which cannot be dialed back).
        dialer: bool,
    },
    /// The peer told us where it listens.
    Identified {
        peer: PeerId,
        addresses: Vec<Multiaddr>,
    },
    Disconnected {
        peer: PeerId,
    },
    /// A gossip message on a space's topic, passed on to us by `from`. Report what it
    /// was worth with [`Net::validated`]; it is forwarded only if accepted.
    Gossip {
        space: SpaceId,
        from: PeerId,
        id: MessageId,
        data: Vec<u8>,
    },
    /// One sync frame from a peer, in the order the peer sent them. Hold `permit` until
    /// the frame is handled: the peer's stream is read on only while its frames not yet
    /// handled stay within [`PEER_BACKLOG_BYTES`].
    Frame {
        peer: PeerId,
        frame: Vec<u8>,
        permit: FramePermit,
    },
    /// The peer announced a sync frame over the limit; its stream was closed unread.
    OversizeFrame {
        peer: PeerId,
        len: usize,
    },
    /// The peer sent a sync frame that does not decompress (or decompresses past the
    /// limit); its stream was closed.
    BadFrame {
        peer: PeerId,
        reason: String,
    },
    /// Peers that announced they hold a space.
    Providers {
        space: SpaceId,
        peers: Vec<PeerId>,
    },
}

/// What we know of a connected peer.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PeerInfo {
    pub peer: String,
    /// The paths of the connections we have had to the peer: its address, or the relay
    /// circuit a relayed connection went through.
    pub addresses: Vec<String>,
    pub agent: Option<String>,
    pub protocols: Vec<String>,
    pub rtt_ms: Option<u64>,
    /// Whether we reach the peer only through a relay (no open connection is direct).
    pub relayed: bool,
}

/// Whether this node can be reached from outside, as AutoNAT last found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reachability {
    #[default]
    Unknown,
    Public,
    Private,
}

/// One open connection to a peer.
#[derive(Clone, Copy, Debug)]
struct Connection {
    id: ConnectionId,
    /// We dialed it.
    dialer: bool,
    /// We answered its handshake (we accepted it, or hole punching gave us that role):
    /// we are the last of the two ends to have it established.
    answered: bool,
    relayed: bool,
}

/// A Margin node's swarm.
pub struct Net {
    swarm: Swarm<Behaviour>,
    control: libp2p_stream::Control,
    writers: HashMap<PeerId, mpsc::Sender<Vec<u8>>>,
    /// Every open connection to each peer: one is kept (see [`Net::keep_one`]).
    connections: HashMap<PeerId, Vec<Connection>>,
    /// Second connections to a peer this node closed.
    duplicates_closed: u64,
    inbound: mpsc::Receiver<NetEvent>,
    peers: BTreeMap<PeerId, PeerInfo>,
    provider_queries: HashMap<kad::QueryId, SpaceId>,
    listening: BTreeSet<Multiaddr>,
    relays: BTreeSet<PeerId>,
    reachability: Reachability,
    dropped_frames: u64,
    /// Whether concrete listen addresses count as external (a relay server with no
    /// `external` address given).
    listen_is_external: bool,
}

impl Net {
    /// Builds the swarm with `key` as the node's network identity and starts listening.
    /// Must run inside a tokio runtime.
    pub fn new(key: Keypair, config: &NetConfig) -> Result<Net, NetError> {
        let behaviour_config = BehaviourConfig {
            mdns: config.mdns,
            relay_server: config.relay_server,
        };
        let setup = |e: &dyn std::fmt::Display| NetError::Setup(e.to_string());
        let swarm = libp2p::SwarmBuilder::with_existing_identity(key)
            .with_tokio()
            .with_tcp(
                tcp::Config::default().nodelay(true),
                noise::Config::new,
                yamux::Config::default,
            )
            .map_err(|e| setup(&e))?
            .with_quic()
            .with_dns()
            .map_err(|e| setup(&e))?
            .with_relay_client(noise::Config::new, yamux::Config::default)
            .map_err(|e| setup(&e))?
            .with_behaviour(|key, relay_client| {
                Behaviour::new(key, relay_client, &behaviour_config)
                    .map_err(Box::<dyn std::error::Error + Send + Sync>::from)
            })
            .map_err(|e| setup(&e))?
            .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(120)))
            .build();
        let mut control = swarm.behaviour().sync.new_control();
        let incoming = control
            .accept(SYNC_PROTOCOL)
            .map_err(|e| NetError::Setup(e.to_string()))?;
        let (inbound_tx, inbound) = mpsc::channel(INBOUND_QUEUE);
        tokio::spawn(accept_streams(incoming, inbound_tx));
        let mut net = Net {
            swarm,
            control,
            writers: HashMap::new(),
            connections: HashMap::new(),
            duplicates_closed: 0,
            inbound,
            peers: BTreeMap::new(),
            provider_queries: HashMap::new(),
            listening: BTreeSet::new(),
            relays: BTreeSet::new(),
            reachability: Reachability::Unknown,
            dropped_frames: 0,
            listen_is_external: config.relay_server && config.external.is_empty(),
        };
        for addr in &config.external {
            net.swarm.add_external_address(addr.clone());
        }
        for addr in &config.listen {
            net.swarm
                .listen_on(addr.clone())
                .map_err(|e| NetError::Listen {
                    addr: addr.clone(),
                    reason: e.to_string(),
                })?;
        }
        for addr in &config.bootstrap {
            net.dial(addr.clone())?;
        }
        for relay in &config.relays {
            net.listen_via_relay(relay.clone())?;
        }
        Ok(net)
    }

    pub fn local_peer_id(&self) -> PeerId {
        *self.swarm.local_peer_id()
    }

    /// Addresses we listen on, as others can dial them (with `/p2p/<id>`).
    pub fn listen_addresses(&self) -> Vec<Multiaddr> {
        let me = self.local_peer_id();
        self.listening
            .iter()
            .map(|a| with_peer(a.clone(), me))
            .collect()
    }

    pub fn reachability(&self) -> Reachability {
        self.reachability
    }

    /// Second connections to a peer this node closed, so that each pair of nodes talks
    /// over one.
    pub fn duplicates_closed(&self) -> u64 {
        self.duplicates_closed
    }

    /// Frames dropped because a peer did not read fast enough.
    pub fn dropped_frames(&self) -> u64 {
        self.dropped_frames
    }

    /// Dials an address (ending in `/p2p/<id>` when the peer is known).
    pub fn dial(&mut self, addr: Multiaddr) -> Result<(), NetError> {
        if let Some(Protocol::P2p(peer)) = addr.iter().last() {
            if peer == self.local_peer_id() {
                return Ok(());
            }
            self.swarm
                .behaviour_mut()
                .kad
                .add_address(&peer, addr.clone());
        }
        self.swarm.dial(addr.clone()).map_err(|e| NetError::Dial {
            addr,
            reason: e.to_string(),
        })
    }

    /// Dials a peer by id, at the addresses the DHT and identify know for it.
    pub fn dial_peer(&mut self, peer: PeerId) {
        if let Err(e) = self.swarm.dial(peer) {
            tracing::debug!(target: "net", "cannot dial {peer}: {e}");
        }
    }

    /// Makes this node reachable through the relay at `relay` (an address ending in
    /// `/p2p/<relay id>`): peers dial `relay/p2p-circuit/p2p/<our id>`.
    pub fn listen_via_relay(&mut self, relay: Multiaddr) -> Result<(), NetError> {
        let Some(Protocol::P2p(id)) = relay.iter().last() else {
            return Err(NetError::Listen {
                addr: relay,
                reason: "a relay address must end with /p2p/<peer id>".into(),
            });
        };
        if !self.relays.insert(id) {
            return Ok(());
        }
        let circuit = relay.with(Protocol::P2pCircuit);
        tracing::info!(target: "net", "reachable through relay {id}");
        self.swarm
            .listen_on(circuit.clone())
            .map(|_| ())
            .map_err(|e| NetError::Listen {
                addr: circuit,
                reason: e.to_string(),
            })
    }

    /// Follows a space: its gossip topic, and a provider record saying we hold it.
    pub fn join_space(&mut self, space: &SpaceId) {
        let b = self.swarm.behaviour_mut();
        if let Err(e) = b.gossipsub.subscribe(&space_topic(space)) {
            tracing::warn!(target: "net", "cannot subscribe to space {}: {e}", space.short());
        }
        if let Err(e) = b.kad.start_providing(provider_key(space)) {
            tracing::debug!(target: "net", "cannot announce space {}: {e}", space.short());
        }
    }

    /// Publishes (again) the provider record saying this node holds the space.
    pub fn provide(&mut self, space: &SpaceId) {
        if let Err(e) = self
            .swarm
            .behaviour_mut()
            .kad
            .start_providing(provider_key(space))
        {
            tracing::debug!(target: "net", "cannot announce space {}: {e}", space.short());
        }
    }

    /// Stops following a space.
    pub fn leave_space(&mut self, space: &SpaceId) {
        let b = self.swarm.behaviour_mut();
        b.gossipsub.unsubscribe(&space_topic(space));
        b.kad.stop_providing(&provider_key(space));
    }

    /// Asks the DHT who holds a space; answers come as [`NetEvent::Providers`].
    pub fn find_space(&mut self, space: &SpaceId) {
        let b = self.swarm.behaviour_mut();
        if b.kad.kbuckets().next().is_none() {
            return; // nobody to ask yet
        }
        let query = b.kad.get_providers(provider_key(space));
        self.provider_queries.insert(query, *space);
    }

    /// Publishes on a space's topic. Having no peers on the topic yet is not an error:
    /// reconciliation brings the entry to them when they come.
    pub fn publish(&mut self, space: &SpaceId, data: Vec<u8>) {
        match self
            .swarm
            .behaviour_mut()
            .gossipsub
            .publish(space_topic(space), data)
        {
            Ok(_)
            | Err(gossipsub::PublishError::NoPeersSubscribedToTopic)
            | Err(gossipsub::PublishError::Duplicate) => {}
            Err(e) => {
                tracing::debug!(target: "net", "gossip on space {} failed: {e}", space.short())
            }
        }
    }

    /// Reports what a gossip message was worth: accepted ones are passed on, rejected
    /// ones count against the peer in gossipsub's own scoring, ignored ones are dropped.
    pub fn validated(&mut self, id: &MessageId, from: &PeerId, acceptance: MessageAcceptance) {
        self.swarm
            .behaviour_mut()
            .gossipsub
            .report_message_validation_result(id, from, acceptance);
    }

    /// Queues a sync frame for `peer`. Dropped, and counted, when the peer's queue is
    /// full. A writer that ended (its peer could not be reached) is replaced, so the
    /// frame is tried again on a new stream.
    pub fn send(&mut self, peer: PeerId, frame: Vec<u8>) {
        let frame = match self.writer(peer).try_send(frame) {
            Ok(()) => return,
            Err(mpsc::error::TrySendError::Closed(frame)) => {
                self.writers.remove(&peer);
                match self.writer(peer).try_send(frame) {
                    Ok(()) => return,
                    Err(e) => e.into_inner(),
                }
            }
            Err(mpsc::error::TrySendError::Full(frame)) => frame,
        };
        self.dropped_frames += 1;
        tracing::debug!(
            target: "net",
            "a sync frame for {peer} ({} bytes) was dropped: its queue is full",
            frame.len()
        );
    }

    /// The queue of frames for `peer`, and the task that writes it.
    fn writer(&mut self, peer: PeerId) -> &mut mpsc::Sender<Vec<u8>> {
        self.writers.entry(peer).or_insert_with(|| {
            let (tx, rx) = mpsc::channel(OUTBOUND_QUEUE);
            tokio::spawn(write_stream(self.control.clone(), peer, rx));
            tx
        })
    }

    /// Closes every connection to a peer and refuses new ones until [`Net::unban`].
    pub fn ban(&mut self, peer: PeerId) {
        self.writers.remove(&peer);
        self.swarm.behaviour_mut().blocked.block_peer(peer);
    }

    pub fn unban(&mut self, peer: PeerId) {
        self.swarm.behaviour_mut().blocked.unblock_peer(peer);
    }

    /// Closes every connection to a peer (it may come back).
    pub fn disconnect(&mut self, peer: PeerId) {
        self.writers.remove(&peer);
        let _ = self.swarm.disconnect_peer_id(peer);
    }

    pub fn is_connected(&self, peer: &PeerId) -> bool {
        self.swarm.is_connected(peer)
    }

    pub fn connected(&self) -> Vec<PeerId> {
        self.swarm.connected_peers().copied().collect()
    }

    pub fn peer_info(&self, peer: &PeerId) -> Option<&PeerInfo> {
        self.peers.get(peer)
    }

    /// The next event worth acting on; the swarm's other events are handled here.
    pub async fn next_event(&mut self) -> NetEvent {
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => {
                    if let Some(e) = self.handle(event) {
                        return e;
                    }
                }
                Some(event) = self.inbound.recv() => return event,
            }
        }
    }

    fn handle(&mut self, event: SwarmEvent<BehaviourEvent>) -> Option<NetEvent> {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::info!(target: "net", "listening on {address}");
                self.listening.insert(address.clone());
                let relayed = address.iter().any(|p| matches!(p, Protocol::P2pCircuit));
                if self.listen_is_external && !relayed {
                    self.swarm.add_external_address(address.clone());
                }
                Some(NetEvent::Listening(address))
            }
            SwarmEvent::ExpiredListenAddr { address, .. } => {
                self.listening.remove(&address);
                None
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                endpoint,
                num_established,
                ..
            } => {
                self.connections
                    .entry(peer_id)
                    .or_default()
                    .push(Connection {
                        id: connection_id,
                        dialer: endpoint.is_dialer(),
                        answered: match &endpoint {
                            libp2p::core::ConnectedPoint::Listener { .. } => true,
                            libp2p::core::ConnectedPoint::Dialer { role_override, .. } => {
                                role_override.is_listener()
                            }
                        },
                        relayed: endpoint.is_relayed(),
                    });
                self.keep_one(peer_id);
                let addr = endpoint.get_remote_address().clone();
                // A relayed connection the peer opened comes from `/p2p/<peer>` alone;
                // the circuit it came through says which relay carries it.
                let path = match &endpoint {
                    libp2p::core::ConnectedPoint::Listener { local_addr, .. }
                        if endpoint.is_relayed() =>
                    {
                        with_peer(local_addr.clone(), peer_id)
                    }
                    _ => addr.clone(),
                };
                let relayed = self.is_relayed(&peer_id);
                let info = self.peers.entry(peer_id).or_insert_with(|| PeerInfo {
                    peer: peer_id.to_string(),
                    ..Default::default()
                });
                let text = path.to_string();
                if !info.addresses.contains(&text) {
                    info.addresses.push(text);
                }
                info.relayed = relayed;
                tracing::debug!(target: "net", "connected to {peer_id} at {addr}");
                (num_established.get() == 1).then_some(NetEvent::Connected {
                    peer: peer_id,
                    dialer: endpoint.is_dialer(),
                    addr,
                })
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                connection_id,
                num_established,
                ..
            } => {
                if let Some(open) = self.connections.get_mut(&peer_id) {
                    open.retain(|c| c.id != connection_id);
                    if open.is_empty() {
                        self.connections.remove(&peer_id);
                    }
                }
                let relayed = self.is_relayed(&peer_id);
                if let Some(info) = self.peers.get_mut(&peer_id) {
                    info.relayed = relayed;
                }
                if num_established == 0 {
                    self.peers.remove(&peer_id);
                    self.writers.remove(&peer_id);
                    tracing::debug!(target: "net", "disconnected from {peer_id}");
                    Some(NetEvent::Disconnected { peer: peer_id })
                } else {
                    None
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => {
                for addr in &info.listen_addrs {
                    self.swarm
                        .behaviour_mut()
                        .kad
                        .add_address(&peer_id, addr.clone());
                }
                let is_relay = info.protocols.iter().any(|p| p.as_ref() == RELAY_HOP);
                if let Some(p) = self.peers.get_mut(&peer_id) {
                    p.agent = Some(info.agent_version.clone());
                    p.protocols = info.protocols.iter().map(|p| p.to_string()).collect();
                }
                if is_relay && self.reachability == Reachability::Private {
                    self.use_relay(peer_id);
                }
                Some(NetEvent::Identified {
                    peer: peer_id,
                    addresses: info.listen_addrs,
                })
            }
            SwarmEvent::Behaviour(BehaviourEvent::Ping(libp2p::ping::Event {
                peer,
                result: Ok(rtt),
                ..
            })) => {
                if let Some(p) = self.peers.get_mut(&peer) {
                    p.rtt_ms = Some(rtt.as_millis() as u64);
                }
                None
            }
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(mdns::Event::Discovered(found))) => {
                for (peer, addr) in found {
                    if peer != self.local_peer_id() && !self.swarm.is_connected(&peer) {
                        tracing::debug!(target: "net", "mDNS found {peer} at {addr}");
                        let _ = self.swarm.dial(with_peer(addr, peer));
                    }
                }
                None
            }
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            })) => match space_of_topic(message.topic.as_str()) {
                Some(space) => Some(NetEvent::Gossip {
                    space,
                    from: propagation_source,
                    id: message_id,
                    data: message.data,
                }),
                None => {
                    self.validated(&message_id, &propagation_source, MessageAcceptance::Ignore);
                    None
                }
            },
            SwarmEvent::Behaviour(BehaviourEvent::Kad(kad::Event::OutboundQueryProgressed {
                id,
                result,
                ..
            })) => match result {
                kad::QueryResult::GetProviders(Ok(kad::GetProvidersOk::FoundProviders {
                    providers,
                    ..
                })) => {
                    let space = *self.provider_queries.get(&id)?;
                    let me = self.local_peer_id();
                    let peers: Vec<PeerId> = providers.into_iter().filter(|p| *p != me).collect();
                    Some(NetEvent::Providers { space, peers })
                }
                kad::QueryResult::GetProviders(_) => {
                    self.provider_queries.remove(&id);
                    None
                }
                _ => None,
            },
            SwarmEvent::Behaviour(BehaviourEvent::Autonat(autonat::Event::StatusChanged {
                new,
                ..
            })) => {
                self.reachability = match new {
                    autonat::NatStatus::Public(_) => Reachability::Public,
                    autonat::NatStatus::Private => Reachability::Private,
                    autonat::NatStatus::Unknown => Reachability::Unknown,
                };
                tracing::info!(target: "net", "reachability: {:?}", self.reachability);
                if self.reachability == Reachability::Private {
                    let relays: Vec<PeerId> = self
                        .peers
                        .iter()
                        .filter(|(_, info)| info.protocols.iter().any(|p| p == RELAY_HOP))
                        .map(|(peer, _)| *peer)
                        .collect();
                    for relay in relays {
                        self.use_relay(relay);
                    }
                }
                None
            }
            SwarmEvent::Behaviour(BehaviourEvent::RelayClient(
                relay::client::Event::ReservationReqAccepted {
                    relay_peer_id,
                    renewal,
                    ..
                },
            )) => {
                if !renewal {
                    tracing::info!(target: "net", "relay {relay_peer_id} holds a reservation for us");
                    self.reannounce();
                }
                None
            }
            SwarmEvent::Behaviour(BehaviourEvent::Dcutr(event)) => {
                match event.result {
                    Ok(_) => tracing::info!(
                        target: "net",
                        "hole punching with {} made a direct connection",
                        event.remote_peer_id
                    ),
                    Err(e) => tracing::info!(
                        target: "net",
                        "hole punching with {} failed ({e}); the connection stays relayed",
                        event.remote_peer_id
                    ),
                }
                None
            }
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                tracing::debug!(target: "net", "dialing {peer_id:?} failed: {error}");
                None
            }
            other => {
                tracing::trace!(target: "net", "{other:?}");
                None
            }
        }
    }

    /// Closes all but one connection to a peer, so that a pair of nodes syncs over one
    /// connection (two appear when both dial each other at once, or a direct connection
    /// joins a relayed one). Both ends choose the same one without talking: a direct
    /// connection over a relayed one, then the one dialed by the peer with the smaller id.
    /// Among several dialed by the same peer, only that peer closes the extras (keeping
    /// its oldest), since the other end may have numbered them in another order.
    ///
    /// A relayed connection is closed only by the end that answered the direct
    /// connection's handshake: that end has it established last, so the other end
    /// already has it when the relayed one goes. Were the other end to close it, this
    /// end could be left for a moment with no connection at all, and drop the peer's
    /// sync in the middle of the upgrade.
    fn keep_one(&mut self, peer: PeerId) {
        let Some(open) = self.connections.get(&peer) else {
            return;
        };
        if open.len() < 2 {
            return;
        }
        let direct: Vec<Connection> = open.iter().filter(|c| !c.relayed).copied().collect();
        let mut close: Vec<ConnectionId> = vec![];
        let candidates = if direct.is_empty() {
            open.clone()
        } else {
            if direct.iter().any(|c| c.answered) {
                close.extend(open.iter().filter(|c| c.relayed).map(|c| c.id));
            }
            direct
        };
        let smaller_is_us = self.local_peer_id() < peer;
        let by_smaller: Vec<Connection> = candidates
            .iter()
            .filter(|c| c.dialer == smaller_is_us)
            .copied()
            .collect();
        let kept = if by_smaller.is_empty() {
            candidates.clone()
        } else {
            by_smaller
        };
        close.extend(
            candidates
                .iter()
                .filter(|c| !kept.iter().any(|k| k.id == c.id))
                .map(|c| c.id),
        );
        // All kept ones were dialed by the same side: if that is us, keep the oldest.
        if kept.len() > 1 && kept[0].dialer {
            let oldest = kept.iter().map(|c| c.id).min();
            close.extend(kept.iter().map(|c| c.id).filter(|id| Some(*id) != oldest));
        }
        for id in close {
            tracing::debug!(target: "net", "closing a second connection to {peer}");
            if self.swarm.close_connection(id) {
                self.duplicates_closed += 1;
            }
        }
    }

    /// Whether every open connection to `peer` is relayed (none is direct).
    fn is_relayed(&self, peer: &PeerId) -> bool {
        self.connections
            .get(peer)
            .is_some_and(|open| !open.is_empty() && open.iter().all(|c| c.relayed))
    }

    /// Publishes again the provider records of every space this node holds, now that it
    /// has a new address to be reached at (a relay's reservation). A record carries the
    /// addresses the node had when it was published, and records are renewed hourly: one
    /// published before the relay held a reservation would, for an hour, point those who
    /// look the space up at addresses they cannot reach.
    fn reannounce(&mut self) {
        let kad = &mut self.swarm.behaviour_mut().kad;
        let keys: Vec<kad::RecordKey> = kad
            .store_mut()
            .provided()
            .map(|record| record.key.clone())
            .collect();
        for key in keys {
            if let Err(e) = kad.start_providing(key) {
                tracing::debug!(target: "net", "cannot announce a space again: {e}");
            }
        }
    }

    /// Listens through a connected relay server, at the first address we reached it at.
    fn use_relay(&mut self, relay: PeerId) {
        let Some(addr) = self
            .peers
            .get(&relay)
            .and_then(|info| info.addresses.first())
            .and_then(|a| a.parse::<Multiaddr>().ok())
        else {
            return;
        };
        if let Err(e) = self.listen_via_relay(with_peer(addr, relay)) {
            tracing::debug!(target: "net", "cannot listen through relay {relay}: {e}");
        }
    }
}

/// `addr` ending with `/p2p/<peer>`.
fn with_peer(addr: Multiaddr, peer: PeerId) -> Multiaddr {
    addr.with_p2p(peer).unwrap_or_else(|a| a)
}

/// Bytes of one peer's frames that may have been read and not yet handled by the node.
/// Past them, its streams are not read until the node has caught up: a fast peer is
/// slowed by the transport's own flow control, and can neither fill the node's memory
/// with frames waiting for the store thread nor crowd other peers' frames out.
pub const PEER_BACKLOG_BYTES: usize = 16 * 1024 * 1024;

/// A frame's share of its peer's backlog, given back when dropped.
#[derive(Debug)]
pub struct FramePermit {
    _permit: OwnedSemaphorePermit,
}

/// Takes each inbound sync stream and reads it in its own task; a peer's streams share
/// one backlog.
async fn accept_streams(
    mut incoming: libp2p_stream::IncomingStreams,
    events: mpsc::Sender<NetEvent>,
) {
    let mut backlogs: HashMap<PeerId, Arc<Semaphore>> = HashMap::new();
    while let Some((peer, stream)) = incoming.next().await {
        // Forget the backlogs of peers none of whose streams is read any more.
        backlogs.retain(|_, backlog| Arc::strong_count(backlog) > 1);
        let backlog = backlogs
            .entry(peer)
            .or_insert_with(|| Arc::new(Semaphore::new(PEER_BACKLOG_BYTES / 1024)))
            .clone();
        tokio::spawn(read_stream(peer, stream, events.clone(), backlog));
    }
}

/// The largest compressed frame a reader accepts: a maximal frame after zstd's
/// worst-case expansion.
const MAX_COMPRESSED_FRAME_BYTES: usize = MAX_FRAME_BYTES + MAX_FRAME_BYTES / 128 + 1024;

/// Reads frames from one peer's stream until it ends, decompressing them and passing
/// them on in order.
async fn read_stream(
    peer: PeerId,
    mut stream: libp2p::Stream,
    events: mpsc::Sender<NetEvent>,
    backlog: Arc<Semaphore>,
) {
    let mut decompressor = match FrameDecompressor::new(MAX_FRAME_BYTES) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(target: "net", "cannot decompress a sync stream: {e}");
            return;
        }
    };
    loop {
        let read = match read_frame(&mut stream, MAX_COMPRESSED_FRAME_BYTES).await {
            Ok(Some(chunk)) => decompressor.decompress(&chunk).map(Some),
            other => other,
        };
        let event = match read {
            Ok(Some(frame)) => {
                // Its share of the backlog, in KiB (a frame larger than the whole
                // backlog waits for all of it).
                let share = frame
                    .len()
                    .div_ceil(1024)
                    .clamp(1, PEER_BACKLOG_BYTES / 1024);
                let Ok(permit) = backlog
                    .clone()
                    .acquire_many_owned(u32::try_from(share).unwrap_or(u32::MAX))
                    .await
                else {
                    return;
                };
                NetEvent::Frame {
                    peer,
                    frame,
                    permit: FramePermit { _permit: permit },
                }
            }
            Ok(None) => return,
            Err(FrameError::Oversize { len, .. }) => NetEvent::OversizeFrame { peer, len },
            Err(FrameError::Compression(reason)) => NetEvent::BadFrame { peer, reason },
            Err(FrameError::Io(e)) => {
                tracing::debug!(target: "net", "sync stream from {peer} ended: {e}");
                return;
            }
        };
        let last = matches!(
            event,
            NetEvent::OversizeFrame { .. } | NetEvent::BadFrame { .. }
        );
        if events.send(event).await.is_err() || last {
            return;
        }
    }
}

/// Opens a sync stream to the peer and writes its queued frames in order. A peer can
/// hold several connections and close one of them (a duplicate, or an idle one) while
/// the others stay: a frame whose write fails is written again on a new stream, so
/// that the protocol's ordered, reliable stream loses nothing while the peer stays
/// connected. Ends when the queue is dropped (the peer went away), when no stream can
/// be opened, or after [`STREAM_ATTEMPTS`] failures in a row; the next frame then
/// starts a new writer.
async fn write_stream(
    mut control: libp2p_stream::Control,
    peer: PeerId,
    mut frames: mpsc::Receiver<Vec<u8>>,
) {
    let Some(mut frame) = frames.recv().await else {
        return;
    };
    let mut failures = 0;
    loop {
        let mut stream = match control.open_stream(peer, SYNC_PROTOCOL).await {
            Ok(stream) => stream,
            Err(e) => {
                tracing::debug!(target: "net", "cannot open a sync stream to {peer}: {e}");
                return;
            }
        };
        // Each stream is its own zstd stream: a new one starts a new context.
        let mut compressor = match FrameCompressor::new() {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(target: "net", "cannot compress a sync stream: {e}");
                return;
            }
        };
        loop {
            let written = match compressor.compress(&frame) {
                Ok(chunk) => write_frame(&mut stream, &chunk).await,
                Err(e) => Err(e),
            };
            if let Err(e) = written {
                failures += 1;
                if failures >= STREAM_ATTEMPTS {
                    tracing::debug!(target: "net", "sync stream to {peer} failed {failures} times, last: {e}");
                    return;
                }
                tracing::debug!(target: "net", "sync stream to {peer} failed: {e}; opening another");
                break;
            }
            failures = 0;
            match frames.recv().await {
                Some(next) => frame = next,
                None => {
                    let _ = futures::AsyncWriteExt::close(&mut stream).await;
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use libp2p::swarm::ConnectionId;
    use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};

    use super::*;

    fn loopback() -> NetConfig {
        NetConfig {
            listen: vec!["/ip4/127.0.0.1/tcp/0".parse().expect("an address")],
            bootstrap: vec![],
            mdns: false,
            relay_server: false,
            relays: vec![],
            external: vec![],
        }
    }

    /// Node `a` sending to node `b`, with the connections `a` holds to `b`, oldest first.
    struct Pair {
        a: Net,
        b: Net,
        live: Vec<ConnectionId>,
    }

    impl Pair {
        /// Drives both nodes once: `a`'s swarm by hand (to see its connections), `b`
        /// as the node does. Returns a frame `b` received from `a`.
        async fn step(&mut self) -> Option<Vec<u8>> {
            let (peer, from) = (self.b.local_peer_id(), self.a.local_peer_id());
            tokio::select! {
                event = self.a.swarm.select_next_some() => {
                    match &event {
                        SwarmEvent::ConnectionEstablished { peer_id, connection_id, .. }
                            if *peer_id == peer => self.live.push(*connection_id),
                        SwarmEvent::ConnectionClosed { peer_id, connection_id, .. }
                            if *peer_id == peer => self.live.retain(|c| c != connection_id),
                        _ => {}
                    }
                    // `a`'s second connections must stay open here: it is not told of
                    // them, so it does not close all but one as a node does.
                    if !matches!(event, SwarmEvent::ConnectionEstablished { .. }) {
                        self.a.handle(event);
                    }
                    None
                }
                event = self.b.next_event() => match event {
                    NetEvent::Frame { peer, frame, .. } if peer == from => Some(frame),
                    _ => None,
                },
            }
        }

        fn dial(&mut self, addr: &Multiaddr) {
            let opts = DialOpts::peer_id(self.b.local_peer_id())
                .addresses(vec![addr.clone()])
                .condition(PeerCondition::Always)
                .build();
            self.a.swarm.dial(opts).expect("dial b");
        }

        async fn connected(&mut self, n: usize) {
            while self.live.len() < n {
                self.step().await;
            }
        }

        /// Closes `a`'s oldest connection to `b`, waiting until it is gone.
        async fn close_oldest(&mut self) {
            let oldest = self.live[0];
            assert!(self.a.swarm.close_connection(oldest));
            while self.live.contains(&oldest) {
                self.step().await;
            }
        }

        /// Sends `frames` from `a` and waits until `b` has them all, once and in order.
        async fn send(&mut self, frames: &[Vec<u8>]) {
            let peer = self.b.local_peer_id();
            for f in frames {
                self.a.send(peer, f.clone());
            }
            let mut got = vec![];
            while got.len() < frames.len() {
                if let Some(frame) = self.step().await {
                    got.push(frame);
                }
            }
            assert_eq!(got, frames, "every frame, once and in order");
        }
    }

    /// A peer may hold several connections and close one while the others stay (a
    /// duplicate, an idle one). Whichever connection carried the sync stream, frames sent
    /// after it closed still arrive: the writer opens a new stream on a live connection
    /// and writes the frame again. Before, they were lost, and a reconciliation waiting
    /// for them stalled.
    #[tokio::test]
    async fn frames_survive_the_close_of_the_connection_that_carried_them() {
        tokio::time::timeout(Duration::from_secs(60), async {
            let a = Net::new(Keypair::generate_ed25519(), &loopback()).expect("node a");
            let mut b = Net::new(Keypair::generate_ed25519(), &loopback()).expect("node b");
            let addr = loop {
                if let NetEvent::Listening(addr) = b.next_event().await {
                    break addr;
                }
            };
            let mut pair = Pair { a, b, live: vec![] };
            pair.dial(&addr);
            pair.dial(&addr);
            pair.connected(2).await;
            let frame = |n: u8| vec![n; 64];
            pair.send(&[frame(1)]).await;

            // Close the oldest connection and send; open another, close the oldest again
            // and send. The stream was on one of the first two connections, so at least
            // one of the closes breaks it.
            pair.close_oldest().await;
            pair.send(&[frame(2), frame(3)]).await;
            pair.dial(&addr);
            pair.connected(2).await;
            pair.close_oldest().await;
            pair.send(&[frame(4), frame(5)]).await;

            let peer = pair.b.local_peer_id();
            assert!(pair.a.is_connected(&peer));
            assert_eq!(pair.a.dropped_frames(), 0);
        })
        .await
        .expect("the frames arrive within a minute");
    }

    /// A peer's frames that the node has not handled yet are bounded in bytes: while the
    /// node holds their permits, the peer's stream is not read further (the transport's
    /// flow control holds the sender back); once it lets them go, the rest arrive, in
    /// order and none lost.
    #[tokio::test]
    async fn frames_not_yet_handled_are_bounded_per_peer() {
        tokio::time::timeout(Duration::from_secs(120), async {
            let mut a = Net::new(Keypair::generate_ed25519(), &loopback()).expect("node a");
            let mut b = Net::new(Keypair::generate_ed25519(), &loopback()).expect("node b");
            let addr_b = loop {
                b.next_event().await;
                if let Some(addr) = b.listening.iter().next().cloned() {
                    break with_peer(addr, b.local_peer_id());
                }
            };
            a.dial(addr_b).expect("dial b");
            let (pa, pb) = (a.local_peer_id(), b.local_peer_id());
            while !a.is_connected(&pb) {
                tokio::select! {
                    _ = a.next_event() => {}
                    _ = b.next_event() => {}
                }
            }
            // Forty frames of 1 MiB that do not compress.
            let mut state = 0x2545_f491_4f6c_dd1d_u64;
            let frames: Vec<Vec<u8>> = (0..40)
                .map(|n| {
                    let mut frame = vec![n as u8];
                    while frame.len() < 1024 * 1024 {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        frame.extend_from_slice(&state.to_le_bytes());
                    }
                    frame
                })
                .collect();
            for frame in &frames {
                a.send(pb, frame.clone());
            }
            let mut held = vec![];
            let mut got = vec![];
            let quiet = Duration::from_secs(3);
            loop {
                tokio::select! {
                    _ = a.next_event() => {}
                    event = b.next_event() => {
                        if let NetEvent::Frame { peer, frame, permit } = event {
                            assert_eq!(peer, pa);
                            got.push(frame);
                            held.push(permit);
                        }
                    }
                    _ = tokio::time::sleep(quiet) => break,
                }
            }
            let backlog = PEER_BACKLOG_BYTES / (1024 * 1024);
            assert!(
                !got.is_empty() && got.len() <= backlog,
                "{} frames of 1 MiB arrived unhandled; the backlog is {backlog} MiB",
                got.len()
            );
            // The node handles them: the rest follow.
            drop(held);
            while got.len() < frames.len() {
                tokio::select! {
                    _ = a.next_event() => {}
                    event = b.next_event() => {
                        if let NetEvent::Frame { frame, .. } = event {
                            got.push(frame);
                        }
                    }
                }
            }
            assert!(got == frames, "every frame, once and in order");
            assert_eq!(a.dropped_frames(), 0);
        })
        .await
        .expect("the frames arrive within two minutes");
    }

    /// Two nodes that dial each other at the same time end with one connection, the
    /// same on both sides, and stay connected.
    #[tokio::test]
    async fn two_nodes_dialling_each_other_keep_one_connection() {
        tokio::time::timeout(Duration::from_secs(60), async {
            let mut a = Net::new(Keypair::generate_ed25519(), &loopback()).expect("node a");
            let mut b = Net::new(Keypair::generate_ed25519(), &loopback()).expect("node b");
            let listening = |net: &mut Net| {
                let addr = net.listening.iter().next().cloned();
                addr.map(|a| with_peer(a, net.local_peer_id()))
            };
            let (mut addr_a, mut addr_b) = (None, None);
            while addr_a.is_none() || addr_b.is_none() {
                tokio::select! {
                    _ = a.next_event() => addr_a = listening(&mut a),
                    _ = b.next_event() => addr_b = listening(&mut b),
                }
            }
            let (addr_a, addr_b) = (addr_a.expect("a listens"), addr_b.expect("b listens"));
            let always = |addr: &Multiaddr| {
                let Some(Protocol::P2p(peer)) = addr.iter().last() else {
                    panic!("{addr} names its peer");
                };
                DialOpts::peer_id(peer)
                    .addresses(vec![addr.clone()])
                    .condition(PeerCondition::Always)
                    .build()
            };
            for _ in 0..3 {
                a.swarm.dial(always(&addr_b)).expect("dial b");
                b.swarm.dial(always(&addr_a)).expect("dial a");
            }
            let (pa, pb) = (a.local_peer_id(), b.local_peer_id());
            let settle = tokio::time::Instant::now() + Duration::from_secs(3);
            loop {
                tokio::select! {
                    _ = a.next_event() => {}
                    _ = b.next_event() => {}
                    _ = tokio::time::sleep_until(settle) => break,
                }
            }
            let closed = a.duplicates_closed() + b.duplicates_closed();
            assert!(
                closed >= 1,
                "the nodes opened several connections and closed some"
            );
            let open_a = a.connections.get(&pb).map_or(0, Vec::len);
            let open_b = b.connections.get(&pa).map_or(0, Vec::len);
            assert_eq!((open_a, open_b), (1, 1), "one connection on each side");
            assert!(a.is_connected(&pb) && b.is_connected(&pa));
        })
        .await
        .expect("the nodes settle within a minute");
    }

    /// What the DHT server `dht` stores of `provider`'s record for `space`.
    fn record_at(dht: &mut Net, space: &SpaceId, provider: PeerId) -> Option<kad::ProviderRecord> {
        dht.swarm
            .behaviour_mut()
            .kad
            .store_mut()
            .providers(&provider_key(space))
            .into_iter()
            .find(|r| r.provider == provider)
    }

    /// A node behind NAT announced a space before a relay held a reservation for it (as
    /// when it finds the relay only once AutoNAT says it is unreachable): the record
    /// then names no address anyone can reach it at. Once the relay holds a reservation
    /// the node announces the space again, and the DHT hands out the relayed address.
    /// Before, the record was renewed only hourly.
    #[tokio::test]
    async fn a_space_is_announced_again_with_the_relayed_address() {
        tokio::time::timeout(Duration::from_secs(60), async {
            let mut relay = Net::new(
                Keypair::generate_ed25519(),
                &NetConfig {
                    relay_server: true,
                    ..loopback()
                },
            )
            .expect("the relay");
            let relay_addr = loop {
                if let NetEvent::Listening(addr) = relay.next_event().await {
                    break with_peer(addr, relay.local_peer_id());
                }
            };
            let mut a = Net::new(
                Keypair::generate_ed25519(),
                &NetConfig {
                    bootstrap: vec![relay_addr.clone()],
                    ..loopback()
                },
            )
            .expect("node a");
            let (pa, pr) = (a.local_peer_id(), relay.local_peer_id());
            let space = SpaceId::from_bytes([7; 32]);
            a.join_space(&space);
            // Both swarms run; what the DHT stored is looked at between events and
            // every 50 ms (storing a record is no event of its own).
            async fn step(a: &mut Net, relay: &mut Net) {
                tokio::select! {
                    _ = a.next_event() => {}
                    _ = relay.next_event() => {}
                    _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                }
            }
            while !a.is_connected(&pr) {
                step(&mut a, &mut relay).await;
            }
            // Announced once connected (the first announcement reached nobody).
            a.provide(&space);
            let first = loop {
                if let Some(record) = record_at(&mut relay, &space, pa) {
                    break record;
                }
                step(&mut a, &mut relay).await;
            };
            let circuit = |r: &kad::ProviderRecord| {
                r.addresses
                    .iter()
                    .any(|x| x.iter().any(|p| matches!(p, Protocol::P2pCircuit)))
            };
            assert!(!circuit(&first), "no relayed address yet: {first:?}");

            a.listen_via_relay(relay_addr)
                .expect("listen through the relay");
            while !record_at(&mut relay, &space, pa).is_some_and(|r| circuit(&r)) {
                step(&mut a, &mut relay).await;
            }
        })
        .await
        .expect("the relayed address is announced within a minute");
    }
}
