//! PostgreSQL: whole batches as arrays, unnested server-side (no bind-parameter limit, one statement
//! per table per flush).

use super::dialect::dialect_queries;
use super::grant_queries::grant_queries;
use super::object_queries::object_queries;
use super::rows::{self, PlayerRow};
use super::transfer_queries::transfer_queries;
use crate::persistence::batch::{PartOwners, PartWrite, ShardBatch};
use crate::persistence::object::{ObjectKey, ObjectRecord};
use crate::persistence::part::{ColumnKind, Dialect, HeldIn, Row, SqlValue, TableSpec};
use crate::persistence::record::{PlayerRecord, StoredEvent};
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::{AssertSqlSafe, PgConnection, PgPool, Postgres};
use std::collections::HashMap;

fn as_i64(ids: &[u64]) -> Vec<i64> {
    ids.iter().map(|id| *id as i64).collect()
}

pub(super) async fn load(
    pool: &PgPool,
    ids: &[u64],
) -> Result<(Vec<PlayerRecord>, Vec<(u64, u64)>), sqlx::Error> {
    let ids = as_i64(ids);
    let rows: Vec<PlayerRow> = sqlx::query_as(
        "SELECT id, name, rating, uncertainty, kills, deaths, wins, losses, matches, version, \
         updated_at_ms FROM players WHERE id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    let heads: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT player_id, MAX(seq) FROM player_events WHERE player_id = ANY($1) GROUP BY player_id",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    Ok((
        rows.into_iter().map(PlayerRecord::from).collect(),
        heads
            .into_iter()
            .map(|(id, seq)| (id as u64, seq as u64))
            .collect(),
    ))
}

/// Writes the batch and its parts' rows in one transaction, one statement per table; returns the
/// statements it took.
pub(super) async fn write(
    pool: &PgPool,
    batch: &ShardBatch,
    parts: &[PartWrite],
) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let mut statements = 0;
    let events = &batch.events;
    if !events.is_empty() {
        sqlx::query(
            "INSERT INTO player_events (player_id, seq, type, payload, at_ms) \
             SELECT player_id, seq, type, payload::jsonb, at_ms \
             FROM UNNEST($1::int8[], $2::int8[], $3::text[], $4::text[], $5::int8[]) \
               AS e(player_id, seq, type, payload, at_ms) \
             ON CONFLICT (player_id, seq) DO NOTHING",
        )
        .bind(column(events, |event| event.player_id as i64))
        .bind(column(events, |event| event.seq as i64))
        .bind(column(events, |event| event.event.kind().to_owned()))
        .bind(column(events, rows::payload))
        .bind(column(events, |event| event.at_ms))
        .execute(&mut *tx)
        .await?;
        statements += 1;
    }
    let transfers = batch.transfers();
    if !transfers.is_empty() {
        sqlx::query(
            "INSERT INTO transfers (transfer_id, owner_kind, owner_id, transfer, at_ms) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::int8[], $4::text[], $5::int8[]) \
             ON CONFLICT (transfer_id, owner_kind, owner_id) DO NOTHING",
        )
        .bind(column(&transfers, |journal| {
            journal.transfer.id.to_string()
        }))
        .bind(column(&transfers, |journal| journal.owner_kind.to_owned()))
        .bind(column(&transfers, |journal| journal.owner as i64))
        .bind(column(&transfers, |journal| {
            rows::transfer(journal.transfer)
        }))
        .bind(column(&transfers, |journal| journal.at_ms))
        .execute(&mut *tx)
        .await?;
        statements += 1;
    }
    let snapshots = &batch.snapshots;
    if !snapshots.is_empty() {
        sqlx::query(
            "INSERT INTO player_snapshots (player_id, seq, state, at_ms) \
             SELECT player_id, seq, state::jsonb, at_ms \
             FROM UNNEST($1::int8[], $2::int8[], $3::text[], $4::int8[]) \
               AS s(player_id, seq, state, at_ms) \
             ON CONFLICT (player_id, seq) DO NOTHING",
        )
        .bind(column(snapshots, |record| record.id as i64))
        .bind(column(snapshots, |record| record.version as i64))
        .bind(column(snapshots, rows::state))
        .bind(column(snapshots, |record| record.updated_at_ms))
        .execute(&mut *tx)
        .await?;
        statements += 1;
    }
    statements += write_object_log(&mut tx, batch).await?;
    // Before the owners' upserts: which owners this batch moves forward.
    for write in parts.iter().filter(|write| !write.owners.is_empty()) {
        let stored = stored_versions(&mut tx, write).await?;
        statements += write_part(&mut tx, write, &stored).await?;
    }
    let players = &batch.players;
    if !players.is_empty() {
        sqlx::query(
            "INSERT INTO players (id, name, rating, uncertainty, kills, deaths, wins, losses, \
               matches, version, updated_at_ms) \
             SELECT * FROM UNNEST($1::int8[], $2::text[], $3::float8[], $4::float8[], $5::int8[], \
               $6::int8[], $7::int8[], $8::int8[], $9::int8[], $10::int8[], $11::int8[]) \
             ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, rating = EXCLUDED.rating, \
               uncertainty = EXCLUDED.uncertainty, kills = EXCLUDED.kills, \
               deaths = EXCLUDED.deaths, wins = EXCLUDED.wins, losses = EXCLUDED.losses, \
               matches = EXCLUDED.matches, version = EXCLUDED.version, \
               updated_at_ms = EXCLUDED.updated_at_ms \
             WHERE EXCLUDED.version > players.version",
        )
        .bind(column(players, |record| record.id as i64))
        .bind(column(players, |record| record.name.clone()))
        .bind(column(players, |record| record.rating))
        .bind(column(players, |record| record.uncertainty))
        .bind(column(players, |record| record.kills as i64))
        .bind(column(players, |record| record.deaths as i64))
        .bind(column(players, |record| record.wins as i64))
        .bind(column(players, |record| record.losses as i64))
        .bind(column(players, |record| record.matches as i64))
        .bind(column(players, |record| record.version as i64))
        .bind(column(players, |record| record.updated_at_ms))
        .execute(&mut *tx)
        .await?;
        statements += 1;
    }
    let objects = &batch.objects;
    if !objects.is_empty() {
        sqlx::query(
            "INSERT INTO objects (kind, id, version, updated_at_ms) \
             SELECT * FROM UNNEST($1::text[], $2::int8[], $3::int8[], $4::int8[]) \
             ON CONFLICT (kind, id) DO UPDATE SET version = EXCLUDED.version, \
               updated_at_ms = EXCLUDED.updated_at_ms \
             WHERE EXCLUDED.version > objects.version",
        )
        .bind(column(objects, |record| record.key.kind.clone()))
        .bind(column(objects, |record| record.key.id as i64))
        .bind(column(objects, |record| record.version as i64))
        .bind(column(objects, |record| record.updated_at_ms))
        .execute(&mut *tx)
        .await?;
        statements += 1;
    }
    tx.commit().await?;
    Ok(statements)
}

