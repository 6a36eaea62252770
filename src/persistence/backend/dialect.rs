//! Queries that are the same on both backends but for the SQL dialect: written once as a macro that
//! each backend instantiates with its statements.

/// Defines `history`, `events_after`, `line_key_owners`, `recent_events`, `players_after`, `delete`, `player_ids`,
/// `unpublished`, `unpublished_count`, `create_part_tables` and `delete_parts` for a pool type and
/// its SQL.
macro_rules! dialect_queries {
    (
        pool: $pool:ty,
        connection: $connection:ty,
        dialect: $dialect:expr,
        line_key_owners: $line_key_owners:literal,
        delete_part: $delete_part:literal,
        table_columns: $table_columns:literal,
        row: $row:literal,
        latest_snapshot: $snapshot:literal,
        events_after: $events:literal,
        recent_events: $recent:literal,
        players_after: $page:literal,
        delete: [$($delete:literal),+ $(,)?],
        sample_ids: $sample:literal,
        all_ids: $all:literal,
        unpublished: $unpublished:literal,
        unpublished_count: $count:literal $(,)?
    ) => {
        /// A player's row, latest snapshot and the events after it.
        pub(super) async fn history(
            pool: &$pool,
            id: u64,
        ) -> Result<super::StoredHistory, sqlx::Error> {
            let row: Option<super::rows::PlayerRow> = sqlx::query_as($row)
                .bind(id as i64)
                .fetch_optional(pool)
                .await?;
            let snapshot: Option<(String,)> = sqlx::query_as($snapshot)
                .bind(id as i64)
                .fetch_optional(pool)
                .await?;
            let snapshot = snapshot
                .map(|(state,)| super::rows::snapshot(&state))
                .transpose()?;
            let after = snapshot
                .as_ref()
                .map_or(0, |snapshot| snapshot.version as i64);
            Ok(super::StoredHistory {
                row: row.map(crate::persistence::record::PlayerRecord::from),
                snapshot,
                events: events_after(pool, id, after).await?,
            })
        }

        /// A player's events with a seq above `after`, in order.
        pub(super) async fn events_after(
            pool: &$pool,
            id: u64,
            after: i64,
        ) -> Result<Vec<crate::persistence::record::StoredEvent>, sqlx::Error> {
            let rows: Vec<super::rows::EventRow> = sqlx::query_as($events)
                .bind(id as i64)
                .bind(after)
                .fetch_all(pool)
                .await?;
            super::rows::events(&rows)
        }

        /// A player's latest `limit` events of type `kind` before seq `before`, newest first.
        pub(super) async fn recent_events(
            pool: &$pool,
            id: u64,
            kind: &str,
            before: u64,
            limit: u32,
        ) -> Result<Vec<crate::persistence::record::StoredEvent>, sqlx::Error> {
            let rows: Vec<super::rows::EventRow> = sqlx::query_as($recent)
                .bind(id as i64)
                .bind(kind)
                .bind(i64::try_from(before).unwrap_or(i64::MAX))
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?;
            super::rows::events(&rows)
        }

        /// Up to `limit` rows with a stored id above `after` (ids as stored: i64), in id order.
        pub(super) async fn players_after(
            pool: &$pool,
            after: i64,
            limit: u32,
        ) -> Result<Vec<crate::persistence::record::PlayerRecord>, sqlx::Error> {
            let rows: Vec<super::rows::PlayerRow> = sqlx::query_as($page)
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?;
            Ok(rows
                .into_iter()
                .map(crate::persistence::record::PlayerRecord::from)
                .collect())
        }

        /// Removes a player (row, events, snapshots, the rows of `tables`) in one transaction.
        pub(super) async fn delete(
            pool: &$pool,
            id: u64,
            tables: &[&crate::persistence::part::TableSpec],
        ) -> Result<(), sqlx::Error> {
            let mut tx = pool.begin().await?;
            for statement in [$($delete),+] {
                sqlx::query(statement)
                    .bind(id as i64)
                    .execute(&mut *tx)
                    .await?;
            }
            delete_parts(&mut tx, tables, id).await?;
            tx.commit().await
        }

        /// Every player id (with a row, or only events), or a random sample of up to `sample`.
        pub(super) async fn player_ids(
            pool: &$pool,
            sample: Option<u64>,
        ) -> Result<Vec<u64>, sqlx::Error> {
            let query = if sample.is_some() { $sample } else { $all };
            let ids: Vec<(i64,)> = sqlx::query_as(query)
                .bind(sample.map_or(i64::MAX, |limit| limit.min(i64::MAX as u64) as i64))
                .fetch_all(pool)
                .await?;
            Ok(ids.into_iter().map(|(id,)| id as u64).collect())
        }

        /// Up to `limit` events not yet relayed to the stream, in player and seq order.
        pub(super) async fn unpublished(
            pool: &$pool,
            limit: u32,
        ) -> Result<Vec<crate::persistence::record::StoredEvent>, sqlx::Error> {
            let rows: Vec<super::rows::EventRow> = sqlx::query_as($unpublished)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?;
            super::rows::events(&rows)
        }

        /// Creates the tables of the registered parts that do not exist yet, and adds the columns
        /// a part gained since its table was made (rows stored before hold the column's zero).
        pub(super) async fn create_part_tables(
            pool: &$pool,
            tables: &[&crate::persistence::part::TableSpec],
        ) -> Result<(), sqlx::Error> {
            for table in tables {
                sqlx::query(sqlx::AssertSqlSafe(table.create_statement($dialect)))
                    .execute(pool)
                    .await?;
                let existing: Vec<(String,)> = sqlx::query_as($table_columns)
                    .bind(table.name)
                    .fetch_all(pool)
                    .await?;
                let existing: Vec<&str> = existing.iter().map(|(name,)| name.as_str()).collect();
                for statement in table.add_missing_columns(&existing, $dialect) {
                    tracing::info!(table = table.name, %statement, "adding a part's new column");
                    sqlx::query(sqlx::AssertSqlSafe(statement))
                        .execute(pool)
                        .await?;
                }
            }
            Ok(())
        }

        /// Up to `limit` `(owner, value)` pairs of a part's rows whose keyed-lines `column` has a
        /// line keyed by one of `values`. One query per value: they are the few keys a catalog
        /// change removes.
        async fn line_key_owners(
            pool: &$pool,
            table: &crate::persistence::part::TableSpec,
            column: &str,
            values: &[String],
            limit: u32,
        ) -> Result<Vec<(u64, String)>, sqlx::Error> {
            let sql = format!($line_key_owners, table.name, column);
            let mut owners = Vec::new();
            for value in values {
                let found: Vec<(i64,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(crate::persistence::part::keyed_lines::key_needle(value))
                    .bind(i64::from(limit))
                    .fetch_all(pool)
                    .await?;
                owners.extend(found.into_iter().map(|(owner,)| (owner as u64, value.clone())));
            }
            Ok(owners)
        }

        /// Removes an owner's rows from the parts' tables.
        pub(super) async fn delete_parts(
            tx: &mut $connection,
            tables: &[&crate::persistence::part::TableSpec],
            id: u64,
        ) -> Result<(), sqlx::Error> {
            for table in tables {
                sqlx::query(sqlx::AssertSqlSafe(format!($delete_part, table.name)))
                    .bind(id as i64)
                    .execute(&mut *tx)
                    .await?;
            }
            Ok(())
        }

        /// Events not yet relayed.
        pub(super) async fn unpublished_count(pool: &$pool) -> Result<u64, sqlx::Error> {
            let (count,): (i64,) = sqlx::query_as($count).fetch_one(pool).await?;
            Ok(count as u64)
        }
    };
}

pub(super) use dialect_queries;
