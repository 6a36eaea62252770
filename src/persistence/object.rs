//! Stored objects: data that belongs to no player (a guild, a trade), sharded by its own id with the
//! same write-behind guarantees as players — coalesced per object, retried until it commits, rows
//! that only move to a higher version, events stored once each.
//!
//! An object's state is one [`StoredPart`](super::StoredPart): its kind is the part's name, its rows
//! live in the part's table (the object's id as `owner_id`), its events in `object_events`, its
//! version and time in `objects`, its snapshots in `object_snapshots` — all on the shard of its id,
//! written in that shard's flush transaction. Register the kinds with [`Store::with_objects`].
//!
//! In the world an object is an entity: spawn it with its [`ObjectKey`]; persistence loads it (an
//! object stored nowhere starts in the part's default state at version 0) and inserts its
//! [`ObjectJournal`] and its part component. The rules change the part by applying its events and
//! record each one with [`ObjectJournal::record_event`]; the next flush writes them.
//!
//! [`Store::with_objects`]: super::Store::with_objects

mod journal;
mod loading;
mod record;

pub use journal::{ObjectChanges, ObjectJournal, ObjectLoading};
pub(super) use loading::{finish_loading_objects, start_loading_objects};
pub use record::{ObjectChange, ObjectEvent, ObjectKey, ObjectRecord, replay_object};
