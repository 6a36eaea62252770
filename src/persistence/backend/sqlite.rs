//! SQLite: multi-row statements, chunked under SQLite's bind-parameter limit.

use super::dialect::dialect_queries;
use super::grant_queries::grant_queries;
use super::object_queries::object_queries;
use super::rows::{self, PlayerRow};
use super::transfer_queries::transfer_queries;
use crate::persistence::batch::{PartOwners, PartWrite, ShardBatch};
use crate::persistence::object::{ObjectKey, ObjectRecord};
use crate::persistence::part::{Dialect, HeldIn, Row, SqlValue, TableSpec};
use crate::persistence::record::{PlayerRecord, StoredEvent};
use sqlx::query_builder::Separated;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};
use std::collections::HashMap;

/// SQLite's limit on bind parameters per statement (`SQLITE_MAX_VARIABLE_NUMBER` since 3.32).
const MAX_BIND_PARAMETERS: usize = 32_766;

const PLAYER_COLUMNS: &str =
    "id, name, rating, uncertainty, kills, deaths, wins, losses, matches, version, updated_at_ms";

pub(super) async fn load(
    pool: &SqlitePool,
    ids: &[u64],
) -> Result<(Vec<PlayerRecord>, Vec<(u64, u64)>), sqlx::Error> {
    let mut records = Vec::with_capacity(ids.len());
    let mut heads = Vec::new();
    for chunk in ids.chunks(MAX_BIND_PARAMETERS) {
        let mut query = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {PLAYER_COLUMNS} FROM players WHERE id IN ("
        ));
        push_ids(&mut query, chunk);
        let rows: Vec<PlayerRow> = query.build_query_as().fetch_all(pool).await?;
        records.extend(rows.into_iter().map(PlayerRecord::from));
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT player_id, MAX(seq) FROM player_events WHERE player_id IN (",
        );
        push_ids(&mut query, chunk);
        query.push(" GROUP BY player_id");
        let found: Vec<(i64, i64)> = query.build_query_as().fetch_all(pool).await?;
        heads.extend(found.into_iter().map(|(id, seq)| (id as u64, seq as u64)));
    }
    Ok((records, heads))
}

/// The heads of `ids` of `kind` in `objects` that exist, and each one's highest event seq.
pub(super) async fn load_objects(
    pool: &SqlitePool,
    kind: &str,
    ids: &[u64],
) -> Result<(Vec<ObjectRecord>, Vec<(u64, u64)>), sqlx::Error> {
    let key = |id: i64| ObjectKey::new(kind, id as u64);
    let mut heads = Vec::with_capacity(ids.len());
    let mut newest = Vec::new();
    for chunk in ids.chunks(MAX_BIND_PARAMETERS - 1) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT id, version, updated_at_ms FROM objects WHERE kind = ",
        );
        query.push_bind(kind.to_owned()).push(" AND id IN (");
        push_ids(&mut query, chunk);
        let rows: Vec<(i64, i64, i64)> = query.build_query_as().fetch_all(pool).await?;
        heads.extend(
            rows.into_iter()
                .map(|(id, version, at_ms)| rows::object_head(&key(id), version, at_ms)),
        );
        let mut query =
            QueryBuilder::<Sqlite>::new("SELECT id, MAX(seq) FROM object_events WHERE kind = ");
        query.push_bind(kind.to_owned()).push(" AND id IN (");
        push_ids(&mut query, chunk);
        query.push(" GROUP BY id");
        let found: Vec<(i64, i64)> = query.build_query_as().fetch_all(pool).await?;
        newest.extend(found.into_iter().map(|(id, seq)| (id as u64, seq as u64)));
    }
    Ok((heads, newest))
}

fn push_ids(query: &mut QueryBuilder<Sqlite>, ids: &[u64]) {
    let mut list = query.separated(", ");
    for id in ids {
        list.push_bind(*id as i64);
    }
    query.push(")");
}

