//! A part's state in a record. It stays typed from the world or from its rows to the writer and to
//! the world again, so a login, a flush and a read never take a part through JSON; it is JSON only
//! in a snapshot or a cache entry, and decoded where it is used.

use super::{PartError, StoredPart};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::any::Any;
use std::borrow::Cow;
use std::fmt::{self, Debug};
use std::sync::Arc;

/// One part's state, shared: a clone of a record does not copy its parts.
#[derive(Clone)]
pub struct PartState(Held);

#[derive(Clone)]
enum Held {
    Typed(Arc<dyn TypedState>),
    Json(Value),
}

/// A part's typed state behind one object-safe face.
trait TypedState: Any + Debug + Send + Sync {
    fn to_json(&self) -> Result<Value, serde_json::Error>;
    fn same_as(&self, other: &dyn TypedState) -> bool;
}

impl<P: StoredPart> TypedState for P {
    fn to_json(&self) -> Result<Value, serde_json::Error> {
        serde_json::to_value(self)
    }

    fn same_as(&self, other: &dyn TypedState) -> bool {
        (other as &dyn Any).downcast_ref::<P>() == Some(self)
    }
}

impl PartState {
    pub fn new<P: StoredPart>(part: P) -> Self {
        Self(Held::Typed(Arc::new(part)))
    }

    /// A state as JSON, as a snapshot holds it.
    pub fn from_json(value: Value) -> Self {
        Self(Held::Json(value))
    }

    /// The state as part `P`: borrowed when it is typed, decoded when it is JSON.
    pub fn get<P: StoredPart>(&self) -> Result<Cow<'_, P>, PartError> {
        match &self.0 {
            Held::Typed(state) => (state.as_ref() as &dyn Any)
                .downcast_ref::<P>()
                .map(Cow::Borrowed)
                .ok_or_else(|| PartError::new(P::NAME, "the state is another part's")),
            Held::Json(value) => P::deserialize(value)
                .map(Cow::Owned)
                .map_err(|error| PartError::new(P::NAME, error)),
        }
    }

    /// The state as part `P`, without a copy when nothing else shares it.
    pub fn into_part<P: StoredPart>(self) -> Result<P, PartError> {
        match self.0 {
            Held::Typed(state) => (state as Arc<dyn Any + Send + Sync>)
                .downcast::<P>()
                .map(Arc::unwrap_or_clone)
                .map_err(|_| PartError::new(P::NAME, "the state is another part's")),
            Held::Json(value) => {
                P::deserialize(value).map_err(|error| PartError::new(P::NAME, error))
            }
        }
    }

    pub fn to_json(&self) -> Result<Value, serde_json::Error> {
        match &self.0 {
            Held::Typed(state) => state.to_json(),
            Held::Json(value) => Ok(value.clone()),
        }
    }

    /// The same state held as JSON, ready for a snapshot.
    pub(crate) fn as_json(&self) -> Result<Self, serde_json::Error> {
        self.to_json().map(Self::from_json)
    }
}

/// Equal when the parts are equal; a typed state and a JSON one compare as JSON.
impl PartialEq for PartState {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Held::Typed(one), Held::Typed(other)) => one.same_as(other.as_ref()),
            (Held::Json(one), Held::Json(other)) => one == other,
            _ => matches!((self.to_json(), other.to_json()), (Ok(one), Ok(other)) if one == other),
        }
    }
}

impl Debug for PartState {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Held::Typed(state) => state.fmt(formatter),
            Held::Json(value) => value.fmt(formatter),
        }
    }
}

impl Serialize for PartState {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Held::Typed(state) => state
                .to_json()
                .map_err(serde::ser::Error::custom)?
                .serialize(serializer),
            Held::Json(value) => value.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for PartState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(Self::from_json)
    }
}
