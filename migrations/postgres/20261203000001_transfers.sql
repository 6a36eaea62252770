-- Transfers between owners (a trade between two players): each owner's shard holds a row per
-- transfer it took part in, written in the same transaction as that owner's events of it. The row
-- names every leg, so a transfer found on one shard but missing on another is completed there at
-- start-up (rolled forward, never back). `completed` marks rows whose every leg is known stored.
CREATE TABLE transfers (
    transfer_id TEXT    NOT NULL,
    owner_id    BIGINT  NOT NULL,
    -- JSON: the transfer, `{"id": "7:12", "legs": [{"owner": 7, "events": [...]}, ...]}`.
    transfer    TEXT    NOT NULL,
    at_ms       BIGINT  NOT NULL,
    completed   BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (transfer_id, owner_id)
);

CREATE INDEX transfers_open ON transfers (completed) WHERE NOT completed;
CREATE INDEX transfers_by_owner ON transfers (owner_id, at_ms);
