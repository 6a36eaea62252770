//! The server app without network, with persistence on an already migrated store, stepped by hand.

use arbiter::ServerPlugins;
use arbiter::config::{ConfigSource, LoadedConfig};
use arbiter::persistence::Store;
use arbiter::runtime::AsyncRuntime;
use arbiter_components::config::ServerConfig;
use bevy_app::App;

/// `config` with persistence on `store`, whose pools live on `runtime`.
pub(crate) fn persisted_app(config: ServerConfig, runtime: &AsyncRuntime, store: &Store) -> App {
    let mut app = App::new();
    app.insert_resource(runtime.clone());
    app.add_plugins(
        ServerPlugins::new(LoadedConfig {
            config,
            source: ConfigSource::Embedded,
        })
        .with_persistence(store.clone()),
    );
    app.finish();
    app.cleanup();
    app
}
