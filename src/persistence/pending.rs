//! Changes waiting for one shard's database, coalesced per player: however many flushes a player's
//! changes arrive in (or come back from a failed write), they go out as one row, its events once
//! each, and its newest snapshot.

use super::batch::ShardBatch;
use super::part::parts_json;
use super::progress::PlayerChanges;
use super::record::{PlayerRecord, StoredEvent};
use bevy_ecs::entity::Entity;
use std::collections::HashMap;

/// What a player has waiting.
#[derive(Debug)]
struct PendingPlayer {
    entity: Entity,
    record: PlayerRecord,
    events: Vec<StoredEvent>,
    snapshot: Option<PlayerRecord>,
}

/// A player's version the database now holds, reported back to the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Durable {
    pub(super) entity: Entity,
    pub(super) player_id: u64,
    pub(super) version: u64,
}

/// A batch taken for writing, and what becomes durable when it commits.
#[derive(Debug)]
pub(super) struct TakenBatch {
    pub(super) batch: ShardBatch,
    pub(super) durable: Vec<Durable>,
}

/// One shard's waiting changes.
#[derive(Debug, Default)]
pub(super) struct PendingShard {
    players: HashMap<u64, PendingPlayer>,
}

impl PendingShard {
    /// Players with changes waiting.
    pub(super) fn len(&self) -> usize {
        self.players.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.players.is_empty()
    }

    /// Adds a player's changes, merged with what is already waiting: the newer record wins, events
    /// are kept once each in seq order, the newer snapshot wins.
    pub(super) fn add(&mut self, entity: Entity, changes: PlayerChanges) {
        let PlayerChanges {
            mut record,
            events,
            snapshot,
            parts,
        } = changes;
        record.parts = parts_json(&parts);
        let complete = record.parts.values().all(|state| !state.is_null());
        let snapshot = (snapshot && complete).then(|| record.clone());
        self.merge(entity, record, events, snapshot);
    }

    /// Takes everything waiting as one batch.
    pub(super) fn take(&mut self) -> TakenBatch {
        let mut taken = TakenBatch {
            batch: ShardBatch::default(),
            durable: Vec::with_capacity(self.players.len()),
        };
        for (player_id, pending) in self.players.drain() {
            taken.durable.push(Durable {
                entity: pending.entity,
                player_id,
                version: pending.record.version,
            });
            taken.batch.players.push(pending.record);
            taken.batch.events.extend(pending.events);
            taken.batch.snapshots.extend(pending.snapshot);
        }
        taken
    }

    /// Puts back a batch whose write failed, under any newer changes that arrived meanwhile.
    pub(super) fn restore(&mut self, taken: TakenBatch) {
        let TakenBatch { batch, durable } = taken;
        let mut events: HashMap<u64, Vec<StoredEvent>> = HashMap::new();
        for event in batch.events {
            events.entry(event.player_id).or_default().push(event);
        }
        let mut snapshots: HashMap<u64, PlayerRecord> = batch
            .snapshots
            .into_iter()
            .map(|snapshot| (snapshot.id, snapshot))
            .collect();
        let entities: HashMap<u64, Entity> = durable
            .iter()
            .map(|durable| (durable.player_id, durable.entity))
            .collect();
        for record in batch.players {
            let id = record.id;
            let entity = entities.get(&id).copied().unwrap_or(Entity::PLACEHOLDER);
            self.merge(
                entity,
                record,
                events.remove(&id).unwrap_or_default(),
                snapshots.remove(&id),
            );
        }
    }

    fn merge(
        &mut self,
        entity: Entity,
        record: PlayerRecord,
        events: Vec<StoredEvent>,
        snapshot: Option<PlayerRecord>,
    ) {
        let Some(pending) = self.players.get_mut(&record.id) else {
            self.players.insert(
                record.id,
                PendingPlayer {
                    entity,
                    record,
                    events,
                    snapshot,
                },
            );
            return;
        };
        if record.version > pending.record.version {
            pending.record = record;
            pending.entity = entity;
        }
        pending.events.extend(events);
        pending.events.sort_by_key(|event| event.seq);
        pending.events.dedup_by_key(|event| event.seq);
        if let Some(snapshot) = snapshot
            && pending
                .snapshot
                .as_ref()
                .is_none_or(|held| held.version < snapshot.version)
        {
            pending.snapshot = Some(snapshot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persistence::progress::{Progress, SnapshotPolicy};
    use crate::persistence::record::{MatchOutcome, PlayerEvent};

    const NEVER: SnapshotPolicy = SnapshotPolicy {
        every_events: u64::MAX,
        interval_ms: i64::MAX,
    };

    fn play(progress: &mut Progress, at_ms: i64) {
        progress.record_event(
            PlayerEvent::MatchPlayed {
                match_id: at_ms as u64,
                outcome: MatchOutcome::Loss,
                kills: 0,
                deaths: 3,
                rating: 1490.0,
                uncertainty: 480.0,
            },
            at_ms,
        );
    }

    fn changes(progress: &mut Progress) -> PlayerChanges {
        progress.take_changes(NEVER, 0).expect("changes")
    }

    #[test]
    fn a_thousand_changes_to_one_player_leave_one_row() {
        let mut pending = PendingShard::default();
        let mut progress = Progress::registered(5, "five".into(), 0);
        for at in 1..=1000 {
            play(&mut progress, at);
            pending.add(Entity::PLACEHOLDER, changes(&mut progress));
        }
        let taken = pending.take();
        assert_eq!(taken.batch.players.len(), 1);
        assert_eq!(taken.batch.players[0].version, 1001);
        assert_eq!(taken.batch.events.len(), 1001);
        assert!(pending.is_empty());
    }

    #[test]
    fn a_failed_batch_goes_back_under_newer_changes() {
        let mut pending = PendingShard::default();
        let mut progress = Progress::registered(5, "five".into(), 0);
        pending.add(Entity::PLACEHOLDER, changes(&mut progress));
        let failed = pending.take();
        play(&mut progress, 10);
        pending.add(Entity::PLACEHOLDER, changes(&mut progress));
        pending.restore(failed);

        let retried = pending.take();
        assert_eq!(retried.batch.players.len(), 1);
        assert_eq!(
            retried.batch.players[0].version, 2,
            "the newer record is kept"
        );
        assert_eq!(
            retried
                .batch
                .events
                .iter()
                .map(|event| event.seq)
                .collect::<Vec<_>>(),
            [1, 2],
            "every event once, in order"
        );
        assert_eq!(retried.durable[0].version, 2);
    }
}
