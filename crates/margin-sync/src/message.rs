//! Wire messages: what two nodes say to each other on a `/margin/sync/3` stream.
//!
//! Each message travels alone in one length-delimited frame, encoded with postcard.
//! [`Message::decode`] is the only way in from the network: it refuses a frame over
//! [`MAX_FRAME_BYTES`], bytes left over after the message, an unknown variant, and any
//! list longer than its limit, without allocating more than the frame it was given.

use margin_core::Timestamp;
use margin_core::entry::Part;
use margin_core::id::{EntryId, SpaceId};
use serde::{Deserialize, Serialize};

use crate::limits::{
    MAX_BATCH_ENTRIES, MAX_FRAME_BYTES, MAX_HAVE_IDS, MAX_HELLO_SPACES, MAX_RECONCILE_BYTES,
    MAX_WANT_IDS,
};

pub use crate::limits::PROTOCOL;

/// One protocol message. Variant order is part of the wire format (postcard encodes the
/// variant index first); append new variants, never reorder.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Message {
    /// The spaces the sender holds. Sent on connect and whenever that set changes.
    /// `empty` names those of them it holds nothing of yet: it fetches them whole with
    /// [`Message::WantRange`] and reconciles afterwards, so the receiver does not start
    /// reconciliations of them (whose answer would list every id) meanwhile. With
    /// `echo`, the sender has not heard the receiver's `Hello` (it may have been lost)
    /// and asks for it again; the answer never echoes. `now` is the sender's clock (ms),
    /// so that a node whose clock is off can be told.
    Hello {
        spaces: Vec<SpaceId>,
        empty: Vec<SpaceId>,
        echo: bool,
        now: Timestamp,
    },
    /// A negentropy query over the sender's `(time, id)` items of `space`, from the
    /// initiator of reconciliation session `session`; `round` counts from 0.
    Reconcile {
        space: SpaceId,
        session: u64,
        round: u32,
        #[serde(with = "serde_bytes")]
        payload: Vec<u8>,
    },
    /// The responder's negentropy answer to `Reconcile { session, round }`.
    ReconcileReply {
        space: SpaceId,
        session: u64,
        round: u32,
        #[serde(with = "serde_bytes")]
        payload: Vec<u8>,
    },
    /// The initiator finished `session`: the responder lacks `you_lack` entries (their ids
    /// follow in `Have`s) and the initiator lacks `i_lack` (it will `Want` them).
    Done {
        space: SpaceId,
        session: u64,
        you_lack: u64,
        i_lack: u64,
    },
    /// The sender holds these entries of `space` (new ones, or ones a reconciliation
    /// showed the receiver lacks). At most [`MAX_HAVE_IDS`].
    Have { space: SpaceId, ids: Vec<EntryId> },
    /// Please send these entries of `space`. At most [`MAX_WANT_IDS`].
    Want {
        space: SpaceId,
        request: u64,
        ids: Vec<EntryId>,
    },
    /// Part of the answer to `Want { request }` or `WantRange { request }`: `count`
    /// entries, each as a LEB128 length followed by the entry's bytes (the transport
    /// compresses the whole stream). `last` marks the final part; wanted ids it did not
    /// carry, the sender does not have. For a `WantRange`, every part carries the same
    /// `resume`: the place to ask from for the rest of the range, or `None` when this
    /// answer reaches its end (so the next page can be asked for before this one has
    /// fully arrived).
    Entries {
        space: SpaceId,
        request: u64,
        count: u32,
        last: bool,
        resume: Option<Place>,
        #[serde(with = "serde_bytes")]
        batch: Vec<u8>,
    },
    /// Please send the entries of `space` that follow `after` in the sender's reading
    /// order (from the first when `None`), about `max_bytes` of them and at least one:
    /// how a node that holds nothing of a space fetches it, a page at a time, without ids
    /// crossing the link. `after` is a [`Place`] the receiver sent as a `resume`.
    WantRange {
        space: SpaceId,
        request: u64,
        after: Option<Place>,
        max_bytes: u32,
    },
    /// Part of an answer, as [`Message::Entries`], with its `count` entries *packed*: a
    /// run of draft changes sent as one Automerge bundle of their changes beside their
    /// envelopes, the rest whole (`margin_draft::pack` writes and reads the format). The
    /// receiver's host unpacks it ([`Store::unpack`](crate::service::Store::unpack)) into
    /// the entries' exact bytes, which are then checked as any others.
    Packed {
        space: SpaceId,
        request: u64,
        count: u32,
        last: bool,
        resume: Option<Place>,
        #[serde(with = "serde_bytes")]
        pack: Vec<u8>,
    },
}

