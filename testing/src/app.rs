//! A server app without network, admin endpoint or signal handling, stepped by hand: each
//! `App::update` is one tick. Its config reloads come from the test instead of a file watcher.

use arbiter::ServerPlugins;
use arbiter::config::{ConfigError, ConfigReloads, ConfigSource, LoadedConfig};
use arbiter::prelude::App;
use arbiter::settings::ServerConfig;
use std::sync::mpsc::Sender;

/// Stands in for the config file watcher: send a parsed (or refused) config, and the app applies
/// it in the Config phase of its next tick.
pub type ReloadSender = Sender<Result<ServerConfig, ConfigError>>;

/// The server app on `config`, and the sender standing in for its config file watcher.
///
/// The app is not finished yet: add your own plugins and systems, finish it (`finish`, `cleanup`, as
/// a runner does), then call `update` once per tick.
///
/// ```
/// use arbiter::prelude::*;
/// use arbiter_testing::app::server_app;
///
/// #[derive(Resource, Default)]
/// struct Steps(u32);
///
/// fn count_steps(mut steps: ResMut<Steps>) {
///     steps.0 += 1;
/// }
///
/// let (mut app, _reloads) = server_app(ServerConfig::default());
/// app.init_resource::<Steps>()
///     .add_systems(FixedUpdate, count_steps.in_set(TickSystems::Simulate));
/// app.finish();
/// app.cleanup();
/// for _ in 0..3 {
///     app.update();
/// }
/// let ticks = app.world().resource::<ServerTick>().get();
/// assert!(ticks > 0);
/// assert_eq!(u64::from(app.world().resource::<Steps>().0), ticks, "in every fixed step");
/// ```
pub fn server_app(config: ServerConfig) -> (App, ReloadSender) {
    let mut app = App::new();
    app.add_plugins(ServerPlugins::new(LoadedConfig {
        config,
        source: ConfigSource::Embedded,
    }));
    let (reloads, receiver) = ConfigReloads::detached();
    app.insert_resource(receiver);
    (app, reloads)
}
