//! Key links: one person, several keys.
//!
//! A person's *identity key* links *device keys* (a laptop, an office node, a browser):
//! what a linked device signs counts as the person's. A key can also hand over to a
//! *successor* (a rotation): what the old key signed stays the person's, and what it
//! signs after the rotation counts for nothing.
//!
//! A link needs both keys. The key to be linked signs a [`Consent`] first, without
//! knowing who will link it (a device shows it as a one-time code, see
//! [`Consent::to_code`]); the linking key then signs a [`KeyLink`] that carries that
//! consent. Without the consent, anyone could "link" someone else's key and have that
//! person's objections counted as their own, once. A consent is good until the time it
//! names, so a code that leaks is useless a day later.
//!
//! Links and unlinks are certificates, not entries: they name no space, so the same
//! certificate is carried into every space the person takes part in (as the body of a
//! `key-link` or `key-unlink` entry) by whichever of the person's keys gets there first.

use serde::{Deserialize, Serialize};
use serde_bytes::ByteArray;

use crate::encoding;
use crate::key::{PublicKey, SigningKey};
use crate::time::Timestamp;

/// Domain separation of a consent's signature.
pub const CONSENT_CONTEXT: &[u8] = b"margin-link-consent-v1";
/// Domain separation of a link's signature.
pub const LINK_CONTEXT: &[u8] = b"margin-key-link-v1";
/// Domain separation of an unlink's signature.
pub const UNLINK_CONTEXT: &[u8] = b"margin-key-unlink-v1";
/// How a link code starts.
pub const CODE_PREFIX: &str = "margin-link:";
/// How long a device's link code is good for, by default.
pub const CONSENT_LIFETIME_MS: u64 = 24 * 60 * 60 * 1000;

type Signature = ByteArray<64>;

/// What the linked key is to the key that links it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Relation {
    /// Another device of the same person, with a name the person gave it.
    Device { name: String },
    /// The key that replaces the linking key from the link's time on (a rotation).
    Successor,
}

/// A key's agreement to be linked, signed by that key over
/// `CONSENT_CONTEXT || key || expires (u64, little-endian)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub key: PublicKey,
    /// Until when (exclusive, ms since the Unix epoch) a link may be signed with it.
    pub expires: Timestamp,
    pub signature: Signature,
}

/// `by` says that `consent.key` is the same person: one of their devices, or their
/// successor key. Signed by `by` over `LINK_CONTEXT || canonical(by, relation, consent,
/// time)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyLink {
    pub by: PublicKey,
    pub relation: Relation,
    pub consent: Consent,
    /// When `by` signed: for a successor, the moment the old key stops counting.
    pub time: Timestamp,
    pub signature: Signature,
}

/// `by` takes back its link to `key` (a lost or retired device): what `key` signs from
/// `time` on counts for nothing. Signed by `by` over `UNLINK_CONTEXT || canonical(by,
/// key, time)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyUnlink {
    pub by: PublicKey,
    pub key: PublicKey,
    pub time: Timestamp,
    pub signature: Signature,
}

/// What a link signs.
#[derive(Serialize)]
struct LinkClaim<'a> {
    by: &'a PublicKey,
    relation: &'a Relation,
    consent: &'a Consent,
    time: Timestamp,
}

/// What an unlink signs.
#[derive(Serialize)]
struct UnlinkClaim<'a> {
    by: &'a PublicKey,
    key: &'a PublicKey,
    time: Timestamp,
}

/// Why a link, an unlink or a code is not good.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum LinkError {
    #[error("the link code is not one `margin device link` prints (margin-link:…)")]
    NotACode,
    #[error("the consent is not signed by the key it names")]
    BadConsent,
    #[error("the link code expired at {0}; ask for a new one")]
    Expired(Timestamp),
    #[error("the link is not signed by the key that links")]
    BadLinkSignature,
    #[error("the unlink is not signed by the key that unlinks")]
    BadUnlinkSignature,
    #[error("a key cannot be linked to itself")]
    SelfLink,
    #[error("the device name is longer than {0} bytes")]
    NameTooLong(usize),
}

