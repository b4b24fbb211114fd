//! What the service reports: the snapshot behind `margin sync status` — spaces, peers
//! and their links, bans — and the counters kept for it ([`Traffic`], [`Received`]).

use std::fmt::Debug;
use std::hash::Hash;

use margin_core::Timestamp;
use serde::{Deserialize, Serialize};

use super::Service;
use crate::fetch::Asked;
use crate::penalty::Offence;

impl<P> Service<P>
where
    P: Clone + Ord + Hash + Debug,
{
    /// How far the connected peers' clocks are from ours, in ms (the median of what
    /// their `Hello`s said, less the time they took to arrive): positive when theirs are
    /// ahead. `None` without peers.
    pub fn clock_offset(&self) -> Option<i64> {
        let mut offsets: Vec<i64> = self.peers.values().filter_map(|p| p.clock_offset).collect();
        if offsets.is_empty() {
            return None;
        }
        offsets.sort_unstable();
        Some(offsets[offsets.len() / 2])
    }

    /// A snapshot for `margin sync status`.
    pub fn status(&self, now: Timestamp) -> Status<P> {
        let spaces = self
            .spaces
            .iter()
            .map(|(space, items)| SpaceStatus {
                space: space.to_hex(),
                entries: items.len(),
                received: self.received.get(space).copied().unwrap_or_default(),
            })
            .collect();
        let peers = self
            .peers
            .iter()
            .map(|(id, peer)| PeerStatus {
                peer: id.clone(),
                connected_since: peer.since,
                initiator: self.local < *id,
                score: peer.score.current(now, self.config.score_decay),
                traffic: peer.traffic,
                rate: peer.flow.bytes_per_second(),
                spaces: peer
                    .links
                    .iter()
                    .map(|(space, link)| {
                        let requests = peer.requests.values().filter(|r| r.space == *space);
                        let in_flight: usize = requests
                            .clone()
                            .map(|r| match &r.asked {
                                Asked::Ids { outstanding, .. } => outstanding.len(),
                                Asked::Range { .. } => 0,
                            })
                            .sum();
                        let fetching_whole = link.range.is_some();
                        LinkStatus {
                            space: space.to_hex(),
                            in_sync: link.in_sync
                                && link.queue.is_empty()
                                && requests.count() == 0
                                && !fetching_whole,
                            reconciling: link.session.is_some(),
                            pending: link.queue.len() + in_flight,
                            last_sync: link.last_sync,
                            fetching_whole,
                        }
                    })
                    .collect(),
            })
            .collect();
        let banned = self
            .bans
            .iter()
            .filter(|(_, ban)| ban.until > now)
            .map(|(peer, ban)| BanStatus {
                peer: peer.clone(),
                until: ban.until,
                offence: ban.offence,
            })
            .collect();
        Status {
            now,
            spaces,
            peers,
            banned,
            fetching: self.fetching.len(),
            clock_offset: self.clock_offset(),
        }
    }
}

/// Entries peers delivered in one space (before the host judged them).
#[derive(Debug, Default, Clone, Copy, Serialize, Deserialize)]
pub struct Received {
    pub entries: u64,
    pub bytes: u64,
}

/// Sync messages exchanged with one peer. Bytes are the messages' own, before the
/// transport compresses the stream (what crosses the wire is counted by the kernel).
#[derive(Debug, Default, Clone, Copy, Serialize, Deserialize)]
pub struct Traffic {
    pub messages_in: u64,
    pub messages_out: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Entries the peer delivered that did not advance sync: already held, already
    /// waiting, or that the host had no room to keep.
    #[serde(default)]
    pub stale_entries: u64,
    /// Entries the peer delivered packed (a draft's revisions, their changes bundled).
    #[serde(default)]
    pub packed_entries: u64,
}

/// What `margin sync status` shows.
#[derive(Debug, Clone, Serialize)]
pub struct Status<P> {
    pub now: Timestamp,
    pub spaces: Vec<SpaceStatus>,
    pub peers: Vec<PeerStatus<P>>,
    pub banned: Vec<BanStatus<P>>,
    /// Entries asked for and not yet judged by the host.
    pub fetching: usize,
    /// How far the peers' clocks are from this node's (see [`Service::clock_offset`]).
    #[serde(default)]
    pub clock_offset: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SpaceStatus {
    pub space: String,
    /// Valid entries held.
    pub entries: usize,
    /// What peers delivered since the node started.
    pub received: Received,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeerStatus<P> {
    pub peer: P,
    pub connected_since: Timestamp,
    /// Whether this node initiates the scheduled reconciliations on this link.
    pub initiator: bool,
    pub score: u32,
    pub traffic: Traffic,
    /// How fast the peer's answers arrived lately, bytes per second (before the
    /// transport's compression); `None` until one was large enough to time.
    #[serde(default)]
    pub rate: Option<u64>,
    pub spaces: Vec<LinkStatus>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkStatus {
    pub space: String,
    /// The node held nothing of the space and is fetching it whole from this peer.
    #[serde(default)]
    pub fetching_whole: bool,
    /// The last reconciliation found no difference and nothing is left to fetch.
    pub in_sync: bool,
    pub reconciling: bool,
    /// Entries queued or requested from this peer.
    pub pending: usize,
    /// What `in_sync` is as of: the last reconciliation compared every entry older than
    /// this (reconciliations the node starts by itself leave out the last few seconds'
    /// entries, which gossip is still bringing).
    pub last_sync: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BanStatus<P> {
    pub peer: P,
    pub until: Timestamp,
    pub offence: Offence,
}
