//! The entry envelope, its signature, and the `Unverified` → `Verified` type-state.
//!
//! Wire form of an entry: `canonical(Header) || signature` where the signature is
//! Ed25519 over `"margin-entry-v1" || canonical(Header)` and the id is
//! `BLAKE3(canonical(Header) || signature)`. Bytes are kept exactly as received.

use std::marker::PhantomData;

use serde::{Deserialize, Serialize};

use crate::body::{Body, BodyError};
use crate::encoding::{self, EncodingError};
use crate::id::{EntryId, SpaceId};
use crate::key::{PublicKey, SigningKey};
use crate::limits::{MAX_ENTRY_BYTES, MAX_REFS, MAX_SMALL_ENTRY_BYTES};

/// The only envelope format this version reads and writes.
pub const FORMAT: u8 = 1;
/// Domain separation for entry signatures.
pub const SIGNING_CONTEXT: &[u8] = b"margin-entry-v1";
const SIGNATURE_LEN: usize = 64;

/// What an entry is about. The number is the envelope's `kind` byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Kind {
    Charter = 1,
    CharterAmendment = 2,
    Profile = 3,
    Registration = 4,
    DraftChange = 5,
    VersionTag = 6,
    Comment = 7,
    CommentEdit = 8,
    Retraction = 9,
    Stance = 10,
    Disposition = 11,
    Reattach = 12,
    Moderation = 13,
    CoSign = 14,
    Membership = 15,
    AlternativeStance = 16,
}

impl Kind {
    pub const ALL: [Kind; 16] = [
        Kind::Charter,
        Kind::CharterAmendment,
        Kind::Profile,
        Kind::Registration,
        Kind::DraftChange,
        Kind::VersionTag,
        Kind::Comment,
        Kind::CommentEdit,
        Kind::Retraction,
        Kind::Stance,
        Kind::Disposition,
        Kind::Reattach,
        Kind::Moderation,
        Kind::CoSign,
        Kind::Membership,
        Kind::AlternativeStance,
    ];

    pub fn from_byte(byte: u8) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| *k as u8 == byte)
    }

    /// The lowercase name used in JSON output and logs.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Charter => "charter",
            Kind::CharterAmendment => "charter-amendment",
            Kind::Profile => "profile",
            Kind::Registration => "registration",
            Kind::DraftChange => "draft-change",
            Kind::VersionTag => "version-tag",
            Kind::Comment => "comment",
            Kind::CommentEdit => "comment-edit",
            Kind::Retraction => "retraction",
            Kind::Stance => "stance",
            Kind::Disposition => "disposition",
            Kind::Reattach => "reattach",
            Kind::Moderation => "moderation",
            Kind::CoSign => "co-sign",
            Kind::Membership => "membership",
            Kind::AlternativeStance => "alternative-stance",
        }
    }

    /// The largest entry of this kind.
    pub fn max_bytes(self) -> usize {
        match self {
            Kind::DraftChange => MAX_ENTRY_BYTES,
            _ => MAX_SMALL_ENTRY_BYTES,
        }
    }
}

/// The signed part of an entry, in wire order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Header {
    format: u8,
    space: Option<SpaceId>,
    kind: u8,
    author: PublicKey,
    time: u64,
    refs: Vec<EntryId>,
    #[serde(with = "serde_bytes")]
    body: Vec<u8>,
}

/// Type-state: the entry was decoded but its signature has not been checked.
#[derive(Clone, Copy, Debug)]
pub struct Unverified;
/// Type-state: the entry's signature was checked against its author's key.
#[derive(Clone, Copy, Debug)]
pub struct Verified;

/// A signed, content-addressed entry. Only `Entry<Verified>` reaches a space's state or
/// a store's valid set; `Entry<Unverified>` becomes verified only through [`Entry::verify`]
/// or [`verify_batch`].
#[derive(Clone, Debug)]
pub struct Entry<S = Verified> {
    header: Header,
    kind: Kind,
    body: Body,
    bytes: Vec<u8>,
    id: EntryId,
    state: PhantomData<S>,
}

impl<S> PartialEq for Entry<S> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl<S> Eq for Entry<S> {}

