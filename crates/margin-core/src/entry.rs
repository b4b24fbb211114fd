//! The entry envelope, its signature, and the `Unverified` → `Verified` type-state.
//!
//! Two envelope formats. Format 1, `canonical(Header) || signature`, signs the body
//! itself: the signature is Ed25519 over `"margin-entry-v1" || canonical(Header)` and the
//! id is `BLAKE3(canonical(Header) || signature)`. Format 2, for the entries whose text
//! their author may ask every node to erase (comments and their edits), signs the body's
//! length and BLAKE3 hash instead: `canonical(SealedHeader) || signature || body`, the
//! signature over `"margin-entry-v2" || canonical(SealedHeader)`, the id
//! `BLAKE3(canonical(SealedHeader) || signature)`. Without its body, such an entry is a
//! *stub*: still verifiable, still the same id, with no text. Bytes are kept exactly as
//! received.

use std::marker::PhantomData;

use serde::{Deserialize, Serialize};

use crate::body::{Body, BodyError, Outline};
use crate::encoding::{self, EncodingError};
use crate::id::{EntryId, SpaceId};
use crate::key::{PublicKey, SigningKey};
use crate::limits::{MAX_ENTRY_BYTES, MAX_REFS, MAX_SMALL_ENTRY_BYTES};
use crate::time::Timestamp;

/// The envelope that signs its body directly.
pub const FORMAT: u8 = 1;
/// The envelope that signs its body's hash, so the body can be erased.
pub const SEALED_FORMAT: u8 = 2;
/// Domain separation for format 1 signatures.
pub const SIGNING_CONTEXT: &[u8] = b"margin-entry-v1";
/// Domain separation for format 2 signatures.
pub const SEALED_SIGNING_CONTEXT: &[u8] = b"margin-entry-v2";
/// The bytes of an entry's Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;

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
    Erasure = 17,
    KeyLink = 18,
    KeyUnlink = 19,
    Replacement = 20,
}

/// The parts of a space, in the order a node serves a space whole to a node that holds
/// nothing of it, so that a newcomer can read the draft before the discussion arrives.
/// Within a part, entries follow by `(time, id)`: each builds on earlier ones (a draft
/// change on the changes before it, a reply on its comment), so a part's history is part
/// of reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Part {
    /// Who takes part and under which rules: the charter and its amendments, roles and
    /// memberships, profiles, registrations, key links.
    People = 0,
    /// The drafts: their changes and version tags.
    Draft = 1,
    /// The discussion: comments and their edits, retractions, stances, sign-ons,
    /// dispositions, moderation, everything else.
    Discussion = 2,
}

impl Part {
    /// Every part, in serving order.
    pub const ALL: [Part; 3] = [Part::People, Part::Draft, Part::Discussion];

    /// The part of an entry of `kind`. A store that serves spaces in this order keeps the
    /// same mapping in its index; change both together.
    pub fn of(kind: Kind) -> Part {
        match kind {
            Kind::Charter
            | Kind::CharterAmendment
            | Kind::Membership
            | Kind::Profile
            | Kind::Registration
            | Kind::KeyLink
            | Kind::KeyUnlink
            | Kind::Replacement => Part::People,
            Kind::DraftChange | Kind::VersionTag => Part::Draft,
            Kind::Comment
            | Kind::CommentEdit
            | Kind::Retraction
            | Kind::Stance
            | Kind::Disposition
            | Kind::Reattach
            | Kind::Moderation
            | Kind::CoSign
            | Kind::AlternativeStance
            | Kind::Erasure => Part::Discussion,
        }
    }
}

impl Kind {
    pub const ALL: [Kind; 20] = [
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
        Kind::Erasure,
        Kind::KeyLink,
        Kind::KeyUnlink,
        Kind::Replacement,
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
            Kind::Erasure => "erasure",
            Kind::KeyLink => "key-link",
            Kind::KeyUnlink => "key-unlink",
            Kind::Replacement => "key-replacement",
        }
    }

    /// Whether its author may ask every node to erase the body of an entry of this kind:
    /// such entries are signed in the sealed format (2), whose stub stays verifiable.
    pub fn erasable(self) -> bool {
        matches!(self, Kind::Comment | Kind::CommentEdit)
    }

    /// The largest entry of this kind.
    pub fn max_bytes(self) -> usize {
        match self {
            Kind::DraftChange => MAX_ENTRY_BYTES,
            _ => MAX_SMALL_ENTRY_BYTES,
        }
    }
}

