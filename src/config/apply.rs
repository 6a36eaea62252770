//! Applying a reloaded config at the tick boundary.

use super::{ConfigError, ConfigSource};
use crate::settings::ServerConfig;
use crate::telemetry::metrics::{CONFIG_RELOADS_TOTAL, CONFIG_VERSION};
use arbiter_components::tick::TickRate;
use bevy_ecs::component::{Component, Mutable};
use bevy_ecs::resource::Resource;
use bevy_ecs::world::World;
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, Sender};

/// One saved version of the config file: parsed and validated, or refused.
pub(super) type Reload = Result<ServerConfig, ConfigError>;

/// The config the server runs with now.
#[derive(Resource, Debug, Clone)]
pub struct ActiveConfig {
    pub config: ServerConfig,
    pub source: ConfigSource,
}

/// What hot reload has done so far; served by `/health`.
#[derive(Resource, Debug, Clone, PartialEq, Default)]
pub struct ConfigStatus {
    /// 1 for the config the server started with, +1 per applied reload.
    pub version: u64,
    /// Reloads that were refused.
    pub errors: u64,
    /// Why the most recent refused reload was refused, until a reload succeeds.
    pub last_error: Option<String>,
}

/// The receiving end of the watcher thread. Owns the file watcher, so dropping the world stops it.
#[derive(Resource, Debug)]
pub struct ConfigReloads {
    receiver: Mutex<Receiver<Reload>>,
    _watcher: Option<notify::RecommendedWatcher>,
}

impl ConfigReloads {
    pub(super) fn watching(
        watcher: notify::RecommendedWatcher,
        receiver: Receiver<Reload>,
    ) -> Self {
        Self {
            receiver: Mutex::new(receiver),
            _watcher: Some(watcher),
        }
    }

    /// Reloads that will never receive anything (embedded defaults, or the watcher failed).
    pub(super) fn disconnected() -> Self {
        Self::detached().1
    }

    /// Reloads fed by hand instead of by a file watcher: for embedders that get their config from
    /// elsewhere (an orchestrator, an admin command) and for tests.
    pub fn detached() -> (Sender<Result<ServerConfig, ConfigError>>, Self) {
        let (sender, receiver) = mpsc::channel();
        let reloads = Self {
            receiver: Mutex::new(receiver),
            _watcher: None,
        };
        (sender, reloads)
    }

    fn try_next(&mut self) -> Option<Reload> {
        let receiver = self
            .receiver
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        receiver.try_recv().ok()
    }
}

/// Installs a freshly loaded config: the whole of it as [`ActiveConfig`] and each section as its own
/// resource.
pub(super) fn install(world: &mut World, config: ServerConfig, source: ConfigSource) {
    install_sections(world, &config);
    world.insert_resource(ActiveConfig { config, source });
    world.insert_resource(ConfigStatus {
        version: 1,
        ..ConfigStatus::default()
    });
    metrics::gauge!(CONFIG_VERSION).set(1.0);
}

/// The Config phase: applies every reload the watcher has finished since the last tick, in order.
/// Never blocks: the parsing already happened on the watcher thread.
pub fn apply_reloaded_config(world: &mut World) {
    while let Some(reload) = world.resource_mut::<ConfigReloads>().try_next() {
        match reload {
            Ok(config) => apply(world, config),
            Err(error) => refuse(world, &error),
        }
    }
}

fn apply(world: &mut World, mut config: ServerConfig) {
    let running = &world.resource::<ActiveConfig>().config;
    for key in config.keep_restart_only_from(running) {
        tracing::warn!(
            key,
            "setting changed in the config file is only read at start-up; restart to apply it"
        );
    }
    install_sections(world, &config);
    world.resource_mut::<ActiveConfig>().config = config;
    let mut status = world.resource_mut::<ConfigStatus>();
    status.version += 1;
    status.last_error = None;
    let version = status.version;
    metrics::counter!(CONFIG_RELOADS_TOTAL, "result" => "ok").increment(1);
    metrics::gauge!(CONFIG_VERSION).set(version as f64);
    tracing::info!(version, "config reloaded");
}

fn refuse(world: &mut World, error: &ConfigError) {
    tracing::error!(%error, "config reload refused; the running config stays");
    metrics::counter!(CONFIG_RELOADS_TOTAL, "result" => "error").increment(1);
    let mut status = world.resource_mut::<ConfigStatus>();
    status.errors += 1;
    status.last_error = Some(error.to_string());
}

/// Inserts each section whose value differs from the installed one, so change detection fires only
/// for the sections a reload really changed.
fn install_sections(world: &mut World, config: &ServerConfig) {
    let ServerConfig {
        server,
        net,
        matchmaking,
        matches,
        movement,
        anticheat,
        economy,
        guilds,
        persistence,
        cache,
        admin,
        query,
        log,
        fleet,
    } = config;
    set_if_changed(world, server);
    set_if_changed(world, &TickRate::new(server.tick_rate_hz));
    set_if_changed(world, net);
    set_if_changed(world, matchmaking);
    set_if_changed(world, matches);
    set_if_changed(world, movement);
    set_if_changed(world, anticheat);
    set_if_changed(world, economy);
    set_if_changed(world, guilds);
    set_if_changed(world, persistence);
    set_if_changed(world, cache);
    set_if_changed(world, admin);
    set_if_changed(world, query);
    set_if_changed(world, log);
    set_if_changed(world, fleet);
}

fn set_if_changed<R: Resource + Component<Mutability = Mutable> + PartialEq + Clone>(
    world: &mut World,
    value: &R,
) {
    match world.get_resource_mut::<R>() {
        Some(mut current) => {
            if *current != *value {
                current.clone_from(value);
            }
        }
        None => world.insert_resource(value.clone()),
    }
}
