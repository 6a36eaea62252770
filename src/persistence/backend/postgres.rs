//! PostgreSQL: whole batches as arrays, unnested server-side (no bind-parameter limit, one statement
//! per table per flush).

use super::dialect::dialect_queries;
use super::rows::{self, PlayerRow};
use crate::persistence::batch::ShardBatch;
use crate::persistence::record::{PlayerRecord, StoredEvent};
use sqlx::PgPool;

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

/// Writes the batch in one transaction, one statement per table; returns the statements it took.
pub(super) async fn write(pool: &PgPool, batch: &ShardBatch) -> Result<u64, sqlx::Error> {
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
    tx.commit().await?;
    Ok(statements)
}

/// One column of a batch, as the array `UNNEST` takes.
fn column<T, V>(items: &[T], pick: impl Fn(&T) -> V) -> Vec<V> {
    items.iter().map(pick).collect()
}

dialect_queries! {
    pool: PgPool,
    row: "SELECT id, name, rating, uncertainty, kills, deaths, wins, losses, matches, version, \
          updated_at_ms FROM players WHERE id = $1",
    latest_snapshot: "SELECT state::text FROM player_snapshots WHERE player_id = $1 \
                      ORDER BY seq DESC LIMIT 1",
    events_after: "SELECT player_id, seq, at_ms, payload::text FROM player_events \
                   WHERE player_id = $1 AND seq > $2 ORDER BY seq",
    recent_events: "SELECT player_id, seq, at_ms, payload::text FROM player_events \
                    WHERE player_id = $1 ORDER BY seq DESC LIMIT $2",
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