/// Writes the batch and its parts' rows in one transaction; returns the statements it took.
pub(super) async fn write(
    pool: &SqlitePool,
    batch: &ShardBatch,
    parts: &[PartWrite],
) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let mut statements = insert_chunks(
        &mut tx,
        &batch.events,
        5,
        "INSERT INTO player_events (player_id, seq, type, payload, at_ms) ",
        " ON CONFLICT (player_id, seq) DO NOTHING",
        |mut row, event| {
            row.push_bind(event.player_id as i64)
                .push_bind(event.seq as i64)
                .push_bind(event.event.kind())
                .push_bind(rows::payload(event))
                .push_bind(event.at_ms);
        },
    )
    .await?;
    statements += insert_chunks(
        &mut tx,
        &batch.transfers(),
        5,
        "INSERT INTO transfers (transfer_id, owner_kind, owner_id, transfer, at_ms) ",
        " ON CONFLICT (transfer_id, owner_kind, owner_id) DO NOTHING",
        |mut row, journal| {
            row.push_bind(journal.transfer.id.to_string())
                .push_bind(journal.owner_kind.to_owned())
                .push_bind(journal.owner as i64)
                .push_bind(rows::transfer(journal.transfer))
                .push_bind(journal.at_ms);
        },
    )
    .await?;
    statements += insert_chunks(
        &mut tx,
        &batch.snapshots,
        4,
        "INSERT INTO player_snapshots (player_id, seq, state, at_ms) ",
        " ON CONFLICT (player_id, seq) DO NOTHING",
        |mut row, record| {
            row.push_bind(record.id as i64)
                .push_bind(record.version as i64)
                .push_bind(rows::state(record))
                .push_bind(record.updated_at_ms);
        },
    )
    .await?;
    statements += insert_chunks(
        &mut tx,
        &batch.object_events,
        6,
        "INSERT INTO object_events (kind, id, seq, type, payload, at_ms) ",
        " ON CONFLICT (kind, id, seq) DO NOTHING",
        |mut row, event| {
            row.push_bind(event.key.kind.clone())
                .push_bind(event.key.id as i64)
                .push_bind(event.seq as i64)
                .push_bind(event.event.kind().to_owned())
                .push_bind(rows::object_payload(event))
                .push_bind(event.at_ms);
        },
    )
    .await?;
    statements += insert_chunks(
        &mut tx,
        &batch.object_snapshots,
        5,
        "INSERT INTO object_snapshots (kind, id, seq, state, at_ms) ",
        " ON CONFLICT (kind, id, seq) DO NOTHING",
        |mut row, record| {
            row.push_bind(record.key.kind.clone())
                .push_bind(record.key.id as i64)
                .push_bind(record.version as i64)
                .push_bind(rows::object_state(record))
                .push_bind(record.updated_at_ms);
        },
    )
    .await?;
    // Before the owners' upserts: which owners this batch moves forward.
    for write in parts.iter().filter(|write| !write.owners.is_empty()) {
        let stored = stored_versions(&mut tx, write).await?;
        statements += write_part(&mut tx, write, &stored).await?;
    }
    statements += insert_chunks(
        &mut tx,
        &batch.players,
        11,
        concat!(
            "INSERT INTO players (id, name, rating, uncertainty, kills, deaths, wins, losses, ",
            "matches, version, updated_at_ms) "
        ),
        " ON CONFLICT (id) DO UPDATE SET name = excluded.name, rating = excluded.rating, \
         uncertainty = excluded.uncertainty, kills = excluded.kills, deaths = excluded.deaths, \
         wins = excluded.wins, losses = excluded.losses, matches = excluded.matches, \
         version = excluded.version, updated_at_ms = excluded.updated_at_ms \
         WHERE excluded.version > players.version",
        |mut row, record| {
            row.push_bind(record.id as i64)
                .push_bind(record.name.clone())
                .push_bind(record.rating)
                .push_bind(record.uncertainty)
                .push_bind(record.kills as i64)
                .push_bind(record.deaths as i64)
                .push_bind(record.wins as i64)
                .push_bind(record.losses as i64)
                .push_bind(record.matches as i64)
                .push_bind(record.version as i64)
                .push_bind(record.updated_at_ms);
        },
    )
    .await?;
    statements += insert_chunks(
        &mut tx,
        &batch.objects,
        4,
        "INSERT INTO objects (kind, id, version, updated_at_ms) ",
        " ON CONFLICT (kind, id) DO UPDATE SET version = excluded.version, \
         updated_at_ms = excluded.updated_at_ms WHERE excluded.version > objects.version",
        |mut row, record| {
            row.push_bind(record.key.kind.clone())
                .push_bind(record.key.id as i64)
                .push_bind(record.version as i64)
                .push_bind(record.updated_at_ms);
        },
    )
    .await?;
    tx.commit().await?;
    Ok(statements)
}

/// The stored version of each owner of `write` that has a row (in `players`, or in `objects` for
/// its kind).
async fn stored_versions(
    tx: &mut SqliteConnection,
    write: &PartWrite,
) -> Result<HashMap<u64, u64>, sqlx::Error> {
    let mut stored = HashMap::with_capacity(write.owners.len());
    for chunk in write.owner_ids().chunks(MAX_BIND_PARAMETERS - 1) {
        let mut query = match &write.owned_by {
            PartOwners::Players => {
                QueryBuilder::<Sqlite>::new("SELECT id, version FROM players WHERE id IN (")
            }
            PartOwners::Objects(kind) => {
                let mut query =
                    QueryBuilder::<Sqlite>::new("SELECT id, version FROM objects WHERE kind = ");
                query.push_bind(kind.clone()).push(" AND id IN (");
                query
            }
        };
        push_ids(&mut query, chunk);
        let rows: Vec<(i64, i64)> = query.build_query_as().fetch_all(&mut *tx).await?;
        stored.extend(
            rows.into_iter()
                .map(|(id, version)| (id as u64, version as u64)),
        );
    }
    Ok(stored)
}