impl<S> Entry<S> {
    pub fn id(&self) -> EntryId {
        self.id
    }
    /// The space this entry belongs to; none for a genesis charter or a home profile.
    pub fn space(&self) -> Option<SpaceId> {
        self.header.space
    }
    pub fn kind(&self) -> Kind {
        self.kind
    }
    pub fn author(&self) -> PublicKey {
        self.header.author
    }
    /// The author's clock in ms since the Unix epoch: informational, never trusted for
    /// ordering beyond the rule that an entry is not older than what it refers to.
    pub fn time(&self) -> u64 {
        self.header.time
    }
    /// Causal predecessors, sorted and without duplicates.
    pub fn refs(&self) -> &[EntryId] {
        &self.header.refs
    }
    pub fn body(&self) -> &Body {
        &self.body
    }
    /// The entry exactly as encoded on the wire.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
    /// The space this entry is part of: its own id for a genesis charter.
    pub fn space_or_self(&self) -> SpaceId {
        self.header.space.unwrap_or(self.id)
    }
    fn signed_part(&self) -> &[u8] {
        &self.bytes[..self.bytes.len() - SIGNATURE_LEN]
    }
    fn signature(&self) -> ed25519_dalek::Signature {
        let mut sig = [0u8; SIGNATURE_LEN];
        sig.copy_from_slice(&self.bytes[self.bytes.len() - SIGNATURE_LEN..]);
        ed25519_dalek::Signature::from_bytes(&sig)
    }
    fn with_state<T>(self) -> Entry<T> {
        Entry {
            header: self.header,
            kind: self.kind,
            body: self.body,
            bytes: self.bytes,
            id: self.id,
            state: PhantomData,
        }
    }
}

impl Entry<Unverified> {
    /// Decodes an entry from untrusted bytes. Bounded: nothing larger than the kind's
    /// limit is accepted, every length is checked, and only canonical encodings pass.
    pub fn decode(bytes: &[u8]) -> Result<Self, error::DecodeError> {
        use error::DecodeError as E;
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(E::TooLarge {
                size: bytes.len(),
                max: MAX_ENTRY_BYTES,
            });
        }
        if bytes.len() <= SIGNATURE_LEN {
            return Err(E::Truncated);
        }
        let (signed, _sig) = bytes.split_at(bytes.len() - SIGNATURE_LEN);
        let header: Header = encoding::decode_canonical(signed)?;
        if header.format != FORMAT {
            return Err(E::UnknownFormat(header.format));
        }
        let kind = Kind::from_byte(header.kind).ok_or(E::UnknownKind(header.kind))?;
        if bytes.len() > kind.max_bytes() {
            return Err(E::TooLarge {
                size: bytes.len(),
                max: kind.max_bytes(),
            });
        }
        if header.refs.len() > MAX_REFS {
            return Err(E::TooManyRefs(header.refs.len()));
        }
        if header.refs.windows(2).any(|w| w[0] >= w[1]) {
            return Err(E::RefsNotSorted);
        }
        match (kind, header.space) {
            (Kind::Charter, Some(_)) => return Err(E::SpaceMismatch("a charter starts a space")),
            (Kind::Charter | Kind::Profile, None) => {}
            (_, None) => return Err(E::SpaceMismatch("this kind must name its space")),
            _ => {}
        }
        if header.space.is_none() && !header.refs.is_empty() {
            return Err(E::SpaceMismatch("an entry outside a space has no refs"));
        }
        let body = Body::decode(kind, &header.body)?;
        Ok(Entry {
            id: EntryId::of(bytes),
            header,
            kind,
            body,
            bytes: bytes.to_vec(),
            state: PhantomData,
        })
    }

    /// Checks the signature (strict Ed25519: no weak keys, no malleable signatures).
    pub fn verify(self) -> Result<Entry<Verified>, error::VerifyError> {
        let key = self
            .header
            .author
            .verifying_key()
            .map_err(|_| error::VerifyError::BadKey)?;
        if key.is_weak() {
            return Err(error::VerifyError::BadKey);
        }
        let mut message = Vec::with_capacity(SIGNING_CONTEXT.len() + self.signed_part().len());
        message.extend_from_slice(SIGNING_CONTEXT);
        message.extend_from_slice(self.signed_part());
        key.verify_strict(&message, &self.signature())
            .map_err(|_| error::VerifyError::BadSignature)?;
        Ok(self.with_state())
    }
}