fn consent_message(key: &PublicKey, expires: Timestamp) -> Vec<u8> {
    let mut message = Vec::with_capacity(CONSENT_CONTEXT.len() + 40);
    message.extend_from_slice(CONSENT_CONTEXT);
    message.extend_from_slice(key.as_bytes());
    message.extend_from_slice(&expires.as_millis().to_le_bytes());
    message
}

fn with_context<T: Serialize>(context: &[u8], claim: &T) -> Vec<u8> {
    let mut message = context.to_vec();
    // The claims hold keys, strings and integers only: encoding cannot fail.
    message.extend_from_slice(&encoding::encode(claim).unwrap_or_default());
    message
}

fn verify(key: &PublicKey, message: &[u8], signature: &Signature) -> bool {
    let Ok(verifying) = key.verifying_key() else {
        return false;
    };
    let signature = ed25519_dalek::Signature::from_bytes(signature);
    verifying.verify_strict(message, &signature).is_ok()
}

impl Consent {
    /// `key` agrees to be linked until `expires`.
    pub fn sign(key: &SigningKey, expires: Timestamp) -> Consent {
        let public = key.public();
        let signature = key.sign(&consent_message(&public, expires));
        Consent {
            key: public,
            expires,
            signature: ByteArray::new(signature),
        }
    }

    /// Whether the consent is signed by the key it names.
    pub fn verify(&self) -> Result<(), LinkError> {
        if verify(
            &self.key,
            &consent_message(&self.key, self.expires),
            &self.signature,
        ) {
            Ok(())
        } else {
            Err(LinkError::BadConsent)
        }
    }

    /// The one-time code a device shows: `margin-link:` and the consent in base58.
    pub fn to_code(&self) -> String {
        let bytes = encoding::encode(self).unwrap_or_default();
        format!("{CODE_PREFIX}{}", bs58::encode(bytes).into_string())
    }

    /// Reads and checks a code (signature only; whether it expired depends on when it
    /// is used).
    pub fn from_code(code: &str) -> Result<Consent, LinkError> {
        let encoded = code
            .trim()
            .strip_prefix(CODE_PREFIX)
            .ok_or(LinkError::NotACode)?;
        let bytes = bs58::decode(encoded)
            .into_vec()
            .map_err(|_| LinkError::NotACode)?;
        let consent: Consent =
            encoding::decode_canonical(&bytes).map_err(|_| LinkError::NotACode)?;
        consent.verify()?;
        Ok(consent)
    }
}

impl KeyLink {
    /// `by` links the key that gave `consent`, at `time`.
    pub fn sign(
        by: &SigningKey,
        relation: Relation,
        consent: Consent,
        time: Timestamp,
    ) -> Result<KeyLink, LinkError> {
        let public = by.public();
        let claim = LinkClaim {
            by: &public,
            relation: &relation,
            consent: &consent,
            time,
        };
        let signature = by.sign(&with_context(LINK_CONTEXT, &claim));
        let link = KeyLink {
            by: public,
            relation,
            consent,
            time,
            signature: ByteArray::new(signature),
        };
        link.verify()?;
        Ok(link)
    }

    /// The key linked.
    pub fn key(&self) -> PublicKey {
        self.consent.key
    }

    /// Both signatures, the consent still good at the link's time, two different keys,
    /// and a device name within limits.
    pub fn verify(&self) -> Result<(), LinkError> {
        if self.by == self.consent.key {
            return Err(LinkError::SelfLink);
        }
        if let Relation::Device { name } = &self.relation
            && name.len() > crate::limits::MAX_LABEL_BYTES
        {
            return Err(LinkError::NameTooLong(crate::limits::MAX_LABEL_BYTES));
        }
        self.consent.verify()?;
        if self.time >= self.consent.expires {
            return Err(LinkError::Expired(self.consent.expires));
        }
        let claim = LinkClaim {
            by: &self.by,
            relation: &self.relation,
            consent: &self.consent,
            time: self.time,
        };
        if verify(
            &self.by,
            &with_context(LINK_CONTEXT, &claim),
            &self.signature,
        ) {
            Ok(())
        } else {
            Err(LinkError::BadLinkSignature)
        }
    }
}

