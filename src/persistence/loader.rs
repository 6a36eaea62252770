//! The async loader: players who connect are loaded in batches (every request waiting at that moment,
//! one query per shard, all shards at once). A shard that fails keeps its players loading and retries
//! them with backoff; the others are answered at once.

use super::record::PlayerRecord;
use super::store::Store;
use super::writer::backoff;
use crate::telemetry::metrics::PERSIST_FAILURES_TOTAL;
use bevy_ecs::entity::Entity;
use std::collections::HashMap;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, WeakUnboundedSender};

/// A player to load for `entity`; `attempt` counts earlier failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct LoadRequest {
    pub(super) entity: Entity,
    pub(super) player_id: u64,
    pub(super) attempt: u32,
}

/// A finished load: the stored record, or `None` for a player stored nowhere.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Loaded {
    pub(super) entity: Entity,
    pub(super) player_id: u64,
    pub(super) record: Option<PlayerRecord>,
}

/// Runs until the request channel closes; `retries` is a weak sender of that channel, so pending
/// retries do not keep it open.
pub(super) async fn run_loader(
    store: Store,
    retries: WeakUnboundedSender<LoadRequest>,
    mut requests: UnboundedReceiver<LoadRequest>,
    results: UnboundedSender<Loaded>,
) {
    while let Some(first) = requests.recv().await {
        let mut batch = vec![first];
        while let Ok(request) = requests.try_recv() {
            batch.push(request);
        }
        let ids: Vec<u64> = batch.iter().map(|request| request.player_id).collect();
        let loaded = store.load_players(&ids).await;
        let mut found: HashMap<u64, PlayerRecord> = loaded
            .players
            .into_iter()
            .map(|record| (record.id, record))
            .collect();
        let failed: HashMap<usize, String> = loaded
            .failed
            .into_iter()
            .map(|failure| (failure.shard, failure.error.to_string()))
            .collect();
        for (shard, error) in &failed {
            metrics::counter!(PERSIST_FAILURES_TOTAL, "shard" => shard.to_string()).increment(1);
            tracing::warn!(shard, %error, "cannot load players; they stay loading and are retried");
        }
        for request in batch {
            if failed.contains_key(&store.shard_of(request.player_id)) {
                let retry = LoadRequest {
                    attempt: request.attempt + 1,
                    ..request
                };
                let retries = retries.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(backoff(retry.attempt)).await;
                    // Gone when the server is: then nobody waits for this player any more.
                    if let Some(retries) = retries.upgrade() {
                        let _ = retries.send(retry);
                    }
                });
            } else {
                let _ = results.send(Loaded {
                    entity: request.entity,
                    player_id: request.player_id,
                    record: found.remove(&request.player_id),
                });
            }
        }
    }
}
