-- Player progress: the current state, the append-only event log, and snapshots.
-- Invariant: folding a player's events after its latest snapshot onto that snapshot gives its row.
-- Player ids are u64 stored as their i64 bit pattern.

CREATE TABLE players (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL,
    rating        REAL    NOT NULL,
    uncertainty   REAL    NOT NULL,
    kills         INTEGER NOT NULL,
    deaths        INTEGER NOT NULL,
    wins          INTEGER NOT NULL,
    losses        INTEGER NOT NULL,
    matches       INTEGER NOT NULL,
    -- Sequence number of the last event folded in: upserts only ever raise it.
    version       INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
);

CREATE TABLE player_events (
    player_id INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    type      TEXT    NOT NULL,
    payload   TEXT    NOT NULL,
    at_ms     INTEGER NOT NULL,
    PRIMARY KEY (player_id, seq)
) WITHOUT ROWID;

CREATE TABLE player_snapshots (
    player_id INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    state     TEXT    NOT NULL,
    at_ms     INTEGER NOT NULL,
    PRIMARY KEY (player_id, seq)
) WITHOUT ROWID;
