//! Rows as the databases return them, and their conversion to records. Ids and counters are stored as
//! i64 (neither backend has unsigned 64-bit integers); ids keep their bit pattern.

use crate::persistence::object::{ObjectEvent, ObjectKey, ObjectRecord};
use crate::persistence::part::{ColumnKind, Row, SqlValue, TableSpec};
use crate::persistence::record::{PlayerEvent, PlayerRecord, StoredEvent, Transfer};

/// A `players` row or a snapshot's state, column by column.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct PlayerRow {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) rating: f64,
    pub(super) uncertainty: f64,
    pub(super) kills: i64,
    pub(super) deaths: i64,
    pub(super) wins: i64,
    pub(super) losses: i64,
    pub(super) matches: i64,
    pub(super) version: i64,
    pub(super) updated_at_ms: i64,
}

impl From<PlayerRow> for PlayerRecord {
    fn from(row: PlayerRow) -> Self {
        Self {
            id: row.id as u64,
            name: row.name,
            rating: row.rating,
            uncertainty: row.uncertainty,
            kills: row.kills as u64,
            deaths: row.deaths as u64,
            wins: row.wins as u64,
            losses: row.losses as u64,
            matches: row.matches as u64,
            version: row.version as u64,
            updated_at_ms: row.updated_at_ms,
            parts: std::collections::BTreeMap::new(),
        }
    }
}

/// Decodes a stored event; a payload that does not parse is an error naming the player.
pub(super) fn event(
    player_id: i64,
    seq: i64,
    at_ms: i64,
    payload: &str,
) -> Result<StoredEvent, sqlx::Error> {
    let event: PlayerEvent =
        serde_json::from_str(payload).map_err(|error| sqlx::Error::Decode(Box::new(error)))?;
    Ok(StoredEvent {
        player_id: player_id as u64,
        seq: seq as u64,
        at_ms,
        event,
    })
}

/// An event row as queried: player id, seq, time, payload.
pub(super) type EventRow = (i64, i64, i64, String);

/// Decodes event rows, in their order.
pub(super) fn events(rows: &[EventRow]) -> Result<Vec<StoredEvent>, sqlx::Error> {
    rows.iter()
        .map(|(player, seq, at_ms, payload)| event(*player, *seq, *at_ms, payload))
        .collect()
}

/// A snapshot's stored state.
pub(super) fn snapshot(state: &str) -> Result<PlayerRecord, sqlx::Error> {
    serde_json::from_str(state).map_err(|error| sqlx::Error::Decode(Box::new(error)))
}

pub(super) fn payload(event: &StoredEvent) -> String {
    serde_json::to_string(&event.event)
        .unwrap_or_else(|error| unreachable!("player events always serialize: {error}"))
}

pub(super) fn transfer(transfer: &Transfer) -> String {
    serde_json::to_string(transfer)
        .unwrap_or_else(|error| unreachable!("transfers always serialize: {error}"))
}

/// A transfer's journal row as stored.
pub(super) fn stored_transfer(json: &str) -> Result<Transfer, sqlx::Error> {
    serde_json::from_str(json).map_err(|error| sqlx::Error::Decode(Box::new(error)))
}

pub(super) fn state(record: &PlayerRecord) -> String {
    serde_json::to_string(record)
        .unwrap_or_else(|error| unreachable!("player records always serialize: {error}"))
}

/// One row of a part's table as queried (`owner_id` first, then the table's columns), decoded by
/// the table's column kinds.
pub(super) fn part_row<R>(row: &R, table: &TableSpec) -> Result<(u64, Row), sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> f64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let owner: i64 = row.try_get(0)?;
    let values = table
        .columns
        .iter()
        .enumerate()
        .map(|(index, column)| {
            Ok(match column.kind {
                ColumnKind::Integer => SqlValue::Integer(row.try_get(index + 1)?),
                ColumnKind::Real => SqlValue::Real(row.try_get(index + 1)?),
                ColumnKind::Text => SqlValue::Text(row.try_get(index + 1)?),
            })
        })
        .collect::<Result<Row, sqlx::Error>>()?;
    Ok((owner as u64, values))
}

/// `(owner, value)` pairs as the store hands them out.
pub(super) fn owned_values(found: Vec<(i64, String)>) -> Vec<(u64, String)> {
    found
        .into_iter()
        .map(|(owner, value)| (owner as u64, value))
        .collect()
}

/// An object's head as stored: its version and time, its state still to be read from its rows.
pub(super) fn object_head(key: &ObjectKey, version: i64, at_ms: i64) -> ObjectRecord {
    ObjectRecord {
        key: key.clone(),
        version: version as u64,
        updated_at_ms: at_ms,
        state: None,
    }
}

/// Decodes a stored object event; a payload that does not parse is an error.
pub(super) fn object_event(
    key: &ObjectKey,
    seq: i64,
    at_ms: i64,
    payload: &str,
) -> Result<ObjectEvent, sqlx::Error> {
    Ok(ObjectEvent {
        key: key.clone(),
        seq: seq as u64,
        at_ms,
        event: serde_json::from_str(payload)
            .map_err(|error| sqlx::Error::Decode(Box::new(error)))?,
    })
}

/// An object snapshot's stored state.
pub(super) fn object_snapshot(state: &str) -> Result<ObjectRecord, sqlx::Error> {
    serde_json::from_str(state).map_err(|error| sqlx::Error::Decode(Box::new(error)))
}

pub(super) fn object_payload(event: &ObjectEvent) -> String {
    serde_json::to_string(&event.event)
        .unwrap_or_else(|error| unreachable!("part events are JSON values: {error}"))
}

pub(super) fn object_state(record: &ObjectRecord) -> String {
    serde_json::to_string(record)
        .unwrap_or_else(|error| unreachable!("object records always serialize: {error}"))
}

/// A `grants` row: key, player, item, qty, reason, time.
pub(super) type GrantRow = (String, i64, String, i64, String, i64);

/// A queued grant from its row; a quantity outside 1..=u32::MAX is a corrupt row.
pub(super) fn grant(
    (key, player_id, item, qty, reason, created_at_ms): GrantRow,
) -> Result<crate::persistence::QueuedGrant, sqlx::Error> {
    let qty = u32::try_from(qty)
        .map_err(|_| sqlx::Error::Decode(format!("grant {key}: qty {qty} out of range").into()))?;
    Ok(crate::persistence::QueuedGrant {
        key,
        player_id: player_id as u64,
        item,
        qty,
        reason,
        created_at_ms,
    })
}
