//! The profile cache: what the databases said about a player, kept for `cache.profile_ttl_secs`.
//! In process (embedded default) or in Redis (`profile:{id}`, shared by every instance). Flushes
//! invalidate the players they wrote, so a read is never staler than one flush.

use super::redis_link::RedisLink;
use crate::persistence::PlayerRecord;
use crate::telemetry::metrics::CACHE_REQUESTS_TOTAL;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// One recent match of a player, from its event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MatchSummary {
    pub match_id: u64,
    /// `win`, `loss` or `draw`.
    pub outcome: String,
    pub kills: u32,
    pub deaths: u32,
    /// Rating after the match.
    pub rating: f64,
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
}

/// The stored part of a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredProfile {
    pub record: PlayerRecord,
    pub last_matches: Vec<MatchSummary>,
}

#[derive(Debug)]
enum Backend {
    Memory(Mutex<HashMap<u64, (StoredProfile, Instant)>>),
    Redis(RedisLink),
}

/// Cached profiles.
#[derive(Debug)]
pub struct ProfileCache {
    backend: Backend,
    ttl_secs: AtomicU32,
}

fn key(player_id: u64) -> String {
    format!("profile:{player_id}")
}

impl ProfileCache {
    pub fn memory(ttl_secs: u32) -> Self {
        Self {
            backend: Backend::Memory(Mutex::default()),
            ttl_secs: AtomicU32::new(ttl_secs),
        }
    }

    pub fn redis(link: RedisLink, ttl_secs: u32) -> Self {
        Self {
            backend: Backend::Redis(link),
            ttl_secs: AtomicU32::new(ttl_secs),
        }
    }

    /// `cache.profile_ttl_secs` is hot: entries written from now on live this long.
    pub fn set_ttl_secs(&self, ttl_secs: u32) {
        self.ttl_secs.store(ttl_secs, Ordering::Relaxed);
    }

    fn ttl(&self) -> Duration {
        Duration::from_secs(u64::from(self.ttl_secs.load(Ordering::Relaxed)))
    }

    /// The cached profile, `None` on a miss or when the cache cannot answer (counted as `error`).
    pub async fn get(&self, player_id: u64) -> Option<StoredProfile> {
        let (found, result) = self.lookup(player_id).await;
        metrics::counter!(CACHE_REQUESTS_TOTAL, "result" => result).increment(1);
        found
    }

    /// A second look by the first of concurrent missers, not counted again: another flight may have
    /// filled the entry between this request's miss and its own flight.
    pub async fn recheck(&self, player_id: u64) -> Option<StoredProfile> {
        self.lookup(player_id).await.0
    }

    async fn lookup(&self, player_id: u64) -> (Option<StoredProfile>, &'static str) {
        match &self.backend {
            Backend::Memory(entries) => {
                let mut entries = lock(entries);
                match entries.get(&player_id) {
                    Some((profile, expires)) if *expires > Instant::now() => {
                        (Some(profile.clone()), "hit")
                    }
                    Some(_) => {
                        entries.remove(&player_id);
                        (None, "miss")
                    }
                    None => (None, "miss"),
                }
            }
            Backend::Redis(redis) => {
                match redis
                    .command::<Option<String>>(redis::cmd("GET").arg(key(player_id)))
                    .await
                {
                    Ok(Some(json)) => match serde_json::from_str(&json) {
                        Ok(profile) => (Some(profile), "hit"),
                        Err(_) => (None, "miss"),
                    },
                    Ok(None) => (None, "miss"),
                    Err(_) => (None, "error"),
                }
            }
        }
    }

    /// Caches `profile` for the TTL (a Redis failure is only counted).
    pub async fn put(&self, profile: &StoredProfile) {
        let ttl = self.ttl();
        match &self.backend {
            Backend::Memory(entries) => {
                lock(entries).insert(profile.record.id, (profile.clone(), Instant::now() + ttl));
            }
            Backend::Redis(redis) => {
                if let Ok(json) = serde_json::to_string(profile) {
                    let mut command = redis::cmd("SET");
                    command
                        .arg(key(profile.record.id))
                        .arg(json)
                        .arg("EX")
                        .arg(ttl.as_secs().max(1));
                    if redis.command::<()>(&command).await.is_err() {
                        metrics::counter!(CACHE_REQUESTS_TOTAL, "result" => "error").increment(1);
                    }
                }
            }
        }
    }

    /// Drops expired in-process entries, so the TTL bounds memory even for profiles never read
    /// again (Redis expires its own).
    pub fn sweep(&self) {
        if let Backend::Memory(entries) = &self.backend {
            let now = Instant::now();
            lock(entries).retain(|_, (_, expires)| *expires > now);
        }
    }

    /// Entries held in process (0 on Redis).
    #[cfg(test)]
    fn local_len(&self) -> usize {
        match &self.backend {
            Backend::Memory(entries) => lock(entries).len(),
            Backend::Redis(_) => 0,
        }
    }

    /// Drops the entries of players a flush just wrote (one round trip on Redis).
    pub async fn invalidate(&self, player_ids: &[u64]) {
        if player_ids.is_empty() {
            return;
        }
        match &self.backend {
            Backend::Memory(entries) => {
                let mut entries = lock(entries);
                for id in player_ids {
                    entries.remove(id);
                }
            }
            Backend::Redis(redis) => {
                let mut command = redis::cmd("DEL");
                for id in player_ids {
                    command.arg(key(*id));
                }
                if redis.command::<()>(&command).await.is_err() {
                    metrics::counter!(CACHE_REQUESTS_TOTAL, "result" => "error").increment(1);
                }
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_ttl_bounds_the_in_process_cache_even_for_entries_never_read_again() {
        let cache = ProfileCache::memory(1);
        for id in 0..100 {
            cache
                .put(&StoredProfile {
                    record: PlayerRecord::new(id),
                    last_matches: Vec::new(),
                })
                .await;
        }
        cache.sweep();
        assert_eq!(cache.local_len(), 100, "nothing expired yet");
        tokio::time::sleep(Duration::from_millis(1100)).await;
        cache.sweep();
        assert_eq!(cache.local_len(), 0);
    }
}
