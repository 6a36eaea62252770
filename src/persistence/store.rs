//! The sharded store: which shard holds whom, batch loads across shards in parallel with partial
//! results, and one transaction per shard per write. Stored objects' side is in `objects`.

mod grants;
mod objects;
mod transfers;

pub use grants::{Queued, QueuedGrant};
pub use objects::ObjectHistory;
pub use transfers::RolledForward;

use super::backend::{Backend, StoredHistory};
use super::batch::ShardBatch;
use super::error::StoreError;
use super::part::{HeldIn, PartEntry, PartState, Row, StoredPart, StoredParts, TableSpec};
use super::record::{PlayerRecord, StoredEvent, replay};
use super::shard::shard_of;
use std::collections::{BTreeMap, HashMap};
use tokio::task::JoinSet;

/// Every shard's database, in `[persistence] shards` order, the feature parts it keeps for players,
/// and the kinds of objects it keeps.
#[derive(Debug, Clone)]
pub struct Store {
    shards: Vec<Backend>,
    parts: StoredParts,
    objects: StoredParts,
}

/// A failed shard in a batch operation.
#[derive(Debug)]
pub struct ShardFailure {
    pub shard: usize,
    pub error: StoreError,
}

/// What a batch load found: the players of the healthy shards, and the shards that failed (their
/// players are neither found nor known to be new).
#[derive(Debug, Default)]
pub struct LoadedPlayers {
    pub players: Vec<PlayerRecord>,
    pub failed: Vec<ShardFailure>,
}

/// One player's stored history, and the state it replays to.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerHistory {
    pub row: Option<PlayerRecord>,
    pub snapshot: Option<PlayerRecord>,
    pub events: Vec<StoredEvent>,
    /// The latest snapshot with the events after it folded on.
    pub replayed: PlayerRecord,
}

impl Store {
    /// Opens a pool per shard URL without connecting (a shard that is down fails its operations, not
    /// this call; a malformed URL does). Needs no tokio runtime: call it from anywhere, before or
    /// without an app. The store still has to be migrated ([`Store::migrate`]) before it serves.
    pub fn open(urls: &[String]) -> Result<Self, StoreError> {
        let _pools = crate::runtime::pool_runtime().enter();
        let shards = urls
            .iter()
            .enumerate()
            .map(|(shard, url)| {
                Backend::open(url).map_err(|source| StoreError::Open {
                    shard,
                    url: url.clone(),
                    source,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            shards,
            parts: StoredParts::default(),
            objects: StoredParts::default(),
        })
    }

    /// Keeps `parts` for every player too: their tables are created by [`Store::migrate`], their
    /// rows written with the players' and loaded with them.
    pub fn with_parts(mut self, parts: StoredParts) -> Self {
        self.parts = parts;
        self.check_tables();
        self
    }

    /// Keeps objects of these kinds (each kind's state is the part of that name; see
    /// [`super::object`]): their tables are created by [`Store::migrate`].
    pub fn with_objects(mut self, kinds: StoredParts) -> Self {
        self.objects = kinds;
        self.check_tables();
        self
    }

    /// Panics when a player part and an object kind share a table: a programming error found at
    /// start-up.
    fn check_tables(&self) {
        for object in self.objects.entries() {
            assert!(
                self.parts
                    .entries()
                    .all(|part| part.table().name != object.table().name),
                "table {} belongs to a player part and to object kind {}",
                object.table().name,
                object.name()
            );
        }
    }

    /// The feature parts this store keeps.
    pub fn parts(&self) -> &StoredParts {
        &self.parts
    }

    /// The kinds of objects this store keeps.
    pub fn objects(&self) -> &StoredParts {
        &self.objects
    }

    fn part_tables(&self) -> Vec<&'static TableSpec> {
        self.parts.entries().map(|entry| entry.table()).collect()
    }

    /// Every table of parts and object kinds, for migrations.
    fn all_tables(&self) -> Vec<&'static TableSpec> {
        self.parts
            .entries()
            .chain(self.objects.entries())
            .map(|entry| entry.table())
            .collect()
    }

    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// The shard that holds `player_id`.
    pub fn shard_of(&self, player_id: u64) -> usize {
        shard_of(player_id, self.shards.len())
    }

