//! The persistence extension point: a feature's part of a player's stored state (an inventory, a
//! wallet). A part is a component in the world, rows of a table of its own on the player's shard
//! (written in the same transaction as the player's events, loaded in the same batch at login), a key
//! in the player's snapshots, and events in the player's log that `replay` folds into it.
//!
//! A feature implements [`StoredPart`] for its component and lists it in the [`StoredParts`] the
//! store is opened with; persistence does the rest. The rules change a part by applying its events
//! ([`StoredPart::apply`]) and record each one with [`Progress::record_part_event`], so what the world
//! holds and what the log replays to are the same fold.
//!
//! [`Progress::record_part_event`]: super::Progress::record_part_event

mod entry;
pub mod keyed_lines;
mod state;
mod table;

pub(crate) use entry::PartEntry;
pub use entry::{PartError, StoredParts};
pub use state::PartState;
pub(crate) use table::Dialect;
pub use table::{Column, ColumnKind, HeldIn, Row, SqlValue, TableSpec};

use bevy_ecs::component::{Component, Mutable};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;

/// A feature's part of a player's stored state.
pub trait StoredPart:
    Component<Mutability = Mutable>
    + Clone
    + Default
    + PartialEq
    + Debug
    + Serialize
    + DeserializeOwned
    + Send
    + Sync
    + 'static
{
    /// The part's key in snapshots and replays (`inventory`).
    const NAME: &'static str;
    /// Its table on the player's shard; the owner's id is the implicit first column `owner_id`.
    const TABLE: TableSpec;
    /// The stored `type` of each of its events (`item_granted`); a type belongs to one part.
    const EVENTS: &'static [&'static str];
    /// Its events: serialized with their `type` as a field (`#[serde(tag = "type")]`).
    type Event: Serialize + DeserializeOwned + Debug;

    /// Folds one event into the part.
    fn apply(&mut self, event: &Self::Event);

    /// What its table holds for this state; the default state holds no rows.
    fn to_rows(&self) -> Vec<Row>;

    /// The state that `rows` (one owner's, in any order) hold.
    fn from_rows(rows: Vec<Row>) -> Result<Self, String>;
}
