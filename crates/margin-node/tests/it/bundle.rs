//! Bundle framing: round trips, and every damage is caught.

use margin_core::id::SpaceId;
use margin_node::bundle::{decode, encode};

#[test]
fn round_trip_and_every_truncation_is_refused() {
    let space = SpaceId::from_bytes([3; 32]);
    let entries = vec![vec![1, 2, 3], vec![4; 100]];
    let bytes = encode(&space, &entries);
    assert_eq!(decode(&bytes).unwrap(), (space, entries));
    for len in 0..bytes.len() {
        assert!(
            decode(&bytes[..len]).is_err(),
            "truncated to {len} bytes was accepted"
        );
    }
    let mut flipped = bytes.clone();
    flipped[60] ^= 1;
    assert!(decode(&flipped).unwrap_err().contains("checksum"));
}