/// The signed part of a format 1 entry, in wire order: the body itself is signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Header {
    format: u8,
    space: Option<SpaceId>,
    kind: u8,
    author: PublicKey,
    time: Timestamp,
    refs: Vec<EntryId>,
    #[serde(with = "serde_bytes")]
    body: Vec<u8>,
}

/// The signed part of a format 2 entry, in wire order: the body's length and hash are
/// signed, and the body follows the signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct SealedHeader {
    format: u8,
    space: Option<SpaceId>,
    kind: u8,
    author: PublicKey,
    time: Timestamp,
    refs: Vec<EntryId>,
    outline: Outline,
    body_len: u32,
    body_hash: [u8; 32],
}

/// What every envelope says besides its body.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Fields {
    format: u8,
    space: Option<SpaceId>,
    author: PublicKey,
    time: Timestamp,
    refs: Vec<EntryId>,
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
    fields: Fields,
    kind: Kind,
    /// `None` for a stub: a sealed entry whose body was erased.
    body: Option<Body>,
    /// What a sealed entry's header says of its body (kept in its stub).
    outline: Option<Outline>,
    bytes: Vec<u8>,
    /// Where the signature starts in `bytes`.
    signed_len: usize,
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
    /// The envelope format: [`FORMAT`] or [`SEALED_FORMAT`].
    pub fn format(&self) -> u8 {
        self.fields.format
    }
    /// The space this entry belongs to; none for a genesis charter or a home profile.
    pub fn space(&self) -> Option<SpaceId> {
        self.fields.space
    }
    pub fn kind(&self) -> Kind {
        self.kind
    }
    pub fn author(&self) -> PublicKey {
        self.fields.author
    }
    /// The author's clock in ms since the Unix epoch: informational, never trusted for
    /// ordering beyond the rule that an entry is not older than what it refers to.
    pub fn time(&self) -> Timestamp {
        self.fields.time
    }
    /// Causal predecessors, sorted and without duplicates.
    pub fn refs(&self) -> &[EntryId] {
        &self.fields.refs
    }
    /// The body; `None` for a stub, whose body its author had erased.
    pub fn body(&self) -> Option<&Body> {
        self.body.as_ref()
    }
    /// What a sealed entry (a comment or an edit) says of its body in its signed
    /// header, kept in its stub; none for a format 1 entry.
    pub fn outline(&self) -> Option<&Outline> {
        self.outline.as_ref()
    }
    /// Whether this is a stub: a sealed entry without its body.
    pub fn is_stub(&self) -> bool {
        self.body.is_none()
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
        self.fields.space.unwrap_or(self.id)
    }
    /// This entry without its body, as a node keeps it once its author asked for the
    /// body to be erased: same id, same signature. `None` for a format 1 entry, whose
    /// signature covers its body, so no verifiable stub of it exists.
    pub fn stub(&self) -> Option<Entry<S>> {
        if self.fields.format != SEALED_FORMAT {
            return None;
        }
        let end = self.signed_len + SIGNATURE_LEN;
        Some(Entry {
            fields: self.fields.clone(),
            kind: self.kind,
            body: None,
            outline: self.outline.clone(),
            bytes: self.bytes[..end].to_vec(),
            signed_len: self.signed_len,
            id: self.id,
            state: PhantomData,
        })
    }
    fn signed_part(&self) -> &[u8] {
        &self.bytes[..self.signed_len]
    }
    fn signing_context(&self) -> &'static [u8] {
        if self.fields.format == SEALED_FORMAT {
            SEALED_SIGNING_CONTEXT
        } else {
            SIGNING_CONTEXT
        }
    }
    fn message(&self) -> Vec<u8> {
        let context = self.signing_context();
        let mut message = Vec::with_capacity(context.len() + self.signed_len);
        message.extend_from_slice(context);
        message.extend_from_slice(self.signed_part());
        message
    }
    fn signature(&self) -> ed25519_dalek::Signature {
        let mut sig = [0u8; SIGNATURE_LEN];
        sig.copy_from_slice(&self.bytes[self.signed_len..self.signed_len + SIGNATURE_LEN]);
        ed25519_dalek::Signature::from_bytes(&sig)
    }
    fn with_state<T>(self) -> Entry<T> {
        Entry {
            fields: self.fields,
            kind: self.kind,
            body: self.body,
            outline: self.outline,
            bytes: self.bytes,
            signed_len: self.signed_len,
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
        let (fields, kind, body, outline, signed_len) = match bytes[0] {
            FORMAT => {
                let signed_len = bytes.len() - SIGNATURE_LEN;
                let header: Header = encoding::decode_canonical(&bytes[..signed_len])?;
                let kind = Kind::from_byte(header.kind).ok_or(E::UnknownKind(header.kind))?;
                let body = Body::decode(kind, &header.body)?;
                let fields = Fields {
                    format: header.format,
                    space: header.space,
                    author: header.author,
                    time: header.time,
                    refs: header.refs,
                };
                (fields, kind, Some(body), None, signed_len)
            }
            SEALED_FORMAT => {
                let (header, rest): (SealedHeader, &[u8]) =
                    encoding::decode_canonical_prefix(bytes)?;
                let signed_len = bytes.len() - rest.len();
                if rest.len() < SIGNATURE_LEN {
                    return Err(E::Truncated);
                }
                let kind = Kind::from_byte(header.kind).ok_or(E::UnknownKind(header.kind))?;
                if !kind.erasable() {
                    return Err(E::NotSealable(kind.name()));
                }
                let body_bytes = &rest[SIGNATURE_LEN..];
                let body = if body_bytes.is_empty() && header.body_len > 0 {
                    None
                } else {
                    if body_bytes.len() as u64 != u64::from(header.body_len) {
                        return Err(E::BodyLength {
                            declared: header.body_len,
                            found: body_bytes.len(),
                        });
                    }
                    if *blake3::hash(body_bytes).as_bytes() != header.body_hash {
                        return Err(E::BodyHash);
                    }
                    let body = Body::decode(kind, body_bytes)?;
                    if body.outline().as_ref() != Some(&header.outline) {
                        return Err(E::OutlineMismatch);
                    }
                    Some(body)
                };
                let outline_kind = match header.outline {
                    Outline::Comment { .. } => Kind::Comment,
                    Outline::CommentEdit { .. } => Kind::CommentEdit,
                };
                if outline_kind != kind {
                    return Err(E::OutlineMismatch);
                }
                let fields = Fields {
                    format: header.format,
                    space: header.space,
                    author: header.author,
                    time: header.time,
                    refs: header.refs,
                };
                (fields, kind, body, Some(header.outline), signed_len)
            }
            other => return Err(E::UnknownFormat(other)),
        };
        if bytes.len() > kind.max_bytes() {
            return Err(E::TooLarge {
                size: bytes.len(),
                max: kind.max_bytes(),
            });
        }
        if fields.refs.len() > MAX_REFS {
            return Err(E::TooManyRefs(fields.refs.len()));
        }
        if fields.refs.windows(2).any(|w| w[0] >= w[1]) {
            return Err(E::RefsNotSorted);
        }
        match (kind, fields.space) {
            (Kind::Charter, Some(_)) => return Err(E::SpaceMismatch("a charter starts a space")),
            (Kind::Charter | Kind::Profile, None) => {}
            (_, None) => return Err(E::SpaceMismatch("this kind must name its space")),
            _ => {}
        }
        if fields.space.is_none() && !fields.refs.is_empty() {
            return Err(E::SpaceMismatch("an entry outside a space has no refs"));
        }
        Ok(Entry {
            id: EntryId::of(&bytes[..signed_len + SIGNATURE_LEN]),
            fields,
            kind,
            body,
            outline,
            bytes: bytes.to_vec(),
            signed_len,
            state: PhantomData,
        })
    }

    /// Checks the signature (strict Ed25519: no weak keys, no malleable signatures).
    pub fn verify(self) -> Result<Entry<Verified>, error::VerifyError> {
        let key = self
            .fields
            .author
            .verifying_key()
            .map_err(|_| error::VerifyError::BadKey)?;
        if key.is_weak() {
            return Err(error::VerifyError::BadKey);
        }
        key.verify_strict(&self.message(), &self.signature())
            .map_err(|_| error::VerifyError::BadSignature)?;
        Ok(self.with_state())
    }
}

