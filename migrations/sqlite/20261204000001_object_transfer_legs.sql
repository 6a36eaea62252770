-- A transfer's legs may belong to stored objects (a guild's bank) as well as to players: the
-- journal names each leg's owner by kind and id (`owner_kind` '' for a player), and the same id
-- may be a player's and an object's. SQLite cannot change a primary key in place: the table is
-- rebuilt with its rows.
CREATE TABLE transfers_by_kind (
    transfer_id TEXT    NOT NULL,
    owner_kind  TEXT    NOT NULL DEFAULT '',
    owner_id    INTEGER NOT NULL,
    -- JSON: the transfer, `{"id": "7:12", "legs": [{"owner": 7, "events": [...]}, ...]}`; an
    -- object's leg also names its kind (`"object": "guild"`).
    transfer    TEXT    NOT NULL,
    at_ms       INTEGER NOT NULL,
    completed   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (transfer_id, owner_kind, owner_id)
);

INSERT INTO transfers_by_kind (transfer_id, owner_kind, owner_id, transfer, at_ms, completed)
SELECT transfer_id, '', owner_id, transfer, at_ms, completed FROM transfers;

DROP TABLE transfers;
ALTER TABLE transfers_by_kind RENAME TO transfers;

CREATE INDEX transfers_open ON transfers (completed) WHERE completed = 0;
CREATE INDEX transfers_by_owner ON transfers (owner_kind, owner_id, at_ms);