/// Replaces the rows of the owners this batch moves forward; returns the statements it took.
async fn write_part(
    tx: &mut SqliteConnection,
    write: &PartWrite,
    stored: &HashMap<u64, u64>,
) -> Result<u64, sqlx::Error> {
    let advancing = write.advancing(stored);
    if advancing.is_empty() {
        return Ok(0);
    }
    let owners: Vec<u64> = advancing.iter().copied().collect();
    let mut statements = 0;
    for chunk in owners.chunks(MAX_BIND_PARAMETERS) {
        let mut query = QueryBuilder::<Sqlite>::new(format!(
            "DELETE FROM {} WHERE owner_id IN (",
            write.table.name
        ));
        push_ids(&mut query, chunk);
        query.build().execute(&mut *tx).await?;
        statements += 1;
    }
    let rows: Vec<&(u64, Row)> = write
        .rows
        .iter()
        .filter(|(owner, _)| advancing.contains(owner))
        .collect();
    let per_row = write.table.columns.len() + 1;
    for chunk in rows.chunks(MAX_BIND_PARAMETERS / per_row) {
        let mut query = QueryBuilder::<Sqlite>::new(format!(
            "INSERT INTO {} ({}) ",
            write.table.name,
            write.table.column_list()
        ));
        query.push_values(chunk, |mut values, (owner, row)| {
            values.push_bind(*owner as i64);
            for value in row {
                match value {
                    SqlValue::Integer(value) => values.push_bind(*value),
                    SqlValue::Real(value) => values.push_bind(*value),
                    SqlValue::Text(value) => values.push_bind(value.clone()),
                };
            }
        });
        query.build().execute(&mut *tx).await?;
        statements += 1;
    }
    Ok(statements)
}

/// The rows of `ids` in a part's table.
pub(super) async fn load_part(
    pool: &SqlitePool,
    table: &TableSpec,
    ids: &[u64],
) -> Result<Vec<(u64, Row)>, sqlx::Error> {
    let mut rows = Vec::new();
    for chunk in ids.chunks(MAX_BIND_PARAMETERS) {
        let mut query = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {} FROM {} WHERE owner_id IN (",
            table.column_list(),
            table.name
        ));
        push_ids(&mut query, chunk);
        for row in query.build().fetch_all(pool).await? {
            rows.push(rows::part_row(&row, table)?);
        }
    }
    Ok(rows)
}

/// Up to `limit` `(owner, value)` pairs of a part's rows that hold one of `values`.
pub(super) async fn part_owners(
    pool: &SqlitePool,
    table: &TableSpec,
    held_in: HeldIn,
    values: &[String],
    limit: u32,
) -> Result<Vec<(u64, String)>, sqlx::Error> {
    match held_in {
        HeldIn::Column(column) => {
            let mut query = QueryBuilder::<Sqlite>::new(format!(
                "SELECT owner_id, {column} FROM {} WHERE {column} IN (",
                table.name
            ));
            let mut list = query.separated(", ");
            for value in values {
                list.push_bind(value.as_str());
            }
            query.push(") LIMIT ").push_bind(i64::from(limit));
            let found: Vec<(i64, String)> = query.build_query_as().fetch_all(pool).await?;
            Ok(rows::owned_values(found))
        }
        HeldIn::LineKeys(column) => line_key_owners(pool, table, column, values, limit).await,
    }
}

/// Inserts `items` as multi-row statements, as many rows of `columns` values each as the bind
/// parameter limit allows: `head`, the values that `bind` pushes for each item, then `tail`. Returns
/// the statements it took.
async fn insert_chunks<T>(
    tx: &mut SqliteConnection,
    items: &[T],
    columns: usize,
    head: &'static str,
    tail: &'static str,
    mut bind: impl FnMut(Separated<'_, Sqlite, &'static str>, &T),
) -> Result<u64, sqlx::Error> {
    let mut statements = 0;
    for chunk in items.chunks(MAX_BIND_PARAMETERS / columns) {
        let mut query = QueryBuilder::<Sqlite>::new(head);
        query.push_values(chunk, &mut bind);
        query.push(tail);
        query.build().execute(&mut *tx).await?;
        statements += 1;
    }
    Ok(statements)
}

