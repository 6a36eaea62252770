//! Operator grants: items or currency queued for a player in its shard's `grants` table, whether
//! or not it is online, each under an idempotency key. The server applies each to its player once
//! (the economy's grant delivery).

use super::Store;
use crate::persistence::error::StoreError;

/// A grant waiting for its player.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedGrant {
    /// Its idempotency key: queuing the same key again is a no-op.
    pub key: String,
    pub player_id: u64,
    /// An item or a currency of the catalog.
    pub item: String,
    pub qty: u32,
    /// Why, for the audit log.
    pub reason: String,
    pub created_at_ms: i64,
}

/// What queuing a grant did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Queued {
    /// Stored now.
    New,
    /// The same grant was already queued under this key: nothing changed.
    Again,
    /// The key was used for another grant (shown): nothing changed.
    KeyTaken(QueuedGrant),
}

impl Store {
    /// Queues `grant` on its player's shard, once per key.
    pub async fn queue_grant(&self, grant: &QueuedGrant) -> Result<Queued, StoreError> {
        let shard = self.shard_of(grant.player_id);
        let backend = &self.shards[shard];
        if backend
            .queue_grant(grant)
            .await
            .map_err(StoreError::query(shard))?
        {
            return Ok(Queued::New);
        }
        let stored = backend
            .grant_by_key(&grant.key)
            .await
            .map_err(StoreError::query(shard))?;
        Ok(match stored {
            Some(stored) if same_grant(&stored, grant) => Queued::Again,
            Some(stored) => Queued::KeyTaken(stored),
            // The insert saw the key but the row is gone (grants are never deleted): refuse
            // rather than guess.
            None => Queued::KeyTaken(grant.clone()),
        })
    }

    /// Every grant queued for `player_id`, oldest first (applied ones included).
    pub async fn grants_for(&self, player_id: u64) -> Result<Vec<QueuedGrant>, StoreError> {
        let shard = self.shard_of(player_id);
        self.shards[shard]
            .grants_for(player_id)
            .await
            .map_err(StoreError::query(shard))
    }

    /// Up to `limit` grants of `shard` queued after `seq`, with their seqs, oldest first.
    pub async fn grants_after(
        &self,
        shard: usize,
        seq: i64,
        limit: u32,
    ) -> Result<Vec<(i64, QueuedGrant)>, StoreError> {
        self.shards[shard]
            .grants_after(seq, limit)
            .await
            .map_err(StoreError::query(shard))
    }

    /// The seq of `shard`'s newest queued grant (0 when there is none).
    pub async fn grants_head(&self, shard: usize) -> Result<i64, StoreError> {
        self.shards[shard]
            .grants_head()
            .await
            .map_err(StoreError::query(shard))
    }
}

/// The same grant but for its time.
fn same_grant(left: &QueuedGrant, right: &QueuedGrant) -> bool {
    (
        &left.key,
        left.player_id,
        &left.item,
        left.qty,
        &left.reason,
    ) == (
        &right.key,
        right.player_id,
        &right.item,
        right.qty,
        &right.reason,
    )
}
