//! The write-ahead log copied into the database behind the writer.
//!
//! In WAL mode a commit appends the pages it changed to the log, and from time to time
//! the log is copied back into the database file (a checkpoint), which writes every page
//! again and waits for the disk. SQLite does it by default inside the commit that finds
//! the log longer than a thousand pages: a node taking in a space paid for it in one
//! batch out of few, and the checkpoints were a third of the time of its commits.
//!
//! A store on a file checkpoints on a thread of its own, with its own connection: after
//! a commit leaves the log longer than [`LOG_BYTES`], the writer only nudges that thread
//! and goes on. A passive checkpoint does not stop the writer; it copies what was
//! committed when it began. If the writer keeps the log growing faster than the thread
//! copies it, the writer checkpoints itself once the log passes [`LOG_BYTES_MAX`], so the
//! log stays bounded whatever the load.

use std::os::raw::c_int;
use std::path::Path;
use std::sync::mpsc::{Receiver, TrySendError, sync_channel};
use std::thread::JoinHandle;

use rusqlite::Connection;
use rusqlite::hooks::Wal;

use crate::error::StoreError;

/// A log this long is copied behind the writer: SQLite's own default (a thousand pages
/// of 4 KiB).
pub const LOG_BYTES: i64 = 4 * 1024 * 1024;
/// A log this long is copied by the writer itself, before it goes on.
pub const LOG_BYTES_MAX: i64 = 8 * LOG_BYTES;

/// The thread that checkpoints a store's log, and the way to nudge it.
pub(crate) struct Checkpointer {
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path` behind `writer`, whose own automatic
    /// checkpoints this replaces.
    pub(crate) fn start(path: &Path, writer: &mut Connection) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let page: i64 = writer.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        let pages = |bytes: i64| c_int::try_from(bytes / page.max(512)).unwrap_or(c_int::MAX);
        let (nudge_at, copy_at) = (pages(LOG_BYTES), pages(LOG_BYTES_MAX));
        // One nudge waiting is enough: the checkpoint it starts copies all there is.
        let (nudge, nudged) = sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("margin-checkpoint".into())
            .spawn(move || copy_when_nudged(&conn, &nudged))
            .map_err(|e| StoreError::Damaged(format!("cannot start the checkpoint thread: {e}")))?;
        writer.wal_hook(Some(move |wal: &mut Wal, pages: c_int| {
            let behind = pages >= copy_at
                || (pages >= nudge_at
                    && matches!(nudge.try_send(()), Err(TrySendError::Disconnected(()))));
            if behind {
                // The commit is done whatever happens here: a checkpoint that cannot
                // run now (the thread is running one) is tried again at the next commit.
                if let Err(e) = wal.checkpoint() {
                    tracing::debug!(target: "store", "checkpoint at {pages} log pages put off: {e}");
                }
            }
            Ok(())
        }))?;
        Ok(Checkpointer {
            thread: Some(thread),
        })
    }

    /// Stops the thread, once `writer` no longer nudges it (its hook removed). The last
    /// connection to close copies what is left.
    pub(crate) fn stop(mut self, writer: &mut Connection) {
        let _ = writer.wal_hook(None::<fn(&mut Wal, c_int) -> rusqlite::Result<()>>);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn copy_when_nudged(conn: &Connection, nudged: &Receiver<()>) {
    while nudged.recv().is_ok() {
        let copied = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        });
        match copied {
            Ok((log, done)) => {
                tracing::trace!(target: "store", "checkpoint: {done} of {log} log pages copied")
            }
            // The writer's own checkpoint at the bound covers what this one missed.
            Err(e) => tracing::debug!(target: "store", "checkpoint behind the writer failed: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Store;

    use super::*;

    /// However fast the writer commits, the log stays within its bound; and when the
    /// store closes, the thread has stopped and closed its connection (the last one to
    /// close removes the log).
    #[test]
    fn the_log_stays_bounded_and_the_thread_stops_with_the_store() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::Damaged(e.to_string()))?;
        let path = dir.path().join("margin.db");
        let log = dir.path().join("margin.db-wal");
        let store = Store::open(&path)?;
        store
            .conn
            .execute_batch("CREATE TABLE filler (bytes BLOB)")?;
        let page: i64 = store.conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        assert_eq!(page, 16384, "a new database has 16 KiB pages");
        let mut largest = 0;
        for _ in 0..400 {
            // About 400 KB per commit.
            store.conn.execute_batch(
                "BEGIN;
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
                 INSERT INTO filler SELECT randomblob(4000) FROM n;
                 COMMIT;",
            )?;
            largest = largest.max(std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0));
        }
        // The bound, and the commits that come while the thread holds the checkpoint
        // and the writer's own must wait.
        let bound = (LOG_BYTES_MAX + 2 * LOG_BYTES) / page * (page + 24);
        assert!(
            largest as i64 <= bound,
            "the log grew to {largest} bytes (bound {bound})"
        );
        drop(store);
        assert!(
            !log.exists(),
            "the log is removed once every connection closed"
        );
        Ok(())
    }
}
