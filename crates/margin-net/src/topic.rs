//! Names on the network for spaces: gossipsub topics and Kademlia provider keys.

use libp2p::gossipsub::IdentTopic;
use libp2p::kad::RecordKey;
use margin_core::id::SpaceId;

/// The gossipsub topic on which a space's new entries are announced.
pub fn space_topic(space: &SpaceId) -> IdentTopic {
    IdentTopic::new(format!("margin/space/1/{}", space.to_hex()))
}

/// The space a topic hash names, if it is one of ours.
pub fn space_of_topic(topic: &str) -> Option<SpaceId> {
    topic.strip_prefix("margin/space/1/")?.parse().ok()
}

/// The Kademlia key under which holders of a space announce themselves.
pub fn provider_key(space: &SpaceId) -> RecordKey {
    let mut key = b"margin/space/".to_vec();
    key.extend_from_slice(space.as_bytes());
    RecordKey::new(&key)
}
