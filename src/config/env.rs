//! Deploy-time overrides from the environment, so a container or a unit file can point the same
//! config file at its own database and ports.

use super::ConfigError;
use crate::settings::{LogFormat, ServerConfig};
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

/// The variables read, and the setting each one replaces.
pub const ENV_OVERRIDES: [(&str, &str); 7] = [
    ("ARBITER_BIND", "server.bind"),
    ("ARBITER_ADMIN_BIND", "admin.bind"),
    ("ARBITER_ADMIN_TOKEN", "admin.token"),
    ("ARBITER_QUERY_BIND", "query.bind"),
    ("ARBITER_DATABASE_URL", "persistence.shards"),
    ("ARBITER_REDIS_URL", "cache.redis_url"),
    ("ARBITER_LOG_FORMAT", "log.format"),
];

/// Where overrides come from: the process environment in production, a map in tests.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Reads the real process environment.
pub fn process_env(var: &str) -> Option<String> {
    std::env::var(var).ok()
}

/// Applies every override that is set. Returns the variable behind each overridden key, so a refused
/// value can be blamed on the variable rather than the file.
pub(crate) fn apply_env_overrides(
    config: &mut ServerConfig,
    lookup: EnvLookup<'_>,
) -> Result<Vec<(&'static str, &'static str)>, ConfigError> {
    let mut applied = Vec::new();
    for (var, key) in ENV_OVERRIDES {
        let Some(value) = lookup(var) else { continue };
        match key {
            "server.bind" => config.server.bind = parse_address(var, &value)?,
            "admin.bind" => config.admin.bind = parse_address(var, &value)?,
            "admin.token" => config.admin.token = value,
            "query.bind" => config.query.bind = parse_address(var, &value)?,
            "persistence.shards" => config.persistence.shards = split_urls(&value),
            "cache.redis_url" => config.cache.redis_url = value,
            "log.format" => config.log.format = parse_enum::<LogFormat>(var, &value)?,
            _ => unreachable!("every key in ENV_OVERRIDES has an arm"),
        }
        applied.push((var, key));
    }
    Ok(applied)
}

/// `ARBITER_DATABASE_URL` holds one URL per shard, comma-separated.
fn split_urls(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .map(str::to_owned)
        .collect()
}

fn parse_address(var: &'static str, value: &str) -> Result<SocketAddr, ConfigError> {
    value.parse().map_err(|error| ConfigError::Env {
        var,
        message: format!("{value:?} is not a socket address like 127.0.0.1:8080 ({error})"),
    })
}

/// Parses a lowercase enum value the way the TOML file spells it.
fn parse_enum<T: DeserializeOwned>(var: &'static str, value: &str) -> Result<T, ConfigError> {
    T::deserialize(toml::Value::String(value.to_owned())).map_err(|error| ConfigError::Env {
        var,
        message: format!("{value:?}: {error}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup_from(
        pairs: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> Option<String> {
        move |var| {
            pairs
                .iter()
                .find(|(name, _)| *name == var)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn overrides_replace_file_values_and_report_their_variable() {
        let mut config = ServerConfig::default();
        let lookup = lookup_from(&[
            (
                "ARBITER_DATABASE_URL",
                "postgres://127.0.0.1/a, postgres://127.0.0.1/b",
            ),
            ("ARBITER_ADMIN_BIND", "127.0.0.1:0"),
            ("ARBITER_LOG_FORMAT", "json"),
        ]);

        let applied = apply_env_overrides(&mut config, &lookup).expect("valid overrides");

        assert_eq!(
            config.persistence.shards,
            ["postgres://127.0.0.1/a", "postgres://127.0.0.1/b"]
        );
        assert_eq!(config.admin.bind.port(), 0);
        assert_eq!(config.log.format, LogFormat::Json);
        assert_eq!(applied.len(), 3);
    }

    #[test]
    fn an_unparsable_override_names_the_variable() {
        let mut config = ServerConfig::default();
        let lookup = lookup_from(&[("ARBITER_BIND", "not-an-address")]);

        let error = apply_env_overrides(&mut config, &lookup).expect_err("bad address");

        assert!(
            error
                .to_string()
                .starts_with("environment variable ARBITER_BIND:"),
            "{error}"
        );
    }
}
