use super::keep_running;
use arbiter_components::config::{InvalidSetting, check_range};
use bevy_ecs::resource::Resource;
use serde::{Deserialize, Serialize};

/// Where the read side caches profiles and keeps leaderboards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheBackend {
    /// In-process: no service needed, lost on restart.
    Memory,
    /// A Redis server at `cache.redis_url`.
    Redis,
}

/// `[cache]`: the read side's cache.
#[derive(Resource, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheSettings {
    /// `memory` (embedded default) or `redis`. Restart only.
    pub backend: CacheBackend,
    /// Used when `backend = "redis"`. Restart only; `ARBITER_REDIS_URL` overrides.
    pub redis_url: String,
    /// Seconds a cached profile may be served before it is read again (1–86400). Hot.
    pub profile_ttl_secs: u32,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            backend: CacheBackend::Memory,
            redis_url: "redis://127.0.0.1:6379".into(),
            profile_ttl_secs: 300,
        }
    }
}

/// A Redis URL the client accepts: `redis://` or `rediss://` (TLS).
pub(super) fn check_redis_url(key: &'static str, url: &str) -> Result<(), InvalidSetting> {
    if url.starts_with("redis://") || url.starts_with("rediss://") {
        return Ok(());
    }
    Err(InvalidSetting::new(
        key,
        format!("is {url:?}; it must start with redis:// or rediss://"),
    ))
}

impl CacheSettings {
    pub(super) fn validate(&self) -> Result<(), InvalidSetting> {
        check_redis_url("cache.redis_url", &self.redis_url)?;
        check_range("cache.profile_ttl_secs", self.profile_ttl_secs, 1..=86_400)
    }

    pub(super) fn keep_restart_only_from(
        &mut self,
        running: &Self,
        changed: &mut Vec<&'static str>,
    ) {
        keep_running(
            "cache.backend",
            &mut self.backend,
            &running.backend,
            changed,
        );
        keep_running(
            "cache.redis_url",
            &mut self.redis_url,
            &running.redis_url,
            changed,
        );
    }
}
