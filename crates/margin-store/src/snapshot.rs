//! Snapshots of spaces' states: derived data a node starts from instead of replaying
//! every entry. The entries stay the truth: a snapshot names the store position it was
//! made at and the digest of the entry set it was made from, and the node trusts it only
//! when the entries stored up to that position still have that digest.

use margin_core::id::{EntryId, SpaceId};
use rusqlite::{OptionalExtension, params};

use crate::error::StoreError;
use crate::store::{Store, id_from, now_ms};

/// One space's saved state, as the node wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The layout the state is saved in (`margin_space::snapshot::FORMAT`).
    pub format: u32,
    /// The store position the state had read up to: every accepted entry of the space
    /// stored at or before it, and none after.
    pub seq: i64,
    /// The entry-set digest of those entries.
    pub entries: String,
    /// BLAKE3 of `state`, to notice a damaged snapshot before decoding it.
    pub checksum: [u8; 32],
    /// The saved state (compressed).
    pub state: Vec<u8>,
}

impl Store {
    /// The snapshot kept for a space, if any.
    pub fn snapshot(&self, space: &SpaceId) -> Result<Option<Snapshot>, StoreError> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT format, seq, entries, checksum, state FROM snapshots WHERE space = ?1",
            )?
            .query_row(params![space.as_bytes()], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                ))
            })
            .optional()?;
        let Some((format, seq, entries, checksum, state)) = row else {
            return Ok(None);
        };
        // A row that does not even have the shape of a snapshot is treated as none: the
        // space is rebuilt from its entries, as for a snapshot that does not match them.
        let (Ok(format), Ok(checksum)) = (u32::try_from(format), <[u8; 32]>::try_from(checksum))
        else {
            return Ok(None);
        };
        Ok(Some(Snapshot {
            format,
            seq,
            entries,
            checksum,
            state,
        }))
    }

    /// Keeps `snapshot` as the space's, replacing the one it had.
    pub fn save_snapshot(&self, space: &SpaceId, snapshot: &Snapshot) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO snapshots (space, format, seq, entries, checksum, state, made_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (space) DO UPDATE SET format = excluded.format,
                     seq = excluded.seq, entries = excluded.entries,
                     checksum = excluded.checksum, state = excluded.state,
                     made_at = excluded.made_at",
            )?
            .execute(params![
                space.as_bytes(),
                snapshot.format,
                snapshot.seq,
                snapshot.entries,
                snapshot.checksum.as_slice(),
                snapshot.state,
                now_ms()
            ])?;
        Ok(())
    }

    /// Forgets a space's snapshot (one found not to match its entries).
    pub fn remove_snapshot(&self, space: &SpaceId) -> Result<(), StoreError> {
        self.conn.execute(
            "DELETE FROM snapshots WHERE space = ?1",
            params![space.as_bytes()],
        )?;
        Ok(())
    }

    /// The ids of a space's accepted entries stored at or before `seq`, in ascending
    /// order: what a snapshot made at `seq` must have been made from.
    pub fn space_ids_up_to(&self, space: &SpaceId, seq: i64) -> Result<Vec<EntryId>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM entries WHERE space = ?1 AND seq <= ?2")?;
        let mut ids = stmt
            .query_map(params![space.as_bytes(), seq], |r| r.get::<_, Vec<u8>>(0))?
            .map(|bytes| id_from(bytes?))
            .collect::<Result<Vec<EntryId>, StoreError>>()?;
        ids.sort_unstable();
        Ok(ids)
    }
}
