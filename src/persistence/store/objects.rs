//! The store's side of stored objects: batch loads by key across shards, history and replay, the
//! list of stored objects, and moving them when shards are added.

use super::{Store, by_shard, part_states};
use crate::persistence::backend::Backend;
use crate::persistence::batch::ShardBatch;
use crate::persistence::error::StoreError;
use crate::persistence::object::{ObjectEvent, ObjectKey, ObjectRecord, replay_object};
use crate::persistence::part::{PartEntry, PartError, StoredParts};
use crate::persistence::store::ShardFailure;
use std::collections::{BTreeMap, HashMap};
use tokio::task::JoinSet;

/// One object's stored history, and the state it replays to.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectHistory {
    /// Its head and rows as stored.
    pub row: Option<ObjectRecord>,
    pub snapshot: Option<ObjectRecord>,
    pub events: Vec<ObjectEvent>,
    /// The latest snapshot with the events after it folded on.
    pub replayed: ObjectRecord,
}

impl Store {
    /// Loads `keys`, grouped by shard, every shard queried concurrently. An object whose head is
    /// missing or older than its newest event is rebuilt from its latest snapshot and the events
    /// after it. Objects stored nowhere are absent; a key of an unregistered kind fails its shard.
    pub async fn load_objects(&self, keys: &[ObjectKey]) -> (Vec<ObjectRecord>, Vec<ShardFailure>) {
        let mut tasks = JoinSet::new();
        for (shard, keys) in by_shard(keys.iter().cloned(), |key| self.shard_of(key.id)) {
            let backend = self.shards[shard].clone();
            let kinds = self.objects.clone();
            tasks.spawn(async move {
                let loaded = load_shard_objects(&backend, &kinds, shard, keys).await;
                (shard, loaded)
            });
        }
        let (mut objects, mut failed) = (Vec::new(), Vec::new());
        while let Some(joined) = tasks.join_next().await {
            match joined.unwrap_or_else(|panic| std::panic::resume_unwind(panic.into_panic())) {
                (_, Ok(loaded)) => objects.extend(loaded),
                (shard, Err(error)) => failed.push(ShardFailure { shard, error }),
            }
        }
        failed.sort_by_key(|failure: &ShardFailure| failure.shard);
        (objects, failed)
    }

    /// An object's stored head and rows, latest snapshot and later events, and what they replay to.
    pub async fn object_history(&self, key: &ObjectKey) -> Result<ObjectHistory, StoreError> {
        let shard = self.shard_of(key.id);
        history(&self.shards[shard], &self.objects, shard, key).await
    }

    /// Every stored object of every shard (with a head, or only events).
    pub async fn object_keys(&self) -> Result<Vec<ObjectKey>, StoreError> {
        let mut keys = Vec::new();
        for (shard, backend) in self.shards.iter().enumerate() {
            keys.extend(
                backend
                    .object_keys()
                    .await
                    .map_err(StoreError::query(shard))?,
            );
        }
        Ok(keys)
    }

    /// Moves every object stored on a shard that is no longer its own to its own shard (see
    /// [`Store::rebalance`]); returns how many moved.
    pub(super) async fn rebalance_objects(&self) -> Result<u64, StoreError> {
        let mut moved = 0;
        for (source, backend) in self.shards.iter().enumerate() {
            let keys = backend
                .object_keys()
                .await
                .map_err(StoreError::query(source))?;
            for key in keys {
                let target = self.shard_of(key.id);
                if target == source {
                    continue;
                }
                let entry = kind(&self.objects, &key, source)?;
                let stored = history(backend, &self.objects, source, &key).await?;
                let batch = ShardBatch {
                    objects: stored.row.into_iter().collect(),
                    object_events: backend
                        .object_events(&key)
                        .await
                        .map_err(StoreError::query(source))?,
                    object_snapshots: stored.snapshot.into_iter().collect(),
                    ..ShardBatch::default()
                };
                self.write(target, &batch).await?;
                backend
                    .delete_object(&key, entry.table())
                    .await
                    .map_err(StoreError::query(source))?;
                moved += 1;
            }
        }
        Ok(moved)
    }
}

/// The registered kind of `key`; an unregistered one is an error on `shard`.
fn kind<'a>(
    kinds: &'a StoredParts,
    key: &ObjectKey,
    shard: usize,
) -> Result<&'a dyn PartEntry, StoreError> {
    kinds
        .get(&key.kind)
        .map(AsRef::as_ref)
        .ok_or_else(|| StoreError::Part {
            shard,
            source: PartError {
                part: key.kind.clone(),
                problem: "is stored but no object kind of that name is registered".into(),
            },
        })
}

async fn history(
    backend: &Backend,
    kinds: &StoredParts,
    shard: usize,
    key: &ObjectKey,
) -> Result<ObjectHistory, StoreError> {
    let entry = kind(kinds, key, shard)?;
    let stored = backend
        .object_history(key)
        .await
        .map_err(StoreError::query(shard))?;
    let mut row = stored.head;
    if let Some(row) = row.as_mut() {
        row.state = part_states(backend, entry, shard, &[key.id])
            .await?
            .remove(&key.id);
    }
    let replayed = replay_object(key, stored.snapshot.clone(), &stored.events, kinds)
        .map_err(|source| StoreError::Part { shard, source })?;
    Ok(ObjectHistory {
        row,
        snapshot: stored.snapshot,
        events: stored.events,
        replayed,
    })
}

pub(super) async fn load_shard_objects(
    backend: &Backend,
    kinds: &StoredParts,
    shard: usize,
    keys: Vec<ObjectKey>,
) -> Result<Vec<ObjectRecord>, StoreError> {
    let mut by_kind: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for key in keys {
        by_kind.entry(key.kind).or_default().push(key.id);
    }
    let mut loaded = Vec::new();
    for (kind_name, ids) in by_kind {
        let entry = kind(kinds, &ObjectKey::new(kind_name.as_str(), 0), shard)?;
        let (heads, newest) = backend
            .load_objects(&kind_name, &ids)
            .await
            .map_err(StoreError::query(shard))?;
        let mut states = part_states(backend, entry, shard, &ids).await?;
        let mut objects: HashMap<u64, ObjectRecord> = heads
            .into_iter()
            .map(|mut head| {
                head.state = states.remove(&head.key.id);
                (head.key.id, head)
            })
            .collect();
        for (id, newest_seq) in newest {
            if objects
                .get(&id)
                .is_none_or(|head| head.version < newest_seq)
            {
                let key = ObjectKey::new(kind_name.as_str(), id);
                let replayed = history(backend, kinds, shard, &key).await?.replayed;
                objects.insert(id, replayed);
            }
        }
        loaded.extend(objects.into_values());
    }
    loaded.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(loaded)
}
