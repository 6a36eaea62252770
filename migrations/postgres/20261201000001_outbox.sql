-- Outbox: events committed by the writer are relayed to the Redis stream `player-events` and then
-- marked published. The partial index keeps finding the unpublished ones cheap.
ALTER TABLE player_events ADD COLUMN published BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX player_events_unpublished ON player_events (player_id, seq) WHERE NOT published;
