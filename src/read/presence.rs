//! Who is online, and where: in process always, and in Redis (`session:{player_id}`, refreshed while
//! online) when configured, so any server instance or tool can answer in one lookup.

use super::redis_link::RedisLink;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::RwLock;

/// Seconds a Redis session entry lives without a refresh: a crashed server's players go offline.
pub(super) const SESSION_TTL_SECS: u64 = 60;

/// An online player's session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionInfo {
    pub player_id: u64,
    /// The server instance (its game address) the player is connected to.
    pub server_id: String,
    /// Milliseconds since the Unix epoch.
    pub connected_at_ms: i64,
    /// The match the player is in on that server, if any.
    #[serde(default)]
    pub match_id: Option<u64>,
}

/// Deletes a session entry only if it names the server (ARGV[1]) that saw the player leave.
static FORGET: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(
        r"local session = redis.call('GET', KEYS[1])
        if session and cjson.decode(session).server_id == ARGV[1] then
          return redis.call('DEL', KEYS[1])
        end
        return 0",
    )
});

fn key(player_id: u64) -> String {
    format!("session:{player_id}")
}

/// The session directory.
#[derive(Debug, Default)]
pub struct Presence {
    local: RwLock<HashMap<u64, SessionInfo>>,
    redis: Option<RedisLink>,
}

impl Presence {
    pub fn new(redis: Option<RedisLink>) -> Self {
        Self {
            local: RwLock::default(),
            redis,
        }
    }

    /// Records a connection (in Redis too, when configured; a Redis failure is only counted).
    pub async fn connected(&self, session: SessionInfo) {
        if let Some(redis) = &self.redis
            && let Ok(json) = serde_json::to_string(&session)
        {
            let mut command = redis::cmd("SET");
            command
                .arg(key(session.player_id))
                .arg(json)
                .arg("EX")
                .arg(SESSION_TTL_SECS);
            let _ = redis.command::<()>(&command).await;
        }
        self.write_local().insert(session.player_id, session);
    }

    /// Forgets a connection. In Redis only while the entry is still this server's: in a fleet the
    /// player may already be connected to another server (its game server), whose entry stays.
    pub async fn disconnected(&self, player_id: u64) {
        let gone = self.write_local().remove(&player_id);
        if let (Some(redis), Some(gone)) = (&self.redis, gone) {
            let mut invocation = FORGET.prepare_invoke();
            invocation.key(key(player_id)).arg(gone.server_id);
            let _ = redis.script::<u8>(&invocation).await;
        }
    }

    /// Where `player_id` is online: Redis first (it knows every instance), then this server (which
    /// also answers while Redis is down or has lost the entry).
    pub async fn lookup(&self, player_id: u64) -> Option<SessionInfo> {
        if let Some(redis) = &self.redis
            && let Ok(Some(json)) = redis
                .command::<Option<String>>(redis::cmd("GET").arg(key(player_id)))
                .await
            && let Ok(session) = serde_json::from_str(&json)
        {
            return Some(session);
        }
        self.local_lookup(player_id)
    }

    /// Whether each of `players` is online: one `MGET` on Redis (every instance), else — or where
    /// Redis does not know — this server's own sessions.
    pub async fn online(&self, players: &[u64]) -> Vec<bool> {
        let mut online: Vec<bool> = players
            .iter()
            .map(|player| self.local_lookup(*player).is_some())
            .collect();
        if let Some(redis) = &self.redis
            && !players.is_empty()
        {
            let keys: Vec<String> = players.iter().map(|player| key(*player)).collect();
            if let Ok(found) = redis
                .command::<Vec<Option<String>>>(redis::cmd("MGET").arg(keys))
                .await
            {
                for (here, there) in online.iter_mut().zip(found) {
                    *here |= there.is_some();
                }
            }
        }
        online
    }

    /// This server's own answer, without I/O.
    pub fn local_lookup(&self, player_id: u64) -> Option<SessionInfo> {
        self.local
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&player_id)
            .cloned()
    }

    /// Re-announces every local session to Redis (their TTL restarts), in one pipeline.
    pub async fn refresh(&self) {
        let Some(redis) = &self.redis else {
            return;
        };
        let sessions: Vec<SessionInfo> = self
            .local
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .values()
            .cloned()
            .collect();
        let mut pipeline = redis::pipe();
        for session in &sessions {
            if let Ok(json) = serde_json::to_string(session) {
                pipeline
                    .cmd("SET")
                    .arg(key(session.player_id))
                    .arg(json)
                    .arg("EX")
                    .arg(SESSION_TTL_SECS)
                    .ignore();
            }
        }
        if !sessions.is_empty() {
            let _ = redis.pipeline::<()>(&pipeline).await;
        }
    }

    fn write_local(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<u64, SessionInfo>> {
        self.local
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
