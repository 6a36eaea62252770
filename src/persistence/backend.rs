//! One shard's database: SQLite or PostgreSQL behind one interface. The SQL differs where the
//! backends do (bulk upserts: multi-row VALUES on SQLite, UNNEST of arrays on PostgreSQL).

mod dialect;
mod grant_queries;
mod object_queries;
mod postgres;
mod rows;
mod sqlite;
mod transfer_queries;

use super::batch::{PartWrite, ShardBatch};
use super::object::{ObjectEvent, ObjectKey, ObjectRecord};
use super::part::{HeldIn, Row, TableSpec};
use super::record::{PlayerRecord, StoredEvent, Transfer};
use super::store::QueuedGrant;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

/// How long an operation waits for a connection before the shard counts as down.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// Calls the function of the same name in `sqlite` or `postgres` with the pool and `args`.
macro_rules! on_backend {
    ($backend:expr, $function:ident($($arg:expr),* $(,)?)) => {
        match $backend {
            Backend::Sqlite(pool) => sqlite::$function(pool, $($arg),*).await,
            Backend::Postgres(pool) => postgres::$function(pool, $($arg),*).await,
        }
    };
}

/// A shard's connection pool.
#[derive(Debug, Clone)]
pub(super) enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A player's stored history: its row, its latest snapshot, and the events after that snapshot.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct StoredHistory {
    pub(super) row: Option<PlayerRecord>,
    pub(super) snapshot: Option<PlayerRecord>,
    pub(super) events: Vec<StoredEvent>,
}

/// An object's stored history: its head (state not yet read), its latest snapshot, and the events
/// after that snapshot.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct StoredObjectHistory {
    pub(super) head: Option<ObjectRecord>,
    pub(super) snapshot: Option<ObjectRecord>,
    pub(super) events: Vec<ObjectEvent>,
}

