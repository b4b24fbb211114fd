//! The sync protocol as a peer speaks it: a transcript of what one peer sends a node —
//! sync frames, gossip messages, time passing, reconnections — handed to the node's
//! sync service ([`Service`]) exactly as the daemon hands them over, with the service's
//! deliveries decoded and verified as the daemon does.
//!
//! A transcript is a list of records `kind ‖ length (u16, little-endian) ‖ bytes`; its
//! first byte chooses the scene (whether the node holds the fixture's entries, and
//! which side of the link initiates reconciliation).

use margin_core::Timestamp;
use margin_core::entry::Entry;
use margin_core::id::{EntryId, SpaceId};
use margin_sync::announce::Announcement;
use margin_sync::prelude::*;

use crate::fixture::{TIME, fixture};

/// The node under test.
pub const LOCAL: u8 = 1;

/// What a record of a transcript holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    /// A sync frame, as the transport hands it over (decompressed).
    Frame = 0,
    /// A gossip message on the space's topic.
    Gossip = 1,
    /// Time passes: as many seconds as the record's bytes, then a tick.
    Tick = 2,
    /// The peer disconnects and connects again.
    Reconnect = 3,
}

impl Record {
    fn of(byte: u8) -> Record {
        match byte % 4 {
            0 => Record::Frame,
            1 => Record::Gossip,
            2 => Record::Tick,
            _ => Record::Reconnect,
        }
    }
}

/// One record of a transcript.
pub fn record(kind: Record, bytes: &[u8]) -> Vec<u8> {
    let len = u16::try_from(bytes.len()).expect("a record holds at most 64 KiB");
    let mut out = vec![kind as u8];
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(bytes);
    out
}

/// The scene a transcript's first byte chooses.
#[derive(Clone, Copy, Debug)]
pub struct Scene {
    /// The node holds the fixture's entries (else it joined the space holding nothing).
    pub holds: bool,
    /// The peer's id: below [`LOCAL`] (the peer initiates reconciliation) or above it.
    pub peer: u8,
}

impl Scene {
    pub fn of(byte: u8) -> Scene {
        Scene {
            holds: byte & 1 == 1,
            peer: if byte & 2 == 0 { 0 } else { 2 },
        }
    }

    pub fn byte(self) -> u8 {
        u8::from(self.holds) | if self.peer == 0 { 0 } else { 2 }
    }
}

/// A store of entries as opaque bytes, dated by their authors.
pub struct Memory(pub Vec<Entry>);

impl Store for Memory {
    fn items(&self, _space: &SpaceId) -> Vec<(Timestamp, EntryId)> {
        self.0.iter().map(|e| (e.time(), e.id())).collect()
    }
    fn entries(&self, _space: &SpaceId, ids: &[EntryId]) -> Vec<Vec<u8>> {
        self.0
            .iter()
            .filter(|e| ids.contains(&e.id()))
            .map(|e| e.bytes().to_vec())
            .collect()
    }
}

/// The node under test: its sync service and store, connected to one peer.
pub struct Node {
    pub service: Service<u8>,
    pub store: Memory,
    pub space: SpaceId,
    pub peer: u8,
    pub now: Timestamp,
    /// What the node sent the peer.
    pub sent: Vec<Message>,
}

impl Node {
    /// A node in `scene`, connected to its peer. A peer is banned here only by the
    /// offences the service counts at once as fatal: the score threshold is out of reach,
    /// so a transcript goes on past its first offences.
    pub fn new(scene: Scene) -> Node {
        let fixture = fixture();
        let config = Config {
            ban_threshold: u32::MAX,
            ..Config::default()
        };
        let store = Memory(if scene.holds {
            fixture.entries.clone()
        } else {
            Vec::new()
        });
        let mut node = Node {
            service: Service::new(LOCAL, config),
            store,
            space: fixture.charter,
            peer: scene.peer,
            now: Timestamp::from_millis(TIME + 60_000),
            sent: Vec::new(),
        };
        let joined = node.service.join(node.now, node.space, &node.store);
        node.carry_out(joined);
        let connected = node.service.connected(node.now, node.peer);
        node.carry_out(connected);
        node
    }

