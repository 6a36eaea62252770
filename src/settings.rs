//! The server's settings, as read from `assets/config/server.toml`: the deploy sections only the
//! server has (sockets, persistence, cache, admin, logs) and [`ServerConfig`], the whole file.
//!
//! The sections the rules read (`[server]`, `[matchmaking]`, `[matches]`, `[movement]`,
//! `[anticheat]`) live in [`arbiter_components::config`], which game clients depend on. Every
//! section is also an ECS resource, so a system reads only the section it needs and can use change
//! detection to react to a hot reload. Loading, environment overrides and file watching are the
//! `config` module's, which depends on this one; this module only defines the shape, the defaults
//! and the checks.

mod admin;
mod cache;
mod fleet;
mod log;
mod net;
mod persistence;
mod query;
mod server;

pub use admin::AdminSettings;
pub use cache::{CacheBackend, CacheSettings};
pub use fleet::{FleetSettings, Orchestrator};
pub use log::{LogFormat, LogLevel, LogSettings};
pub use net::NetSettings;
pub use persistence::PersistenceSettings;
pub use query::QuerySettings;
pub use server::ServerSettings;

use arbiter_components::config::{
    AnticheatSettings, EconomySettings, GuildSettings, InvalidSetting, MatchSettings,
    MatchmakingSettings, MovementSettings,
};
use serde::{Deserialize, Serialize};

/// The whole configuration. Missing keys take their documented default; unknown keys are an error,
/// so a typo never silently falls back to a default.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub server: ServerSettings,
    pub net: NetSettings,
    pub matchmaking: MatchmakingSettings,
    pub matches: MatchSettings,
    pub movement: MovementSettings,
    pub anticheat: AnticheatSettings,
    pub economy: EconomySettings,
    pub guilds: GuildSettings,
    pub persistence: PersistenceSettings,
    pub cache: CacheSettings,
    pub admin: AdminSettings,
    pub query: QuerySettings,
    pub log: LogSettings,
    pub fleet: FleetSettings,
}

impl ServerConfig {
    /// Checks every value against its documented range; the error names the first bad key.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        self.server.validate()?;
        self.net.validate()?;
        self.matchmaking.validate()?;
        self.matches.validate()?;
        self.movement.validate()?;
        self.anticheat.validate()?;
        self.economy.validate()?;
        self.guilds.validate()?;
        self.persistence.validate()?;
        self.cache.validate()?;
        self.admin.validate()?;
        self.query.validate()?;
        self.fleet.validate()?;
        Ok(())
    }

    /// Replaces every setting that is only read at start-up (bind addresses, database and cache URLs,
    /// socket sizes, log format) with the value the server is running with, and returns the keys whose
    /// value this config tried to change. A hot reload applies the rest and warns about these.
    pub fn keep_restart_only_from(&mut self, running: &ServerConfig) -> Vec<&'static str> {
        let mut changed = Vec::new();
        self.server
            .keep_restart_only_from(&running.server, &mut changed);
        self.net.keep_restart_only_from(&running.net, &mut changed);
        self.persistence
            .keep_restart_only_from(&running.persistence, &mut changed);
        self.cache
            .keep_restart_only_from(&running.cache, &mut changed);
        self.admin
            .keep_restart_only_from(&running.admin, &mut changed);
        self.query
            .keep_restart_only_from(&running.query, &mut changed);
        self.log.keep_restart_only_from(&running.log, &mut changed);
        self.fleet
            .keep_restart_only_from(&running.fleet, &mut changed);
        changed
    }
}

/// Keeps the running value of one restart-only setting and records `key` if the new config differed.
fn keep_running<T: PartialEq + Clone>(
    key: &'static str,
    new: &mut T,
    running: &T,
    changed: &mut Vec<&'static str>,
) {
    if new != running {
        new.clone_from(running);
        changed.push(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert_eq!(ServerConfig::default().validate(), Ok(()));
    }

    #[test]
    fn validation_names_the_bad_key() {
        let mut config = ServerConfig::default();
        config.server.tick_rate_hz = 0;
        let error = config.validate().expect_err("tick rate 0 must be refused");
        assert_eq!(error.key, "server.tick_rate_hz");

        let mut config = ServerConfig::default();
        config.anticheat.max_shot_range_m = f32::NAN;
        let error = config.validate().expect_err("NaN must be refused");
        assert_eq!(error.key, "anticheat.max_shot_range_m");

        let mut config = ServerConfig::default();
        config.fleet.allocator_tls_cert = "/etc/allocator/tls.crt".into();
        config.fleet.allocator_tls_key = "/etc/allocator/tls.key".into();
        let error = config.validate().expect_err("mutual TLS without a CA");
        assert_eq!(error.key, "fleet.allocator_tls_ca");
        config.fleet.allocator_tls_ca = "/etc/allocator-ca/tls-ca.crt".into();
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn restart_only_settings_keep_their_running_value() {
        let running = ServerConfig::default();
        let mut reloaded = ServerConfig::default();
        reloaded.admin.bind = "127.0.0.1:9999".parse().expect("literal address");
        reloaded.persistence.shards = vec!["postgres://elsewhere/db".into()];
        reloaded.server.tick_rate_hz = 30;

        let changed = reloaded.keep_restart_only_from(&running);

        assert_eq!(changed, ["persistence.shards", "admin.bind"]);
        assert_eq!(reloaded.admin.bind, running.admin.bind);
        assert_eq!(reloaded.persistence.shards, running.persistence.shards);
        assert_eq!(reloaded.server.tick_rate_hz, 30, "hot settings are applied");
    }
}