impl Backend {
    /// Opens a pool without connecting: a shard that is down now fails its operations, not start-up.
    /// SQLite files (and their directory) are created if missing, in WAL mode with `synchronous = NORMAL` (durable at each
    /// checkpoint, a committed transaction survives a process crash).
    pub(super) fn open(url: &str) -> Result<Self, sqlx::Error> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?;
            if let Some(directory) = options.get_filename().parent()
                && !directory.as_os_str().is_empty()
            {
                std::fs::create_dir_all(directory)?;
            }
            let options = options
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(ACQUIRE_TIMEOUT);
            Ok(Backend::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_lazy_with(options),
            ))
        } else {
            Ok(Backend::Postgres(
                PgPoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_lazy(url)?,
            ))
        }
    }

    /// Applies the migrations, then creates the registered parts' tables that do not exist yet.
    pub(super) async fn migrate(
        &self,
        part_tables: &[&TableSpec],
    ) -> Result<(), sqlx::migrate::MigrateError> {
        match self {
            Backend::Sqlite(pool) => sqlx::migrate!("migrations/sqlite").run(pool).await?,
            Backend::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await?,
        }
        on_backend!(self, create_part_tables(part_tables))?;
        Ok(())
    }

    /// The rows of `ids` in a part's table.
    pub(super) async fn load_part(
        &self,
        table: &TableSpec,
        ids: &[u64],
    ) -> Result<Vec<(u64, Row)>, sqlx::Error> {
        on_backend!(self, load_part(table, ids))
    }

    /// Up to `limit` `(owner, value)` pairs of a part's rows that hold one of `values`.
    pub(super) async fn part_owners(
        &self,
        table: &TableSpec,
        held_in: HeldIn,
        values: &[String],
        limit: u32,
    ) -> Result<Vec<(u64, String)>, sqlx::Error> {
        on_backend!(self, part_owners(table, held_in, values, limit))
    }

    /// The `players` rows of `ids` that exist, and each one's highest event seq (which exceeds the
    /// row's version when the row is missing or behind: the recovery path).
    pub(super) async fn load(
        &self,
        ids: &[u64],
    ) -> Result<(Vec<PlayerRecord>, Vec<(u64, u64)>), sqlx::Error> {
        on_backend!(self, load(ids))
    }

    pub(super) async fn history(&self, id: u64) -> Result<StoredHistory, sqlx::Error> {
        on_backend!(self, history(id))
    }

    /// Every event of a player, in order.
    pub(super) async fn events(&self, id: u64) -> Result<Vec<StoredEvent>, sqlx::Error> {
        on_backend!(self, events_after(id, 0))
    }

    /// A player's latest `limit` events of type `kind` before seq `before`, newest first.
    pub(super) async fn recent_events(
        &self,
        id: u64,
        kind: &str,
        before: u64,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, sqlx::Error> {
        on_backend!(self, recent_events(id, kind, before, limit))
    }

    /// A page of rows in stored-id order, after the stored id `after`.
    pub(super) async fn players_after(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<PlayerRecord>, sqlx::Error> {
        on_backend!(self, players_after(after, limit))
    }

    /// Up to `limit` events not yet relayed to the stream, in player and seq order.
    pub(super) async fn unpublished(&self, limit: u32) -> Result<Vec<StoredEvent>, sqlx::Error> {
        on_backend!(self, unpublished(limit))
    }

    pub(super) async fn mark_published(&self, events: &[StoredEvent]) -> Result<(), sqlx::Error> {
        on_backend!(self, mark_published(events))
    }

    pub(super) async fn unpublished_count(&self) -> Result<u64, sqlx::Error> {
        on_backend!(self, unpublished_count())
    }

    /// Removes a player from this shard (row, events, snapshots, rows of `part_tables`) in one
    /// transaction.
    pub(super) async fn delete(
        &self,
        id: u64,
        part_tables: &[&TableSpec],
    ) -> Result<(), sqlx::Error> {
        on_backend!(self, delete(id, part_tables))
    }

    /// Writes the batch and its parts' rows in one transaction; returns the data statements it
    /// took (inserts, upserts and deletes, not `BEGIN`/`COMMIT`).
    pub(super) async fn write(
        &self,
        batch: &ShardBatch,
        parts: &[PartWrite],
    ) -> Result<u64, sqlx::Error> {
        on_backend!(self, write(batch, parts))
    }

    /// The heads of `ids` of `kind` that exist (states not yet read), and each one's highest event
    /// seq (which exceeds the head's version when it is missing or behind: the recovery path).
    pub(super) async fn load_objects(
        &self,
        kind: &str,
        ids: &[u64],
    ) -> Result<(Vec<ObjectRecord>, Vec<(u64, u64)>), sqlx::Error> {
        on_backend!(self, load_objects(kind, ids))
    }

    pub(super) async fn object_history(
        &self,
        key: &ObjectKey,
    ) -> Result<StoredObjectHistory, sqlx::Error> {
        on_backend!(self, object_history(key))
    }

    /// Every event of an object, in order.
    pub(super) async fn object_events(
        &self,
        key: &ObjectKey,
    ) -> Result<Vec<ObjectEvent>, sqlx::Error> {
        on_backend!(self, object_events_after(key, 0))
    }

    /// Every object of this shard (with a head, or only events), in kind and id order.
    pub(super) async fn object_keys(&self) -> Result<Vec<ObjectKey>, sqlx::Error> {
        on_backend!(self, object_keys())
    }

    /// Removes an object from this shard (head, events, snapshots, its rows of `table`) in one
    /// transaction.
    pub(super) async fn delete_object(
        &self,
        key: &ObjectKey,
        table: &TableSpec,
    ) -> Result<(), sqlx::Error> {
        on_backend!(self, delete_object(key, table))
    }

    /// Queues `grant` unless its key is taken; returns whether it was queued.
    pub(super) async fn queue_grant(&self, grant: &QueuedGrant) -> Result<bool, sqlx::Error> {
        on_backend!(self, queue_grant(grant))
    }

    pub(super) async fn grant_by_key(&self, key: &str) -> Result<Option<QueuedGrant>, sqlx::Error> {
        on_backend!(self, grant_by_key(key))
    }

    /// Every grant queued for `player_id`, oldest first.
    pub(super) async fn grants_for(&self, player_id: u64) -> Result<Vec<QueuedGrant>, sqlx::Error> {
        on_backend!(self, grants_for(player_id))
    }

    /// Up to `limit` grants queued after `seq`, with their seqs.
    pub(super) async fn grants_after(
        &self,
        seq: i64,
        limit: u32,
    ) -> Result<Vec<(i64, QueuedGrant)>, sqlx::Error> {
        on_backend!(self, grants_after(seq, limit))
    }

    /// The seq of the newest queued grant (0 when there is none).
    pub(super) async fn grants_head(&self) -> Result<i64, sqlx::Error> {
        on_backend!(self, grants_head())
    }

    /// The transfer journal rows (only those not yet known complete, when `open_only`), with
    /// their owners.
    pub(super) async fn transfer_rows(
        &self,
        open_only: bool,
    ) -> Result<Vec<((String, u64), Transfer)>, sqlx::Error> {
        on_backend!(self, transfer_rows(open_only))
    }

    /// Whether the leg of transfer `id` of the owner of kind `kind` (`""`: a player) and id
    /// `owner` is stored on this shard.
    pub(super) async fn holds_transfer_leg(
        &self,
        id: &str,
        kind: &str,
        owner: u64,
    ) -> Result<bool, sqlx::Error> {
        on_backend!(self, holds_transfer_leg(id, kind, owner))
    }

    /// Marks this shard's rows of transfer `id` complete.
    pub(super) async fn complete_transfer(&self, id: &str) -> Result<(), sqlx::Error> {
        on_backend!(self, complete_transfer(id))
    }

    /// The ids of this shard's players (with a row, or only events: a lost row): all in id order,
    /// or a random sample of up to `sample`.
    pub(super) async fn player_ids(&self, sample: Option<u64>) -> Result<Vec<u64>, sqlx::Error> {
        on_backend!(self, player_ids(sample))
    }
}