dialect_queries! {
    pool: SqlitePool,
    connection: SqliteConnection,
    dialect: Dialect::Sqlite,
    line_key_owners: "SELECT owner_id FROM {} WHERE instr({}, ?) > 0 LIMIT ?",
    delete_part: "DELETE FROM {} WHERE owner_id = ?",
    table_columns: "SELECT name FROM pragma_table_info(?)",
    row: "SELECT id, name, rating, uncertainty, kills, deaths, wins, losses, matches, version, \
          updated_at_ms FROM players WHERE id = ?",
    latest_snapshot: "SELECT state FROM player_snapshots WHERE player_id = ? \
                      ORDER BY seq DESC LIMIT 1",
    events_after: "SELECT player_id, seq, at_ms, payload FROM player_events \
                   WHERE player_id = ? AND seq > ? ORDER BY seq",
    recent_events: "SELECT player_id, seq, at_ms, payload FROM player_events \
                    WHERE player_id = ? AND type = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
    players_after: "SELECT id, name, rating, uncertainty, kills, deaths, wins, losses, matches, \
                    version, updated_at_ms FROM players WHERE id > ? ORDER BY id LIMIT ?",
    delete: [
        "DELETE FROM players WHERE id = ?",
        "DELETE FROM player_events WHERE player_id = ?",
        "DELETE FROM player_snapshots WHERE player_id = ?",
    ],
    sample_ids: "SELECT id FROM (SELECT id FROM players UNION SELECT player_id FROM player_events) \
                 AS known ORDER BY random() LIMIT ?",
    all_ids: "SELECT id FROM (SELECT id FROM players UNION SELECT player_id FROM player_events) \
              AS known ORDER BY id LIMIT ?",
    unpublished: "SELECT player_id, seq, at_ms, payload FROM player_events WHERE published = 0 \
                 ORDER BY player_id, seq LIMIT ?",
    unpublished_count: "SELECT COUNT(*) FROM player_events WHERE published = 0",
}

object_queries! {
    pool: SqlitePool,
    head: "SELECT version, updated_at_ms FROM objects WHERE kind = ? AND id = ?",
    latest_snapshot: "SELECT state FROM object_snapshots WHERE kind = ? AND id = ? \
                      ORDER BY seq DESC LIMIT 1",
    events_after: "SELECT seq, at_ms, payload FROM object_events \
                   WHERE kind = ? AND id = ? AND seq > ? ORDER BY seq",
    keys: "SELECT kind, id FROM objects UNION SELECT kind, id FROM object_events ORDER BY kind, id",
    delete: [
        "DELETE FROM objects WHERE kind = ? AND id = ?",
        "DELETE FROM object_events WHERE kind = ? AND id = ?",
        "DELETE FROM object_snapshots WHERE kind = ? AND id = ?",
    ],
}

transfer_queries! {
    pool: SqlitePool,
    all: "SELECT owner_kind, owner_id, transfer FROM transfers",
    open: "SELECT owner_kind, owner_id, transfer FROM transfers WHERE completed = 0",
    holds: "SELECT 1 FROM transfers WHERE transfer_id = ? AND owner_kind = ? AND owner_id = ?",
    complete: "UPDATE transfers SET completed = 1 WHERE transfer_id = ?",
}

grant_queries! {
    pool: SqlitePool,
    insert: "INSERT INTO grants (key, player_id, item, qty, reason, created_at_ms) \
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
    by_key: "SELECT key, player_id, item, qty, reason, created_at_ms FROM grants WHERE key = ?",
    for_player: "SELECT key, player_id, item, qty, reason, created_at_ms FROM grants \
                 WHERE player_id = ? ORDER BY seq",
    after: "SELECT seq, key, player_id, item, qty, reason, created_at_ms FROM grants \
            WHERE seq > ? ORDER BY seq LIMIT ?",
    head: "SELECT MAX(seq) FROM grants",
}

/// Marks relayed events published.
pub(super) async fn mark_published(
    pool: &SqlitePool,
    events: &[StoredEvent],
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for chunk in events.chunks(MAX_BIND_PARAMETERS / 2) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "UPDATE player_events SET published = 1 WHERE (player_id, seq) IN (VALUES ",
        );
        let mut pairs = query.separated(", ");
        for event in chunk {
            pairs.push("(");
            pairs.push_bind_unseparated(event.player_id as i64);
            pairs.push_unseparated(", ");
            pairs.push_bind_unseparated(event.seq as i64);
            pairs.push_unseparated(")");
        }
        query.push(")");
        query.build().execute(&mut *tx).await?;
    }
    tx.commit().await
}
