//! A server app without admin endpoint or signal handling, whose config reloads are fed by the test.

use arbiter::ServerPlugins;
use arbiter::config::{ConfigError, ConfigReloads, ConfigSource, LoadedConfig};
use arbiter::settings::ServerConfig;
use bevy_app::App;
use std::sync::mpsc::Sender;

/// The app and the sender standing in for the config file watcher.
pub(crate) fn server_app(config: ServerConfig) -> (App, Sender<Result<ServerConfig, ConfigError>>) {
    let mut app = App::new();
    app.add_plugins(ServerPlugins::new(LoadedConfig {
        config,
        source: ConfigSource::Embedded,
    }));
    let (reloads, receiver) = ConfigReloads::detached();
    app.insert_resource(receiver);
    (app, reloads)
}