impl Entry<Verified> {
    /// Encodes, signs and returns a new entry by `key`. `refs` are sorted and deduplicated.
    /// Comments and their edits are sealed (format 2), so their author can later ask for
    /// their text to be erased; every other kind uses format 1.
    pub fn sign(
        key: &SigningKey,
        space: Option<SpaceId>,
        time: Timestamp,
        mut refs: Vec<EntryId>,
        body: &Body,
    ) -> Result<Self, error::SignError> {
        refs.sort();
        refs.dedup();
        let kind = body.kind();
        let encoded = body.encode()?;
        let (context, mut bytes, tail) =
            if let (true, Some(outline)) = (kind.erasable(), body.outline()) {
                let header = SealedHeader {
                    format: SEALED_FORMAT,
                    space,
                    kind: kind as u8,
                    author: key.public(),
                    time,
                    refs,
                    outline,
                    body_len: u32::try_from(encoded.len()).map_err(|_| {
                        error::DecodeError::TooLarge {
                            size: encoded.len(),
                            max: kind.max_bytes(),
                        }
                    })?,
                    body_hash: *blake3::hash(&encoded).as_bytes(),
                };
                (SEALED_SIGNING_CONTEXT, encoding::encode(&header)?, encoded)
            } else {
                let header = Header {
                    format: FORMAT,
                    space,
                    kind: kind as u8,
                    author: key.public(),
                    time,
                    refs,
                    body: encoded,
                };
                (SIGNING_CONTEXT, encoding::encode(&header)?, vec![])
            };
        let mut message = context.to_vec();
        message.extend_from_slice(&bytes);
        let signature = key.sign(&message);
        bytes.extend_from_slice(&signature);
        bytes.extend_from_slice(&tail);
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

/// A format 1 entry taken apart into its envelope's fields, its body's bytes and its
/// signature, and put together again byte for byte: how a transport carries entries in
/// another form (a draft's changes in one Automerge bundle beside their envelopes).
/// Nothing here is checked but the encoding: whatever [`EnvelopeParts::to_bytes`] gives
/// is decoded and verified like any entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvelopeParts {
    pub space: Option<SpaceId>,
    pub kind: u8,
    pub author: PublicKey,
    pub time: Timestamp,
    pub refs: Vec<EntryId>,
    pub body: Vec<u8>,
    pub signature: [u8; SIGNATURE_LEN],
}

impl EnvelopeParts {
    /// The parts of a format 1 entry; `None` for other bytes (a sealed entry, or bytes
    /// that are not a canonical format 1 envelope).
    pub fn of(bytes: &[u8]) -> Option<EnvelopeParts> {
        if bytes.first() != Some(&FORMAT) || bytes.len() <= SIGNATURE_LEN {
            return None;
        }
        let signed_len = bytes.len() - SIGNATURE_LEN;
        let header: Header = encoding::decode_canonical(&bytes[..signed_len]).ok()?;
        let mut signature = [0u8; SIGNATURE_LEN];
        signature.copy_from_slice(&bytes[signed_len..]);
        Some(EnvelopeParts {
            space: header.space,
            kind: header.kind,
            author: header.author,
            time: header.time,
            refs: header.refs,
            body: header.body,
            signature,
        })
    }