    /// Applies the migrations to every shard, all at once; the first failure names its shard.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let mut tasks = JoinSet::new();
        for (shard, backend) in self.shards.iter().cloned().enumerate() {
            let tables = self.all_tables();
            tasks.spawn(async move {
                backend
                    .migrate(&tables)
                    .await
                    .map_err(|source| StoreError::Migrate { shard, source })
            });
        }
        while let Some(result) = tasks.join_next().await {
            result.unwrap_or_else(|panic| std::panic::resume_unwind(panic.into_panic()))?;
        }
        Ok(())
    }

    /// Loads `ids`, grouped by shard, every shard queried concurrently. A player whose row is missing
    /// or older than its newest event is rebuilt from its latest snapshot and the events after it
    /// (the recovery path). Players stored nowhere are simply absent.
    pub async fn load_players(&self, ids: &[u64]) -> LoadedPlayers {
        let mut tasks = JoinSet::new();
        for (shard, ids) in by_shard(ids.iter().copied(), |id| self.shard_of(*id)) {
            let backend = self.shards[shard].clone();
            let parts = self.parts.clone();
            tasks.spawn(async move {
                let loaded = load_shard(&backend, &parts, shard, &ids).await;
                (shard, loaded)
            });
        }
        let mut result = LoadedPlayers::default();
        while let Some(joined) = tasks.join_next().await {
            let (shard, loaded) =
                joined.unwrap_or_else(|panic| std::panic::resume_unwind(panic.into_panic()));
            match loaded {
                Ok(players) => result.players.extend(players),
                Err(error) => result.failed.push(ShardFailure { shard, error }),
            }
        }
        result.failed.sort_by_key(|failure| failure.shard);
        result
    }

    /// Writes one shard's batch, its players' parts included, in one transaction; returns the
    /// data statements it took.
    pub async fn write(&self, shard: usize, batch: &ShardBatch) -> Result<u64, StoreError> {
        let parts = batch
            .part_writes(&self.parts, &self.objects)
            .map_err(|source| StoreError::Part { shard, source })?;
        self.shards[shard]
            .write(batch, &parts)
            .await
            .map_err(StoreError::query(shard))
    }

    /// Every stored event of a player, in order (the whole log, snapshots aside).
    pub async fn events(&self, player_id: u64) -> Result<Vec<StoredEvent>, StoreError> {
        let shard = self.shard_of(player_id);
        self.shards[shard]
            .events(player_id)
            .await
            .map_err(StoreError::query(shard))
    }

    /// A player's stored row, latest snapshot and later events, and what they replay to.
    pub async fn history(&self, player_id: u64) -> Result<PlayerHistory, StoreError> {
        let shard = self.shard_of(player_id);
        let backend = &self.shards[shard];
        let StoredHistory {
            mut row,
            snapshot,
            events,
        } = backend
            .history(player_id)
            .await
            .map_err(StoreError::query(shard))?;
        if let Some(row) = row.as_mut() {
            attach_parts(backend, &self.parts, shard, std::slice::from_mut(row)).await?;
        }
        let replayed = replay(player_id, snapshot.clone(), &events, &self.parts)
            .map_err(|source| StoreError::Part { shard, source })?;
        Ok(PlayerHistory {
            row,
            snapshot,
            events,
            replayed,
        })
    }

    /// A player's latest `limit` events of type `kind` (`match_played`) with a seq below `before`
    /// (`u64::MAX`: the latest), newest first, however many events of other types came between them.
    pub async fn recent_events(
        &self,
        player_id: u64,
        kind: &str,
        before: u64,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let shard = self.shard_of(player_id);
        self.shards[shard]
            .recent_events(player_id, kind, before, limit)
            .await
            .map_err(StoreError::query(shard))
    }

    /// Up to `limit` per shard (and per value, for line keys) of the `(owner, value)` pairs of part
    /// `P`'s rows that hold one of `values`: who holds what a catalog change would remove.
    /// `held_in` names one of the part's own text columns.
    pub async fn part_owners<P: StoredPart>(
        &self,
        held_in: HeldIn,
        values: &[String],
        limit: u32,
    ) -> Result<Vec<(u64, String)>, StoreError> {
        debug_assert!(
            P::TABLE
                .columns
                .iter()
                .any(|known| known.name == held_in.column())
        );
        let mut owners = Vec::new();
        if values.is_empty() {
            return Ok(owners);
        }
        for (shard, backend) in self.shards.iter().enumerate() {
            owners.extend(
                backend
                    .part_owners(&P::TABLE, held_in, values, limit)
                    .await
                    .map_err(StoreError::query(shard))?,
            );
        }
        Ok(owners)
    }

    /// Up to `limit` stored rows of `shard` after the stored id `after` (ids as stored, i64; start at
    /// `i64::MIN`), in that order: pages for rebuilding read models without holding them all.
    pub async fn players_page(
        &self,
        shard: usize,
        after: i64,
        limit: u32,
    ) -> Result<Vec<PlayerRecord>, StoreError> {
        self.shards[shard]
            .players_after(after, limit)
            .await
            .map_err(StoreError::query(shard))
    }

    /// Up to `limit` of `shard`'s events not yet relayed to the stream, in player and seq order.
    pub async fn unpublished_events(
        &self,
        shard: usize,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.shards[shard]
            .unpublished(limit)
            .await
            .map_err(StoreError::query(shard))
    }

    /// Marks `events` of `shard` as relayed.
    pub async fn mark_published(
        &self,
        shard: usize,
        events: &[StoredEvent],
    ) -> Result<(), StoreError> {
        self.shards[shard]
            .mark_published(events)
            .await
            .map_err(StoreError::query(shard))
    }

    /// Events of `shard` not yet relayed.
    pub async fn unpublished_count(&self, shard: usize) -> Result<u64, StoreError> {
        self.shards[shard]
            .unpublished_count()
            .await
            .map_err(StoreError::query(shard))
    }

    /// The ids of every stored player, or a random sample of up to `per_shard` from each shard.
    pub async fn player_ids(&self, per_shard: Option<u64>) -> Result<Vec<u64>, StoreError> {
        let mut ids = Vec::new();
        for (shard, backend) in self.shards.iter().enumerate() {
            ids.extend(
                backend
                    .player_ids(per_shard)
                    .await
                    .map_err(StoreError::query(shard))?,
            );
        }
        Ok(ids)
    }

    /// Moves every player and object stored on a shard that is no longer its own (after shards were
    /// added) to its own shard: its row, every event and its latest snapshot, in one transaction
    /// there, then deletes it from the old shard. An interrupted run leaves copies that the next run
    /// completes (the writes are idempotent). Run it with the server stopped, before it serves on
    /// the new shard list. Returns how many players and objects moved.
    pub async fn rebalance(&self) -> Result<u64, StoreError> {
        let mut moved = self.rebalance_objects().await?;
        for (source, backend) in self.shards.iter().enumerate() {
            let ids = backend
                .player_ids(None)
                .await
                .map_err(StoreError::query(source))?;
            for id in ids {
                let target = self.shard_of(id);
                if target == source {
                    continue;
                }
                let history = backend
                    .history(id)
                    .await
                    .map_err(StoreError::query(source))?;
                let mut players: Vec<PlayerRecord> = history.row.into_iter().collect();
                attach_parts(backend, &self.parts, source, &mut players).await?;
                let batch = ShardBatch {
                    players,
                    events: backend
                        .events(id)
                        .await
                        .map_err(StoreError::query(source))?,
                    snapshots: history.snapshot.into_iter().collect(),
                    repaired: vec![id],
                    ..ShardBatch::default()
                };
                self.write(target, &batch).await?;
                backend
                    .delete(id, &self.part_tables())
                    .await
                    .map_err(StoreError::query(source))?;
                moved += 1;
            }
        }
        Ok(moved)
    }
}