/// A place in the order a node serves a space whole (`WantRange` pages): what a reader
/// needs first comes first. The node that serves a range makes its places; the node that
/// asks only sends back a `resume` it was given, and compares two places from the same
/// server to restart from the earlier. On the wire, the same bytes as the `(time, id)`
/// bound of earlier nodes, which order by time alone: every place is `(key, id)` with
/// `key` the entry's [`Part`] in its top byte and the entry's time (milliseconds) below.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Place {
    key: u64,
    id: EntryId,
}

/// A place's key holds its time in the low 56 bits (more than two million years of
/// milliseconds; later times share the last key of their part).
const TIME_BITS: u32 = 56;
const MAX_KEY_TIME: u64 = (1 << TIME_BITS) - 1;

impl Place {
    /// The place of the entry `id` of `part`, written at `time`.
    pub fn new(part: Part, time: Timestamp, id: EntryId) -> Place {
        let time = time.as_millis().min(MAX_KEY_TIME);
        Place {
            key: (u64::from(part as u8) << TIME_BITS) | time,
            id,
        }
    }

    /// The place of `(time, id)` in `(time, id)` order: how a node that keeps no
    /// reading order serves a space, as earlier nodes did.
    pub fn by_time(time: Timestamp, id: EntryId) -> Place {
        Place {
            key: time.as_millis(),
            id,
        }
    }

    /// The key, as [`Place::new`] or [`Place::by_time`] made it.
    pub fn key(&self) -> u64 {
        self.key
    }

    /// The part and time of a place made by [`Place::new`]. A place the asker sent back
    /// that no part has (from a node that served by time alone, or made up) reads as
    /// the last part, at the time its key holds.
    pub fn part_and_time(&self) -> (Part, Timestamp) {
        let part = Part::ALL
            .into_iter()
            .find(|part| *part as u64 == self.key >> TIME_BITS)
            .unwrap_or(Part::Discussion);
        (part, Timestamp::from_millis(self.key & MAX_KEY_TIME))
    }

    /// The time, for a place made by [`Place::by_time`].
    pub fn time(&self) -> Timestamp {
        Timestamp::from_millis(self.key)
    }

    pub fn id(&self) -> EntryId {
        self.id
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.key, self.id.short())
    }
}

impl Message {
    /// The message as one frame's bytes.
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("encoding into a Vec cannot fail")
    }

    /// The length of [`encode`](Self::encode)'s result, without building it.
    pub fn encoded_len(&self) -> usize {
        postcard::serialize_with_flavor(self, postcard::ser_flavors::Size::default())
            .expect("measuring an encoding cannot fail")
    }

    /// Decodes one frame received from a peer. Every error means the peer misbehaved.
    pub fn decode(frame: &[u8]) -> Result<Self, DecodeError> {
        if frame.len() > MAX_FRAME_BYTES {
            return Err(DecodeError::Oversize {
                len: frame.len(),
                max: MAX_FRAME_BYTES,
            });
        }
        let (message, rest) =
            postcard::take_from_bytes::<Message>(frame).map_err(DecodeError::Malformed)?;
        if !rest.is_empty() {
            return Err(DecodeError::TrailingBytes { extra: rest.len() });
        }
        message.check_bounds()?;
        Ok(message)
    }

    /// A short name for logs and statistics.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::Hello { .. } => "hello",
            Message::Reconcile { .. } => "reconcile",
            Message::ReconcileReply { .. } => "reconcile-reply",
            Message::Done { .. } => "done",
            Message::Have { .. } => "have",
            Message::Want { .. } => "want",
            Message::Entries { .. } => "entries",
            Message::WantRange { .. } => "want-range",
            Message::Packed { .. } => "packed",
        }
    }

    /// The space the message is about (none for `Hello`).
    pub fn space(&self) -> Option<SpaceId> {
        match self {
            Message::Hello { .. } => None,
            Message::Reconcile { space, .. }
            | Message::ReconcileReply { space, .. }
            | Message::Done { space, .. }
            | Message::Have { space, .. }
            | Message::Want { space, .. }
            | Message::Entries { space, .. }
            | Message::WantRange { space, .. }
            | Message::Packed { space, .. } => Some(*space),
        }
    }

    fn check_bounds(&self) -> Result<(), DecodeError> {
        let too_many = |what, count: usize, max: usize| {
            if count > max {
                Err(DecodeError::TooMany { what, count, max })
            } else {
                Ok(())
            }
        };
        match self {
            Message::Hello { spaces, empty, .. } => {
                too_many("spaces", spaces.len(), MAX_HELLO_SPACES)?;
                too_many("empty spaces", empty.len(), MAX_HELLO_SPACES)
            }
            Message::Reconcile { payload, .. } | Message::ReconcileReply { payload, .. } => {
                too_many(
                    "reconcile payload bytes",
                    payload.len(),
                    MAX_RECONCILE_BYTES,
                )
            }
            Message::Done { .. } => Ok(()),
            Message::Have { ids, .. } => too_many("announced ids", ids.len(), MAX_HAVE_IDS),
            Message::Want { ids, .. } => too_many("wanted ids", ids.len(), MAX_WANT_IDS),
            Message::Entries { count, .. } | Message::Packed { count, .. } => {
                too_many("entries in a batch", *count as usize, MAX_BATCH_ENTRIES)
            }
            Message::WantRange { .. } => Ok(()),
        }
    }
}

