//! Loading the config at start-up and applying hot reloads at tick boundaries.
//!
//! A watcher thread parses and validates every saved version of the file off the tick thread
//! ([`watcher`]); the Config phase applies the ones that passed at the next tick ([`apply`]). Each
//! section is installed as its own resource, so consumers react through change detection.

mod apply;
mod env;
mod error;
mod file;
mod watcher;

pub use apply::{ActiveConfig, ConfigReloads, ConfigStatus, apply_reloaded_config};
pub use env::{ENV_OVERRIDES, EnvLookup, process_env};
pub use error::ConfigError;
pub use file::{load_file, parse_config};

use crate::build_once::BuildOnce;
use crate::phase::ConfigSystems;
use crate::settings::ServerConfig;
use bevy_app::{App, First, Plugin};
use bevy_ecs::schedule::IntoScheduleConfigs;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the config file is looked for when `--config` is not given.
pub const DEFAULT_CONFIG_PATH: &str = "assets/config/server.toml";

/// The documented defaults, compiled in so the server runs from any directory.
pub const EMBEDDED_DEFAULTS: &str = include_str!("../assets/config/server.toml");

/// How long the watcher waits for a burst of file events to settle before reading the file.
const RELOAD_DEBOUNCE: Duration = Duration::from_millis(25);

/// Where the running config came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// A file on disk, watched for changes.
    File(PathBuf),
    /// The compiled-in defaults (no file found); nothing to watch.
    Embedded,
}

/// A validated config and where it came from.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub config: ServerConfig,
    pub source: ConfigSource,
}

impl LoadedConfig {
    /// Loads `path`, or when it is `None` the default path if that file exists and the embedded defaults
    /// otherwise. Environment overrides are applied in every case.
    pub fn load(path: Option<&Path>, env: EnvLookup<'_>) -> Result<Self, ConfigError> {
        let path = path.map(Path::to_owned).or_else(|| {
            let default = PathBuf::from(DEFAULT_CONFIG_PATH);
            default.is_file().then_some(default)
        });
        match path {
            Some(path) => Ok(Self {
                config: load_file(&path, env)?,
                source: ConfigSource::File(path),
            }),
            None => Ok(Self::embedded(env)?),
        }
    }

    /// The embedded defaults with environment overrides.
    pub fn embedded(env: EnvLookup<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            config: parse_config(EMBEDDED_DEFAULTS, &file::embedded_origin(), env)?,
            source: ConfigSource::Embedded,
        })
    }
}

/// Installs the config's sections as resources and, for a file source, watches it for changes.
#[derive(Debug)]
pub struct ConfigPlugin {
    loaded: BuildOnce<LoadedConfig>,
}

impl ConfigPlugin {
    pub fn new(loaded: LoadedConfig) -> Self {
        Self {
            loaded: BuildOnce::new(loaded),
        }
    }
}

impl Plugin for ConfigPlugin {
    fn build(&self, app: &mut App) {
        let LoadedConfig { config, source } = self.loaded.take();
        let reloads = match &source {
            ConfigSource::File(path) => match watcher::watch(path, RELOAD_DEBOUNCE) {
                Ok(reloads) => reloads,
                Err(error) => {
                    tracing::error!(path = %path.display(), %error, "cannot watch the config file; hot reload is off");
                    ConfigReloads::disconnected()
                }
            },
            ConfigSource::Embedded => {
                tracing::info!(
                    "no config file found; running on the embedded defaults (hot reload is off)"
                );
                ConfigReloads::disconnected()
            }
        };
        apply::install(app.world_mut(), config, source);
        app.insert_resource(reloads)
            .add_systems(First, apply_reloaded_config.in_set(ConfigSystems::Apply));
    }
}
