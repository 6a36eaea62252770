-- A transfer's legs may belong to stored objects (a guild's bank) as well as to players: the
-- journal names each leg's owner by kind and id (`owner_kind` '' for a player), and the same id
-- may be a player's and an object's. An object's leg in the JSON also names its kind
-- (`"object": "guild"`).
ALTER TABLE transfers ADD COLUMN owner_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE transfers DROP CONSTRAINT transfers_pkey;
ALTER TABLE transfers ADD PRIMARY KEY (transfer_id, owner_kind, owner_id);
DROP INDEX transfers_by_owner;
CREATE INDEX transfers_by_owner ON transfers (owner_kind, owner_id, at_ms);