    /// The entry's bytes: `canonical(Header) || signature`, as it was signed.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodingError> {
        let header = Header {
            format: FORMAT,
            space: self.space,
            kind: self.kind,
            author: self.author,
            time: self.time,
            refs: self.refs.clone(),
            body: self.body.clone(),
        };
        let mut bytes = encoding::encode(&header)?;
        bytes.extend_from_slice(&self.signature);
        Ok(bytes)
    }
}

/// The id of an entry as encoded on the wire, without decoding or verifying it: BLAKE3
/// of its signed part and signature (for a sealed entry, everything before its body).
/// Bytes that are no entry get the hash of all their bytes; decoding them fails later.
pub fn wire_id(bytes: &[u8]) -> EntryId {
    if bytes.first() == Some(&SEALED_FORMAT)
        && let Ok((_, rest)) = postcard::take_from_bytes::<SealedHeader>(bytes)
        && rest.len() >= SIGNATURE_LEN
    {
        let end = bytes.len() - rest.len() + SIGNATURE_LEN;
        return EntryId::of(&bytes[..end]);
    }
    EntryId::of(bytes)
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
        match entry.fields.author.verifying_key() {
            Ok(key) if !key.is_weak() => keys.push(key),
            _ => {
                usable = false;
                break;
            }
        }
        messages.push(entry.message());
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
        #[error("a {0} entry cannot be sealed (format 2 is for comments and their edits)")]
        NotSealable(&'static str),
        #[error("the entry's body is {found} bytes, but its header says {declared}")]
        BodyLength { declared: u32, found: usize },
        #[error("the entry's body does not match the hash its author signed")]
        BodyHash,
        #[error("the entry's body does not match the outline its author signed")]
        OutlineMismatch,
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
