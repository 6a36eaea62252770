//! A player's persisted state in the world: its record, the events not yet handed to the writer, and
//! how far the database has caught up. Its change ticks are the write-behind dirty flag.

use super::part::{PartState, StoredPart};
use super::record::{PartEvent, PlayerEvent, PlayerRecord, StoredEvent, Transfer};
use super::snapshot::{SnapshotClock, SnapshotPolicy};
use bevy_ecs::component::Component;
use smol_str::SmolStr;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// A player's stored progress as the world knows it (newer than the database between flushes).
#[derive(Component, Debug, Clone, PartialEq)]
pub struct Progress {
    record: PlayerRecord,
    /// Events since the last flush, in seq order.
    unsaved: Vec<StoredEvent>,
    /// The highest version the writer has confirmed durable.
    durable_version: u64,
    snapshot: SnapshotClock,
}

/// One player's changes since the last flush, on their way to the writer, with its parts as they
/// are now.
#[derive(Debug, Clone)]
pub struct PlayerChanges {
    pub record: PlayerRecord,
    pub events: Vec<StoredEvent>,
    pub snapshot: bool,
    pub(super) parts: BTreeMap<String, PartState>,
}

impl Progress {
    /// A player as loaded from the database, all of it durable; the snapshot clock starts now.
    pub fn loaded(record: PlayerRecord, now_ms: i64) -> Self {
        Self {
            durable_version: record.version,
            snapshot: SnapshotClock::start(record.version, now_ms),
            unsaved: Vec::new(),
            record,
        }
    }

    /// A player stored nowhere yet: registered now under `name`.
    pub fn registered(id: u64, name: String, now_ms: i64) -> Self {
        let mut progress = Self::loaded(PlayerRecord::new(id), now_ms);
        progress.record_event(PlayerEvent::Registered { name }, now_ms);
        progress
    }

    pub fn record(&self) -> &PlayerRecord {
        &self.record
    }

    /// Folds `event` into the record and keeps it for the next flush.
    pub fn record_event(&mut self, event: PlayerEvent, at_ms: i64) {
        let seq = self.record.version + 1;
        self.record.apply(seq, at_ms, &event);
        self.unsaved.push(StoredEvent {
            player_id: self.record.id,
            seq,
            at_ms,
            event,
        });
    }

    /// Records `event` of part `P`, which the rules have just applied to the player's `P`.
    pub fn record_part_event<P: StoredPart>(
        &mut self,
        event: &P::Event,
        at_ms: i64,
    ) -> Result<(), serde_json::Error> {
        let event = PartEvent::new(event)?;
        debug_assert!(
            P::EVENTS.contains(&event.kind()),
            "part {} does not declare events of type {}",
            P::NAME,
            event.kind()
        );
        self.record_event(PlayerEvent::Part(event), at_ms);
        Ok(())
    }

    /// Whether everything this player did is in the database: only then may its entity go.
    pub fn is_durable(&self) -> bool {
        self.durable_version >= self.record.version
    }

    /// The writer confirmed `version` durable.
    pub fn confirm_durable(&mut self, version: u64) {
        self.durable_version = self.durable_version.max(version);
    }

    pub fn has_unsaved(&self) -> bool {
        !self.unsaved.is_empty()
    }

    /// Whether the database holds this player up to `version`.
    pub fn is_durable_at(&self, version: u64) -> bool {
        self.durable_version >= version
    }

    /// Nothing of this player waits for the database: what the world holds is what is stored.
    pub fn is_settled(&self) -> bool {
        !self.has_unsaved() && self.is_durable()
    }

    /// The id of the transfer this player records next: its id and the seq the transfer's event
    /// takes, unique across shards and restarts (the same on every side of the transfer). Written
    /// without the formatting machinery: a settlement on the tick makes one per trade.
    pub fn next_transfer_id(&self) -> SmolStr {
        let (mut player, mut seq) = (itoa::Buffer::new(), itoa::Buffer::new());
        let parts = [
            player.format(self.record.id),
            ":",
            seq.format(self.record.version + 1),
        ];
        parts.into_iter().collect()
    }

    /// Records the player's share of `transfer`, whose leg of part events the rules have just
    /// applied to its parts. A transfer is recorded only while [`Self::is_settled`]: its leg then
    /// lands on exactly the stored state, which is what completing it after a crash relies on.
    pub fn record_transfer(&mut self, transfer: Arc<Transfer>, at_ms: i64) {
        debug_assert!(
            self.is_settled(),
            "a transfer recorded over unsaved changes"
        );
        self.record_event(PlayerEvent::Transfer(transfer), at_ms);
    }

    /// Takes the changes since the last flush, with a snapshot if `policy` says one is due.
    pub fn take_changes(&mut self, policy: SnapshotPolicy, now_ms: i64) -> Option<PlayerChanges> {
        if self.unsaved.is_empty() {
            return None;
        }
        Some(PlayerChanges {
            record: self.record.clone(),
            events: std::mem::take(&mut self.unsaved),
            snapshot: self
                .snapshot
                .take_if_due(self.record.version, policy, now_ms),
            parts: BTreeMap::new(),
        })
    }
}

/// Milliseconds since the Unix epoch, the time stamp of events.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persistence::record::MatchOutcome;

    const POLICY: SnapshotPolicy = SnapshotPolicy {
        every_events: 3,
        interval_ms: 60_000,
    };

    fn win() -> PlayerEvent {
        PlayerEvent::MatchPlayed {
            match_id: 1,
            outcome: MatchOutcome::Win,
            kills: 2,
            deaths: 1,
            rating: 1510.0,
            uncertainty: 450.0,
        }
    }

    #[test]
    fn changes_are_taken_once_and_stay_undurable_until_confirmed() {
        let mut progress = Progress::registered(9, "nine".into(), 1_000);
        progress.record_event(win(), 1_001);
        let changes = progress.take_changes(POLICY, 1_002).expect("changes");
        assert_eq!(
            changes.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [1, 2]
        );
        assert_eq!((changes.record.version, changes.record.wins), (2, 1));
        assert!(progress.take_changes(POLICY, 1_003).is_none());
        assert!(!progress.is_durable());
        progress.confirm_durable(2);
        assert!(progress.is_durable());
        progress.confirm_durable(1);
        assert!(
            progress.is_durable(),
            "an older confirmation never undoes one"
        );
    }

    #[test]
    fn snapshots_fall_due_by_event_count_or_by_time() {
        let mut progress = Progress::loaded(PlayerRecord::new(4), 0);
        progress.record_event(win(), 10);
        let by_count = |progress: &mut Progress, now| {
            progress
                .take_changes(POLICY, now)
                .map(|changes| changes.snapshot)
        };
        assert_eq!(by_count(&mut progress, 20), Some(false));
        progress.record_event(win(), 30);
        progress.record_event(win(), 40);
        assert_eq!(
            by_count(&mut progress, 50),
            Some(true),
            "3 events since the last"
        );
        progress.record_event(win(), 60);
        assert_eq!(by_count(&mut progress, 70), Some(false));
        progress.record_event(win(), 61_000);
        assert_eq!(
            by_count(&mut progress, 61_000),
            Some(true),
            "a minute since the last"
        );
    }
}
