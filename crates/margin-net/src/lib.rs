//! Margin's network layer: a libp2p swarm speaking only standard libp2p protocols
//! (identify, ping, mDNS, Kademlia, gossipsub, circuit relay, DCUtR, AutoNAT) and Margin's
//! own versioned ones (`/margin/sync/1` for reconciliation and fetch, `/margin/kad/1`
//! for finding who holds a space), over TCP with Noise and Yamux, and QUIC.
//!
//! It moves bytes and reports events; it does not decide what to sync (that is the
//! sans-IO `margin-sync` service) or whether an entry is valid (that is
//! `margin-space`). A libp2p implementation in another language can connect, identify,
//! ping and subscribe to a space's topic.

pub mod behaviour;
pub mod framing;
pub mod net;
pub mod topic;

pub use libp2p::gossipsub::{MessageAcceptance, MessageId};
pub use libp2p::identity::Keypair;
pub use libp2p::multiaddr::Protocol;
pub use libp2p::{Multiaddr, PeerId};
pub use net::{
    FramePermit, Net, NetConfig, NetError, NetEvent, PEER_BACKLOG_BYTES, PeerInfo, Reachability,
    SYNC_PROTOCOL,
};
