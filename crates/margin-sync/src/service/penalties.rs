//! A peer's misbehaviour and what it costs the peer: the [`Fault`]s message handlers
//! return, the message tokens a peer spends ([`cost`]), the score a penalty adds to, and
//! the ban when the score passes [`Config::ban_threshold`](super::Config::ban_threshold).
//! What counts how much is [`crate::penalty`]'s; this file applies it to peers.

use std::fmt::Debug;
use std::hash::Hash;

use margin_core::Timestamp;

use super::{DisconnectReason, Output, Service};
use crate::limits::MAX_REQUEST_BYTES;
use crate::message::Message;
use crate::penalty::{Offence, Penalty};

/// A protocol violation found while handling a message.
pub(super) struct Fault {
    offence: Offence,
    detail: String,
}

impl Fault {
    pub(super) fn new(offence: Offence, detail: impl ToString) -> Self {
        Self {
            offence,
            detail: detail.to_string(),
        }
    }
}

/// Connections from a peer are refused until `until`, for `offence`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ban {
    pub(super) until: Timestamp,
    pub(super) offence: Offence,
}

/// The message tokens a message costs its sender: requests by how much they ask for.
pub(super) fn cost(message: &Message) -> u32 {
    let cost = match message {
        Message::Want { ids, .. } => 1 + ids.len() / 64,
        Message::WantRange { max_bytes, .. } => {
            1 + (*max_bytes as usize).min(MAX_REQUEST_BYTES) / (32 * 1024)
        }
        Message::Reconcile { .. } => 4,
        _ => 1,
    };
    u32::try_from(cost).expect("a request's cost is bounded by its limits")
}

impl<P> Service<P>
where
    P: Clone + Ord + Hash + Debug,
{
    /// Whether connections from `peer` are refused at `now`.
    pub fn is_banned(&self, peer: &P, now: Timestamp) -> bool {
        self.bans.get(peer).is_some_and(|ban| ban.until > now)
    }

    /// The ban on `peer` still running at `now`; one that ran out is lifted.
    pub(super) fn ban(&mut self, now: Timestamp, peer: &P) -> Option<Ban> {
        let ban = self.bans.get(peer).copied()?;
        if ban.until > now {
            return Some(ban);
        }
        self.bans.remove(peer);
        None
    }

    /// Starts a peer on probation: its score begins at `points` (at least), as when it
    /// connects from an address whose earlier peers were banned. Points decay as any
    /// others; no ban follows from probation alone.
    pub fn probation(&mut self, now: Timestamp, peer_id: &P, points: u32) {
        let Some(peer) = self.peers.get_mut(peer_id) else {
            return;
        };
        let decay = self.config.score_decay;
        let current = peer.score.current(now, decay);
        let points = points.min(self.config.ban_threshold.saturating_sub(1));
        if current < points {
            peer.score.add(now, decay, points - current);
        }
    }

    /// Counts the fault against the peer, and bans and forgets it when its score passes
    /// the threshold.
    pub(super) fn penalize(&mut self, now: Timestamp, peer_id: &P, fault: Fault) {
        let Some(peer) = self.peers.get_mut(peer_id) else {
            return;
        };
        let severity = fault.offence.severity();
        tracing::debug!(target: "sync", peer = ?peer_id, offence = ?fault.offence, detail = %fault.detail, "penalized");
        let score = peer
            .score
            .add(now, self.config.score_decay, severity.points());
        self.out.push(Output::Penalize(
            peer_id.clone(),
            Penalty {
                offence: fault.offence,
                severity,
                detail: fault.detail,
            },
        ));
        if score >= self.config.ban_threshold {
            let until = now.saturating_add(self.config.ban_duration);
            tracing::info!(target: "sync", peer = ?peer_id, offence = ?fault.offence, until = until.as_millis(), "banned");
            self.bans.insert(
                peer_id.clone(),
                Ban {
                    until,
                    offence: fault.offence,
                },
            );
            self.forget(now, peer_id);
            self.out.push(Output::Disconnect(
                peer_id.clone(),
                DisconnectReason::Banned {
                    until,
                    offence: fault.offence,
                },
            ));
        }
    }
}
