//! What the node keeps about the network: spaces it replicates without being asked by
//! its own entries (joined by invite, or mirrored), keys and peers it refuses, and peers
//! it met. These are settings and memory, not entries: they are never synced.

use margin_core::Timestamp;
use margin_core::id::SpaceId;
use margin_core::vocabulary::BlockTarget;
use rusqlite::params;
use serde::Serialize;

use crate::error::StoreError;
use crate::store::{Store, id_from, now_ms, time_of_column};

/// Addresses kept per peer: a peer may advertise many, a node dials these.
pub const MAX_PEER_ADDRESSES: usize = 8;

/// Peers remembered at most (the most recently met).
pub const MAX_KNOWN_PEERS: usize = 1_000;

/// A peer not met for this long is forgotten (30 days).
pub const FORGET_PEERS_AFTER_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// Why the node replicates a space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FollowMode {
    /// The participant joined it (by invite): fetched and kept like their own spaces.
    Member,
    /// Replicated and served for others (a mirror's allow list).
    Mirror,
}

impl FollowMode {
    fn as_str(self) -> &'static str {
        match self {
            FollowMode::Member => "member",
            FollowMode::Mirror => "mirror",
        }
    }

    fn parse(text: &str) -> FollowMode {
        match text {
            "mirror" => FollowMode::Mirror,
            _ => FollowMode::Member,
        }
    }
}

/// A space the node follows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Follow {
    pub space: SpaceId,
    pub mode: FollowMode,
    pub added_at: Timestamp,
}

/// A key or peer the node refuses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Blocked {
    /// A participant's key (refused or muted) or a libp2p peer.
    pub what: BlockTarget,
    pub value: String,
    pub reason: String,
    pub added_at: Timestamp,
}

/// A peer the node met, and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KnownPeer {
    pub peer: String,
    pub addresses: Vec<String>,
    pub last_seen: Timestamp,
}

/// A row of `peers` (peer, addresses, last_seen).
fn known_peer(r: &rusqlite::Row<'_>) -> rusqlite::Result<KnownPeer> {
    Ok(KnownPeer {
        peer: r.get(0)?,
        addresses: r
            .get::<_, String>(1)?
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        last_seen: time_of_column(r.get(2)?),
    })
}

impl Store {
    /// Follows a space (again: the mode is updated).
    pub fn follow(&mut self, space: &SpaceId, mode: FollowMode) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO follows (space, mode, added_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (space) DO UPDATE SET mode = excluded.mode",
            params![space.as_bytes(), mode.as_str(), now_ms()],
        )?;
        Ok(())
    }

    /// Stops following a space; true if it was followed. Entries already stored stay.
    pub fn unfollow(&mut self, space: &SpaceId) -> Result<bool, StoreError> {
        Ok(self.conn.execute(
            "DELETE FROM follows WHERE space = ?1",
            params![space.as_bytes()],
        )? > 0)
    }

    pub fn follows(&self) -> Result<Vec<Follow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT space, mode, added_at FROM follows ORDER BY added_at")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        let mut out = vec![];
        for row in rows {
            let (space, mode, added_at) = row?;
            out.push(Follow {
                space: id_from(space)?,
                mode: FollowMode::parse(&mode),
                added_at: time_of_column(added_at),
            });
        }
        Ok(out)
    }

    /// Refuses a key's entries or a peer's connections from now on.
    pub fn block(
        &mut self,
        what: BlockTarget,
        value: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO blocked (what, value, reason, added_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (what, value) DO UPDATE SET reason = excluded.reason",
            params![what.as_str(), value, reason, now_ms()],
        )?;
        Ok(())
    }

    /// Lifts a block; true if there was one.
    pub fn unblock(&mut self, what: BlockTarget, value: &str) -> Result<bool, StoreError> {
        Ok(self.conn.execute(
            "DELETE FROM blocked WHERE what = ?1 AND value = ?2",
            params![what.as_str(), value],
        )? > 0)
    }

    pub fn blocked(&self) -> Result<Vec<Blocked>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT what, value, reason, added_at FROM blocked ORDER BY added_at",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Blocked {
                    what: BlockTarget::Key,
                    value: r.get(1)?,
                    reason: r.get(2)?,
                    added_at: time_of_column(r.get(3)?),
                },
            ))
        })?;
        let mut out = vec![];
        for row in rows {
            let (what, mut blocked) = row?;
            blocked.what = what
                .parse()
                .map_err(|e: margin_core::vocabulary::UnknownWord| {
                    StoreError::Damaged(e.to_string())
                })?;
            out.push(blocked);
        }
        Ok(out)
    }

    /// Remembers where a peer was reached (its first [`MAX_PEER_ADDRESSES`] addresses).
    /// `dial`: ask the running node to dial it. Peers not met for
    /// [`FORGET_PEERS_AFTER_MS`] are forgotten, and at most [`MAX_KNOWN_PEERS`] are kept
    /// (the most recently met), so what peers advertise cannot fill the table or keep
    /// the node dialling addresses for ever.
    pub fn remember_peer(
        &mut self,
        peer: &str,
        addresses: &[String],
        dial: bool,
    ) -> Result<(), StoreError> {
        let kept = &addresses[..addresses.len().min(MAX_PEER_ADDRESSES)];
        let text = kept.join(" ");
        let now = now_ms();
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO peers (peer, addresses, last_seen, dial) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (peer) DO UPDATE SET addresses = excluded.addresses,
                 last_seen = excluded.last_seen, dial = max(dial, excluded.dial)",
            params![peer, text, now, dial as i64],
        )?;
        tx.execute(
            "DELETE FROM peers WHERE dial = 0 AND (last_seen < ?1 OR peer NOT IN
                 (SELECT peer FROM peers ORDER BY last_seen DESC LIMIT ?2))",
            params![
                now.saturating_sub(FORGET_PEERS_AFTER_MS),
                MAX_KNOWN_PEERS as i64
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Peers met, most recent first, at most `limit`.
    pub fn known_peers(&self, limit: usize) -> Result<Vec<KnownPeer>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT peer, addresses, last_seen FROM peers ORDER BY last_seen DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map(params![limit as i64], known_peer)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Peers someone asked the node to dial (by `margin space join`), cleared as taken.
    pub fn take_dial_requests(&mut self) -> Result<Vec<KnownPeer>, StoreError> {
        let tx = self.conn.transaction()?;
        let peers = {
            let mut stmt =
                tx.prepare_cached("SELECT peer, addresses, last_seen FROM peers WHERE dial = 1")?;
            let rows = stmt.query_map([], known_peer)?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        tx.execute("UPDATE peers SET dial = 0 WHERE dial = 1", [])?;
        tx.commit()?;
        Ok(peers)
    }
}
