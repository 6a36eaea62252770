//! The outbox relay: events the writer committed are read back from each shard, appended to the Redis
//! stream `player-events` (capped with `MAXLEN ~`), and only then marked published. A Redis outage
//! delays publication but loses nothing; a crash between the append and the mark publishes an event
//! twice (at-least-once: consumers dedupe by `(player_id, seq)`). A player's events live on one shard
//! and are relayed in seq order, so each player's events arrive in order.

use super::redis_link::RedisLink;
use crate::persistence::Store;
use crate::telemetry::metrics::OUTBOX_PENDING;
use std::time::Duration;

/// The Redis stream events are relayed to.
pub const STREAM: &str = "player-events";
/// Approximate cap on the stream's length (`XADD … MAXLEN ~`).
const STREAM_MAXLEN: u64 = 1_000_000;
/// Events per relay round per shard.
const BATCH: u32 = 1_000;
/// Pause between rounds that found nothing (or failed).
const IDLE: Duration = Duration::from_millis(200);

/// Relays forever (until the runtime stops).
pub async fn relay(store: Store, redis: RedisLink) {
    let mut failing = false;
    loop {
        let mut busy = false;
        let mut pending = 0;
        let mut failure = None;
        for shard in 0..store.shard_count() {
            match relay_batch(&store, &redis, shard).await {
                Ok(relayed) => busy |= relayed == BATCH as usize,
                Err(error) => failure = Some(error),
            }
            pending += store.unpublished_count(shard).await.unwrap_or(0);
        }
        metrics::gauge!(OUTBOX_PENDING).set(pending as f64);
        match (&failure, failing) {
            (Some(error), false) => {
                tracing::warn!(%error, pending, "cannot relay player events; they wait in the outbox")
            }
            (None, true) => tracing::info!("relaying player events again"),
            _ => {}
        }
        failing = failure.is_some();
        if !busy || failing {
            tokio::time::sleep(IDLE).await;
        }
    }
}

/// Relays up to one batch of `shard`'s unpublished events; returns how many.
async fn relay_batch(store: &Store, redis: &RedisLink, shard: usize) -> Result<usize, String> {
    let events = store
        .unpublished_events(shard, BATCH)
        .await
        .map_err(|error| error.to_string())?;
    if events.is_empty() {
        return Ok(0);
    }
    let mut pipeline = redis::pipe();
    for stored in &events {
        let payload = serde_json::to_string(&stored.event).map_err(|error| error.to_string())?;
        pipeline
            .cmd("XADD")
            .arg(STREAM)
            .arg("MAXLEN")
            .arg("~")
            .arg(STREAM_MAXLEN)
            .arg("*")
            .arg("player_id")
            .arg(stored.player_id)
            .arg("seq")
            .arg(stored.seq)
            .arg("type")
            .arg(stored.event.kind())
            .arg("at_ms")
            .arg(stored.at_ms)
            .arg("payload")
            .arg(payload)
            .ignore();
    }
    redis
        .pipeline::<()>(&pipeline)
        .await
        .map_err(|error| format!("Redis: {error}"))?;
    store
        .mark_published(shard, &events)
        .await
        .map_err(|error| error.to_string())?;
    Ok(events.len())
}
