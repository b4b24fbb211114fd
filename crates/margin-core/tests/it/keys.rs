//! Keys as people see them: did:key text, RFC 8032 vectors.

use margin_core::key::{PublicKey, SigningKey};

#[test]
fn did_key_round_trips_and_starts_like_every_ed25519_did_key() {
    let key = SigningKey::from_seed([1; 32]).public();
    let text = key.to_string();
    assert!(text.starts_with("did:key:z6Mk"), "{text}");
    assert_eq!(text.parse::<PublicKey>().unwrap(), key);
}

#[test]
fn rfc8032_test_vector_1_public_key() {
    let seed =
        hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60").unwrap();
    let key = SigningKey::from_seed(seed.try_into().unwrap());
    assert_eq!(
        hex::encode(key.public().0),
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    );
}

#[test]
fn rejects_other_text() {
    assert!("z6Mkabc".parse::<PublicKey>().is_err());
    assert!("did:key:zQ3s".parse::<PublicKey>().is_err());
    assert!("did:key:z0OIl".parse::<PublicKey>().is_err());
}
