//! Object queries that are the same on both backends but for the SQL dialect: written once as a
//! macro that each backend instantiates with its statements.

/// Defines `object_history`, `object_events_after`, `object_keys` and `delete_object` for a pool
/// type and its SQL.
macro_rules! object_queries {
    (
        pool: $pool:ty,
        head: $head:literal,
        latest_snapshot: $snapshot:literal,
        events_after: $events:literal,
        keys: $keys:literal,
        delete: [$($delete:literal),+ $(,)?] $(,)?
    ) => {
        /// An object's head (version, time), latest snapshot and the events after it.
        pub(super) async fn object_history(
            pool: &$pool,
            key: &crate::persistence::object::ObjectKey,
        ) -> Result<super::StoredObjectHistory, sqlx::Error> {
            let head: Option<(i64, i64)> = sqlx::query_as($head)
                .bind(key.kind.as_str())
                .bind(key.id as i64)
                .fetch_optional(pool)
                .await?;
            let snapshot: Option<(String,)> = sqlx::query_as($snapshot)
                .bind(key.kind.as_str())
                .bind(key.id as i64)
                .fetch_optional(pool)
                .await?;
            let snapshot = snapshot
                .map(|(state,)| super::rows::object_snapshot(&state))
                .transpose()?;
            let after = snapshot
                .as_ref()
                .map_or(0, |snapshot| snapshot.version as i64);
            Ok(super::StoredObjectHistory {
                head: head.map(|(version, at_ms)| super::rows::object_head(key, version, at_ms)),
                snapshot,
                events: object_events_after(pool, key, after).await?,
            })
        }

        /// An object's events with a seq above `after`, in order.
        pub(super) async fn object_events_after(
            pool: &$pool,
            key: &crate::persistence::object::ObjectKey,
            after: i64,
        ) -> Result<Vec<crate::persistence::object::ObjectEvent>, sqlx::Error> {
            let rows: Vec<(i64, i64, String)> = sqlx::query_as($events)
                .bind(key.kind.as_str())
                .bind(key.id as i64)
                .bind(after)
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|(seq, at_ms, payload)| super::rows::object_event(key, *seq, *at_ms, payload))
                .collect()
        }

        /// Every stored object (with a head, or only events), in kind and id order.
        pub(super) async fn object_keys(
            pool: &$pool,
        ) -> Result<Vec<crate::persistence::object::ObjectKey>, sqlx::Error> {
            let keys: Vec<(String, i64)> = sqlx::query_as($keys).fetch_all(pool).await?;
            Ok(keys
                .into_iter()
                .map(|(kind, id)| crate::persistence::object::ObjectKey::new(kind, id as u64))
                .collect())
        }

        /// Removes an object (head, events, snapshots, its rows of `table`) in one transaction.
        pub(super) async fn delete_object(
            pool: &$pool,
            key: &crate::persistence::object::ObjectKey,
            table: &crate::persistence::part::TableSpec,
        ) -> Result<(), sqlx::Error> {
            let mut tx = pool.begin().await?;
            for statement in [$($delete),+] {
                sqlx::query(statement)
                    .bind(key.kind.as_str())
                    .bind(key.id as i64)
                    .execute(&mut *tx)
                    .await?;
            }
            delete_parts(&mut tx, &[table], key.id).await?;
            tx.commit().await
        }
    };
}

pub(super) use object_queries;
