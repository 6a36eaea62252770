//! Changes waiting for one shard's database, coalesced per player and per object: however many
//! flushes their changes arrive in (or come back from a failed write), each goes out as one row, its
//! events once each, and its newest snapshot.

use super::batch::ShardBatch;
use super::object::{ObjectChanges, ObjectEvent, ObjectKey, ObjectRecord};
use super::part::PartState;
use super::progress::PlayerChanges;
use super::record::{PlayerRecord, StoredEvent};
use bevy_ecs::entity::Entity;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::hash::Hash;

/// A record written behind the tick with its events: a player's, an object's.
trait Journaled: Clone + Debug {
    type Key: Clone + Eq + Hash + Debug;
    type Event: Debug;
    fn key(&self) -> Self::Key;
    fn version(&self) -> u64;
    fn event_key(event: &Self::Event) -> Self::Key;
    fn event_seq(event: &Self::Event) -> u64;
}

impl Journaled for PlayerRecord {
    type Key = u64;
    type Event = StoredEvent;

    fn key(&self) -> u64 {
        self.id
    }

    fn version(&self) -> u64 {
        self.version
    }

    fn event_key(event: &StoredEvent) -> u64 {
        event.player_id
    }

    fn event_seq(event: &StoredEvent) -> u64 {
        event.seq
    }
}

impl Journaled for ObjectRecord {
    type Key = ObjectKey;
    type Event = ObjectEvent;

    fn key(&self) -> ObjectKey {
        self.key.clone()
    }

    fn version(&self) -> u64 {
        self.version
    }

    fn event_key(event: &ObjectEvent) -> ObjectKey {
        event.key.clone()
    }

    fn event_seq(event: &ObjectEvent) -> u64 {
        event.seq
    }
}

/// What one player or object has waiting.
#[derive(Debug)]
struct Waiting<R: Journaled> {
    entity: Entity,
    record: R,
    events: Vec<R::Event>,
    snapshot: Option<R>,
}

/// A version of a player or an object the database now holds, reported back to the world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Durable<K> {
    pub(super) entity: Entity,
    pub(super) key: K,
    pub(super) version: u64,
}

/// Everything waiting of one journaled type, by key.
#[derive(Debug)]
struct Coalesced<R: Journaled> {
    waiting: HashMap<R::Key, Waiting<R>>,
}

impl<R: Journaled> Default for Coalesced<R> {
    fn default() -> Self {
        Self {
            waiting: HashMap::new(),
        }
    }
}

impl<R: Journaled> Coalesced<R> {
    /// Merges changes with what is already waiting: the newer record wins, events are kept once each
    /// in seq order, the newer snapshot wins.
    fn merge(&mut self, entity: Entity, record: R, events: Vec<R::Event>, snapshot: Option<R>) {
        let Some(waiting) = self.waiting.get_mut(&record.key()) else {
            self.waiting.insert(
                record.key(),
                Waiting {
                    entity,
                    record,
                    events,
                    snapshot,
                },
            );
            return;
        };
        if record.version() > waiting.record.version() {
            waiting.record = record;
            waiting.entity = entity;
        }
        waiting.events.extend(events);
        waiting.events.sort_by_key(R::event_seq);
        waiting.events.dedup_by_key(|event| R::event_seq(event));
        if let Some(snapshot) = snapshot
            && waiting
                .snapshot
                .as_ref()
                .is_none_or(|held| held.version() < snapshot.version())
        {
            waiting.snapshot = Some(snapshot);
        }
    }

    /// Takes everything into `records`, `events` and `snapshots`; returns what becomes durable.
    fn drain_into(
        &mut self,
        records: &mut Vec<R>,
        events: &mut Vec<R::Event>,
        snapshots: &mut Vec<R>,
    ) -> Vec<Durable<R::Key>> {
        let mut durable = Vec::with_capacity(self.waiting.len());
        for (key, waiting) in self.waiting.drain() {
            durable.push(Durable {
                entity: waiting.entity,
                key,
                version: waiting.record.version(),
            });
            records.push(waiting.record);
            events.extend(waiting.events);
            snapshots.extend(waiting.snapshot);
        }
        durable
    }

