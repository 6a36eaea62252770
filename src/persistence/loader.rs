//! The async loaders: what connects (a player) or is asked for (an object) is loaded in batches (every
//! request waiting at that moment, one query per shard, all shards at once). A shard that fails keeps
//! its requests loading and retries them with backoff; the others are answered at once.

use super::object::{ObjectKey, ObjectRecord};
use super::record::PlayerRecord;
use super::store::{ShardFailure, Store};
use super::writer::backoff;
use crate::telemetry::metrics::PERSIST_FAILURES_TOTAL;
use bevy_ecs::entity::Entity;
use std::collections::{HashMap, HashSet};
use std::fmt::Debug;
use std::hash::Hash;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, WeakUnboundedSender};

/// What a loader loads: players by id, objects by key.
pub(super) trait Loadable: Send + 'static {
    type Key: Clone + Eq + Hash + Debug + Send + Sync + 'static;
    type Record: Send + 'static;

    fn key_of(record: &Self::Record) -> Self::Key;
    fn shard_of(store: &Store, key: &Self::Key) -> usize;
    /// The stored records of `keys` (absent: stored nowhere), and the shards that failed.
    fn load(
        store: &Store,
        keys: Vec<Self::Key>,
    ) -> impl Future<Output = (Vec<Self::Record>, Vec<ShardFailure>)> + Send;
}

/// Players by id.
#[derive(Debug)]
pub(super) struct Players;

impl Loadable for Players {
    type Key = u64;
    type Record = PlayerRecord;

    fn key_of(record: &PlayerRecord) -> u64 {
        record.id
    }

    fn shard_of(store: &Store, key: &u64) -> usize {
        store.shard_of(*key)
    }

    async fn load(store: &Store, keys: Vec<u64>) -> (Vec<PlayerRecord>, Vec<ShardFailure>) {
        let loaded = store.load_players(&keys).await;
        (loaded.players, loaded.failed)
    }
}

/// Objects by kind and id.
#[derive(Debug)]
pub(super) struct Objects;

impl Loadable for Objects {
    type Key = ObjectKey;
    type Record = ObjectRecord;

    fn key_of(record: &ObjectRecord) -> ObjectKey {
        record.key.clone()
    }

    fn shard_of(store: &Store, key: &ObjectKey) -> usize {
        store.shard_of(key.id)
    }

    async fn load(store: &Store, keys: Vec<ObjectKey>) -> (Vec<ObjectRecord>, Vec<ShardFailure>) {
        store.load_objects(&keys).await
    }
}

/// Something to load for `entity`; `attempt` counts earlier failures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LoadRequest<K> {
    pub(super) entity: Entity,
    pub(super) key: K,
    pub(super) attempt: u32,
}

/// A finished load: the stored record, or `None` for one stored nowhere.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Loaded<K, R> {
    pub(super) entity: Entity,
    pub(super) key: K,
    pub(super) record: Option<R>,
}

/// Runs until the request channel closes; `retries` is a weak sender of that channel, so pending
/// retries do not keep it open.
pub(super) async fn run_loader<L: Loadable>(
    store: Store,
    retries: WeakUnboundedSender<LoadRequest<L::Key>>,
    mut requests: UnboundedReceiver<LoadRequest<L::Key>>,
    results: UnboundedSender<Loaded<L::Key, L::Record>>,
) {
    while let Some(first) = requests.recv().await {
        let mut batch = vec![first];
        while let Ok(request) = requests.try_recv() {
            batch.push(request);
        }
        let keys: Vec<L::Key> = batch.iter().map(|request| request.key.clone()).collect();
        let (records, failures) = L::load(&store, keys).await;
        let mut found: HashMap<L::Key, L::Record> = records
            .into_iter()
            .map(|record| (L::key_of(&record), record))
            .collect();
        let failed: HashSet<usize> = failures.iter().map(|failure| failure.shard).collect();
        for ShardFailure { shard, error } in &failures {
            metrics::counter!(PERSIST_FAILURES_TOTAL, "shard" => shard.to_string()).increment(1);
            tracing::warn!(shard, %error, "cannot load; the requests stay loading and are retried");
        }
        for request in batch {
            if failed.contains(&L::shard_of(&store, &request.key)) {
                let retry = LoadRequest {
                    attempt: request.attempt + 1,
                    ..request
                };
                let retries = retries.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(backoff(retry.attempt)).await;
                    // Gone when the server is: then nobody waits for this load any more.
                    if let Some(retries) = retries.upgrade() {
                        let _ = retries.send(retry);
                    }
                });
            } else {
                let record = found.remove(&request.key);
                let _ = results.send(Loaded {
                    entity: request.entity,
                    key: request.key,
                    record,
                });
            }
        }
    }
}