async fn load_shard(
    backend: &Backend,
    parts: &StoredParts,
    shard: usize,
    ids: &[u64],
) -> Result<Vec<PlayerRecord>, StoreError> {
    let (mut rows, heads) = backend.load(ids).await.map_err(StoreError::query(shard))?;
    attach_parts(backend, parts, shard, &mut rows).await?;
    let mut players: HashMap<u64, PlayerRecord> =
        rows.into_iter().map(|row| (row.id, row)).collect();
    let mut repaired = ShardBatch::default();
    for (id, newest_seq) in heads {
        let behind = players.get(&id).is_none_or(|row| row.version < newest_seq);
        if behind {
            let history = backend
                .history(id)
                .await
                .map_err(StoreError::query(shard))?;
            let replayed = replay(id, history.snapshot, &history.events, parts)
                .map_err(|source| StoreError::Part { shard, source })?;
            repaired.players.push(replayed.clone());
            repaired.repaired.push(id);
            players.insert(id, replayed);
        }
    }
    if !repaired.is_empty() {
        // Read repair: the row and part rows are rewritten from the log now, so they are right
        // again before anything else is written on top of them.
        let writes = repaired
            .part_writes(parts, &StoredParts::default())
            .map_err(|source| StoreError::Part { shard, source })?;
        backend
            .write(&repaired, &writes)
            .await
            .map_err(StoreError::query(shard))?;
    }
    let mut players: Vec<PlayerRecord> = players.into_values().collect();
    players.sort_by_key(|player| player.id);
    Ok(players)
}

