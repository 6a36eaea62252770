//! What one flush writes to one shard, in one transaction.

use super::record::{PlayerRecord, StoredEvent};

/// Changed players (their state after the events), their new events, and snapshots due.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShardBatch {
    pub players: Vec<PlayerRecord>,
    pub events: Vec<StoredEvent>,
    pub snapshots: Vec<PlayerRecord>,
}

impl ShardBatch {
    pub fn is_empty(&self) -> bool {
        self.players.is_empty() && self.events.is_empty() && self.snapshots.is_empty()
    }
}