impl std::fmt::Debug for Message {
    // Payloads can be megabytes; show their sizes, not their bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Message::Hello {
                spaces,
                empty,
                echo,
                now,
            } => f
                .debug_struct("Hello")
                .field("spaces", spaces)
                .field("empty", empty)
                .field("echo", echo)
                .field("now", now)
                .finish(),
            Message::Reconcile {
                space,
                session,
                round,
                payload,
            } => write!(
                f,
                "Reconcile {{ space: {}, session: {session}, round: {round}, payload: {} bytes }}",
                space.short(),
                payload.len()
            ),
            Message::ReconcileReply {
                space,
                session,
                round,
                payload,
            } => write!(
                f,
                "ReconcileReply {{ space: {}, session: {session}, round: {round}, payload: {} bytes }}",
                space.short(),
                payload.len()
            ),
            Message::Done {
                space,
                session,
                you_lack,
                i_lack,
            } => write!(
                f,
                "Done {{ space: {}, session: {session}, you_lack: {you_lack}, i_lack: {i_lack} }}",
                space.short()
            ),
            Message::Have { space, ids } => {
                write!(f, "Have {{ space: {}, ids: {} }}", space.short(), ids.len())
            }
            Message::Want {
                space,
                request,
                ids,
            } => write!(
                f,
                "Want {{ space: {}, request: {request}, ids: {} }}",
                space.short(),
                ids.len()
            ),
            Message::Entries {
                space,
                request,
                count,
                last,
                resume,
                batch,
            } => write!(
                f,
                "Entries {{ space: {}, request: {request}, count: {count}, last: {last}, resume: {}, batch: {} bytes }}",
                space.short(),
                resume.map_or("none".into(), |place| place.to_string()),
                batch.len()
            ),
            Message::WantRange {
                space,
                request,
                after,
                max_bytes,
            } => write!(
                f,
                "WantRange {{ space: {}, request: {request}, after: {}, max_bytes: {max_bytes} }}",
                space.short(),
                after.map_or("start".into(), |place| place.to_string()),
            ),
            Message::Packed {
                space,
                request,
                count,
                last,
                resume,
                pack,
            } => write!(
                f,
                "Packed {{ space: {}, request: {request}, count: {count}, last: {last}, resume: {}, pack: {} bytes }}",
                space.short(),
                resume.map_or("none".into(), |place| place.to_string()),
                pack.len()
            ),
        }
    }
}

