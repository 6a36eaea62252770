//! Player persistence: the `players` table (current state), the append-only `player_events` log and
//! `player_snapshots`, sharded by player id over SQLite (embedded default) or PostgreSQL databases.
//!
//! The invariant, for every player: folding its events after its latest snapshot onto that snapshot
//! gives exactly its `players` row ([`record::replay`]). Writes are idempotent and monotonic: a
//! player's row only moves to a higher `version` (the seq of its last event), and an event with a
//! `(player_id, seq)` already stored is skipped, so a retried or reordered batch never moves a player
//! back in time or stores an event twice.

//!
//! In the server, [`PersistencePlugin`] loads players at login and writes their [`Progress`] behind
//! the tick (see `flush`): the tick hands changes over through channels and never waits on a database.

mod backend;
mod batch;
mod commit_feed;
mod despawn;
mod error;
mod flush;
mod link;
mod loader;
mod loading;
pub mod object;
pub mod part;
mod pending;
mod plugin;
mod progress;
pub mod record;
mod results;
pub mod shard;
mod snapshot;
mod store;
mod verify;
mod writer;

pub use batch::ShardBatch;
pub use commit_feed::{CommitFeed, Committed};
pub use error::StoreError;
pub use flush::FlushNow;
pub use link::{PersistStats, PersistenceLink};
pub use object::{ObjectJournal, ObjectKey, ObjectRecord};
pub use part::{StoredPart, StoredParts};
pub use plugin::{PersistencePlugin, RecordEvents};
pub use progress::{Progress, now_ms};
pub use record::{
    MatchOutcome, PartEvent, PlayerEvent, PlayerRecord, StoredEvent, Transfer, TransferLeg,
};
pub use snapshot::SnapshotPolicy;
pub use store::{
    LoadedPlayers, ObjectHistory, PlayerHistory, Queued, QueuedGrant, RolledForward, ShardFailure,
    Store,
};
pub use verify::{Mismatch, ObjectMismatch, verify_objects, verify_players};
