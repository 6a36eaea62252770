//! Transfer journal queries, the same on both backends but for the SQL dialect: written once as a
//! macro that each backend instantiates with its statements.

/// Defines `transfer_rows`, `holds_transfer_leg` and `complete_transfer`.
macro_rules! transfer_queries {
    (
        pool: $pool:ty,
        all: $all:literal,
        open: $open:literal,
        holds: $holds:literal,
        complete: $complete:literal $(,)?
    ) => {
        /// The journal rows (only those not yet known complete, when `open_only`): each row's
        /// owner (its kind, `""` for a player, and id) and its transfer.
        pub(super) async fn transfer_rows(
            pool: &$pool,
            open_only: bool,
        ) -> Result<Vec<((String, u64), crate::persistence::Transfer)>, sqlx::Error> {
            let query = if open_only { $open } else { $all };
            let rows: Vec<(String, i64, String)> = sqlx::query_as(query).fetch_all(pool).await?;
            rows.into_iter()
                .map(|(kind, owner, json)| {
                    Ok(((kind, owner as u64), super::rows::stored_transfer(&json)?))
                })
                .collect()
        }

        /// Whether the leg of transfer `id` of the owner of kind `kind` (`""`: a player) and id
        /// `owner` is stored here.
        pub(super) async fn holds_transfer_leg(
            pool: &$pool,
            id: &str,
            kind: &str,
            owner: u64,
        ) -> Result<bool, sqlx::Error> {
            let found: Option<(i64,)> = sqlx::query_as($holds)
                .bind(id)
                .bind(kind)
                .bind(owner as i64)
                .fetch_optional(pool)
                .await?;
            Ok(found.is_some())
        }

        /// Marks this shard's rows of transfer `id` complete: every leg is stored.
        pub(super) async fn complete_transfer(pool: &$pool, id: &str) -> Result<(), sqlx::Error> {
            sqlx::query($complete).bind(id).execute(pool).await?;
            Ok(())
        }
    };
}

pub(super) use transfer_queries;
