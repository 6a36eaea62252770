//! An object's persisted state in the world: its version, the events not yet handed to the writer,
//! and how far the database has caught up. Its change ticks are the write-behind dirty flag.

use super::record::{ObjectChange, ObjectEvent, ObjectKey, ObjectRecord};
use crate::persistence::part::{PartState, StoredPart};
use crate::persistence::record::{PartEvent, Transfer};
use crate::persistence::snapshot::{SnapshotClock, SnapshotPolicy};
use bevy_ecs::component::Component;

/// An object entity whose stored state is being loaded; its journal and part arrive when it is.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[component(storage = "SparseSet")]
pub struct ObjectLoading;

/// A loaded object's journal (newer than the database between flushes).
#[derive(Component, Debug, Clone, PartialEq)]
pub struct ObjectJournal {
    key: ObjectKey,
    version: u64,
    updated_at_ms: i64,
    /// Events since the last flush, in seq order.
    unsaved: Vec<ObjectEvent>,
    /// The highest version the writer has confirmed durable.
    durable_version: u64,
    snapshot: SnapshotClock,
}

/// One object's changes since the last flush, on their way to the writer, with its part as it is
/// now.
#[derive(Debug, Clone)]
pub struct ObjectChanges {
    /// The object's head; its `state` is filled in by the writer from `part`.
    pub record: ObjectRecord,
    pub events: Vec<ObjectEvent>,
    pub snapshot: bool,
    pub(crate) part: Option<PartState>,
}

impl ObjectJournal {
    /// An object as loaded (version 0 for one stored nowhere), all of it durable; the snapshot clock
    /// starts now.
    pub fn loaded(record: &ObjectRecord, now_ms: i64) -> Self {
        Self {
            key: record.key.clone(),
            version: record.version,
            updated_at_ms: record.updated_at_ms,
            unsaved: Vec::new(),
            durable_version: record.version,
            snapshot: SnapshotClock::start(record.version, now_ms),
        }
    }

    pub fn key(&self) -> &ObjectKey {
        &self.key
    }

    /// The seq of the last event recorded (0: none).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Records `event` of the object's part `P`, which the rules have just applied to its `P`.
    pub fn record_event<P: StoredPart>(
        &mut self,
        event: &P::Event,
        at_ms: i64,
    ) -> Result<(), serde_json::Error> {
        let event = PartEvent::new(event)?;
        debug_assert_eq!(P::NAME, self.key.kind, "an event of another kind's part");
        debug_assert!(
            P::EVENTS.contains(&event.kind()),
            "part {} does not declare events of type {}",
            P::NAME,
            event.kind()
        );
        self.push(ObjectChange::Part(event), at_ms);
        Ok(())
    }

    /// Records the object's share of `transfer`, whose leg the rules have just applied to its
    /// part. Unlike a player's, it may follow legs still on their way to the database: the
    /// feature decides when its object's legs fold the same whichever of those land (a guild's:
    /// `guild::legs_in_flight`).
    pub fn record_transfer(&mut self, transfer: std::sync::Arc<Transfer>, at_ms: i64) {
        self.push(ObjectChange::Transfer(transfer), at_ms);
    }

    fn push(&mut self, event: ObjectChange, at_ms: i64) {
        self.version += 1;
        self.updated_at_ms = at_ms;
        self.unsaved.push(ObjectEvent {
            key: self.key.clone(),
            seq: self.version,
            at_ms,
            event,
        });
    }

    /// Whether everything recorded is in the database: only then may the entity go.
    pub fn is_durable(&self) -> bool {
        self.durable_version >= self.version
    }

    /// Whether the database holds this object up to `version`.
    pub fn is_durable_at(&self, version: u64) -> bool {
        self.durable_version >= version
    }

    /// The writer confirmed `version` durable.
    pub fn confirm_durable(&mut self, version: u64) {
        self.durable_version = self.durable_version.max(version);
    }

    /// Nothing recorded and nothing on its way to the database: a transfer may be recorded.
    pub fn is_settled(&self) -> bool {
        !self.has_unsaved() && self.is_durable()
    }

    pub fn has_unsaved(&self) -> bool {
        !self.unsaved.is_empty()
    }

    /// Takes the changes since the last flush, with a snapshot if `policy` says one is due.
    pub fn take_changes(&mut self, policy: SnapshotPolicy, now_ms: i64) -> Option<ObjectChanges> {
        if self.unsaved.is_empty() {
            return None;
        }
        Some(ObjectChanges {
            record: ObjectRecord {
                key: self.key.clone(),
                version: self.version,
                updated_at_ms: self.updated_at_ms,
                state: None,
            },
            events: std::mem::take(&mut self.unsaved),
            snapshot: self.snapshot.take_if_due(self.version, policy, now_ms),
            part: None,
        })
    }
}
