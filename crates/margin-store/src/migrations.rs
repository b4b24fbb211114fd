//! Schema migrations, applied in order; `PRAGMA user_version` records how many ran.

/// Each step moves the schema from version `i` to `i + 1`. Never edit a released step:
/// add a new one.
pub const MIGRATIONS: &[&str] = &[
    // 1: entries as received, pending entries, refusals, and the rebuildable indexes.
    r#"
    CREATE TABLE entries (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        id          BLOB NOT NULL UNIQUE,
        space       BLOB NOT NULL,
        kind        INTEGER NOT NULL,
        author      BLOB NOT NULL,
        time        INTEGER NOT NULL,
        bytes       BLOB NOT NULL,
        received_at INTEGER NOT NULL
    );
    CREATE INDEX entries_by_space ON entries (space, seq);
    CREATE INDEX entries_by_hex ON entries (lower(hex(id)));

    CREATE TABLE pending (
        id          BLOB PRIMARY KEY,
        space       BLOB NOT NULL,
        bytes       BLOB NOT NULL,
        received_at INTEGER NOT NULL
    );

    CREATE TABLE rejected (
        id       BLOB PRIMARY KEY,
        space    BLOB,
        reason   TEXT NOT NULL,
        times    INTEGER NOT NULL DEFAULT 1,
        last_at  INTEGER NOT NULL
    );

    CREATE TABLE spaces (
        id    BLOB PRIMARY KEY,
        title TEXT NOT NULL
    );

    CREATE VIRTUAL TABLE search USING fts5 (
        space UNINDEXED,
        draft UNINDEXED,
        target UNINDEXED,
        kind UNINDEXED,
        text,
        tokenize = 'unicode61 remove_diacritics 2'
    );
    "#,
    // 2: what the node replicates beyond its own spaces, whom it refuses, and the
    // addresses of peers it met, to find them again after a restart.
    r#"
    CREATE TABLE follows (
        space    BLOB PRIMARY KEY,
        mode     TEXT NOT NULL,
        added_at INTEGER NOT NULL
    );

    CREATE TABLE blocked (
        what     TEXT NOT NULL,
        value    TEXT NOT NULL,
        reason   TEXT NOT NULL,
        added_at INTEGER NOT NULL,
        PRIMARY KEY (what, value)
    );

    CREATE TABLE peers (
        peer      TEXT PRIMARY KEY,
        addresses TEXT NOT NULL,
        last_seen INTEGER NOT NULL,
        dial      INTEGER NOT NULL DEFAULT 0
    );

    CREATE TABLE settings (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    "#,
    // 3: queries a running node makes every few seconds must not read the whole entries
    // table: the spaces (charters) by kind, and a space's waiting entries.
    r#"
    CREATE INDEX entries_by_kind ON entries (kind, seq);
    CREATE INDEX pending_by_space ON pending (space, received_at);
    "#,
    // 4: the full-text index's rows by what they index. FTS5 can only find its rows fast
    // by rowid or by words; replacing one comment's row by `target` scanned the whole
    // index, once per comment of every batch.
    r#"
    CREATE TABLE search_keys (
        row    INTEGER PRIMARY KEY,
        space  TEXT NOT NULL,
        draft  TEXT NOT NULL,
        target TEXT NOT NULL,
        kind   TEXT NOT NULL
    );
    CREATE INDEX search_keys_by_target ON search_keys (space, target, kind);
    CREATE INDEX search_keys_by_draft ON search_keys (space, draft, kind);
    INSERT INTO search_keys (row, space, draft, target, kind)
        SELECT rowid, space, draft, target, kind FROM search;
    "#,
    // 5: a version per space of its waiting entries, advanced by every write that adds
    // or removes one, so a node holding a space's state notices what another process
    // (the CLI importing a bundle) changed in its waiting set, even when the count stays.
    r#"
    CREATE TABLE waiting_versions (
        space   BLOB PRIMARY KEY,
        version INTEGER NOT NULL
    );
    "#,
    // 6: entries dated in the future beyond the allowed skew, held until they are due:
    // not applied, not served, not announced.
    r#"
    CREATE TABLE held (
        id          BLOB PRIMARY KEY,
        space       BLOB NOT NULL,
        due         INTEGER NOT NULL,
        bytes       BLOB NOT NULL,
        received_at INTEGER NOT NULL
    );
    CREATE INDEX held_by_due ON held (due);
    "#,
    // 7: the order a space is served whole to a node that holds nothing of it (the
    // entry's part, `margin_core::entry::Part`, then time and id), so that each page is
    // read from an index: who takes part, then the drafts, then the discussion.
    r#"
    ALTER TABLE entries ADD COLUMN part INTEGER GENERATED ALWAYS AS (
        CASE
            WHEN kind IN (1, 2, 3, 4, 15, 18, 19, 20) THEN 0
            WHEN kind IN (5, 6) THEN 1
            ELSE 2
        END
    ) VIRTUAL;
    CREATE INDEX entries_by_part ON entries (space, part, time, id);
    "#,
    // 8: a snapshot of each space's state, to start from instead of replaying every
    // entry: derived data, trusted only while the entries stored up to `seq` still have
    // the digest `entries` (see `margin_store::snapshot`).
    r#"
    CREATE TABLE snapshots (
        space    BLOB PRIMARY KEY,
        format   INTEGER NOT NULL,
        seq      INTEGER NOT NULL,
        entries  TEXT NOT NULL,
        checksum BLOB NOT NULL,
        state    BLOB NOT NULL,
        made_at  INTEGER NOT NULL
    );
    "#,
    // 9: ids are found by a prefix of their hex spelling through the entries' own id
    // index (a range of ids), so no index of that spelling is kept: every insert
    // computed it and put it at a random place. Spaces are listed by their charters
    // alone, from an index of charters. And the search index is written behind the
    // batches: how far each space's index is complete.
    r#"
    DROP INDEX entries_by_hex;
    DROP INDEX entries_by_kind;
    CREATE INDEX entries_charters ON entries (seq) WHERE kind = 1;
    CREATE TABLE index_marks (
        space BLOB PRIMARY KEY,
        seq   INTEGER NOT NULL
    );
    INSERT INTO index_marks (space, seq)
        SELECT s.id, COALESCE((SELECT MAX(e.seq) FROM entries e WHERE e.space = s.id), 0)
        FROM spaces s;
    "#,
];