/// A frame that is not a valid message. Always the sending peer's fault.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("peer sent a {len}-byte frame, over the {max}-byte limit")]
    Oversize { len: usize, max: usize },
    #[error("peer sent a malformed message: {0}")]
    Malformed(#[source] postcard::Error),
    #[error("peer sent {extra} bytes after the end of a message")]
    TrailingBytes { extra: usize },
    #[error("peer sent {count} {what} in one message, over the limit of {max}")]
    TooMany {
        what: &'static str,
        count: usize,
        max: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn space() -> SpaceId {
        EntryId::from_bytes([7; 32])
    }

    fn samples() -> Vec<Message> {
        vec![
            Message::Hello {
                spaces: vec![space(), EntryId::from_bytes([1; 32])],
                empty: vec![space()],
                echo: true,
                now: Timestamp::from_millis(1_700_000_000_000),
            },
            Message::Reconcile {
                space: space(),
                session: 3,
                round: 1,
                payload: vec![0x61, 1, 2, 3],
            },
            Message::ReconcileReply {
                space: space(),
                session: 3,
                round: 1,
                payload: vec![0x61],
            },
            Message::Done {
                space: space(),
                session: 3,
                you_lack: 2,
                i_lack: 0,
            },
            Message::Have {
                space: space(),
                ids: vec![EntryId::from_bytes([9; 32])],
            },
            Message::Want {
                space: space(),
                request: 12,
                ids: vec![EntryId::from_bytes([9; 32]); 3],
            },
            Message::Entries {
                space: space(),
                request: 12,
                count: 0,
                last: true,
                resume: Some(Place::new(
                    Part::Draft,
                    Timestamp::from_millis(5),
                    EntryId::from_bytes([2; 32]),
                )),
                batch: vec![1, 2, 3],
            },
            Message::WantRange {
                space: space(),
                request: 13,
                after: None,
                max_bytes: 65_536,
            },
            Message::Packed {
                space: space(),
                request: 14,
                count: 2,
                last: false,
                resume: None,
                pack: vec![1, 40, 181, 47],
            },
        ]
    }

    #[test]
    fn every_message_round_trips() {
        for message in samples() {
            let frame = message.encode();
            assert_eq!(frame.len(), message.encoded_len(), "{message:?}");
            assert_eq!(Message::decode(&frame).expect("decodes"), message);
        }
    }

    /// A place is the `(time, id)` bound of nodes that served by time alone, byte for
    /// byte, and places order as their parts, then times, then ids.
    #[test]
    fn places_keep_the_wire_form_and_order_by_part() {
        let id = EntryId::from_bytes([3; 32]);
        let time = Timestamp::from_millis(1_767_225_600_000);
        let place = Place::by_time(time, id);
        assert_eq!(
            postcard::to_allocvec(&Some(place)).unwrap(),
            postcard::to_allocvec(&Some((time, id))).unwrap()
        );
        let draft = Place::new(Part::Draft, time, id);
        assert_eq!(draft.part_and_time(), (Part::Draft, time));
        let earlier = Timestamp::from_millis(1);
        assert!(Place::new(Part::People, time, id) < Place::new(Part::Draft, earlier, id));
        assert!(Place::new(Part::Draft, earlier, id) < draft);
        assert!(draft < Place::new(Part::Discussion, earlier, id));
        assert!(draft < Place::new(Part::Draft, time, EntryId::from_bytes([4; 32])));
    }

    #[test]
    fn trailing_bytes_are_refused() {
        let mut frame = samples()[0].encode();
        frame.push(0);
        assert!(matches!(
            Message::decode(&frame),
            Err(DecodeError::TrailingBytes { extra: 1 })
        ));
    }

    #[test]
    fn truncated_frames_are_refused() {
        for message in samples() {
            let frame = message.encode();
            for len in 0..frame.len() {
                assert!(
                    Message::decode(&frame[..len]).is_err(),
                    "{message:?} cut at {len}"
                );
            }
        }
    }

    #[test]
    fn unknown_variant_is_refused() {
        assert!(matches!(
            Message::decode(&[7]),
            Err(DecodeError::Malformed(_))
        ));
        assert!(matches!(
            Message::decode(&[9]),
            Err(DecodeError::Malformed(_))
        ));
        assert!(matches!(
            Message::decode(&[0x80, 0x01]),
            Err(DecodeError::Malformed(_))
        ));
    }

    #[test]
    fn oversize_frame_is_refused_before_decoding() {
        let frame = vec![0u8; MAX_FRAME_BYTES + 1];
        assert!(matches!(
            Message::decode(&frame),
            Err(DecodeError::Oversize { .. })
        ));
    }

    #[test]
    fn too_many_wanted_ids_are_refused() {
        let message = Message::Want {
            space: space(),
            request: 1,
            ids: vec![EntryId::from_bytes([1; 32]); MAX_WANT_IDS + 1],
        };
        assert!(matches!(
            Message::decode(&message.encode()),
            Err(DecodeError::TooMany {
                what: "wanted ids",
                ..
            })
        ));
    }

    #[test]
    fn a_huge_declared_length_does_not_allocate_it() {
        // Have, a space, then a list length of 2^62 ids with nothing behind it.
        let mut frame = vec![4];
        frame.extend([7; 32]);
        frame.extend([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40]);
        assert!(matches!(
            Message::decode(&frame),
            Err(DecodeError::Malformed(_))
        ));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = Message::decode(&bytes);
        }

        #[test]
        fn mutated_messages_never_panic(
            index in 0usize..9,
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        ) {
            let mut frame = samples()[index].encode();
            for (at, byte) in flips {
                let at = at % frame.len();
                frame[at] ^= byte;
            }
            if let Ok(message) = Message::decode(&frame) {
                // Whatever decodes re-encodes to a frame that decodes to the same message.
                prop_assert_eq!(Message::decode(&message.encode()).ok(), Some(message));
            }
        }
    }
}
