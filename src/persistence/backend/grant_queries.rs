//! Grant queries, the same on both backends but for the SQL dialect: written once as a macro that
//! each backend instantiates with its statements.

/// Defines `queue_grant`, `grant_by_key`, `grants_for`, `grants_after` and `grants_head`.
macro_rules! grant_queries {
    (
        pool: $pool:ty,
        insert: $insert:literal,
        by_key: $by_key:literal,
        for_player: $for_player:literal,
        after: $after:literal,
        head: $head:literal $(,)?
    ) => {
        /// Queues `grant` unless its key is taken; returns whether it was queued.
        pub(super) async fn queue_grant(
            pool: &$pool,
            grant: &crate::persistence::QueuedGrant,
        ) -> Result<bool, sqlx::Error> {
            let done = sqlx::query($insert)
                .bind(grant.key.as_str())
                .bind(grant.player_id as i64)
                .bind(grant.item.as_str())
                .bind(i64::from(grant.qty))
                .bind(grant.reason.as_str())
                .bind(grant.created_at_ms)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        }

        /// The grant queued under `key`, if any.
        pub(super) async fn grant_by_key(
            pool: &$pool,
            key: &str,
        ) -> Result<Option<crate::persistence::QueuedGrant>, sqlx::Error> {
            let row: Option<super::rows::GrantRow> = sqlx::query_as($by_key)
                .bind(key)
                .fetch_optional(pool)
                .await?;
            row.map(super::rows::grant).transpose()
        }

        /// Every grant queued for `player_id`, oldest first.
        pub(super) async fn grants_for(
            pool: &$pool,
            player_id: u64,
        ) -> Result<Vec<crate::persistence::QueuedGrant>, sqlx::Error> {
            let rows: Vec<super::rows::GrantRow> = sqlx::query_as($for_player)
                .bind(player_id as i64)
                .fetch_all(pool)
                .await?;
            rows.into_iter().map(super::rows::grant).collect()
        }

        /// Up to `limit` grants queued after `seq`, with their seqs, oldest first.
        pub(super) async fn grants_after(
            pool: &$pool,
            seq: i64,
            limit: u32,
        ) -> Result<Vec<(i64, crate::persistence::QueuedGrant)>, sqlx::Error> {
            let rows: Vec<(i64, String, i64, String, i64, String, i64)> = sqlx::query_as($after)
                .bind(seq)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?;
            rows.into_iter()
                .map(|(seq, key, player_id, item, qty, reason, at)| {
                    super::rows::grant((key, player_id, item, qty, reason, at))
                        .map(|grant| (seq, grant))
                })
                .collect()
        }

        /// The seq of the newest queued grant (0 when there is none).
        pub(super) async fn grants_head(pool: &$pool) -> Result<i64, sqlx::Error> {
            let (head,): (Option<i64>,) = sqlx::query_as($head).fetch_one(pool).await?;
            Ok(head.unwrap_or(0))
        }
    };
}

pub(super) use grant_queries;
