//! The SQLite store.

use std::cell::Cell;
use std::collections::HashMap;
use std::path::Path;

use margin_core::Timestamp;
use margin_core::entry::{Entry, Part, Verified};
use margin_core::id::{EntryId, SpaceId};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::checkpoint::Checkpointer;
use crate::error::StoreError;
use crate::migrations::MIGRATIONS;

/// A node's database.
pub struct Store {
    pub(crate) conn: Connection,
    /// How many [`Store::atomically`] calls are open on this connection: writes inside
    /// one join its transaction instead of starting their own.
    depth: Cell<u32>,
    /// Whether text was erased since the write-ahead log was last emptied.
    erased_text: Cell<bool>,
    /// Copies the write-ahead log into the database behind the writer (a store on a
    /// file only).
    checkpointer: Option<Checkpointer>,
    /// Whether the page cache is widened for a stream of batches ([`Store::widen_cache`]).
    wide_cache: Cell<bool>,
}

/// SQLite's page cache, in KiB (SQLite's default is 2 MiB).
const CACHE_KIB: i64 = 8 * 1024;
/// The page cache while a node takes in large batches: each touches pages all over the
/// index of random ids, which a smaller cache read back from the file again and again.
const WIDE_CACHE_KIB: i64 = 32 * 1024;

impl Drop for Store {
    fn drop(&mut self) {
        if let Some(checkpointer) = self.checkpointer.take() {
            checkpointer.stop(&mut self.conn);
        }
    }
}

/// What one batch of received entries did, written in one transaction.
#[derive(Default)]
pub struct Batch<'a> {
    pub space: Option<SpaceId>,
    /// Valid entries, in the order they were accepted.
    pub accepted: Vec<&'a Entry<Verified>>,
    /// Entries now waiting for refs.
    pub pending: Vec<&'a Entry<Verified>>,
    /// Entries that stopped waiting (accepted or refused).
    pub released: Vec<EntryId>,
    /// Refused entries with their reasons.
    pub rejected: Vec<(EntryId, String)>,
}

/// One row of the full-text index.
#[derive(Clone, Debug)]
pub struct SearchDoc {
    pub draft: EntryId,
    /// A paragraph id or a comment id.
    pub target: String,
    /// `paragraph` or `comment`.
    pub kind: &'static str,
    pub text: String,
}

/// A full-text search result.
#[derive(Clone, Debug, Serialize)]
pub struct SearchHit {
    pub space: String,
    pub draft: String,
    pub kind: String,
    pub target: String,
    pub snippet: String,
}

/// Now, as the store's `INTEGER` columns keep it.
pub(crate) fn now_ms() -> i64 {
    i64::try_from(Timestamp::now().as_millis()).unwrap_or(i64::MAX)
}

/// An entry's time as its `time` column keeps it (the column's bits are the time's).
fn time_column(time: Timestamp) -> i64 {
    time.as_millis() as i64
}

/// A time read back from an `INTEGER` column (0 for the impossible negative ones).
pub(crate) fn time_of_column(column: i64) -> Timestamp {
    Timestamp::from_millis(u64::try_from(column).unwrap_or(0))
}

/// How far a reader of a space has read it: the sequence number of the space's last
/// stored entry, and the version of its waiting set, which every write that adds or
/// removes one of its waiting entries advances (whichever process writes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpaceMark {
    pub seq: i64,
    pub waiting: i64,
}

/// The rows of one batch, inside the caller's transaction. Returns how many entries
/// were new.
fn write_rows(tx: &Connection, batch: &Batch<'_>) -> Result<usize, StoreError> {
    let now = now_ms();
    let mut new = 0;
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO entries (id, space, kind, author, time, bytes, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for e in &batch.accepted {
        new += insert.execute(params![
            e.id().as_bytes(),
            e.space_or_self().as_bytes(),
            e.kind() as u8,
            e.author().as_bytes(),
            time_column(e.time()),
            e.bytes(),
            now
        ])?;
    }
    let mut pend = tx.prepare_cached(
        "INSERT OR IGNORE INTO pending (id, space, bytes, received_at) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut waiting_changed: Vec<SpaceId> = vec![];
    for e in &batch.pending {
        if pend.execute(params![
            e.id().as_bytes(),
            e.space_or_self().as_bytes(),
            e.bytes(),
            now
        ])? > 0
        {
            waiting_changed.push(e.space_or_self());
        }
    }
    let mut unpend = tx.prepare_cached("DELETE FROM pending WHERE id = ?1 RETURNING space")?;
    // Accepted entries leave the waiting ones: nothing to look for when none wait (most
    // batches), which saves a statement per entry.
    let any_waiting = tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM pending)")?
        .query_row([], |r| r.get::<_, bool>(0))?;
    let accepted: Vec<EntryId> = if any_waiting {
        batch.accepted.iter().map(|e| e.id()).collect()
    } else {
        vec![]
    };
    for id in batch.released.iter().chain(&accepted) {
        let spaces = unpend.query_map(params![id.as_bytes()], |r| r.get::<_, Vec<u8>>(0))?;
        for space in spaces {
            waiting_changed.push(id_from(space?)?);
        }
    }
    waiting_changed.sort();
    waiting_changed.dedup();
    let mut bump = tx.prepare_cached(
        "INSERT INTO waiting_versions (space, version) VALUES (?1, 1)
             ON CONFLICT (space) DO UPDATE SET version = version + 1",
    )?;
    for space in waiting_changed {
        bump.execute(params![space.as_bytes()])?;
    }
    let mut reject = tx.prepare_cached(
        "INSERT INTO rejected (id, space, reason, last_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET times = times + 1, last_at = excluded.last_at",
    )?;
    for (id, reason) in &batch.rejected {
        reject.execute(params![
            id.as_bytes(),
            batch.space.map(|s| s.0.to_vec()),
            reason,
            now
        ])?;
    }
    Ok(new)
}

/// Deletes accepted entries' rows, inside the caller's transaction.
fn delete_accepted(
    conn: &Connection,
    ids: impl Iterator<Item = EntryId>,
) -> Result<(), StoreError> {
    let mut delete = conn.prepare_cached("DELETE FROM entries WHERE id = ?1")?;
    for id in ids {
        delete.execute(params![id.as_bytes()])?;
    }
    Ok(())
}

/// Adds rows to the full-text index.
fn insert_docs(tx: &Connection, space_hex: &str, docs: &[SearchDoc]) -> Result<(), StoreError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO search (space, draft, target, kind, text) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut key = tx.prepare_cached(
        "INSERT INTO search_keys (row, space, draft, target, kind) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for d in docs {
        let draft = d.draft.to_hex();
        insert.execute(params![space_hex, draft, d.target, d.kind, d.text])?;
        key.execute(params![
            tx.last_insert_rowid(),
            space_hex,
            draft,
            d.target,
            d.kind
        ])?;
    }
    Ok(())
}