    /// A frame from the peer.
    pub fn frame(&mut self, frame: &[u8]) {
        let outputs = self
            .service
            .received(self.now, &self.peer, frame, &self.store);
        self.carry_out(outputs);
    }

    /// A gossip message from the peer, handled as the daemon's engine handles one.
    pub fn gossip(&mut self, data: &[u8]) {
        let outputs = match Announcement::decode(data) {
            Err(e) => self
                .service
                .offence(self.now, &self.peer, Offence::MalformedMessage, e),
            Ok(Announcement::Ids(ids)) => {
                self.service
                    .announced(self.now, &self.peer, &self.space, &ids)
            }
            Ok(Announcement::Entry(bytes)) => {
                let id = EntryId::of_entry(&bytes);
                let verdict = judge(&bytes);
                self.service
                    .gossip_verdict(self.now, &self.peer, &self.space, &id, &verdict)
            }
        };
        self.carry_out(outputs);
    }

    /// `seconds` pass, then the service's timer fires.
    pub fn tick(&mut self, seconds: u64) {
        self.now = self.now.saturating_add_millis(seconds * 1000);
        let outputs = self.service.tick(self.now);
        self.carry_out(outputs);
    }

    /// The peer goes away and comes back.
    pub fn reconnect(&mut self) {
        let outputs = self.service.disconnected(self.now, &self.peer);
        self.carry_out(outputs);
        let outputs = self.service.connected(self.now, self.peer);
        self.carry_out(outputs);
    }

    fn carry_out(&mut self, outputs: Vec<Output<u8>>) {
        let mut work = outputs;
        while !work.is_empty() {
            let mut next = Vec::new();
            for output in work {
                match output {
                    Output::Send(to, message) => {
                        assert_eq!(to, self.peer, "the node speaks only to its peer");
                        // What a node sends, an honest peer accepts.
                        let frame = message.encode();
                        let decoded = Message::decode(&frame);
                        assert!(
                            decoded.as_ref().is_ok_and(|m| *m == message),
                            "{message:?} does not decode as sent: {decoded:?}"
                        );
                        self.sent.push(message);
                    }
                    Output::Deliver {
                        from,
                        space,
                        entries,
                    } => {
                        let verdicts: Vec<_> = entries
                            .iter()
                            .map(|bytes| (EntryId::of_entry(bytes), judge(bytes)))
                            .collect();
                        next.extend(self.service.verdicts(self.now, &from, &space, &verdicts));
                    }
                    Output::Penalize(..) | Output::Disconnect(..) | Output::Offered(..) => {}
                }
            }
            work = next;
        }
    }
}

/// What the daemon's check says of an entry it was delivered: decoded and verified, or
/// invalid. (Space rules are the entry target's business.)
fn judge(bytes: &[u8]) -> Verdict {
    match Entry::decode(bytes).map(Entry::verify) {
        Ok(Ok(entry)) => Verdict::Accepted { time: entry.time() },
        Ok(Err(e)) => Verdict::Invalid(e.to_string()),
        Err(e) => Verdict::Invalid(e.to_string()),
    }
}

/// A transcript of what one peer sends a node.
pub fn sync(data: &[u8]) {
    let Some((&scene, mut rest)) = data.split_first() else {
        return;
    };
    let mut node = Node::new(Scene::of(scene));
    while rest.len() >= 3 {
        let kind = Record::of(rest[0]);
        let len = usize::from(u16::from_le_bytes([rest[1], rest[2]])).min(rest.len() - 3);
        let bytes = &rest[3..3 + len];
        rest = &rest[3 + len..];
        match kind {
            Record::Frame => {
                if let Ok(message) = Message::decode(bytes) {
                    // Whatever decodes re-encodes to a frame that decodes to the same.
                    assert_eq!(Message::decode(&message.encode()).ok(), Some(message));
                }
                node.frame(bytes);
            }
            Record::Gossip => node.gossip(bytes),
            Record::Tick => node.tick(bytes.iter().map(|b| u64::from(*b)).sum::<u64>().max(1)),
            Record::Reconnect => node.reconnect(),
        }
    }
}