/// Inserts the batch's object events and snapshots (each once: a retried batch skips them).
async fn write_object_log(tx: &mut PgConnection, batch: &ShardBatch) -> Result<u64, sqlx::Error> {
    let mut statements = 0;
    let events = &batch.object_events;
    if !events.is_empty() {
        sqlx::query(
            "INSERT INTO object_events (kind, id, seq, type, payload, at_ms) \
             SELECT kind, id, seq, type, payload::jsonb, at_ms \
             FROM UNNEST($1::text[], $2::int8[], $3::int8[], $4::text[], $5::text[], $6::int8[]) \
               AS e(kind, id, seq, type, payload, at_ms) \
             ON CONFLICT (kind, id, seq) DO NOTHING",
        )
        .bind(column(events, |event| event.key.kind.clone()))
        .bind(column(events, |event| event.key.id as i64))
        .bind(column(events, |event| event.seq as i64))
        .bind(column(events, |event| event.event.kind().to_owned()))
        .bind(column(events, rows::object_payload))
        .bind(column(events, |event| event.at_ms))
        .execute(&mut *tx)
        .await?;
        statements += 1;
    }
    let snapshots = &batch.object_snapshots;
    if !snapshots.is_empty() {
        sqlx::query(
            "INSERT INTO object_snapshots (kind, id, seq, state, at_ms) \
             SELECT kind, id, seq, state::jsonb, at_ms \
             FROM UNNEST($1::text[], $2::int8[], $3::int8[], $4::text[], $5::int8[]) \
               AS s(kind, id, seq, state, at_ms) \
             ON CONFLICT (kind, id, seq) DO NOTHING",
        )
        .bind(column(snapshots, |record| record.key.kind.clone()))
        .bind(column(snapshots, |record| record.key.id as i64))
        .bind(column(snapshots, |record| record.version as i64))
        .bind(column(snapshots, rows::object_state))
        .bind(column(snapshots, |record| record.updated_at_ms))
        .execute(&mut *tx)
        .await?;
        statements += 1;
    }
    Ok(statements)
}