/// The full-text rows that `search_keys` rows matching `filter` (a condition on
/// `search_keys` with `?1`, `?2`) name.
fn doc_rows(
    tx: &Connection,
    filter: &str,
    space_hex: &str,
    key: &str,
    rows: &mut Vec<i64>,
) -> Result<(), StoreError> {
    let mut select = tx.prepare_cached(&format!("SELECT row FROM search_keys WHERE {filter}"))?;
    for row in select.query_map(params![space_hex, key], |r| r.get(0))? {
        rows.push(row?);
    }
    Ok(())
}

/// Removes full-text rows and their keys, by row id. Called before any row is added in
/// the transaction: FTS5 writes the rows it holds in memory to disk (and merges its
/// segments) whenever a statement that may change several of its rows starts, so a
/// removal after each addition cost a flush and a merge per comment.
fn drop_rows(tx: &Connection, rows: &[i64]) -> Result<(), StoreError> {
    let mut doc = tx.prepare_cached("DELETE FROM search WHERE rowid = ?1")?;
    let mut key = tx.prepare_cached("DELETE FROM search_keys WHERE row = ?1")?;
    for row in rows {
        doc.execute(params![row])?;
        key.execute(params![row])?;
    }
    Ok(())
}

/// The index rows of one draft's paragraphs.
const DRAFT_ROWS: &str = "space = ?1 AND draft = ?2 AND kind = 'paragraph'";
/// The index row of one comment.
const COMMENT_ROWS: &str = "space = ?1 AND target = ?2 AND kind = 'comment'";

/// The ids whose hex spelling starts with `prefix`, as a range of ids: from the first
/// (the prefix followed by zeros) up to, not including, the first id past them (none when
/// the prefix is all `f`). `None` when the prefix is not hex or longer than an id.
fn id_range(prefix: &str) -> Option<(Vec<u8>, Option<Vec<u8>>)> {
    let digits: Vec<u8> = prefix
        .chars()
        .map(|c| c.to_digit(16).map(|d| d as u8))
        .collect::<Option<_>>()?;
    if digits.len() > 64 {
        return None;
    }
    let bytes = |digits: &[u8]| -> Vec<u8> {
        digits
            .chunks(2)
            .map(|pair| pair[0] << 4 | pair.get(1).copied().unwrap_or(0))
            .collect()
    };
    // The next prefix of the same length: the last digit that is not `f` goes up by one,
    // and the `f`s after it are dropped.
    let mut next = digits.clone();
    while next.last() == Some(&15) {
        next.pop();
    }
    let until = match next.last_mut() {
        Some(last) => {
            *last += 1;
            Some(bytes(&next))
        }
        None => None,
    };
    Some((bytes(&digits), until))
}

