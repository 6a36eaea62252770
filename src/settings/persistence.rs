use super::keep_running;
use arbiter_components::config::{InvalidSetting, check_range};
use bevy_ecs::resource::Resource;
use serde::{Deserialize, Serialize};

/// `[persistence]`: where player progress is stored and how often it is written.
#[derive(Resource, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PersistenceSettings {
    /// One database URL per shard: `sqlite://…` or `postgres://…`. A player's shard follows from
    /// their id. Empty (the default): one SQLite file, `<server.data_dir>/players.db`. Restart only;
    /// `ARBITER_DATABASE_URL` (comma-separated) overrides.
    pub shards: Vec<String>,
    /// Read replicas for the query API, one per shard in `shards` order ("" for a shard without
    /// one); empty: profiles are read from the primaries. A replica that fails or lacks a player is
    /// passed over for its primary. Restart only.
    pub replica_urls: Vec<String>,
    /// Seconds between write-behind flushes of changed players (1–3600). Hot.
    pub flush_interval_secs: u32,
    /// Seconds after which a player who changed gets a fresh snapshot (60–86400). Hot.
    pub snapshot_interval_secs: u32,
    /// A player gets a fresh snapshot after this many events since the last one (1–1000000), so a
    /// recovery never folds more than this many events. Hot.
    pub snapshot_every_events: u32,
    /// Players whose changes may wait for the database at once (1000–10000000). When reached, the
    /// server logs an error, counts it and refuses new logins; it never drops a change. Hot.
    pub max_pending_players: u32,
}

impl Default for PersistenceSettings {
    fn default() -> Self {
        Self {
            shards: Vec::new(),
            replica_urls: Vec::new(),
            flush_interval_secs: 5,
            snapshot_interval_secs: 300,
            snapshot_every_events: 100,
            max_pending_players: 100_000,
        }
    }
}

const KNOWN_SCHEMES: [&str; 3] = ["sqlite:", "postgres:", "postgresql:"];

impl PersistenceSettings {
    pub(super) fn validate(&self) -> Result<(), InvalidSetting> {
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
        if !self.replica_urls.is_empty() && self.replica_urls.len() != self.shards.len() {
            return Err(InvalidSetting::new(
                "persistence.replica_urls",
                format!(
                    "has {} URLs for {} shards; give one per shard (\"\" for none) or none at all",
                    self.replica_urls.len(),
                    self.shards.len()
                ),
            ));
        }
        if let Some(url) = self.replica_urls.iter().find(|url| {
            !url.is_empty() && !KNOWN_SCHEMES.iter().any(|scheme| url.starts_with(scheme))
        }) {
            return Err(InvalidSetting::new(
                "persistence.replica_urls",
                format!("has {url:?}; every URL must start with sqlite:, postgres: or postgresql:"),
            ));
        }
        check_range(
            "persistence.flush_interval_secs",
            self.flush_interval_secs,
            1..=3600,
        )?;
        check_range(
            "persistence.snapshot_interval_secs",
            self.snapshot_interval_secs,
            60..=86_400,
        )?;
        check_range(
            "persistence.snapshot_every_events",
            self.snapshot_every_events,
            1..=1_000_000,
        )?;
        check_range(
            "persistence.max_pending_players",
            self.max_pending_players,
            1000..=10_000_000,
        )
    }

    /// The shard URLs to open: `shards`, or the embedded default in `data_dir`.
    pub fn shard_urls(&self, data_dir: &str) -> Vec<String> {
        if self.shards.is_empty() {
            vec![format!("sqlite://{data_dir}/players.db")]
        } else {
            self.shards.clone()
        }
    }

    /// The URLs to read profiles from, one per shard: the replica where there is one, else the
    /// primary. `None` without replicas.
    pub fn read_urls(&self, data_dir: &str) -> Option<Vec<String>> {
        if self.replica_urls.is_empty() {
            return None;
        }
        Some(
            self.shard_urls(data_dir)
                .into_iter()
                .zip(&self.replica_urls)
                .map(|(primary, replica)| {
                    if replica.is_empty() {
                        primary
                    } else {
                        replica.clone()
                    }
                })
                .collect(),
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
        keep_running(
            "persistence.replica_urls",
            &mut self.replica_urls,
            &running.replica_urls,
            changed,
        );
    }
}
