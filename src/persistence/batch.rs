//! What one flush writes to one shard, in one transaction.

use super::part::{PartError, Row, StoredParts, TableSpec};
use super::record::{PlayerRecord, StoredEvent};
use std::collections::{HashMap, HashSet};

/// Changed players (their state after the events, parts included), their new events, and snapshots
/// due.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShardBatch {
    pub players: Vec<PlayerRecord>,
    pub events: Vec<StoredEvent>,
    pub snapshots: Vec<PlayerRecord>,
}

/// One part table's share of a batch: the owners whose rows are replaced, and their new rows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PartWrite {
    pub(crate) table: &'static TableSpec,
    /// Owners and the version their rows belong to; rows are replaced only for owners whose stored
    /// version is older, so a stale batch never overwrites newer rows.
    pub(crate) owners: Vec<(u64, u64)>,
    pub(crate) rows: Vec<(u64, Row)>,
}

impl PartWrite {
    /// The owners whose stored version (`stored`, by owner; none: not stored) this write moves
    /// forward.
    pub(crate) fn advancing(&self, stored: &HashMap<u64, u64>) -> HashSet<u64> {
        self.owners
            .iter()
            .filter(|(owner, version)| stored.get(owner).is_none_or(|held| held < version))
            .map(|(owner, _)| *owner)
            .collect()
    }
}

impl ShardBatch {
    pub fn is_empty(&self) -> bool {
        self.players.is_empty() && self.events.is_empty() && self.snapshots.is_empty()
    }

    /// Every registered part's table writes for this batch's players. A part held as `null` (it did
    /// not serialize) leaves that owner's rows alone.
    pub(crate) fn part_writes(&self, parts: &StoredParts) -> Result<Vec<PartWrite>, PartError> {
        let mut writes: Vec<PartWrite> = parts
            .entries()
            .map(|entry| PartWrite {
                table: entry.table(),
                owners: Vec::new(),
                rows: Vec::new(),
            })
            .collect();
        for player in &self.players {
            parts.check_known(&player.parts)?;
            for (write, entry) in writes.iter_mut().zip(parts.entries()) {
                let rows = match player.parts.get(entry.name()) {
                    Some(state) if state.is_null() => continue,
                    Some(state) => entry.rows(state)?,
                    None => Vec::new(),
                };
                write.owners.push((player.id, player.version));
                write
                    .rows
                    .extend(rows.into_iter().map(|row| (player.id, row)));
            }
        }
        Ok(writes)
    }
}