fn hex_of(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

pub(crate) fn id_from(bytes: Vec<u8>) -> Result<EntryId, StoreError> {
    let arr: [u8; 32] = bytes
        .try_into()
        .map_err(|_| StoreError::Damaged("an id is not 32 bytes".into()))?;
    Ok(EntryId(arr))
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
        let mut store = Self::setup(conn)?;
        store.checkpointer = Some(Checkpointer::start(path, &mut store.conn)?);
        Ok(store)
    }

    /// A database in memory, for tests.
    pub fn in_memory() -> Result<Store, StoreError> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(conn: Connection) -> Result<Store, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // A new database gets 16 KiB pages (SQLite's default is 4 KiB): entries of a few
        // hundred bytes, and an index of random ids, split and rewrite pages a quarter as
        // often. A database that exists keeps its pages (only a VACUUM changes them).
        conn.pragma_update(None, "page_size", 16384)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
        // The log is reused from its start once copied; beyond this it is cut back.
        conn.pragma_update(None, "journal_size_limit", 32 * 1024 * 1024)?;
        // Text an author erased must not survive in freed space of the database file.
        conn.pragma_update(None, "secure_delete", "ON")?;
        let mut store = Store {
            conn,
            depth: Cell::new(0),
            erased_text: Cell::new(false),
            checkpointer: None,
            wide_cache: Cell::new(false),
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                found: version,
                known,
            });
        }
        for (i, step) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(step)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
            tracing::info!(target: "store", "database schema migrated to version {}", i + 1);
        }
        Ok(())
    }

    /// The schema version.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// Runs `work` in one transaction that holds the database's write lock from its
    /// start (`BEGIN IMMEDIATE`): no other process can write between what `work` reads
    /// and what it writes. Commits when `work` succeeds and rolls back when it fails.
    /// Called inside another `atomically`, it joins that transaction.
    pub fn atomically<T, E>(&self, work: impl FnOnce() -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let depth = self.depth.get();
        if depth == 0 {
            self.conn
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(|e| E::from(StoreError::from(e)))?;
        }
        self.depth.set(depth + 1);
        let result = work();
        self.depth.set(depth);
        if depth > 0 {
            return result;
        }
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        match self.conn.execute_batch(end) {
            Ok(()) => result,
            Err(e) => {
                // A failed COMMIT leaves the transaction open: end it, so the next write
                // starts clean.
                let _ = self.conn.execute_batch("ROLLBACK");
                result.and(Err(E::from(StoreError::from(e))))
            }
        }
    }

    /// Widens the page cache for a stream of large batches (a space taken in whole),
    /// until [`Store::narrow_cache`].
    pub fn widen_cache(&self) -> Result<(), StoreError> {
        if !self.wide_cache.replace(true) {
            self.conn
                .pragma_update(None, "cache_size", -WIDE_CACHE_KIB)?;
        }
        Ok(())
    }

    /// Brings the page cache back to its usual size, letting go of the pages beyond it:
    /// what a node does once quiet.
    pub fn narrow_cache(&self) -> Result<(), StoreError> {
        if self.wide_cache.replace(false) {
            self.conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
        }
        Ok(())
    }

    /// Hands back the memory of the pages SQLite keeps in its cache that no transaction
    /// uses: what a node does when it goes idle.
    pub fn release_memory(&self) -> Result<(), StoreError> {
        Ok(self.conn.release_memory()?)
    }

    /// Whether an [`Store::atomically`] is open on this connection.
    pub fn in_transaction(&self) -> bool {
        self.depth.get() > 0
    }

    /// Writes a batch in one transaction (or in the enclosing [`Store::atomically`]).
    /// Returns how many accepted entries were new.
    pub fn write(&self, batch: &Batch<'_>) -> Result<usize, StoreError> {
        self.atomically(|| write_rows(&self.conn, batch))
    }

    /// Where the space stands in the store: see [`SpaceMark`].
    pub fn space_mark(&self, space: &SpaceId) -> Result<SpaceMark, StoreError> {
        let seq = self
            .conn
            .prepare_cached("SELECT coalesce(max(seq), 0) FROM entries WHERE space = ?1")?
            .query_row(params![space.as_bytes()], |r| r.get(0))?;
        let waiting = self
            .conn
            .prepare_cached("SELECT version FROM waiting_versions WHERE space = ?1")?
            .query_row(params![space.as_bytes()], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        Ok(SpaceMark { seq, waiting })
    }

    /// Stores `entries`, accepted entries of one space, again at the end of its order,
    /// in the given order: for entries that were stored before something they refer to.
    pub fn resequence(&self, entries: &[&Entry<Verified>]) -> Result<(), StoreError> {
        self.atomically(|| {
            delete_accepted(&self.conn, entries.iter().map(|e| e.id()))?;
            write_rows(
                &self.conn,
                &Batch {
                    accepted: entries.to_vec(),
                    ..Default::default()
                },
            )?;
            Ok(())
        })
    }

    /// Removes entries from the accepted ones (stored entries found not valid).
    pub fn remove_accepted(&self, ids: &[EntryId]) -> Result<(), StoreError> {
        self.atomically(|| delete_accepted(&self.conn, ids.iter().copied()))
    }

    /// Moves stored entries back from the accepted ones to the waiting ones (entries
    /// stored as accepted while something they refer to is missing).
    pub fn unaccept(&self, entries: &[&Entry<Verified>]) -> Result<(), StoreError> {
        self.atomically(|| {
            delete_accepted(&self.conn, entries.iter().map(|e| e.id()))?;
            write_rows(
                &self.conn,
                &Batch {
                    pending: entries.to_vec(),
                    ..Default::default()
                },
            )?;
            Ok(())
        })
    }

    /// The accepted entries of a space, in the order they were accepted.
    pub fn space_entries(&self, space: &SpaceId) -> Result<Vec<Entry<Verified>>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT bytes FROM entries WHERE space = ?1 ORDER BY seq")?;
        let rows = stmt.query_map(params![space.as_bytes()], |r| r.get::<_, Vec<u8>>(0))?;
        let mut out = vec![];
        for bytes in rows {
            let bytes = bytes?;
            out.push(
                Entry::from_trusted_store(&bytes)
                    .map_err(|e| StoreError::Damaged(e.to_string()))?,
            );
        }
        Ok(out)
    }

    /// At most `limit` accepted entries of a space stored after `seq`, in order, with
    /// the sequence number of the last one (or `seq` when there are none). Reading a
    /// large space in chunks keeps the memory a load needs small.
    pub fn space_entries_after(
        &self,
        space: &SpaceId,
        seq: i64,
        limit: usize,
    ) -> Result<(Vec<Entry<Verified>>, i64), StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, bytes FROM entries WHERE space = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![space.as_bytes(), seq, limit], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut out = vec![];
        let mut last = seq;
        for row in rows {
            let (seq, bytes) = row?;
            last = seq;
            out.push(
                Entry::from_trusted_store(&bytes)
                    .map_err(|e| StoreError::Damaged(e.to_string()))?,
            );
        }
        Ok((out, last))
    }

    /// How many entries of a space wait for refs.
    pub fn pending_count(&self, space: &SpaceId) -> Result<i64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM pending WHERE space = ?1",
            params![space.as_bytes()],
            |r| r.get(0),
        )?)
    }

    /// How many bytes of a space's entries wait for refs.
    pub fn pending_bytes(&self, space: &SpaceId) -> Result<i64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT coalesce(sum(length(bytes)), 0) FROM pending WHERE space = ?1",
            params![space.as_bytes()],
            |r| r.get(0),
        )?)
    }

    /// The spaces that have entries waiting for their refs (a space whose charter has
    /// not arrived among them).
    pub fn waiting_spaces(&self) -> Result<Vec<SpaceId>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT space FROM pending ORDER BY space")?;
        let rows = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))?;
        rows.map(|id| id_from(id?)).collect()
    }

    /// Entries of a space that have waited for their refs since before `cutoff` (ms since
    /// the epoch, by this node's clock), oldest first, at most `limit`.
    pub fn waiting_since_before(
        &self,
        space: &SpaceId,
        cutoff: u64,
        limit: usize,
    ) -> Result<Vec<EntryId>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id FROM pending WHERE space = ?1 AND received_at < ?2
             ORDER BY received_at LIMIT ?3",
        )?;
        let rows = stmt.query_map(
            params![
                space.as_bytes(),
                i64::try_from(cutoff).unwrap_or(i64::MAX),
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            |r| r.get::<_, Vec<u8>>(0),
        )?;
        rows.map(|id| id_from(id?)).collect()
    }

    /// The raw bytes of a space's accepted entries, in acceptance order (for bundles).
    pub fn space_entry_bytes(&self, space: &SpaceId) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT bytes FROM entries WHERE space = ?1 ORDER BY seq")?;
        let rows = stmt.query_map(params![space.as_bytes()], |r| r.get::<_, Vec<u8>>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Entries of a space waiting for refs.
    pub fn pending_entries(&self, space: &SpaceId) -> Result<Vec<Entry<Verified>>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT bytes FROM pending WHERE space = ?1 ORDER BY received_at, id",
        )?;
        let rows = stmt.query_map(params![space.as_bytes()], |r| r.get::<_, Vec<u8>>(0))?;
        let mut out = vec![];
        for bytes in rows {
            out.push(
                Entry::from_trusted_store(&bytes?)
                    .map_err(|e| StoreError::Damaged(e.to_string()))?,
            );
        }
        Ok(out)
    }

    /// Every space that has a genesis charter in the store.
    pub fn space_ids(&self) -> Result<Vec<SpaceId>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM entries WHERE kind = 1 ORDER BY seq")?;
        let rows = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))?;
        rows.map(|r| id_from(r?)).collect()
    }

    /// Whether an entry is stored as accepted.
    pub fn contains(&self, id: &EntryId) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM entries WHERE id = ?1")?
            .exists(params![id.as_bytes()])?)
    }

    /// The space an accepted or pending entry belongs to.
    pub fn space_of(&self, id: &EntryId) -> Result<Option<SpaceId>, StoreError> {
        let space: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT space FROM entries WHERE id = ?1
                 UNION ALL SELECT space FROM pending WHERE id = ?1 LIMIT 1",
                params![id.as_bytes()],
                |r| r.get(0),
            )
            .optional()?;
        space.map(id_from).transpose()
    }

    /// Accepted entries whose hex id starts with `prefix` (at most `limit`), read as a
    /// range of the entries' id index.
    pub fn ids_with_prefix(&self, prefix: &str, limit: usize) -> Result<Vec<EntryId>, StoreError> {
        let Some((from, until)) = id_range(prefix) else {
            return Ok(vec![]);
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.conn.prepare_cached(
            "SELECT id FROM entries WHERE id >= ?1 AND (?2 IS NULL OR id < ?2) ORDER BY id LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![from, until, limit], |r| r.get::<_, Vec<u8>>(0))?;
        rows.map(|r| id_from(r?)).collect()
    }

    /// Why an entry was refused, and how many times it was offered.
    pub fn rejection(&self, id: &EntryId) -> Result<Option<(String, i64)>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT reason, times FROM rejected WHERE id = ?1",
                params![id.as_bytes()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// How many refusals are recorded (each counted once per entry).
    pub fn rejected_count(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM rejected", [], |r| r.get(0))?)
    }

    /// Counts of accepted entries per space.
    pub fn entry_count(&self, space: &SpaceId) -> Result<i64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM entries WHERE space = ?1",
            params![space.as_bytes()],
            |r| r.get(0),
        )?)
    }

    /// The sequence number of the latest accepted entry (0 when empty).
    pub fn last_seq(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT coalesce(max(seq), 0) FROM entries", [], |r| {
                r.get(0)
            })?)
    }

    /// Accepted entries after `seq`, oldest first, at most `limit`: (seq, entry).
    pub fn entries_since(
        &self,
        seq: i64,
        limit: usize,
    ) -> Result<Vec<(i64, Entry<Verified>)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, bytes FROM entries WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![seq, limit as i64], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut out = vec![];
        for row in rows {
            let (seq, bytes) = row?;
            out.push((
                seq,
                Entry::from_trusted_store(&bytes)
                    .map_err(|e| StoreError::Damaged(e.to_string()))?,
            ));
        }
        Ok(out)
    }

    /// The (time, id) of every accepted entry of a space: the set the sync protocol
    /// reconciles.
    pub fn space_items(&self, space: &SpaceId) -> Result<Vec<(Timestamp, EntryId)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT time, id FROM entries WHERE space = ?1")?;
        let rows = stmt.query_map(params![space.as_bytes()], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut out = vec![];
        for row in rows {
            let (time, id) = row?;
            out.push((Timestamp::from_millis(time as u64), id_from(id)?));
        }
        Ok(out)
    }

    /// The accepted entries of `space` that follow `after` in the order a space is served
    /// whole ([`Part`], then time, then id), at most `limit`: `(part, time, id)`, in that
    /// order.
    pub fn reading_page(
        &self,
        space: &SpaceId,
        after: Option<(Part, Timestamp, EntryId)>,
        limit: usize,
    ) -> Result<Vec<(Part, Timestamp, EntryId)>, StoreError> {
        let (part, time, id) = match after {
            Some((part, time, id)) => {
                (part as i64, time.as_millis() as i64, id.as_bytes().to_vec())
            }
            None => (-1, i64::MIN, vec![]),
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT part, time, id FROM entries
             WHERE space = ?1 AND (part, time, id) > (?2, ?3, ?4)
             ORDER BY part, time, id LIMIT ?5",
        )?;
        let rows = stmt.query_map(
            params![space.as_bytes(), part, time, id, limit as i64],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                ))
            },
        )?;
        let mut out = Vec::with_capacity(limit.min(1024));
        for row in rows {
            let (part, time, id) = row?;
            let part = Part::ALL
                .into_iter()
                .find(|p| *p as i64 == part)
                .ok_or_else(|| StoreError::Damaged(format!("an entry in part {part}")))?;
            out.push((part, Timestamp::from_millis(time as u64), id_from(id)?));
        }
        Ok(out)
    }

    /// The bytes of those of `ids` that are accepted entries of `space` here.
    pub fn entry_bytes(
        &self,
        space: &SpaceId,
        ids: &[EntryId],
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT bytes FROM entries WHERE id = ?1 AND space = ?2")?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(bytes) = stmt
                .query_row(params![id.as_bytes(), space.as_bytes()], |r| {
                    r.get::<_, Vec<u8>>(0)
                })
                .optional()?
            {
                out.push(bytes);
            }
        }
        Ok(out)
    }

    /// Replaces accepted entries by their stubs (the same entries without their text),
    /// once their author asked for the text to be erased. The freed bytes are
    /// overwritten (`secure_delete`), and the write-ahead log is emptied into the
    /// database at the next [`Store::forget_erased_text`].
    pub fn replace_with_stubs(&self, stubs: &[Entry<Verified>]) -> Result<(), StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("UPDATE entries SET bytes = ?1 WHERE id = ?2")?;
        for stub in stubs {
            debug_assert!(stub.is_stub());
            stmt.execute(params![stub.bytes(), stub.id().as_bytes()])?;
        }
        if !stubs.is_empty() {
            self.erased_text.set(true);
        }
        Ok(())
    }

    /// After text was erased: copies the write-ahead log into the database and empties
    /// it, so the erased text is not left in old copies of pages. Best effort: a reader
    /// in another process may keep the log from being emptied until the next time.
    pub fn forget_erased_text(&self) -> Result<(), StoreError> {
        if self.in_transaction() || !self.erased_text.get() {
            return Ok(());
        }
        let (busy, _, _): (i64, i64, i64) =
            self.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
        if busy == 0 {
            self.erased_text.set(false);
        }
        Ok(())
    }

    /// A setting the node keeps between runs.
    pub fn setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT value FROM settings WHERE name = ?1",
                params![name],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn set_setting(&mut self, name: &str, value: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO settings (name, value) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            params![name, value],
        )?;
        Ok(())
    }

    // ---- indexes --------------------------------------------------------------------

    /// Replaces a space's index rows: its title and its searchable text.
    pub fn reindex_space(
        &self,
        space: &SpaceId,
        title: &str,
        docs: &[SearchDoc],
    ) -> Result<(), StoreError> {
        self.atomically(|| {
            let tx = &self.conn;
            tx.execute(
                "INSERT INTO spaces (id, title) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET title = excluded.title",
                params![space.as_bytes(), title],
            )?;
            let space_hex = space.to_hex();
            tx.execute(
                "DELETE FROM search WHERE rowid IN (SELECT row FROM search_keys WHERE space = ?1)",
                params![space_hex],
            )?;
            tx.execute(
                "DELETE FROM search_keys WHERE space = ?1",
                params![space_hex],
            )?;
            insert_docs(tx, &space_hex, docs)?;
            Ok(())
        })
    }

    /// How far the search index of a space is complete: the sequence number of the last
    /// stored entry it covers (0: none). The index is written behind the batches that
    /// store entries, so it may be behind them; see [`Store::set_index_mark`].
    pub fn index_mark(&self, space: &SpaceId) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT seq FROM index_marks WHERE space = ?1")?
            .query_row(params![space.as_bytes()], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }

    /// Records that the search index of a space covers its entries up to `seq`: written
    /// in the transaction that wrote the rows.
    pub fn set_index_mark(&self, space: &SpaceId, seq: i64) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO index_marks (space, seq) VALUES (?1, ?2)
                 ON CONFLICT (space) DO UPDATE SET seq = excluded.seq",
            )?
            .execute(params![space.as_bytes(), seq])?;
        Ok(())
    }

    /// The spaces whose search index is behind their stored entries (after a node
    /// stopped before it caught up).
    pub fn spaces_index_behind(&self) -> Result<Vec<SpaceId>, StoreError> {
        let mut behind = vec![];
        for space in self.space_ids()? {
            if self.index_mark(&space)? < self.space_mark(&space)?.seq {
                behind.push(space);
            }
        }
        Ok(behind)
    }

    /// Updates a space's index rows for what a batch of entries changed, in one
    /// transaction: its title, every paragraph of the drafts in `drafts` (replaced by
    /// the given rows), the comments in `comments` (replaced by the given row, or removed
    /// when it is `None`).
    pub fn update_index(
        &self,
        space: &SpaceId,
        title: Option<&str>,
        drafts: &[(EntryId, Vec<SearchDoc>)],
        comments: &[(String, Option<SearchDoc>)],
    ) -> Result<(), StoreError> {
        let space_hex = space.to_hex();
        self.atomically(|| {
            let tx = &self.conn;
            if let Some(title) = title {
                tx.execute(
                    "INSERT INTO spaces (id, title) VALUES (?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET title = excluded.title",
                    params![space.as_bytes(), title],
                )?;
            }
            // Every row that goes, then every row that comes (see `drop_rows`).
            let mut gone = vec![];
            for (draft, _) in drafts {
                doc_rows(tx, DRAFT_ROWS, &space_hex, &draft.to_hex(), &mut gone)?;
            }
            for (target, _) in comments {
                doc_rows(tx, COMMENT_ROWS, &space_hex, target, &mut gone)?;
            }
            drop_rows(tx, &gone)?;
            // In the order given; a draft or comment named twice gets the rows of its
            // last mention.
            for (i, (draft, docs)) in drafts.iter().enumerate() {
                if !drafts[i + 1..].iter().any(|(d, _)| d == draft) {
                    insert_docs(tx, &space_hex, docs)?;
                }
            }
            let last: HashMap<&str, usize> = comments
                .iter()
                .enumerate()
                .map(|(i, (target, _))| (target.as_str(), i))
                .collect();
            for (i, (target, doc)) in comments.iter().enumerate() {
                if last.get(target.as_str()) == Some(&i) {
                    insert_docs(tx, &space_hex, doc.as_slice())?;
                }
            }
            Ok(())
        })
    }

    /// Spaces with their indexed titles.
    pub fn spaces(&self) -> Result<Vec<(SpaceId, String)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            // CROSS JOIN keeps `spaces` the outer table: ordering by `e.seq` would
            // otherwise lead SQLite to scan every entry to skip a sort of a few rows.
            "SELECT s.id, s.title FROM spaces s CROSS JOIN entries e ON e.id = s.id ORDER BY e.seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
        })?;
        rows.map(|r| {
            let (id, title) = r?;
            Ok((id_from(id)?, title))
        })
        .collect()
    }

    /// Full-text search over draft paragraphs and comments. Plain words are matched as
    /// prefixes, all of them required; FTS5 syntax is not exposed, so any text is a
    /// valid query.
    pub fn search(
        &self,
        query: &str,
        space: Option<&SpaceId>,
        limit: usize,
    ) -> Result<Vec<SearchHit>, StoreError> {
        self.search_marked(query, space, limit, ("[", "]"))
    }

    /// Like [`Store::search`], with the matched words in snippets between `marks`
    /// instead of square brackets (which drafts use for contested text).
    pub fn search_marked(
        &self,
        query: &str,
        space: Option<&SpaceId>,
        limit: usize,
        marks: (&str, &str),
    ) -> Result<Vec<SearchHit>, StoreError> {
        let terms: Vec<String> = query
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .map(|t| format!("\"{t}\"*"))
            .collect();
        if terms.is_empty() {
            return Err(StoreError::BadQuery(format!(
                "'{query}' has no words to search for"
            )));
        }
        let fts = terms.join(" AND ");
        let mut stmt = self.conn.prepare_cached(
            "SELECT space, draft, kind, target, snippet(search, 4, ?4, ?5, '…', 12)
             FROM search WHERE search MATCH ?1 AND (?2 IS NULL OR space = ?2)
             ORDER BY rank LIMIT ?3",
        )?;
        let args = params![
            fts,
            space.map(|s| s.to_hex()),
            limit as i64,
            marks.0,
            marks.1
        ];
        let rows = stmt.query_map(args, |r| {
            Ok(SearchHit {
                space: r.get(0)?,
                draft: r.get(1)?,
                kind: r.get(2)?,
                target: r.get(3)?,
                snippet: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The full-text rows of a space: (draft, target, kind, text), sorted.
    pub fn search_rows(
        &self,
        space: &SpaceId,
    ) -> Result<Vec<(String, String, String, String)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT draft, target, kind, text FROM search WHERE space = ?1
             ORDER BY draft, target, kind, text",
        )?;
        let rows = stmt.query_map(params![space.to_hex()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A space's indexed title.
    pub fn space_title(&self, space: &SpaceId) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT title FROM spaces WHERE id = ?1",
                params![space.as_bytes()],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// What SQLite's own integrity check finds wrong with the database file (pages,
    /// b-trees, indexes against their tables); empty when it reports "ok".
    /// A page so damaged that the check itself stops there is reported the same way,
    /// after what the check found before it stopped.
    pub fn integrity(&self) -> Result<Vec<String>, StoreError> {
        let mut found = vec![];
        let checked = self
            .conn
            .prepare("PRAGMA integrity_check")
            .and_then(|mut stmt| {
                for line in stmt.query_map([], |r| r.get::<_, String>(0))? {
                    found.push(line?);
                }
                Ok(())
            });
        match checked {
            Ok(()) => {}
            // Some damage stops the check itself (a page that is not a page): that is
            // what it found, not a failure to look.
            Err(e)
                if matches!(
                    e.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
                ) =>
            {
                found.push(format!("the check stopped: {e}"));
            }
            Err(e) => return Err(e.into()),
        }
        Ok(found.into_iter().filter(|line| line != "ok").collect())
    }

    /// Rows that belong to nothing or contradict themselves, in words: waiting entries
    /// also stored as accepted, full-text rows without their key and keys without their
    /// row, listed spaces without a charter, and accepted entries whose bytes do not
    /// decode or do not match their id, space, kind, author or time columns.
    pub fn check_rows(&self) -> Result<Vec<String>, StoreError> {
        let mut found = vec![];
        let mut both = self
            .conn
            .prepare("SELECT lower(hex(p.id)) FROM pending p JOIN entries e ON e.id = p.id")?;
        for id in both.query_map([], |r| r.get::<_, String>(0))? {
            found.push(format!("entry {} is both accepted and waiting", id?));
        }
        let counts: [(&str, &str); 3] = [
            (
                "full-text rows without a key",
                "SELECT count(*) FROM search WHERE rowid NOT IN (SELECT row FROM search_keys)",
            ),
            (
                "full-text keys without a row",
                "SELECT count(*) FROM search_keys WHERE row NOT IN (SELECT rowid FROM search)",
            ),
            (
                "listed spaces without a charter",
                "SELECT count(*) FROM spaces WHERE id NOT IN (SELECT id FROM entries WHERE kind = 1)",
            ),
        ];
        for (what, sql) in counts {
            let n: i64 = self.conn.query_row(sql, [], |r| r.get(0))?;
            if n > 0 {
                found.push(format!("{n} {what}"));
            }
        }
        let mut stmt = self
            .conn
            .prepare("SELECT id, space, kind, author, time, bytes FROM entries ORDER BY seq")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Vec<u8>>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, Vec<u8>>(5)?,
            ))
        })?;
        for row in rows {
            let (id, space, kind, author, time, bytes) = row?;
            let shown = hex_of(&id);
            match Entry::from_trusted_store(&bytes) {
                Err(e) => found.push(format!("entry {shown} does not decode: {e}")),
                Ok(e) => {
                    let agrees = e.id().as_bytes().as_slice() == id.as_slice()
                        && e.space_or_self().as_bytes().as_slice() == space.as_slice()
                        && i64::from(e.kind() as u8) == kind
                        && e.author().as_bytes().as_slice() == author.as_slice()
                        && time_column(e.time()) == time;
                    if !agrees {
                        found.push(format!("entry {shown}: its columns do not match its bytes"));
                    }
                }
            }
        }
        Ok(found)
    }

    /// Holds entries dated in the future until `due` (their date less the allowed
    /// skew). Returns how many were new.
    pub fn hold(
        &self,
        entries: &[&Entry<Verified>],
        due: impl Fn(&Entry<Verified>) -> Timestamp,
    ) -> Result<usize, StoreError> {
        self.atomically(|| {
            let mut insert = self.conn.prepare_cached(
                "INSERT OR IGNORE INTO held (id, space, due, bytes, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let now = now_ms();
            let mut new = 0;
            for e in entries {
                new += insert.execute(params![
                    e.id().as_bytes(),
                    e.space_or_self().as_bytes(),
                    i64::try_from(due(e).as_millis()).unwrap_or(i64::MAX),
                    e.bytes(),
                    now
                ])?;
            }
            Ok(new)
        })
    }

    /// How many entries of a space are held until they are due.
    pub fn held_count(&self, space: &SpaceId) -> Result<i64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM held WHERE space = ?1",
            params![space.as_bytes()],
            |r| r.get(0),
        )?)
    }

    /// Whether the entry is held until it is due.
    pub fn is_held(&self, id: &EntryId) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM held WHERE id = ?1")?
            .exists(params![id.as_bytes()])?)
    }

    /// Takes out of the held ones every entry due at `now`, at most `limit`.
    pub fn take_due(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<Entry<Verified>>, StoreError> {
        self.atomically(|| {
            let mut select = self.conn.prepare_cached(
                "SELECT id, bytes FROM held WHERE due <= ?1 ORDER BY due, id LIMIT ?2",
            )?;
            let rows = select.query_map(
                params![
                    i64::try_from(now.as_millis()).unwrap_or(i64::MAX),
                    limit as i64
                ],
                |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?)),
            )?;
            let mut out = vec![];
            let mut ids = vec![];
            for row in rows {
                let (id, bytes) = row?;
                ids.push(id);
                out.push(
                    Entry::from_trusted_store(&bytes)
                        .map_err(|e| StoreError::Damaged(e.to_string()))?,
                );
            }
            let mut delete = self.conn.prepare_cached("DELETE FROM held WHERE id = ?1")?;
            for id in ids {
                delete.execute(params![id])?;
            }
            Ok(out)
        })
    }

    /// When the next held entry is due, if any is held.
    pub fn next_due(&self) -> Result<Option<Timestamp>, StoreError> {
        let due: Option<i64> = self
            .conn
            .query_row("SELECT min(due) FROM held", [], |r| r.get(0))?;
        Ok(due.map(|d| Timestamp::from_millis(d.max(0) as u64)))
    }

    /// Drops every index (not the entries), for a rebuild from the entries.
    pub fn clear_indexes(&self) -> Result<(), StoreError> {
        self.atomically(|| {
            // A waiting row of an entry that is accepted is left over from a crash of an
            // earlier version between two transactions: the entry is here.
            self.conn.execute_batch(
                "DELETE FROM spaces; DELETE FROM search; DELETE FROM search_keys;
                 DELETE FROM index_marks; DELETE FROM snapshots; DELETE FROM pending WHERE id IN (SELECT id FROM entries);",
            )?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use margin_core::entry::Kind;

    use super::*;

    /// The index's part of every kind is the one `Part::of` gives, and a page follows
    /// part, then time, then id.
    #[test]
    fn spaces_are_served_by_part_then_time() -> Result<(), StoreError> {
        let store = Store::in_memory()?;
        let space = SpaceId::from_bytes([9; 32]);
        let mut insert = store.conn.prepare(
            "INSERT INTO entries (id, space, kind, author, time, bytes, received_at)
                 VALUES (?1, ?2, ?3, x'', ?4, x'', 0)",
        )?;
        let mut expected = vec![];
        for (n, kind) in Kind::ALL.into_iter().enumerate() {
            // Later kinds written earlier, so that time alone would reverse them.
            let time = Timestamp::from_millis(1_000 - n as u64);
            let id = EntryId::from_bytes([kind as u8; 32]);
            insert.execute(params![
                id.as_bytes(),
                space.as_bytes(),
                kind as u8,
                time.as_millis() as i64
            ])?;
            expected.push((Part::of(kind), time, id));
        }
        drop(insert);
        expected.sort();
        let mut pages = vec![];
        let mut after = None;
        loop {
            let page = store.reading_page(&space, after, 3)?;
            let Some(last) = page.last() else { break };
            after = Some(*last);
            pages.extend(page);
        }
        assert_eq!(pages, expected);
        assert_eq!(pages.first().map(|p| p.0), Some(Part::People));
        assert_eq!(pages.last().map(|p| p.0), Some(Part::Discussion));
        assert!(
            store
                .reading_page(&SpaceId::from_bytes([8; 32]), None, 3)?
                .is_empty()
        );
        Ok(())
    }

    /// A prefix finds exactly the ids whose hex spelling starts with it, at every
    /// length, at the edges of a range (digits `f` and `0`) and past the last id.
    #[test]
    fn ids_are_found_by_any_prefix_of_their_hex() -> Result<(), StoreError> {
        let store = Store::in_memory()?;
        let mut ids: Vec<EntryId> = [
            [0u8; 32], [0xff; 32], [0xa5; 32], [0xa6; 32], [0x5a; 32], [0x0f; 32], [0xf0; 32],
        ]
        .into_iter()
        .map(EntryId::from_bytes)
        .collect();
        let mut edge = [0xa5u8; 32];
        edge[1] = 0xf0;
        ids.push(EntryId::from_bytes(edge));
        edge[1] = 0xff;
        edge[2] = 0xff;
        ids.push(EntryId::from_bytes(edge));
        ids.extend((0..40u8).map(|n| EntryId::of_entry(&[n])));
        for id in &ids {
            store.conn.execute(
                "INSERT INTO entries (id, space, kind, author, time, bytes, received_at)
                     VALUES (?1, x'00', 1, x'', 0, x'', 0)",
                params![id.as_bytes()],
            )?;
        }
        let mut prefixes: Vec<String> = ["", "f", "ff", "fff", "a5f", "a5ff", "a5fff", "A5", "0"]
            .into_iter()
            .map(String::from)
            .collect();
        for id in &ids {
            let hex = id.to_hex();
            prefixes.extend((0..=64).map(|n| hex[..n].to_string()));
        }
        for prefix in &prefixes {
            let mut expected: Vec<EntryId> = ids
                .iter()
                .filter(|id| id.to_hex().starts_with(&prefix.to_ascii_lowercase()))
                .copied()
                .collect();
            expected.sort();
            assert_eq!(
                store.ids_with_prefix(prefix, 1000)?,
                expected,
                "prefix {prefix:?}"
            );
        }
        for invalid in ["g", "a5-", &"a".repeat(65)] {
            assert!(store.ids_with_prefix(invalid, 1000)?.is_empty());
        }
        assert_eq!(store.ids_with_prefix("", 3)?.len(), 3);
        Ok(())
    }

    /// The page cache widens for a stream of batches and narrows back to its usual size.
    #[test]
    fn the_page_cache_widens_and_narrows() -> Result<(), StoreError> {
        let store = Store::in_memory()?;
        let size = |store: &Store| -> Result<i64, StoreError> {
            Ok(store
                .conn
                .pragma_query_value(None, "cache_size", |r| r.get(0))?)
        };
        assert_eq!(size(&store)?, -CACHE_KIB);
        store.widen_cache()?;
        store.widen_cache()?;
        assert_eq!(size(&store)?, -WIDE_CACHE_KIB);
        store.narrow_cache()?;
        assert_eq!(size(&store)?, -CACHE_KIB);
        Ok(())
    }
}
