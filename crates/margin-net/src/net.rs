//! The swarm and the events a node acts on.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use futures::StreamExt;
use libp2p::request_response::{self, InboundRequestId, OutboundRequestId, ResponseChannel};
use libp2p::swarm::SwarmEvent;
use libp2p::{
    Multiaddr, PeerId, Swarm, gossipsub, identify, identity::Keypair, kad, mdns, noise, tcp, yamux,
};
use margin_core::id::SpaceId;
use serde::Serialize;

use crate::behaviour::{Behaviour, BehaviourConfig, BehaviourEvent};
use crate::topic::{provider_key, space_of_topic, space_topic};

/// How a node joins the network.
#[derive(Clone, Debug)]
pub struct NetConfig {
    pub listen: Vec<Multiaddr>,
    pub bootstrap: Vec<Multiaddr>,
    pub mdns: bool,
    pub relay_server: bool,
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
    },
    Disconnected {
        peer: PeerId,
    },
    /// A gossip message on a space's topic.
    Gossip {
        space: SpaceId,
        from: PeerId,
        data: Vec<u8>,
    },
    /// A sync frame from a peer; answer through [`Net::respond`].
    SyncRequest {
        peer: PeerId,
        frame: Vec<u8>,
        channel: ResponseChannel<Vec<u8>>,
        id: InboundRequestId,
    },
    /// The answer to a frame we sent.
    SyncResponse {
        peer: PeerId,
        frame: Vec<u8>,
        id: OutboundRequestId,
    },
    /// A frame could not be exchanged (timeout, closed stream, oversize frame).
    SyncFailure {
        peer: PeerId,
        error: String,
        misbehaviour: bool,
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
    pub addresses: Vec<String>,
    pub agent: Option<String>,
    pub protocols: Vec<String>,
    pub rtt_ms: Option<u64>,
}

/// A Margin node's swarm.
pub struct Net {
    swarm: Swarm<Behaviour>,
    peers: BTreeMap<PeerId, PeerInfo>,
    provider_queries: HashMap<kad::QueryId, SpaceId>,
    listening: BTreeSet<Multiaddr>,
}

