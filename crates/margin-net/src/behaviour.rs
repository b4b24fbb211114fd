//! The composed libp2p behaviour of a Margin node.

use std::time::Duration;

use libp2p::swarm::NetworkBehaviour;
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::{
    StreamProtocol, allow_block_list, autonat, connection_limits, dcutr, gossipsub, identify,
    identity::Keypair, kad, mdns, ping, relay,
};
use margin_sync::announce::MAX_ANNOUNCEMENT_BYTES;

/// Identify's protocol version: nodes of other Margin versions still connect and
/// identify; the sync protocol's own version decides whether they can sync.
pub const IDENTIFY_PROTOCOL: &str = "/margin/1.0.0";
/// Margin's own Kademlia network, separate from the public IPFS one.
pub const KAD_PROTOCOL: StreamProtocol = StreamProtocol::new("/margin/kad/1");

#[derive(NetworkBehaviour)]
pub struct Behaviour {
    pub limits: connection_limits::Behaviour,
    pub blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    pub identify: identify::Behaviour,
    pub ping: ping::Behaviour,
    pub mdns: Toggle<mdns::tokio::Behaviour>,
    pub kad: kad::Behaviour<kad::store::MemoryStore>,
    pub gossipsub: gossipsub::Behaviour,
    /// Ordered streams for `/margin/sync/1`.
    pub sync: libp2p_stream::Behaviour,
    pub relay_client: relay::client::Behaviour,
    pub relay_server: Toggle<relay::Behaviour>,
    pub dcutr: dcutr::Behaviour,
    pub autonat: autonat::Behaviour,
}

/// How the behaviour is set up.
#[derive(Clone, Debug)]
pub struct BehaviourConfig {
    pub mdns: bool,
    /// Run a circuit relay server with limits raised for sync (mirrors).
    pub relay_server: bool,
}

impl Behaviour {
    pub fn new(
        key: &Keypair,
        relay_client: relay::client::Behaviour,
        config: &BehaviourConfig,
    ) -> Result<Self, String> {
        let peer_id = key.public().to_peer_id();
        let limits = connection_limits::ConnectionLimits::default()
            .with_max_pending_incoming(Some(64))
            .with_max_pending_outgoing(Some(64))
            .with_max_established(Some(512))
            .with_max_established_per_peer(Some(4));
        let identify = identify::Behaviour::new(
            identify::Config::new(IDENTIFY_PROTOCOL.to_owned(), key.public())
                .with_agent_version(format!("margin/{}", env!("CARGO_PKG_VERSION")))
                // A node behind NAT gets its relayed address after it first identified
                // itself to the relay: tell connected peers at once, so that the relay's
                // DHT hands that address out instead of an unreachable private one.
                .with_push_listen_addr_updates(true),
        );
        let mdns = if config.mdns {
            Some(
                mdns::tokio::Behaviour::new(mdns::Config::default(), peer_id)
                    .map_err(|e| format!("mDNS: {e}"))?,
            )
        } else {
            None
        };
        let mut kad_config = kad::Config::new(KAD_PROTOCOL);
        kad_config.set_query_timeout(Duration::from_secs(30));
        let mut kad =
            kad::Behaviour::with_config(peer_id, kad::store::MemoryStore::new(peer_id), kad_config);
        kad.set_mode(Some(kad::Mode::Server));
        let gossip_config = gossipsub::ConfigBuilder::default()
            .heartbeat_interval(Duration::from_millis(700))
            .validation_mode(gossipsub::ValidationMode::Strict)
            // Nothing is passed on before the node has checked it: an honest node never
            // forwards a forged entry, so it is never blamed for one.
            .validate_messages()
            // A message waits up to 16 heartbeats (11 s) for its verdict: an id
            // announcement is passed on only once its entries were fetched and checked.
            .history_length(16)
            .max_transmit_size(MAX_ANNOUNCEMENT_BYTES + 1024)
            .message_id_fn(|m: &gossipsub::Message| gossipsub::MessageId::from(blake3_hex(&m.data)))
            .build()
            .map_err(|e| format!("gossipsub: {e}"))?;
        let gossipsub = gossipsub::Behaviour::new(
            gossipsub::MessageAuthenticity::Signed(key.clone()),
            gossip_config,
        )
        .map_err(|e| format!("gossipsub: {e}"))?;
        let relay_server = config.relay_server.then(|| {
            relay::Behaviour::new(
                peer_id,
                relay::Config {
                    max_reservations: 1024,
                    max_reservations_per_peer: 4,
                    max_circuits: 256,
                    max_circuits_per_peer: 8,
                    // Raised from libp2p's defaults (2 minutes, 128 KiB) so a first sync
                    // can run through the relay before hole punching succeeds.
                    max_circuit_duration: Duration::from_secs(30 * 60),
                    max_circuit_bytes: 256 * 1024 * 1024,
                    ..relay::Config::default()
                },
            )
        });
        Ok(Behaviour {
            limits: connection_limits::Behaviour::new(limits),
            blocked: allow_block_list::Behaviour::default(),
            identify,
            ping: ping::Behaviour::new(ping::Config::new()),
            mdns: mdns.into(),
            kad,
            gossipsub,
            sync: libp2p_stream::Behaviour::new(),
            relay_client,
            relay_server: relay_server.into(),
            dcutr: dcutr::Behaviour::new(peer_id),
            autonat: autonat::Behaviour::new(peer_id, autonat::Config::default()),
        })
    }
}

/// Gossip messages are identified by the hash of their content, so the same
/// announcement from two peers is delivered once.
fn blake3_hex(data: &[u8]) -> String {
    blake3::hash(data).to_hex().to_string()
}
