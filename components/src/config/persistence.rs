use super::invalid::{InvalidSetting, check_range};
use super::keep_running;
use bevy_ecs::resource::Resource;
use serde::{Deserialize, Serialize};

/// `[persistence]`: where player progress is stored and how often it is written.
#[derive(Resource, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PersistenceSettings {
    /// `sqlite://…` (embedded default) or `postgres://…`. Restart only; `ARBITER_DATABASE_URL` overrides.
    pub database_url: String,
    /// Milliseconds between write-behind flushes of changed players (50–600000). Hot.
    pub flush_interval_ms: u32,
}

impl Default for PersistenceSettings {
    fn default() -> Self {
        Self {
            database_url: "sqlite://arbiter-data/arbiter.db?mode=rwc".into(),
            flush_interval_ms: 1000,
        }
    }
}

impl PersistenceSettings {
    pub(super) fn validate(&self) -> Result<(), InvalidSetting> {
        let scheme_known = ["sqlite:", "postgres:", "postgresql:"]
            .iter()
            .any(|scheme| self.database_url.starts_with(scheme));
        if !scheme_known {
            return Err(InvalidSetting::new(
                "persistence.database_url",
                format!(
                    "is {:?}; it must start with sqlite:, postgres: or postgresql:",
                    self.database_url
                ),
            ));
        }
        check_range(
            "persistence.flush_interval_ms",
            self.flush_interval_ms,
            50..=600_000,
        )
    }

    pub(super) fn keep_restart_only_from(
        &mut self,
        running: &Self,
        changed: &mut Vec<&'static str>,
    ) {
        keep_running(
            "persistence.database_url",
            &mut self.database_url,
            &running.database_url,
            changed,
        );
    }
}