impl Net {
    /// Builds the swarm with `key` as the node's network identity and starts listening.
    pub fn new(key: Keypair, config: &NetConfig) -> Result<Net, NetError> {
        let behaviour_config = BehaviourConfig {
            mdns: config.mdns,
            relay_server: config.relay_server,
        };
        let swarm = libp2p::SwarmBuilder::with_existing_identity(key)
            .with_tokio()
            .with_tcp(
                tcp::Config::default().nodelay(true),
                noise::Config::new,
                yamux::Config::default,
            )
            .map_err(|e| NetError::Setup(e.to_string()))?
            .with_quic()
            .with_dns()
            .map_err(|e| NetError::Setup(e.to_string()))?
            .with_relay_client(noise::Config::new, yamux::Config::default)
            .map_err(|e| NetError::Setup(e.to_string()))?
            .with_behaviour(|key, relay_client| {
                Behaviour::new(key, relay_client, &behaviour_config)
                    .map_err(Box::<dyn std::error::Error + Send + Sync>::from)
            })
            .map_err(|e| NetError::Setup(e.to_string()))?
            .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(120)))
            .build();
        let mut net = Net {
            swarm,
            peers: BTreeMap::new(),
            provider_queries: HashMap::new(),
            listening: BTreeSet::new(),
        };
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
            .map(|a| a.clone().with_p2p(me).unwrap_or_else(|a| a))
            .collect()
    }

    pub fn dial(&mut self, addr: Multiaddr) -> Result<(), NetError> {
        if let Some(libp2p::multiaddr::Protocol::P2p(peer)) = addr.iter().last() {
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

    /// Asks the DHT who holds a space; answers come as [`NetEvent::Providers`].
    pub fn find_space(&mut self, space: &SpaceId) {
        let query = self
            .swarm
            .behaviour_mut()
            .kad
            .get_providers(provider_key(space));
        self.provider_queries.insert(query, *space);
    }

    /// Announces on a space's topic. Having no peers on the topic yet is not an error.
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

    pub fn send(&mut self, peer: &PeerId, frame: Vec<u8>) -> OutboundRequestId {
        self.swarm.behaviour_mut().sync.send_request(peer, frame)
    }

    pub fn respond(&mut self, channel: ResponseChannel<Vec<u8>>, frame: Vec<u8>) {
        if self
            .swarm
            .behaviour_mut()
            .sync
            .send_response(channel, frame)
            .is_err()
        {
            tracing::debug!(target: "net", "a sync response could not be sent: the stream closed");
        }
    }

    /// Disconnects a peer and refuses its connections until [`Net::unban`].
    pub fn ban(&mut self, peer: PeerId) {
        self.swarm.behaviour_mut().blocked.block_peer(peer);
    }

    pub fn unban(&mut self, peer: PeerId) {
        self.swarm.behaviour_mut().blocked.unblock_peer(peer);
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
            let event = self.swarm.select_next_some().await;
            if let Some(e) = self.handle(event) {
                return e;
            }
        }
    }

    fn handle(&mut self, event: SwarmEvent<BehaviourEvent>) -> Option<NetEvent> {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::info!(target: "net", "listening on {address}");
                self.listening.insert(address.clone());
                Some(NetEvent::Listening(address))
            }
            SwarmEvent::ExpiredListenAddr { address, .. } => {
                self.listening.remove(&address);
                None
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                endpoint,
                num_established,
                ..
            } => {
                let addr = endpoint.get_remote_address().clone();
                let info = self.peers.entry(peer_id).or_insert_with(|| PeerInfo {
                    peer: peer_id.to_string(),
                    ..Default::default()
                });
                let a = addr.to_string();
                if !info.addresses.contains(&a) {
                    info.addresses.push(a);
                }
                (num_established.get() == 1).then_some(NetEvent::Connected {
                    peer: peer_id,
                    addr,
                })
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established,
                ..
            } => {
                if num_established == 0 {
                    self.peers.remove(&peer_id);
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
                if let Some(p) = self.peers.get_mut(&peer_id) {
                    p.agent = Some(info.agent_version.clone());
                    p.protocols = info.protocols.iter().map(|p| p.to_string()).collect();
                }
                None
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
                        let _ = self.swarm.dial(addr.with_p2p(peer).unwrap_or_else(|a| a));
                    }
                }
                None
            }
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message,
                ..
            })) => {
                let space = space_of_topic(message.topic.as_str())?;
                Some(NetEvent::Gossip {
                    space,
                    from: message.source.unwrap_or(propagation_source),
                    data: message.data,
                })
            }
            SwarmEvent::Behaviour(BehaviourEvent::Sync(event)) => self.sync_event(event),
            SwarmEvent::Behaviour(BehaviourEvent::Kad(kad::Event::OutboundQueryProgressed {
                id,
                result,
                ..
            })) => {
                if let kad::QueryResult::GetProviders(Ok(kad::GetProvidersOk::FoundProviders {
                    providers,
                    ..
                })) = result
                {
                    let space = *self.provider_queries.get(&id)?;
                    let me = self.local_peer_id();
                    let peers: Vec<PeerId> = providers.into_iter().filter(|p| *p != me).collect();
                    return Some(NetEvent::Providers { space, peers });
                }
                if let kad::QueryResult::GetProviders(_) = result {
                    self.provider_queries.remove(&id);
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

    fn sync_event(&mut self, event: request_response::Event<Vec<u8>, Vec<u8>>) -> Option<NetEvent> {
        match event {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request {
                    request,
                    channel,
                    request_id,
                } => Some(NetEvent::SyncRequest {
                    peer,
                    frame: request,
                    channel,
                    id: request_id,
                }),
                request_response::Message::Response {
                    response,
                    request_id,
                } => Some(NetEvent::SyncResponse {
                    peer,
                    frame: response,
                    id: request_id,
                }),
            },
            request_response::Event::OutboundFailure { peer, error, .. } => {
                let misbehaviour = matches!(error, request_response::OutboundFailure::Io(ref e) if e.kind() == std::io::ErrorKind::InvalidData);
                Some(NetEvent::SyncFailure {
                    peer,
                    error: error.to_string(),
                    misbehaviour,
                })
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                let misbehaviour = matches!(error, request_response::InboundFailure::Io(ref e) if e.kind() == std::io::ErrorKind::InvalidData);
                Some(NetEvent::SyncFailure {
                    peer,
                    error: error.to_string(),
                    misbehaviour,
                })
            }
            request_response::Event::ResponseSent { .. } => None,
        }
    }
}
