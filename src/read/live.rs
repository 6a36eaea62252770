//! The matches being played: this server's, in process, and — with Redis — every server's of a
//! fleet, so `/v1/matches` answers fleet-wide on any of them. Each server keeps its list under
//! `live-matches:{server}` (refreshed while it runs, so a dead server's list lapses) and its name in
//! the index `live-matches` (scored by when the list lapses).

use super::model::LiveMatch;
use super::presence::SESSION_TTL_SECS;
use super::redis_link::RedisLink;
use std::collections::HashSet;
use std::sync::RwLock;

const INDEX: &str = "live-matches";

fn key(server: &str) -> String {
    format!("{INDEX}:{server}")
}

#[derive(Debug, Default)]
pub struct LiveMatches {
    /// This server's name in the fleet and its matches.
    local: RwLock<(String, Vec<LiveMatch>)>,
    redis: Option<RedisLink>,
}

impl LiveMatches {
    pub fn new(redis: Option<RedisLink>) -> Self {
        Self {
            local: RwLock::default(),
            redis,
        }
    }

    /// This server's matches, without I/O.
    pub fn local(&self) -> Vec<LiveMatch> {
        self.read_local().1.clone()
    }

    /// Records this server's matches and announces them to Redis, when configured (a failure is
    /// only logged: the next change or refresh tries again).
    pub async fn publish(&self, server: String, matches: Vec<LiveMatch>) {
        *self
            .local
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = (server, matches);
        self.refresh().await;
    }

    /// Re-announces this server's matches (their lapse starts again).
    pub async fn refresh(&self) {
        let Some(redis) = &self.redis else {
            return;
        };
        let (server, matches) = self.read_local().clone();
        if server.is_empty() {
            return;
        }
        let Ok(json) = serde_json::to_string(&matches) else {
            return;
        };
        let lapses_ms = crate::net::unix_now().as_millis() as u64 + SESSION_TTL_SECS * 1000;
        let mut pipeline = redis::pipe();
        pipeline
            .cmd("SET")
            .arg(key(&server))
            .arg(json)
            .arg("EX")
            .arg(SESSION_TTL_SECS)
            .ignore()
            .cmd("ZADD")
            .arg(INDEX)
            .arg(lapses_ms)
            .arg(&server)
            .ignore();
        if let Err(error) = redis.pipeline::<()>(&pipeline).await {
            tracing::debug!(%error, "cannot announce the live matches to Redis");
        }
    }

    /// Every server's matches (each match once), or this server's when Redis does not answer.
    pub async fn fleet(&self) -> Vec<LiveMatch> {
        let Some(redis) = &self.redis else {
            return self.local();
        };
        let now_ms = crate::net::unix_now().as_millis() as u64;
        let servers: Vec<String> = match redis
            .command(
                redis::cmd("ZRANGEBYSCORE")
                    .arg(INDEX)
                    .arg(now_ms)
                    .arg("+inf"),
            )
            .await
        {
            Ok(servers) => servers,
            Err(_) => return self.local(),
        };
        if servers.is_empty() {
            return self.local();
        }
        let keys: Vec<String> = servers.iter().map(|server| key(server)).collect();
        let Ok(lists) = redis
            .command::<Vec<Option<String>>>(redis::cmd("MGET").arg(keys))
            .await
        else {
            return self.local();
        };
        let mut seen = HashSet::new();
        lists
            .iter()
            .flatten()
            .filter_map(|json| serde_json::from_str::<Vec<LiveMatch>>(json).ok())
            .flatten()
            .filter(|found| seen.insert(found.match_id))
            .collect()
    }

    fn read_local(&self) -> std::sync::RwLockReadGuard<'_, (String, Vec<LiveMatch>)> {
        self.local
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
