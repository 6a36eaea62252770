//! The registered parts, behind one object-safe interface, so the store and the writer handle parts
//! they know nothing about: states in records, rows in tables, components in the world.

use super::{PartState, Row, StoredPart, TableSpec};
use bevy_ecs::system::EntityCommands;
use bevy_ecs::world::EntityRef;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::marker::PhantomData;
use std::sync::Arc;

/// Stored part data that does not decode, or an event no part folds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("part {part}: {problem}")]
pub struct PartError {
    pub part: String,
    pub problem: String,
}

impl PartError {
    pub(super) fn new(part: &str, problem: impl ToString) -> Self {
        Self {
            part: part.to_owned(),
            problem: problem.to_string(),
        }
    }
}

/// One registered part, behind one object-safe interface.
pub(crate) trait PartEntry: Debug + Send + Sync {
    fn name(&self) -> &'static str;
    fn table(&self) -> &'static TableSpec;
    fn folds(&self, kind: &str) -> bool;
    /// Folds `event` (with its `type` field) into `state`; `None` is the default state.
    fn fold(&self, state: Option<PartState>, event: &Value)
    -> Result<Option<PartState>, PartError>;
    fn rows(&self, state: &PartState) -> Result<Vec<Row>, PartError>;
    /// The state that `rows` hold; `None` for none.
    fn state_of(&self, rows: Vec<Row>) -> Result<Option<PartState>, PartError>;
    /// A copy of the entity's part, unless it is absent or the default state.
    fn capture(&self, entity: EntityRef<'_>) -> Option<PartState>;
    /// Gives the entity its stored part (the default state when `state` is `None`).
    fn insert(
        &self,
        entity: &mut EntityCommands<'_>,
        state: Option<PartState>,
    ) -> Result<(), PartError>;
}

#[derive(Debug)]
struct Entry<P>(PhantomData<fn() -> P>);

impl<P: StoredPart> Entry<P> {
    fn decode(state: Option<PartState>) -> Result<P, PartError> {
        state.map_or_else(|| Ok(P::default()), PartState::into_part)
    }

    /// `None` for the default state, which holds no rows.
    fn encode(part: P) -> Option<PartState> {
        (part != P::default()).then(|| PartState::new(part))
    }
}

impl<P: StoredPart> PartEntry for Entry<P> {
    fn name(&self) -> &'static str {
        P::NAME
    }

    fn table(&self) -> &'static TableSpec {
        &P::TABLE
    }

    fn folds(&self, kind: &str) -> bool {
        P::EVENTS.contains(&kind)
    }

    fn fold(
        &self,
        state: Option<PartState>,
        event: &Value,
    ) -> Result<Option<PartState>, PartError> {
        let mut part = Self::decode(state)?;
        let event = P::Event::deserialize(event).map_err(|error| PartError::new(P::NAME, error))?;
        part.apply(&event);
        Ok(Self::encode(part))
    }

    fn rows(&self, state: &PartState) -> Result<Vec<Row>, PartError> {
        let rows = state.get::<P>()?.to_rows();
        for row in &rows {
            P::TABLE
                .check_row(row)
                .map_err(|problem| PartError::new(P::NAME, problem))?;
        }
        Ok(rows)
    }

    fn state_of(&self, rows: Vec<Row>) -> Result<Option<PartState>, PartError> {
        if rows.is_empty() {
            return Ok(None);
        }
        let part = P::from_rows(rows).map_err(|problem| PartError::new(P::NAME, problem))?;
        Ok(Self::encode(part))
    }

    fn capture(&self, entity: EntityRef<'_>) -> Option<PartState> {
        let part = entity.get::<P>()?;
        (*part != P::default()).then(|| PartState::new(part.clone()))
    }

    fn insert(
        &self,
        entity: &mut EntityCommands<'_>,
        state: Option<PartState>,
    ) -> Result<(), PartError> {
        entity.insert(Self::decode(state)?);
        Ok(())
    }
}

/// The `type`s of the events a player records itself, which no part's event may take.
const PLAYER_EVENT_TYPES: [&str; 3] = ["registered", "match_played", "transfer"];

/// The parts a store keeps for its players, in registration order.
#[derive(Debug, Clone, Default)]
pub struct StoredParts {
    entries: Arc<Vec<Arc<dyn PartEntry>>>,
}

impl StoredParts {
    /// Adds `P`. Panics if its name, table or one of its event types is taken: that is a programming
    /// error found at start-up.
    pub fn with<P: StoredPart>(self) -> Self {
        self.register(Arc::new(Entry::<P>(PhantomData)), P::EVENTS)
    }

    fn register(self, entry: Arc<dyn PartEntry>, events: &[&str]) -> Self {
        if let Some(kind) = events.iter().find(|kind| PLAYER_EVENT_TYPES.contains(kind)) {
            panic!(
                "event type {kind} of part {} is a player event's",
                entry.name()
            );
        }
        for known in self.entries.iter() {
            assert!(
                known.name() != entry.name() && known.table().name != entry.table().name,
                "stored part {} (table {}) is registered twice",
                entry.name(),
                entry.table().name
            );
            if let Some(kind) = events.iter().find(|kind| known.folds(kind)) {
                panic!(
                    "event type {kind} of part {} is already folded by part {}",
                    entry.name(),
                    known.name()
                );
            }
        }
        let mut entries = Vec::clone(&self.entries);
        entries.push(entry);
        Self {
            entries: Arc::new(entries),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn entries(&self) -> impl Iterator<Item = &Arc<dyn PartEntry>> {
        self.entries.iter()
    }

    /// The part named `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&Arc<dyn PartEntry>> {
        self.entries.iter().find(|entry| entry.name() == name)
    }

    /// Folds a part event into `parts`; an event type no part folds is an error.
    pub(crate) fn fold(
        &self,
        parts: &mut BTreeMap<String, PartState>,
        event: &Value,
    ) -> Result<(), PartError> {
        let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
        let Some(entry) = self.entries.iter().find(|entry| entry.folds(kind)) else {
            return Err(PartError::new(
                "?",
                format!("no registered part folds events of type {kind:?}"),
            ));
        };
        if let Some(state) = entry.fold(parts.remove(entry.name()), event)? {
            parts.insert(entry.name().to_owned(), state);
        }
        Ok(())
    }

    /// Names a state held for a part that is not registered.
    pub(crate) fn check_known(&self, parts: &BTreeMap<String, PartState>) -> Result<(), PartError> {
        match parts.keys().find(|name| self.get(name).is_none()) {
            Some(name) => Err(PartError::new(name, "is stored but not registered")),
            None => Ok(()),
        }
    }
}