impl Entry<Verified> {
    /// Encodes, signs and returns a new entry by `key`. `refs` are sorted and deduplicated.
    pub fn sign(
        key: &SigningKey,
        space: Option<SpaceId>,
        time: u64,
        mut refs: Vec<EntryId>,
        body: &Body,
    ) -> Result<Self, error::SignError> {
        refs.sort();
        refs.dedup();
        let header = Header {
            format: FORMAT,
            space,
            kind: body.kind() as u8,
            author: key.public(),
            time,
            refs,
            body: body.encode()?,
        };
        let mut message = SIGNING_CONTEXT.to_vec();
        let signed = encoding::encode(&header)?;
        message.extend_from_slice(&signed);
        let signature = key.sign(&message);
        let mut bytes = signed;
        bytes.extend_from_slice(&signature);
        // Decoding what we made checks every limit the receiver will check.
        let entry = Entry::decode(&bytes)?;
        Ok(entry.with_state())
    }

    /// Rebuilds an entry that this node verified before and stored. Only the store may
    /// call this, for bytes it wrote into its valid set itself.
    pub fn from_trusted_store(bytes: &[u8]) -> Result<Self, error::DecodeError> {
        Ok(Entry::decode(bytes)?.with_state())
    }
}

/// Verifies many entries at once (Ed25519 batch verification). When the batch fails, each
/// entry is checked alone, so one bad entry does not condemn the others.
pub fn verify_batch(
    entries: Vec<Entry<Unverified>>,
) -> Vec<Result<Entry<Verified>, (EntryId, error::VerifyError)>> {
    let mut keys = Vec::with_capacity(entries.len());
    let mut messages = Vec::with_capacity(entries.len());
    let mut signatures = Vec::with_capacity(entries.len());
    let mut usable = true;
    for entry in &entries {
        match entry.header.author.verifying_key() {
            Ok(key) if !key.is_weak() => keys.push(key),
            _ => {
                usable = false;
                break;
            }
        }
        let mut message = SIGNING_CONTEXT.to_vec();
        message.extend_from_slice(entry.signed_part());
        messages.push(message);
        signatures.push(entry.signature());
    }
    if usable && !entries.is_empty() {
        let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
        if ed25519_dalek::verify_batch(&refs, &signatures, &keys).is_ok() {
            return entries.into_iter().map(|e| Ok(e.with_state())).collect();
        }
    }
    entries
        .into_iter()
        .map(|e| {
            let id = e.id();
            e.verify().map_err(|err| (id, err))
        })
        .collect()
}

pub mod error {
    use super::*;

    /// Why bytes are not an entry.
    #[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
    pub enum DecodeError {
        #[error("entry of {size} bytes exceeds the limit of {max} bytes")]
        TooLarge { size: usize, max: usize },
        #[error("entry is truncated")]
        Truncated,
        #[error("unknown entry format {0}")]
        UnknownFormat(u8),
        #[error("unknown entry kind {0}")]
        UnknownKind(u8),
        #[error("entry names {0} refs, more than the limit of {MAX_REFS}")]
        TooManyRefs(usize),
        #[error("entry refs are not sorted and unique")]
        RefsNotSorted,
        #[error("entry's space field is wrong: {0}")]
        SpaceMismatch(&'static str),
        #[error("malformed entry: {0}")]
        Envelope(#[from] EncodingError),
        #[error("malformed entry body: {0}")]
        Body(#[from] BodyError),
    }

    /// Why a signature check failed.
    #[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
    pub enum VerifyError {
        #[error("the author key is not a usable Ed25519 key")]
        BadKey,
        #[error("the signature does not match the author's key")]
        BadSignature,
    }

    /// Why an entry could not be made.
    #[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
    pub enum SignError {
        #[error(transparent)]
        Encoding(#[from] EncodingError),
        #[error(transparent)]
        Body(#[from] BodyError),
        #[error(transparent)]
        Decode(#[from] DecodeError),
    }
}
