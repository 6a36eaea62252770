//! PostgreSQL: whole batches as arrays, unnested server-side (no bind-parameter limit, one statement
//! per table per flush).

use super::StoredHistory;
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

pub(super) async fn history(pool: &PgPool, id: u64) -> Result<StoredHistory, sqlx::Error> {
    let row: Option<PlayerRow> = sqlx::query_as(
        "SELECT id, name, rating, uncertainty, kills, deaths, wins, losses, matches, version, \
         updated_at_ms FROM players WHERE id = $1",
    )
    .bind(id as i64)
    .fetch_optional(pool)
    .await?;
    let snapshot: Option<(String,)> = sqlx::query_as(
        "SELECT state::text FROM player_snapshots WHERE player_id = $1 ORDER BY seq DESC LIMIT 1",
    )
    .bind(id as i64)
    .fetch_optional(pool)
    .await?;
    let snapshot = snapshot
        .map(|(state,)| rows::snapshot(&state))
        .transpose()?;
    let after = snapshot
        .as_ref()
        .map_or(0, |snapshot| snapshot.version as i64);
    Ok(StoredHistory {
        row: row.map(PlayerRecord::from),
        snapshot,
        events: events_after(pool, id, after).await?,
    })
}

/// A player's events with a seq above `after`, in order.
pub(super) async fn events_after(
    pool: &PgPool,
    id: u64,
    after: i64,
) -> Result<Vec<StoredEvent>, sqlx::Error> {
    let events: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "SELECT player_id, seq, at_ms, payload::text FROM player_events \
         WHERE player_id = $1 AND seq > $2 ORDER BY seq",
    )
    .bind(id as i64)
    .bind(after)
    .fetch_all(pool)
    .await?;
    events
        .iter()
        .map(|(player, seq, at_ms, payload)| rows::event(*player, *seq, *at_ms, payload))
        .collect()
}

/// Removes a player (row, events, snapshots) in one transaction.
pub(super) async fn delete(pool: &PgPool, id: u64) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for statement in [
        "DELETE FROM players WHERE id = $1",
        "DELETE FROM player_events WHERE player_id = $1",
        "DELETE FROM player_snapshots WHERE player_id = $1",
    ] {
        sqlx::query(statement)
            .bind(id as i64)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// Writes the batch in one transaction, one statement per table; returns the statements it took.
pub(super) async fn write(pool: &PgPool, batch: &ShardBatch) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let mut statements = 0;
    if !batch.events.is_empty() {
        let events = &batch.events;
        sqlx::query(
            "INSERT INTO player_events (player_id, seq, type, payload, at_ms) \
             SELECT player_id, seq, type, payload::jsonb, at_ms \
             FROM UNNEST($1::int8[], $2::int8[], $3::text[], $4::text[], $5::int8[]) \
               AS e(player_id, seq, type, payload, at_ms) \
             ON CONFLICT (player_id, seq) DO NOTHING",
        )
        .bind(
            events
                .iter()
                .map(|event| event.player_id as i64)
                .collect::<Vec<_>>(),
        )
        .bind(
            events
                .iter()
                .map(|event| event.seq as i64)
                .collect::<Vec<_>>(),
        )
        .bind(
            events
                .iter()
                .map(|event| event.event.kind().to_owned())
                .collect::<Vec<_>>(),
        )
        .bind(events.iter().map(rows::payload).collect::<Vec<_>>())
        .bind(events.iter().map(|event| event.at_ms).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        statements += 1;
    }
    if !batch.snapshots.is_empty() {
        let snapshots = &batch.snapshots;
        sqlx::query(
            "INSERT INTO player_snapshots (player_id, seq, state, at_ms) \
             SELECT player_id, seq, state::jsonb, at_ms \
             FROM UNNEST($1::int8[], $2::int8[], $3::text[], $4::int8[]) \
               AS s(player_id, seq, state, at_ms) \
             ON CONFLICT (player_id, seq) DO NOTHING",
        )
        .bind(
            snapshots
                .iter()
                .map(|record| record.id as i64)
                .collect::<Vec<_>>(),
        )
        .bind(
            snapshots
                .iter()
                .map(|record| record.version as i64)
                .collect::<Vec<_>>(),
        )
        .bind(snapshots.iter().map(rows::state).collect::<Vec<_>>())
        .bind(
            snapshots
                .iter()
                .map(|record| record.updated_at_ms)
                .collect::<Vec<_>>(),
        )
        .execute(&mut *tx)
        .await?;
        statements += 1;
    }
    if !batch.players.is_empty() {
        let players = &batch.players;
        let column = |pick: fn(&(i64, [i64; 6])) -> i64| -> Vec<i64> {
            players
                .iter()
                .map(|record| pick(&rows::columns(record)))
                .collect()
        };
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
        .bind(column(|(id, _)| *id))
        .bind(
            players
                .iter()
                .map(|record| record.name.clone())
                .collect::<Vec<_>>(),
        )
        .bind(
            players
                .iter()
                .map(|record| record.rating)
                .collect::<Vec<_>>(),
        )
        .bind(
            players
                .iter()
                .map(|record| record.uncertainty)
                .collect::<Vec<_>>(),
        )
        .bind(column(|(_, counts)| counts[0]))
        .bind(column(|(_, counts)| counts[1]))
        .bind(column(|(_, counts)| counts[2]))
        .bind(column(|(_, counts)| counts[3]))
        .bind(column(|(_, counts)| counts[4]))
        .bind(column(|(_, counts)| counts[5]))
        .bind(
            players
                .iter()
                .map(|record| record.updated_at_ms)
                .collect::<Vec<_>>(),
        )
        .execute(&mut *tx)
        .await?;
        statements += 1;
    }
    tx.commit().await?;
    Ok(statements)
}

pub(super) async fn player_ids(
    pool: &PgPool,
    sample: Option<u64>,
) -> Result<Vec<u64>, sqlx::Error> {
    let query = match sample {
        Some(_) => {
            "SELECT id FROM (SELECT id FROM players UNION SELECT player_id FROM player_events) AS known ORDER BY random() LIMIT $1"
        }
        None => {
            "SELECT id FROM (SELECT id FROM players UNION SELECT player_id FROM player_events) AS known ORDER BY id LIMIT $1"
        }
    };
    let ids: Vec<(i64,)> = sqlx::query_as(query)
        .bind(sample.map_or(i64::MAX, |limit| limit.min(i64::MAX as u64) as i64))
        .fetch_all(pool)
        .await?;
    Ok(ids.into_iter().map(|(id,)| id as u64).collect())
}