/// Groups `keys` by the shard that holds them.
fn by_shard<K>(
    keys: impl IntoIterator<Item = K>,
    shard_of: impl Fn(&K) -> usize,
) -> BTreeMap<usize, Vec<K>> {
    let mut grouped: BTreeMap<usize, Vec<K>> = BTreeMap::new();
    for key in keys {
        grouped.entry(shard_of(&key)).or_default().push(key);
    }
    grouped
}

/// Reads every registered part's rows of `players` (one query per part table) into their records.
async fn attach_parts(
    backend: &Backend,
    parts: &StoredParts,
    shard: usize,
    players: &mut [PlayerRecord],
) -> Result<(), StoreError> {
    if parts.is_empty() || players.is_empty() {
        return Ok(());
    }
    let ids: Vec<u64> = players.iter().map(|player| player.id).collect();
    for entry in parts.entries() {
        let mut states = part_states(backend, entry.as_ref(), shard, &ids).await?;
        for player in players.iter_mut() {
            if let Some(state) = states.remove(&player.id) {
                player.parts.insert(entry.name().to_owned(), state);
            }
        }
    }
    Ok(())
}

/// The states that `owners`' rows of one part's table hold (absent: no rows, the default state).
async fn part_states(
    backend: &Backend,
    entry: &dyn PartEntry,
    shard: usize,
    owners: &[u64],
) -> Result<HashMap<u64, PartState>, StoreError> {
    let mut by_owner: HashMap<u64, Vec<Row>> = HashMap::new();
    for (owner, row) in backend
        .load_part(entry.table(), owners)
        .await
        .map_err(StoreError::query(shard))?
    {
        by_owner.entry(owner).or_default().push(row);
    }
    let mut states = HashMap::with_capacity(by_owner.len());
    for (owner, rows) in by_owner {
        if let Some(state) = entry
            .state_of(rows)
            .map_err(|source| StoreError::Part { shard, source })?
        {
            states.insert(owner, state);
        }
    }
    Ok(states)
}
