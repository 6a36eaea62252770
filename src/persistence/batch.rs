//! What one flush writes to one shard, in one transaction.

use super::object::{ObjectChange, ObjectEvent, ObjectRecord};
use super::part::{PartError, Row, StoredParts, TableSpec};
use super::record::{PlayerEvent, PlayerRecord, StoredEvent, Transfer};
use std::collections::{HashMap, HashSet};

/// Changed players (their state after the events, parts included), their new events, and snapshots
/// due; and the same for changed objects.
///
/// A player's part rows are rewritten only when the batch holds an event of that part for it (the
/// batch holds every event since the version stored, so a part without one is unchanged and its rows
/// still right), or when the player is listed in `repaired`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShardBatch {
    pub players: Vec<PlayerRecord>,
    pub events: Vec<StoredEvent>,
    pub snapshots: Vec<PlayerRecord>,
    /// Players whose part rows are rewritten whatever their events: rebuilt from their log (read
    /// repair) or moved to another shard.
    pub repaired: Vec<u64>,
    pub objects: Vec<ObjectRecord>,
    pub object_events: Vec<ObjectEvent>,
    pub object_snapshots: Vec<ObjectRecord>,
}

/// One owner's row of the transfer journal: its kind (`""`: a player) and id, and its transfer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JournalRow<'a> {
    pub(crate) owner_kind: &'a str,
    pub(crate) owner: u64,
    pub(crate) at_ms: i64,
    pub(crate) transfer: &'a Transfer,
}

/// Whose versions guard a part write: the players' (in `players`) or one object kind's (in
/// `objects`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PartOwners {
    Players,
    Objects(String),
}

/// One part table's share of a batch: the owners whose rows are replaced, and their new rows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PartWrite {
    pub(crate) table: &'static TableSpec,
    pub(crate) owned_by: PartOwners,
    /// Owners and the version their rows belong to; rows are replaced only for owners whose stored
    /// version is older, so a stale batch never overwrites newer rows.
    pub(crate) owners: Vec<(u64, u64)>,
    pub(crate) rows: Vec<(u64, Row)>,
}

impl PartWrite {
    fn new(table: &'static TableSpec, owned_by: PartOwners) -> Self {
        Self {
            table,
            owned_by,
            owners: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// The owners whose stored version (`stored`, by owner; none: not stored) this write moves
    /// forward.
    pub(crate) fn advancing(&self, stored: &HashMap<u64, u64>) -> HashSet<u64> {
        self.owners
            .iter()
            .filter(|(owner, version)| stored.get(owner).is_none_or(|held| held < version))
            .map(|(owner, _)| *owner)
            .collect()
    }

    /// The ids of its owners.
    pub(crate) fn owner_ids(&self) -> Vec<u64> {
        self.owners.iter().map(|(owner, _)| *owner).collect()
    }
}

impl ShardBatch {
    /// The transfer events among its players' and objects' events, each with the owner that
    /// recorded it: each one's journal row is written with it.
    pub(crate) fn transfers(&self) -> Vec<JournalRow<'_>> {
        let players = self.events.iter().filter_map(|stored| match &stored.event {
            PlayerEvent::Transfer(transfer) => Some(JournalRow {
                owner_kind: "",
                owner: stored.player_id,
                at_ms: stored.at_ms,
                transfer,
            }),
            _ => None,
        });
        let objects = self
            .object_events
            .iter()
            .filter_map(|stored| match &stored.event {
                ObjectChange::Transfer(transfer) => Some(JournalRow {
                    owner_kind: &stored.key.kind,
                    owner: stored.key.id,
                    at_ms: stored.at_ms,
                    transfer,
                }),
                ObjectChange::Part(_) => None,
            });
        players.chain(objects).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.repaired.is_empty()
            && self.players.is_empty()
            && self.events.is_empty()
            && self.snapshots.is_empty()
            && self.objects.is_empty()
            && self.object_events.is_empty()
            && self.object_snapshots.is_empty()
    }

    /// Every registered part's table writes for this batch's players and objects (kinds in
    /// `objects`). A part that did not change leaves that owner's rows alone (see [`ShardBatch`]).
    pub(crate) fn part_writes(
        &self,
        parts: &StoredParts,
        objects: &StoredParts,
    ) -> Result<Vec<PartWrite>, PartError> {
        let mut writes: Vec<PartWrite> = parts
            .entries()
            .map(|entry| PartWrite::new(entry.table(), PartOwners::Players))
            .collect();
        let mut changed: HashSet<(u64, &str)> = HashSet::new();
        for stored in &self.events {
            for event in stored.event.part_events(stored.player_id) {
                if let Some(entry) = parts.entries().find(|entry| entry.folds(event.kind())) {
                    changed.insert((stored.player_id, entry.name()));
                }
            }
        }
        let repaired: HashSet<u64> = self.repaired.iter().copied().collect();
        for player in &self.players {
            parts.check_known(&player.parts)?;
            for (write, entry) in writes.iter_mut().zip(parts.entries()) {
                let state = player.parts.get(entry.name());
                let unchanged =
                    !changed.contains(&(player.id, entry.name())) && !repaired.contains(&player.id);
                if unchanged {
                    continue;
                }
                let rows = state.map(|state| entry.rows(state)).transpose()?;
                write.owners.push((player.id, player.version));
                write
                    .rows
                    .extend(rows.into_iter().flatten().map(|row| (player.id, row)));
            }
        }
        let mut by_kind: HashMap<&str, PartWrite> = HashMap::new();
        for object in &self.objects {
            let kind = object.key.kind.as_str();
            let entry = objects.get(kind).ok_or_else(|| PartError {
                part: kind.to_owned(),
                problem: "no stored object kind of that name is registered".into(),
            })?;
            let rows = object
                .state
                .as_ref()
                .map(|state| entry.rows(state))
                .transpose()?;
            let write = by_kind.entry(kind).or_insert_with(|| {
                PartWrite::new(entry.table(), PartOwners::Objects(kind.to_owned()))
            });
            write.owners.push((object.key.id, object.version));
            write
                .rows
                .extend(rows.into_iter().flatten().map(|row| (object.key.id, row)));
        }
        writes.extend(by_kind.into_values());
        Ok(writes)
    }
}