/// The stored version of each owner of `write` that has a row (in `players`, or in `objects` for
/// its kind).
async fn stored_versions(
    tx: &mut PgConnection,
    write: &PartWrite,
) -> Result<HashMap<u64, u64>, sqlx::Error> {
    let ids = as_i64(&write.owner_ids());
    let rows: Vec<(i64, i64)> = match &write.owned_by {
        PartOwners::Players => {
            sqlx::query_as("SELECT id, version FROM players WHERE id = ANY($1)")
                .bind(ids)
                .fetch_all(&mut *tx)
                .await?
        }
        PartOwners::Objects(kind) => {
            sqlx::query_as("SELECT id, version FROM objects WHERE kind = $1 AND id = ANY($2)")
                .bind(kind.as_str())
                .bind(ids)
                .fetch_all(&mut *tx)
                .await?
        }
    };
    Ok(rows
        .into_iter()
        .map(|(id, version)| (id as u64, version as u64))
        .collect())
}

/// The heads of `ids` of `kind` in `objects` that exist, and each one's highest event seq.
pub(super) async fn load_objects(
    pool: &PgPool,
    kind: &str,
    ids: &[u64],
) -> Result<(Vec<ObjectRecord>, Vec<(u64, u64)>), sqlx::Error> {
    let ids = as_i64(ids);
    let heads: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT id, version, updated_at_ms FROM objects WHERE kind = $1 AND id = ANY($2)",
    )
    .bind(kind)
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    let newest: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, MAX(seq) FROM object_events WHERE kind = $1 AND id = ANY($2) GROUP BY id",
    )
    .bind(kind)
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    Ok((
        heads
            .into_iter()
            .map(|(id, version, at_ms)| {
                rows::object_head(&ObjectKey::new(kind, id as u64), version, at_ms)
            })
            .collect(),
        newest
            .into_iter()
            .map(|(id, seq)| (id as u64, seq as u64))
            .collect(),
    ))
}

/// Replaces the rows of the owners this batch moves forward: one delete, one unnested insert.
async fn write_part(
    tx: &mut PgConnection,
    write: &PartWrite,
    stored: &HashMap<u64, u64>,
) -> Result<u64, sqlx::Error> {
    let advancing = write.advancing(stored);
    if advancing.is_empty() {
        return Ok(0);
    }
    let table = write.table;
    sqlx::query(AssertSqlSafe(format!(
        "DELETE FROM {} WHERE owner_id = ANY($1)",
        table.name
    )))
    .bind(
        advancing
            .iter()
            .map(|owner| *owner as i64)
            .collect::<Vec<_>>(),
    )
    .execute(&mut *tx)
    .await?;
    let rows: Vec<&(u64, Row)> = write
        .rows
        .iter()
        .filter(|(owner, _)| advancing.contains(owner))
        .collect();
    if rows.is_empty() {
        return Ok(1);
    }
    let arrays: Vec<String> = std::iter::once("int8[]")
        .chain(table.columns.iter().map(|column| column.kind.pg_array()))
        .enumerate()
        .map(|(index, array)| format!("${}::{array}", index + 1))
        .collect();
    let sql = format!(
        "INSERT INTO {} ({}) SELECT * FROM UNNEST({})",
        table.name,
        table.column_list(),
        arrays.join(", ")
    );
    let mut query = sqlx::query(AssertSqlSafe(sql)).bind(column(&rows, |(owner, _)| *owner as i64));
    for (index, spec) in table.columns.iter().enumerate() {
        query = bind_column(query, spec.kind, &rows, index);
    }
    query.execute(&mut *tx).await?;
    Ok(2)
}

