//! Participant keys: Ed25519 public keys shown as `did:key:z6Mk…`, and signing keys.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The multicodec prefix of an Ed25519 public key (`ed25519-pub`, varint 0xed).
const ED25519_MULTICODEC: [u8; 2] = [0xed, 0x01];
const DID_KEY_PREFIX: &str = "did:key:z";

/// A participant's Ed25519 public key: 32 bytes on the wire, `did:key:z6Mk…` for people.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    /// The raw 32 key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Checks that the bytes are a valid Ed25519 point, as signature verification needs.
    pub(crate) fn verifying_key(&self) -> Result<ed25519_dalek::VerifyingKey, error::KeyError> {
        ed25519_dalek::VerifyingKey::from_bytes(&self.0).map_err(|_| error::KeyError::NotAPoint)
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut bytes = Vec::with_capacity(34);
        bytes.extend_from_slice(&ED25519_MULTICODEC);
        bytes.extend_from_slice(&self.0);
        write!(f, "{DID_KEY_PREFIX}{}", bs58::encode(bytes).into_string())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl FromStr for PublicKey {
    type Err = error::KeyError;

    /// Parses `did:key:z6Mk…` (the only textual form Margin prints).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let encoded = s
            .strip_prefix(DID_KEY_PREFIX)
            .ok_or_else(|| error::KeyError::NotADidKey(s.to_owned()))?;
        let bytes = bs58::decode(encoded)
            .into_vec()
            .map_err(|_| error::KeyError::NotADidKey(s.to_owned()))?;
        match bytes.as_slice() {
            [0xed, 0x01, rest @ ..] if rest.len() == 32 => {
                let mut key = [0; 32];
                key.copy_from_slice(rest);
                let key = PublicKey(key);
                key.verifying_key()?;
                Ok(key)
            }
            _ => Err(error::KeyError::NotEd25519(s.to_owned())),
        }
    }
}

/// A participant's secret Ed25519 key. It never leaves the participant's home directory.
#[derive(Clone)]
pub struct SigningKey(ed25519_dalek::SigningKey);

impl SigningKey {
    /// A new key from the operating system's random source.
    pub fn generate() -> Result<Self, error::KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| error::KeyError::Random(e.to_string()))?;
        Ok(Self::from_seed(seed))
    }

    /// The key whose 32-byte secret seed is `seed` (RFC 8032).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// The 32-byte secret seed, for writing the key file.
    pub fn to_seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key().to_bytes())
    }

    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer as _;
        self.0.sign(message).to_bytes()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({})", self.public())
    }
}

pub mod error {
    use thiserror::Error;

    /// Why a key could not be parsed or made.
    #[derive(Debug, Error, Clone, PartialEq, Eq)]
    pub enum KeyError {
        #[error("'{0}' is not a key: Margin keys look like did:key:z6Mk…")]
        NotADidKey(String),
        #[error("'{0}' is a did:key but not an Ed25519 key")]
        NotEd25519(String),
        #[error("the key bytes are not a valid Ed25519 public key")]
        NotAPoint,
        #[error("the operating system's random source failed: {0}")]
        Random(String),
    }
}
