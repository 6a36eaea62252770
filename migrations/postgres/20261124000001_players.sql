-- Player progress: the current state, the append-only event log, and snapshots.
-- Invariant: folding a player's events after its latest snapshot onto that snapshot gives its row.
-- Player ids are u64 stored as their i64 bit pattern.

CREATE TABLE players (
    id            BIGINT           PRIMARY KEY,
    name          TEXT             NOT NULL,
    rating        DOUBLE PRECISION NOT NULL,
    uncertainty   DOUBLE PRECISION NOT NULL,
    kills         BIGINT           NOT NULL,
    deaths        BIGINT           NOT NULL,
    wins          BIGINT           NOT NULL,
    losses        BIGINT           NOT NULL,
    matches       BIGINT           NOT NULL,
    -- Sequence number of the last event folded in: upserts only ever raise it.
    version       BIGINT           NOT NULL,
    updated_at_ms BIGINT           NOT NULL
);

CREATE TABLE player_events (
    player_id BIGINT NOT NULL,
    seq       BIGINT NOT NULL,
    type      TEXT   NOT NULL,
    payload   JSONB  NOT NULL,
    at_ms     BIGINT NOT NULL,
    PRIMARY KEY (player_id, seq)
);

CREATE TABLE player_snapshots (
    player_id BIGINT NOT NULL,
    seq       BIGINT NOT NULL,
    state     JSONB  NOT NULL,
    at_ms     BIGINT NOT NULL,
    PRIMARY KEY (player_id, seq)
);