impl KeyUnlink {
    /// `by` takes back its link to `key` from `time` on.
    pub fn sign(by: &SigningKey, key: PublicKey, time: Timestamp) -> KeyUnlink {
        let public = by.public();
        let claim = UnlinkClaim {
            by: &public,
            key: &key,
            time,
        };
        let signature = by.sign(&with_context(UNLINK_CONTEXT, &claim));
        KeyUnlink {
            by: public,
            key,
            time,
            signature: ByteArray::new(signature),
        }
    }

    pub fn verify(&self) -> Result<(), LinkError> {
        if self.by == self.key {
            return Err(LinkError::SelfLink);
        }
        let claim = UnlinkClaim {
            by: &self.by,
            key: &self.key,
            time: self.time,
        };
        if verify(
            &self.by,
            &with_context(UNLINK_CONTEXT, &claim),
            &self.signature,
        ) {
            Ok(())
        } else {
            Err(LinkError::BadUnlinkSignature)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    #[test]
    fn a_code_round_trips_and_a_link_verifies() {
        let identity = SigningKey::from_seed([1; 32]);
        let device = SigningKey::from_seed([2; 32]);
        let consent = Consent::sign(&device, at(2_000));
        let code = consent.to_code();
        assert!(code.starts_with(CODE_PREFIX));
        let read = Consent::from_code(&code).expect("a good code");
        assert_eq!(read, consent);
        let link = KeyLink::sign(
            &identity,
            Relation::Device {
                name: "office laptop".into(),
            },
            read,
            at(1_000),
        )
        .expect("a link");
        assert_eq!(link.key(), device.public());
        link.verify().expect("verifies");
    }

    #[test]
    fn a_link_without_the_devices_consent_or_after_it_expired_is_refused() {
        let identity = SigningKey::from_seed([1; 32]);
        let device = SigningKey::from_seed([2; 32]);
        let stranger = SigningKey::from_seed([3; 32]);
        // A consent that names the stranger's key but is signed by the device.
        let mut forged = Consent::sign(&device, at(2_000));
        forged.key = stranger.public();
        assert_eq!(forged.verify(), Err(LinkError::BadConsent));
        assert_eq!(
            KeyLink::sign(&identity, Relation::Successor, forged, at(1_000)),
            Err(LinkError::BadConsent)
        );
        let consent = Consent::sign(&device, at(2_000));
        assert_eq!(
            KeyLink::sign(&identity, Relation::Successor, consent.clone(), at(2_000)),
            Err(LinkError::Expired(at(2_000)))
        );
        // A link altered after signing.
        let mut link =
            KeyLink::sign(&identity, Relation::Successor, consent, at(1_000)).expect("a link");
        link.time = at(500);
        assert_eq!(link.verify(), Err(LinkError::BadLinkSignature));
        assert_eq!(
            KeyLink::sign(
                &device,
                Relation::Successor,
                Consent::sign(&device, at(9)),
                at(1)
            ),
            Err(LinkError::SelfLink)
        );
    }

    #[test]
    fn an_unlink_verifies_and_an_altered_one_does_not() {
        let identity = SigningKey::from_seed([1; 32]);
        let device = SigningKey::from_seed([2; 32]);
        let mut unlink = KeyUnlink::sign(&identity, device.public(), at(5));
        unlink.verify().expect("verifies");
        unlink.time = at(6);
        assert_eq!(unlink.verify(), Err(LinkError::BadUnlinkSignature));
    }

    #[test]
    fn codes_that_are_not_codes_are_refused_with_a_reason() {
        for bad in [
            "",
            "margin-link:",
            "margin-link:0OIl",
            "did:key:z6Mk",
            "margin-link:2",
        ] {
            assert!(Consent::from_code(bad).is_err(), "{bad}");
        }
    }
}
