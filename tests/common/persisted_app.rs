//! The server app without network, with persistence on an already migrated store, stepped by hand.

use arbiter::ServerPlugins;
use arbiter::config::{ConfigSource, LoadedConfig};
use arbiter::persistence::Store;
use arbiter::runtime::AsyncRuntime;
use arbiter::settings::ServerConfig;
use bevy_app::App;

/// `config` with persistence on `store`, whose pools live on `runtime`; with the admin endpoint (and
/// its query API) at `admin.bind` when `admin`.
pub(crate) fn persisted_app(
    config: ServerConfig,
    runtime: &AsyncRuntime,
    store: &Store,
    admin: bool,
) -> App {
    let mut app = App::new();
    app.insert_resource(runtime.clone());
    let plugins = ServerPlugins::new(LoadedConfig {
        config,
        source: ConfigSource::Embedded,
    })
    .with_persistence(store.clone());
    app.add_plugins(if admin {
        plugins.with_admin().expect("the admin endpoint binds")
    } else {
        plugins
    });
    app.finish();
    app.cleanup();
    app
}