    /// Puts back records, events and snapshots of a failed write, under newer changes.
    fn restore(
        &mut self,
        records: Vec<R>,
        events: Vec<R::Event>,
        snapshots: Vec<R>,
        durable: &[Durable<R::Key>],
    ) {
        let mut events_of: HashMap<R::Key, Vec<R::Event>> = HashMap::new();
        for event in events {
            events_of
                .entry(R::event_key(&event))
                .or_default()
                .push(event);
        }
        let mut snapshot_of: HashMap<R::Key, R> = snapshots
            .into_iter()
            .map(|snapshot| (snapshot.key(), snapshot))
            .collect();
        let entities: HashMap<&R::Key, Entity> = durable
            .iter()
            .map(|durable| (&durable.key, durable.entity))
            .collect();
        for record in records {
            let key = record.key();
            let entity = entities.get(&key).copied().unwrap_or(Entity::PLACEHOLDER);
            self.merge(
                entity,
                record,
                events_of.remove(&key).unwrap_or_default(),
                snapshot_of.remove(&key),
            );
        }
    }
}

/// A batch taken for writing, and what becomes durable when it commits.
#[derive(Debug)]
pub(super) struct TakenBatch {
    pub(super) batch: ShardBatch,
    pub(super) durable: Vec<Durable<u64>>,
    pub(super) durable_objects: Vec<Durable<ObjectKey>>,
}

impl TakenBatch {
    /// Players and objects it holds.
    pub(super) fn len(&self) -> usize {
        self.durable.len() + self.durable_objects.len()
    }
}

/// `state` as a snapshot holds it. `None` if it does not serialize (a bug in the part's
/// `Serialize`): logged and counted, and no snapshot is taken; its rows are written all the same.
fn as_json(part: &str, state: &PartState) -> Option<PartState> {
    state
        .as_json()
        .inspect_err(|error| {
            metrics::counter!(crate::telemetry::metrics::PERSIST_PART_ERRORS_TOTAL, "part" => part.to_owned())
                .increment(1);
            tracing::error!(part, %error, "a part does not serialize; no snapshot is taken");
        })
        .ok()
}

/// One shard's waiting changes.
#[derive(Debug, Default)]
pub(super) struct PendingShard {
    players: Coalesced<PlayerRecord>,
    objects: Coalesced<ObjectRecord>,
}

