use super::invalid::{InvalidSetting, check_range};
use super::keep_running;
use bevy_ecs::resource::Resource;
use serde::{Deserialize, Serialize};

/// `[persistence]`: where player progress is stored and how often it is written.
#[derive(Resource, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PersistenceSettings {
    /// One database URL per shard: `sqlite://…` (embedded default) or `postgres://…`. A player's
    /// shard follows from their id. Restart only; `ARBITER_DATABASE_URL` (comma-separated) overrides.
    pub shards: Vec<String>,
    /// Seconds between write-behind flushes of changed players (1–3600). Hot.
    pub flush_interval_secs: u32,
}

impl Default for PersistenceSettings {
    fn default() -> Self {
        Self {
            shards: vec!["sqlite://arbiter-data/shard0.db?mode=rwc".into()],
            flush_interval_secs: 5,
        }
    }
}

const KNOWN_SCHEMES: [&str; 3] = ["sqlite:", "postgres:", "postgresql:"];

impl PersistenceSettings {
    pub(super) fn validate(&self) -> Result<(), InvalidSetting> {
        if self.shards.is_empty() {
            return Err(InvalidSetting::new(
                "persistence.shards",
                "is empty; it needs at least one database URL",
            ));
        }
        if let Some(url) = self
            .shards
            .iter()
            .find(|url| !KNOWN_SCHEMES.iter().any(|scheme| url.starts_with(scheme)))
        {
            return Err(InvalidSetting::new(
                "persistence.shards",
                format!("has {url:?}; every URL must start with sqlite:, postgres: or postgresql:"),
            ));
        }
        check_range(
            "persistence.flush_interval_secs",
            self.flush_interval_secs,
            1..=3600,
        )
    }

    pub(super) fn keep_restart_only_from(
        &mut self,
        running: &Self,
        changed: &mut Vec<&'static str>,
    ) {
        keep_running(
            "persistence.shards",
            &mut self.shards,
            &running.shards,
            changed,
        );
    }
}
