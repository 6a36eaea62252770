//! SQLite: multi-row statements, chunked under SQLite's bind-parameter limit.

use super::StoredHistory;
use super::rows::{self, PlayerRow};
use crate::persistence::batch::ShardBatch;
use crate::persistence::record::{PlayerRecord, StoredEvent};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

/// Rows per statement: 11 columns × 900 stays under SQLite's 32,766 bind parameters.
const ROWS_PER_STATEMENT: usize = 900;

const PLAYER_COLUMNS: &str =
    "id, name, rating, uncertainty, kills, deaths, wins, losses, matches, version, updated_at_ms";

pub(super) async fn load(
    pool: &SqlitePool,
    ids: &[u64],
) -> Result<(Vec<PlayerRecord>, Vec<(u64, u64)>), sqlx::Error> {
    let mut records = Vec::with_capacity(ids.len());
    let mut heads = Vec::new();
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
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

fn push_ids(query: &mut QueryBuilder<Sqlite>, ids: &[u64]) {
    let mut list = query.separated(", ");
    for id in ids {
        list.push_bind(*id as i64);
    }
    query.push(")");
}

pub(super) async fn history(pool: &SqlitePool, id: u64) -> Result<StoredHistory, sqlx::Error> {
    let row: Option<PlayerRow> = sqlx::query_as(
        "SELECT id, name, rating, uncertainty, kills, deaths, wins, losses, matches, version, \
         updated_at_ms FROM players WHERE id = ?",
    )
    .bind(id as i64)
    .fetch_optional(pool)
    .await?;
    let snapshot: Option<(String,)> = sqlx::query_as(
        "SELECT state FROM player_snapshots WHERE player_id = ? ORDER BY seq DESC LIMIT 1",
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
    pool: &SqlitePool,
    id: u64,
    after: i64,
) -> Result<Vec<StoredEvent>, sqlx::Error> {
    let events: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "SELECT player_id, seq, at_ms, payload FROM player_events \
         WHERE player_id = ? AND seq > ? ORDER BY seq",
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
pub(super) async fn delete(pool: &SqlitePool, id: u64) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for statement in [
        "DELETE FROM players WHERE id = ?",
        "DELETE FROM player_events WHERE player_id = ?",
        "DELETE FROM player_snapshots WHERE player_id = ?",
    ] {
        sqlx::query(statement)
            .bind(id as i64)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// Writes the batch in one transaction; returns the statements it took.
pub(super) async fn write(pool: &SqlitePool, batch: &ShardBatch) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let mut statements = 0;
    for chunk in batch.events.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "INSERT INTO player_events (player_id, seq, type, payload, at_ms) ",
        );
        query.push_values(chunk, |mut row, event| {
            row.push_bind(event.player_id as i64)
                .push_bind(event.seq as i64)
                .push_bind(event.event.kind())
                .push_bind(rows::payload(event))
                .push_bind(event.at_ms);
        });
        query.push(" ON CONFLICT (player_id, seq) DO NOTHING");
        query.build().execute(&mut *tx).await?;
        statements += 1;
    }
    for chunk in batch.snapshots.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "INSERT INTO player_snapshots (player_id, seq, state, at_ms) ",
        );
        query.push_values(chunk, |mut row, record| {
            row.push_bind(record.id as i64)
                .push_bind(record.version as i64)
                .push_bind(rows::state(record))
                .push_bind(record.updated_at_ms);
        });
        query.push(" ON CONFLICT (player_id, seq) DO NOTHING");
        query.build().execute(&mut *tx).await?;
        statements += 1;
    }
    for chunk in batch.players.chunks(ROWS_PER_STATEMENT) {
        let mut query =
            QueryBuilder::<Sqlite>::new(format!("INSERT INTO players ({PLAYER_COLUMNS}) "));
        query.push_values(chunk, |mut row, record| {
            let (id, [kills, deaths, wins, losses, matches, version]) = rows::columns(record);
            row.push_bind(id)
                .push_bind(record.name.clone())
                .push_bind(record.rating)
                .push_bind(record.uncertainty)
                .push_bind(kills)
                .push_bind(deaths)
                .push_bind(wins)
                .push_bind(losses)
                .push_bind(matches)
                .push_bind(version)
                .push_bind(record.updated_at_ms);
        });
        query.push(
            " ON CONFLICT (id) DO UPDATE SET name = excluded.name, rating = excluded.rating, \
             uncertainty = excluded.uncertainty, kills = excluded.kills, deaths = excluded.deaths, \
             wins = excluded.wins, losses = excluded.losses, matches = excluded.matches, \
             version = excluded.version, updated_at_ms = excluded.updated_at_ms \
             WHERE excluded.version > players.version",
        );
        query.build().execute(&mut *tx).await?;
        statements += 1;
    }
    tx.commit().await?;
    Ok(statements)
}

pub(super) async fn player_ids(
    pool: &SqlitePool,
    sample: Option<u64>,
) -> Result<Vec<u64>, sqlx::Error> {
    let query = match sample {
        Some(_) => {
            "SELECT id FROM (SELECT id FROM players UNION SELECT player_id FROM player_events) AS known ORDER BY random() LIMIT ?"
        }
        None => {
            "SELECT id FROM (SELECT id FROM players UNION SELECT player_id FROM player_events) AS known ORDER BY id LIMIT ?"
        }
    };
    let ids: Vec<(i64,)> = sqlx::query_as(query)
        .bind(sample.map_or(i64::MAX, |limit| limit.min(i64::MAX as u64) as i64))
        .fetch_all(pool)
        .await?;
    Ok(ids.into_iter().map(|(id,)| id as u64).collect())
}
