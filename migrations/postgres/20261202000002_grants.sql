-- Operator grants waiting for their player (`arbiter grant`), on the player's shard. A grant is
-- queued once per idempotency key; the server applies it to its player exactly once: the key then
-- sits in the player's grant_claims rows, written in the same transaction as the item's event.
CREATE TABLE grants (
    seq           BIGSERIAL PRIMARY KEY,
    key           TEXT   NOT NULL UNIQUE,
    player_id     BIGINT NOT NULL,
    -- An item or a currency of the catalog.
    item          TEXT   NOT NULL,
    qty           BIGINT NOT NULL,
    reason        TEXT   NOT NULL,
    created_at_ms BIGINT NOT NULL
);

CREATE INDEX grants_by_player ON grants (player_id);
