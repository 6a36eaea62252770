//! An object's stored state and events: the state is the fold of the events, as for players.

use crate::persistence::part::{PartError, PartState, StoredParts};
use crate::persistence::record::{PartEvent, Transfer};
use bevy_ecs::component::Component;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Names one stored object: its kind (the name of the part that holds its state) and its id. Spawn
/// an entity with it to have persistence load that object.
#[derive(Component, Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObjectKey {
    pub kind: String,
    pub id: u64,
}

impl ObjectKey {
    pub fn new(kind: impl Into<String>, id: u64) -> Self {
        Self {
            kind: kind.into(),
            id,
        }
    }
}

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}:{}", self.kind, self.id)
    }
}

impl std::str::FromStr for ObjectKey {
    type Err = String;

    /// `KIND:ID`, as printed.
    fn from_str(text: &str) -> Result<Self, String> {
        let (kind, id) = text
            .rsplit_once(':')
            .ok_or_else(|| format!("{text:?} is not KIND:ID (e.g. guild:42)"))?;
        let id = id
            .parse()
            .map_err(|error| format!("{text:?}: the id {id:?} is not a whole number: {error}"))?;
        if kind.is_empty() {
            return Err(format!("{text:?}: the kind is empty"));
        }
        Ok(Self::new(kind, id))
    }
}

/// An object's current state: one row of `objects` with its part's rows. `version` is the seq of the
/// last event folded into it (0: none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectRecord {
    pub key: ObjectKey,
    pub version: u64,
    /// Milliseconds since the Unix epoch of the last event folded in.
    pub updated_at_ms: i64,
    /// The part's state; `None` in its default state (no rows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<PartState>,
}

impl ObjectRecord {
    /// An object before any event.
    pub fn new(key: ObjectKey) -> Self {
        Self {
            key,
            version: 0,
            updated_at_ms: 0,
            state: None,
        }
    }
}

/// One stored event of an object: `(kind, id, seq)` is its key in `object_events`.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectEvent {
    pub key: ObjectKey,
    pub seq: u64,
    pub at_ms: i64,
    pub event: ObjectChange,
}

/// What an object's event is: one of its part's events, or its share of a transfer with other
/// owners (a deposit into a guild's bank), of which it folds only its own leg.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ObjectChange {
    Transfer(Arc<Transfer>),
    #[serde(untagged)]
    Part(PartEvent),
}

impl ObjectChange {
    /// The `type` column of `object_events`.
    pub fn kind(&self) -> &str {
        match self {
            ObjectChange::Transfer(_) => "transfer",
            ObjectChange::Part(event) => event.kind(),
        }
    }

    /// The part events it folds into object `key`'s part: itself, or its leg of a transfer.
    pub fn part_events<'a>(&'a self, key: &'a ObjectKey) -> Vec<&'a PartEvent> {
        match self {
            ObjectChange::Part(event) => vec![event],
            ObjectChange::Transfer(transfer) => transfer.leg_of_object(key).collect(),
        }
    }
}

/// Rebuilds an object from a snapshot (or nothing) and the events after it, in seq order, its state
/// folded by the part registered for its kind in `kinds`.
pub fn replay_object(
    key: &ObjectKey,
    snapshot: Option<ObjectRecord>,
    events: &[ObjectEvent],
    kinds: &StoredParts,
) -> Result<ObjectRecord, PartError> {
    let entry = kinds.get(&key.kind).ok_or_else(|| PartError {
        part: key.kind.clone(),
        problem: "is stored but no object kind of that name is registered".into(),
    })?;
    let mut record = snapshot.unwrap_or_else(|| ObjectRecord::new(key.clone()));
    for stored in events {
        if stored.seq > record.version {
            for event in stored.event.part_events(key) {
                record.state = entry.fold(record.state.take(), event.data())?;
            }
            record.version = stored.seq;
            record.updated_at_ms = stored.at_ms;
        }
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_reads_back_as_printed_and_malformed_keys_are_refused() {
        let key = ObjectKey::new("guild", 42);
        assert_eq!(key.to_string().parse::<ObjectKey>(), Ok(key));
        for malformed in ["guild", "guild:", ":42", "guild:-1", "guild:x"] {
            assert!(malformed.parse::<ObjectKey>().is_err(), "{malformed}");
        }
    }
}