/// Binds column `index` of `rows` as one array of its kind.
fn bind_column<'q>(
    query: Query<'q, Postgres, PgArguments>,
    kind: ColumnKind,
    rows: &[&(u64, Row)],
    index: usize,
) -> Query<'q, Postgres, PgArguments> {
    let value = |row: &&(u64, Row)| row.1.get(index).cloned();
    match kind {
        ColumnKind::Integer => query.bind(column(rows, |row| match value(row) {
            Some(SqlValue::Integer(value)) => value,
            _ => 0,
        })),
        ColumnKind::Real => query.bind(column(rows, |row| match value(row) {
            Some(SqlValue::Real(value)) => value,
            _ => 0.0,
        })),
        ColumnKind::Text => query.bind(column(rows, |row| match value(row) {
            Some(SqlValue::Text(value)) => value,
            _ => String::new(),
        })),
    }
}

/// The rows of `ids` in a part's table.
pub(super) async fn load_part(
    pool: &PgPool,
    table: &TableSpec,
    ids: &[u64],
) -> Result<Vec<(u64, Row)>, sqlx::Error> {
    let sql = format!(
        "SELECT {} FROM {} WHERE owner_id = ANY($1)",
        table.column_list(),
        table.name
    );
    let found = sqlx::query(AssertSqlSafe(sql))
        .bind(as_i64(ids))
        .fetch_all(pool)
        .await?;
    found.iter().map(|row| rows::part_row(row, table)).collect()
}

/// Up to `limit` `(owner, value)` pairs of a part's rows that hold one of `values`.
pub(super) async fn part_owners(
    pool: &PgPool,
    table: &TableSpec,
    held_in: HeldIn,
    values: &[String],
    limit: u32,
) -> Result<Vec<(u64, String)>, sqlx::Error> {
    match held_in {
        HeldIn::Column(column) => {
            let sql = format!(
                "SELECT owner_id, {column} FROM {} WHERE {column} = ANY($1) LIMIT $2",
                table.name
            );
            let found: Vec<(i64, String)> = sqlx::query_as(AssertSqlSafe(sql))
                .bind(values)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?;
            Ok(rows::owned_values(found))
        }
        HeldIn::LineKeys(column) => line_key_owners(pool, table, column, values, limit).await,
    }
}

/// One column of a batch, as the array `UNNEST` takes.
fn column<T, V>(items: &[T], pick: impl Fn(&T) -> V) -> Vec<V> {
    items.iter().map(pick).collect()
}