impl PendingShard {
    /// Players and objects with changes waiting.
    pub(super) fn len(&self) -> usize {
        self.players.waiting.len() + self.objects.waiting.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds a player's changes. A snapshot holds its parts as JSON, made here, off the tick.
    pub(super) fn add(&mut self, entity: Entity, changes: PlayerChanges) {
        let PlayerChanges {
            mut record,
            events,
            snapshot,
            parts,
        } = changes;
        record.parts = parts;
        let snapshot = snapshot
            .then(|| {
                let parts = record
                    .parts
                    .iter()
                    .map(|(name, state)| Some((name.clone(), as_json(name, state)?)))
                    .collect::<Option<BTreeMap<_, _>>>()?;
                Some(PlayerRecord {
                    parts,
                    ..record.clone()
                })
            })
            .flatten();
        self.players.merge(entity, record, events, snapshot);
    }

    /// Adds an object's changes; a snapshot holds its part as JSON.
    pub(super) fn add_object(&mut self, entity: Entity, changes: ObjectChanges) {
        let ObjectChanges {
            mut record,
            events,
            snapshot,
            part,
        } = changes;
        record.state = part;
        let snapshot = snapshot
            .then(|| {
                let state = match &record.state {
                    Some(state) => Some(as_json(&record.key.kind, state)?),
                    None => None,
                };
                Some(ObjectRecord {
                    state,
                    ..record.clone()
                })
            })
            .flatten();
        self.objects.merge(entity, record, events, snapshot);
    }

    /// Takes everything waiting as one batch.
    pub(super) fn take(&mut self) -> TakenBatch {
        let mut batch = ShardBatch::default();
        let durable =
            self.players
                .drain_into(&mut batch.players, &mut batch.events, &mut batch.snapshots);
        let durable_objects = self.objects.drain_into(
            &mut batch.objects,
            &mut batch.object_events,
            &mut batch.object_snapshots,
        );
        TakenBatch {
            batch,
            durable,
            durable_objects,
        }
    }

    /// Puts back a batch whose write failed, under any newer changes that arrived meanwhile.
    pub(super) fn restore(&mut self, taken: TakenBatch) {
        let TakenBatch {
            batch,
            durable,
            durable_objects,
        } = taken;
        self.players
            .restore(batch.players, batch.events, batch.snapshots, &durable);
        self.objects.restore(
            batch.objects,
            batch.object_events,
            batch.object_snapshots,
            &durable_objects,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persistence::progress::Progress;
    use crate::persistence::record::{MatchOutcome, PlayerEvent};
    use crate::persistence::snapshot::SnapshotPolicy;

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

    #[test]
    fn an_object_s_failed_batch_goes_back_under_its_newer_changes_once_each() {
        use crate::persistence::object::{ObjectJournal, ObjectKey};
        use crate::persistence::part::StoredPart;
        use serde::{Deserialize, Serialize};

        #[derive(
            bevy_ecs::component::Component, Debug, Clone, Default, PartialEq, Serialize, Deserialize,
        )]
        struct Tally(i64);
        #[derive(Debug, Serialize, Deserialize)]
        #[serde(tag = "type", rename_all = "snake_case")]
        enum TallyEvent {
            Counted,
        }
        impl StoredPart for Tally {
            const NAME: &'static str = "tally";
            const TABLE: crate::persistence::part::TableSpec =
                crate::persistence::part::TableSpec {
                    name: "test_tally",
                    columns: &[],
                    key_columns: 0,
                };
            const EVENTS: &'static [&'static str] = &["counted"];
            type Event = TallyEvent;
            fn apply(&mut self, _: &TallyEvent) {
                self.0 += 1;
            }
            fn to_rows(&self) -> Vec<crate::persistence::part::Row> {
                Vec::new()
            }
            fn from_rows(_: Vec<crate::persistence::part::Row>) -> Result<Self, String> {
                Ok(Self::default())
            }
        }

        let key = ObjectKey::new("tally", 3);
        let mut journal = ObjectJournal::loaded(&ObjectRecord::new(key.clone()), 0);
        let mut pending = PendingShard::default();
        for at in 0..3 {
            journal
                .record_event::<Tally>(&TallyEvent::Counted, at)
                .expect("recorded");
            pending.add_object(
                Entity::PLACEHOLDER,
                journal.take_changes(NEVER, at).expect("changes"),
            );
        }
        let failed = pending.take();
        assert_eq!(
            (failed.batch.objects.len(), failed.batch.object_events.len()),
            (1, 3)
        );
        journal
            .record_event::<Tally>(&TallyEvent::Counted, 9)
            .expect("recorded");
        pending.add_object(
            Entity::PLACEHOLDER,
            journal.take_changes(NEVER, 9).expect("changes"),
        );
        pending.restore(failed);

        let retried = pending.take();
        assert_eq!(retried.batch.objects.len(), 1, "one head");
        assert_eq!(
            retried.batch.objects[0].version, 4,
            "the newer head is kept"
        );
        assert_eq!(
            retried
                .batch
                .object_events
                .iter()
                .map(|event| event.seq)
                .collect::<Vec<_>>(),
            [1, 2, 3, 4],
            "every event once, in order"
        );
        assert_eq!(retried.durable_objects[0].key, key);
    }
}
