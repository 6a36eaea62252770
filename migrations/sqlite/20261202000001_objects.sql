-- Stored objects: data that belongs to no player (a guild, a trade), on the shard of its own id.
-- An object's state is its row here plus its kind's part table (owner_id = the object's id).
-- Invariant: folding an object's events after its latest snapshot onto that snapshot gives its state.

CREATE TABLE objects (
    kind          TEXT    NOT NULL,
    id            INTEGER NOT NULL,
    -- Sequence number of the last event folded in: upserts only ever raise it.
    version       INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;

CREATE TABLE object_events (
    kind    TEXT    NOT NULL,
    id      INTEGER NOT NULL,
    seq     INTEGER NOT NULL,
    type    TEXT    NOT NULL,
    payload TEXT    NOT NULL,
    at_ms   INTEGER NOT NULL,
    PRIMARY KEY (kind, id, seq)
) WITHOUT ROWID;

CREATE TABLE object_snapshots (
    kind  TEXT    NOT NULL,
    id    INTEGER NOT NULL,
    seq   INTEGER NOT NULL,
    state TEXT    NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (kind, id, seq)
) WITHOUT ROWID;
