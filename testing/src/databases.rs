//! Real databases for persistence tests: SQLite files in a temporary directory, and fresh PostgreSQL
//! databases on 127.0.0.1:5432 (trust auth), dropped again at the end of the test. Without a
//! PostgreSQL server the PostgreSQL tests say they skipped — except under `CI=true`, where that fails.

use crate::unavailable::skip_unless_ci;
use sqlx::postgres::PgPoolOptions;
use std::sync::atomic::{AtomicU32, Ordering};

const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A multi-threaded tokio runtime (two workers) to drive a store from a test.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Runs `test` on the URLs of `count` SQLite shards in a fresh temporary directory.
pub fn on_sqlite<F: Future>(count: usize, test: impl FnOnce(Vec<String>) -> F) -> F::Output {
    let dir = tempfile::tempdir().expect("temp dir");
    runtime().block_on(test(sqlite_shards(&dir, count)))
}

/// Runs `test` on the URLs of `count` fresh PostgreSQL databases and drops them afterwards; without
/// a PostgreSQL server it says that it skipped (under `CI=true` that fails).
pub fn on_postgres<F: Future<Output = ()>>(count: usize, test: impl FnOnce(Vec<String>) -> F) {
    runtime().block_on(async {
        let Some(databases) = PostgresDatabases::create(count).await else {
            return;
        };
        test(databases.urls()).await;
        databases.drop_all().await;
    });
}

/// `count` SQLite shard URLs in `dir` (`shard0.db`, `shard1.db`, …; created when the store opens).
pub fn sqlite_shards(dir: &tempfile::TempDir, count: usize) -> Vec<String> {
    (0..count)
        .map(|shard| format!("sqlite://{}/shard{shard}.db", dir.path().display()))
        .collect()
}

/// Fresh PostgreSQL databases, dropped by [`PostgresDatabases::drop_all`].
#[derive(Debug)]
pub struct PostgresDatabases {
    names: Vec<String>,
}

impl PostgresDatabases {
    /// Creates `count` empty databases, or `None` (after saying so) when no PostgreSQL answers and
    /// this is not CI.
    pub async fn create(count: usize) -> Option<Self> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let admin = match PgPoolOptions::new()
            .max_connections(1)
            .connect(ADMIN_URL)
            .await
        {
            Ok(admin) => admin,
            Err(error) => {
                skip_unless_ci("PostgreSQL", ADMIN_URL, error);
                return None;
            }
        };
        let mut names = Vec::with_capacity(count);
        for _ in 0..count {
            let name = format!(
                "arbiter_test_{}_{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            );
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name}"
            )))
            .execute(&admin)
            .await
            .expect("drop a leftover test database");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&admin)
                .await
                .expect("create a test database");
            names.push(name);
        }
        Some(Self { names })
    }

    /// The databases' URLs, as `[persistence] shards` takes them.
    pub fn urls(&self) -> Vec<String> {
        self.names
            .iter()
            .map(|name| format!("postgres://postgres@127.0.0.1:5432/{name}"))
            .collect()
    }

    /// Drops every database, even with connections still open to it.
    pub async fn drop_all(self) {
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect(ADMIN_URL)
            .await
            .expect("PostgreSQL still answers");
        for name in &self.names {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&admin)
            .await
            .expect("drop a test database");
        }
    }
}
