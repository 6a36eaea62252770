//! The registered parts, behind one object-safe interface, so the store and the writer handle parts
//! they know nothing about: JSON in snapshots and replays, rows in tables, components in the world.

use super::{Row, StoredPart, TableSpec};
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
    fn new(part: &str, problem: impl ToString) -> Self {
        Self {
            part: part.to_owned(),
            problem: problem.to_string(),
        }
    }
}

/// A part's state taken from the world at hand-over, turned into JSON by the writer, off the tick.
pub(crate) trait CapturedPart: Debug + Send + Sync {
    fn name(&self) -> &'static str;
    fn to_json(&self) -> Result<Value, PartError>;
}

#[derive(Debug)]
struct Captured<P>(P);

impl<P: StoredPart> CapturedPart for Captured<P> {
    fn name(&self) -> &'static str {
        P::NAME
    }

    fn to_json(&self) -> Result<Value, PartError> {
        serde_json::to_value(&self.0).map_err(|error| PartError::new(P::NAME, error))
    }
}

/// One registered part. States are JSON here, absent when they are the default state.
pub(crate) trait PartEntry: Debug + Send + Sync {
    fn name(&self) -> &'static str;
    fn table(&self) -> &'static TableSpec;
    fn folds(&self, kind: &str) -> bool;
    /// Folds `event` (with its `type` field) into `state`.
    fn fold(&self, state: Option<&Value>, event: &Value) -> Result<Option<Value>, PartError>;
    fn rows(&self, state: &Value) -> Result<Vec<Row>, PartError>;
    /// The state that `rows` hold; `None` for none.
    fn state_of(&self, rows: Vec<Row>) -> Result<Option<Value>, PartError>;
    /// A copy of the entity's part, unless it is absent or the default state.
    fn capture(&self, entity: EntityRef<'_>) -> Option<Arc<dyn CapturedPart>>;
    /// Gives the entity its stored part (the default state when `state` is `None`).
    fn insert(
        &self,
        entity: &mut EntityCommands<'_>,
        state: Option<&Value>,
    ) -> Result<(), PartError>;
}

#[derive(Debug)]
struct Entry<P>(PhantomData<fn() -> P>);

/// Part `P` from its JSON state; the default state when it is absent.
pub(crate) fn decode_part<P: StoredPart>(state: Option<&Value>) -> Result<P, PartError> {
    state.map_or_else(
        || Ok(P::default()),
        |state| P::deserialize(state).map_err(|error| PartError::new(P::NAME, error)),
    )
}

impl<P: StoredPart> Entry<P> {
    fn decode(state: Option<&Value>) -> Result<P, PartError> {
        decode_part(state)
    }

    fn encode(part: &P) -> Result<Option<Value>, PartError> {
        if *part == P::default() {
            return Ok(None);
        }
        serde_json::to_value(part)
            .map(Some)
            .map_err(|error| PartError::new(P::NAME, error))
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

    fn fold(&self, state: Option<&Value>, event: &Value) -> Result<Option<Value>, PartError> {
        let mut part = Self::decode(state)?;
        let event = P::Event::deserialize(event).map_err(|error| PartError::new(P::NAME, error))?;
        part.apply(&event);
        Self::encode(&part)
    }

    fn rows(&self, state: &Value) -> Result<Vec<Row>, PartError> {
        let rows = Self::decode(Some(state))?.to_rows();
        for row in &rows {
            P::TABLE
                .check_row(row)
                .map_err(|problem| PartError::new(P::NAME, problem))?;
        }
        Ok(rows)
    }

    fn state_of(&self, rows: Vec<Row>) -> Result<Option<Value>, PartError> {
        if rows.is_empty() {
            return Ok(None);
        }
        let part = P::from_rows(rows).map_err(|problem| PartError::new(P::NAME, problem))?;
        Self::encode(&part)
    }

    fn capture(&self, entity: EntityRef<'_>) -> Option<Arc<dyn CapturedPart>> {
        let part = entity.get::<P>()?;
        (*part != P::default()).then(|| Arc::new(Captured(part.clone())) as Arc<dyn CapturedPart>)
    }

    fn insert(
        &self,
        entity: &mut EntityCommands<'_>,
        state: Option<&Value>,
    ) -> Result<(), PartError> {
        entity.insert(Self::decode(state)?);
        Ok(())
    }
}

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
        parts: &mut BTreeMap<String, Value>,
        event: &Value,
    ) -> Result<(), PartError> {
        let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
        let Some(entry) = self.entries.iter().find(|entry| entry.folds(kind)) else {
            return Err(PartError::new(
                "?",
                format!("no registered part folds events of type {kind:?}"),
            ));
        };
        match entry.fold(parts.get(entry.name()), event)? {
            Some(state) => parts.insert(entry.name().to_owned(), state),
            None => parts.remove(entry.name()),
        };
        Ok(())
    }

    /// Names a state held for a part that is not registered.
    pub(crate) fn check_known(&self, parts: &BTreeMap<String, Value>) -> Result<(), PartError> {
        match parts.keys().find(|name| self.get(name).is_none()) {
            Some(name) => Err(PartError::new(name, "is stored but not registered")),
            None => Ok(()),
        }
    }
}

/// The JSON of captured parts, for a record. A part that fails to serialize (a bug in its
/// `Serialize`) is logged and held as `null`: its stored rows are then left as they are and no
/// snapshot is taken, so nothing stored is lost to it.
pub(crate) fn parts_json(captured: &[Arc<dyn CapturedPart>]) -> BTreeMap<String, Value> {
    captured
        .iter()
        .map(|part| {
            let json = part.to_json().unwrap_or_else(|error| {
                metrics::counter!(crate::telemetry::metrics::PERSIST_PART_ERRORS_TOTAL, "part" => part.name())
                    .increment(1);
                tracing::error!(%error, "a part does not serialize; its stored rows are kept");
                Value::Null
            });
            (part.name().to_owned(), json)
        })
        .collect()
}
