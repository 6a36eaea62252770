//! Operator grants on their way from the databases to the tick: the grants of each player that
//! logs in, and every grant queued while the server runs (polled once a second), delivered to the
//! tick through a channel. The tick applies them (see `grant_delivery`); this task never touches
//! the world.

use crate::persistence::{QueuedGrant, Store};
use crate::runtime::AsyncRuntime;
use bevy_ecs::resource::Resource;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;

/// How often the shards are asked for grants queued since the last look.
const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Grants read per shard per poll.
const POLL_BATCH: u32 = 500;

/// The tick's end of the mailbox, and the grants waiting for their player to finish loading.
#[derive(Resource, Debug)]
pub(super) struct GrantMailbox {
    lookups: mpsc::UnboundedSender<u64>,
    delivered: mpsc::UnboundedReceiver<QueuedGrant>,
    pub(super) waiting: HashMap<u64, Vec<QueuedGrant>>,
}

impl GrantMailbox {
    /// Starts the polling task on `runtime`.
    pub(super) fn start(store: Store, runtime: &AsyncRuntime) -> Self {
        let (lookups, lookup_requests) = mpsc::unbounded_channel();
        let (deliver, delivered) = mpsc::unbounded_channel();
        runtime.spawn(poll_grants(store, lookup_requests, deliver));
        Self {
            lookups,
            delivered,
            waiting: HashMap::new(),
        }
    }

    /// Asks for every grant queued for `player_id` (it has just loaded).
    pub(super) fn look_up(&self, player_id: u64) {
        let _ = self.lookups.send(player_id);
    }

    /// Moves what has arrived into `waiting`, by player.
    pub(super) fn collect(&mut self) {
        while let Ok(grant) = self.delivered.try_recv() {
            self.waiting.entry(grant.player_id).or_default().push(grant);
        }
    }
}

async fn poll_grants(
    store: Store,
    mut lookups: mpsc::UnboundedReceiver<u64>,
    deliver: mpsc::UnboundedSender<QueuedGrant>,
) {
    let mut heads: Vec<Option<i64>> = vec![None; store.shard_count()];
    let mut retry: Vec<u64> = Vec::new();
    let mut ticker = tokio::time::interval(POLL_INTERVAL);
    loop {
        tokio::select! {
            requested = lookups.recv() => {
                let Some(player_id) = requested else { return };
                if !look_up(&store, player_id, &deliver).await {
                    retry.push(player_id);
                }
            }
            _ = ticker.tick() => {
                for player_id in std::mem::take(&mut retry) {
                    if !look_up(&store, player_id, &deliver).await {
                        retry.push(player_id);
                    }
                }
                for (shard, head) in heads.iter_mut().enumerate() {
                    poll_shard(&store, shard, head, &deliver).await;
                }
            }
        }
        if deliver.is_closed() {
            return;
        }
    }
}

/// Sends `player_id`'s grants; false when its shard could not answer (asked again next poll).
async fn look_up(
    store: &Store,
    player_id: u64,
    deliver: &mpsc::UnboundedSender<QueuedGrant>,
) -> bool {
    match store.grants_for(player_id).await {
        Ok(grants) => {
            for grant in grants {
                let _ = deliver.send(grant);
            }
            true
        }
        Err(error) => {
            tracing::warn!(player_id, %error, "grants of a player who logged in: will ask again");
            false
        }
    }
}

/// Sends the grants of `shard` queued after `head`; the first poll only learns where the queue
/// ends (older grants reach their players at login).
async fn poll_shard(
    store: &Store,
    shard: usize,
    head: &mut Option<i64>,
    deliver: &mpsc::UnboundedSender<QueuedGrant>,
) {
    let polled = match *head {
        None => store.grants_head(shard).await.map(|seq| {
            *head = Some(seq);
            Vec::new()
        }),
        Some(after) => store.grants_after(shard, after, POLL_BATCH).await,
    };
    match polled {
        Ok(grants) => {
            for (seq, grant) in grants {
                *head = Some(seq);
                let _ = deliver.send(grant);
            }
        }
        Err(error) => tracing::warn!(shard, %error, "polling queued grants: will try again"),
    }
}
