//! What can go wrong talking to a shard.

/// A failed database operation, naming the shard it failed on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("shard {shard} ({url}): cannot open: {source}")]
    Open {
        shard: usize,
        url: String,
        source: sqlx::Error,
    },
    #[error("shard {shard}: migration failed: {source}")]
    Migrate {
        shard: usize,
        source: sqlx::migrate::MigrateError,
    },
    #[error("shard {shard}: {source}")]
    Query { shard: usize, source: sqlx::Error },
    #[error("shard {shard}: {source}")]
    Part {
        shard: usize,
        source: super::part::PartError,
    },
    #[error("shard {shard}: player {player_id}: stored data does not decode: {problem}")]
    Corrupt {
        shard: usize,
        player_id: u64,
        problem: String,
    },
}

impl StoreError {
    /// Names `shard` on a failed query: `.map_err(StoreError::query(shard))`.
    pub fn query(shard: usize) -> impl FnOnce(sqlx::Error) -> Self {
        move |source| StoreError::Query { shard, source }
    }

    /// The shard the error happened on.
    pub fn shard(&self) -> usize {
        match self {
            StoreError::Open { shard, .. }
            | StoreError::Migrate { shard, .. }
            | StoreError::Query { shard, .. }
            | StoreError::Part { shard, .. }
            | StoreError::Corrupt { shard, .. } => *shard,
        }
    }
}