dialect_queries! {
    pool: PgPool,
    connection: PgConnection,
    dialect: Dialect::Postgres,
    line_key_owners: "SELECT owner_id FROM {} WHERE strpos({}, $1) > 0 LIMIT $2",
    delete_part: "DELETE FROM {} WHERE owner_id = $1",
    table_columns: "SELECT column_name::text FROM information_schema.columns \
                    WHERE table_schema = current_schema() AND table_name = $1",
    row: "SELECT id, name, rating, uncertainty, kills, deaths, wins, losses, matches, version, \
          updated_at_ms FROM players WHERE id = $1",
    latest_snapshot: "SELECT state::text FROM player_snapshots WHERE player_id = $1 \
                      ORDER BY seq DESC LIMIT 1",
    events_after: "SELECT player_id, seq, at_ms, payload::text FROM player_events \
                   WHERE player_id = $1 AND seq > $2 ORDER BY seq",
    recent_events: "SELECT player_id, seq, at_ms, payload::text FROM player_events \
                    WHERE player_id = $1 AND type = $2 AND seq < $3 ORDER BY seq DESC LIMIT $4",
    players_after: "SELECT id, name, rating, uncertainty, kills, deaths, wins, losses, matches, \
                    version, updated_at_ms FROM players WHERE id > $1 ORDER BY id LIMIT $2",
    delete: [
        "DELETE FROM players WHERE id = $1",
        "DELETE FROM player_events WHERE player_id = $1",
        "DELETE FROM player_snapshots WHERE player_id = $1",
    ],
    sample_ids: "SELECT id FROM (SELECT id FROM players UNION SELECT player_id FROM player_events) \
                 AS known ORDER BY random() LIMIT $1",
    all_ids: "SELECT id FROM (SELECT id FROM players UNION SELECT player_id FROM player_events) \
              AS known ORDER BY id LIMIT $1",
    unpublished: "SELECT player_id, seq, at_ms, payload::text FROM player_events WHERE NOT published \
                 ORDER BY player_id, seq LIMIT $1",
    unpublished_count: "SELECT COUNT(*) FROM player_events WHERE NOT published",
}

object_queries! {
    pool: PgPool,
    head: "SELECT version, updated_at_ms FROM objects WHERE kind = $1 AND id = $2",
    latest_snapshot: "SELECT state::text FROM object_snapshots WHERE kind = $1 AND id = $2 \
                      ORDER BY seq DESC LIMIT 1",
    events_after: "SELECT seq, at_ms, payload::text FROM object_events \
                   WHERE kind = $1 AND id = $2 AND seq > $3 ORDER BY seq",
    keys: "SELECT kind, id FROM objects UNION SELECT kind, id FROM object_events ORDER BY kind, id",
    delete: [
        "DELETE FROM objects WHERE kind = $1 AND id = $2",
        "DELETE FROM object_events WHERE kind = $1 AND id = $2",
        "DELETE FROM object_snapshots WHERE kind = $1 AND id = $2",
    ],
}

transfer_queries! {
    pool: PgPool,
    all: "SELECT owner_kind, owner_id, transfer FROM transfers",
    open: "SELECT owner_kind, owner_id, transfer FROM transfers WHERE NOT completed",
    holds: "SELECT 1::int8 FROM transfers \
            WHERE transfer_id = $1 AND owner_kind = $2 AND owner_id = $3",
    complete: "UPDATE transfers SET completed = true WHERE transfer_id = $1",
}

grant_queries! {
    pool: PgPool,
    insert: "INSERT INTO grants (key, player_id, item, qty, reason, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key) DO NOTHING",
    by_key: "SELECT key, player_id, item, qty, reason, created_at_ms FROM grants WHERE key = $1",
    for_player: "SELECT key, player_id, item, qty, reason, created_at_ms FROM grants \
                 WHERE player_id = $1 ORDER BY seq",
    after: "SELECT seq, key, player_id, item, qty, reason, created_at_ms FROM grants \
            WHERE seq > $1 ORDER BY seq LIMIT $2",
    head: "SELECT MAX(seq) FROM grants",
}

/// Marks relayed events published.
pub(super) async fn mark_published(
    pool: &PgPool,
    events: &[StoredEvent],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE player_events SET published = TRUE \
         FROM UNNEST($1::int8[], $2::int8[]) AS relayed(player_id, seq) \
         WHERE player_events.player_id = relayed.player_id AND player_events.seq = relayed.seq",
    )
    .bind(column(events, |event| event.player_id as i64))
    .bind(column(events, |event| event.seq as i64))
    .execute(pool)
    .await?;
    Ok(())
}
