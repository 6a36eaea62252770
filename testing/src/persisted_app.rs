//! The server app without network, with persistence on an already migrated store, stepped by hand.

use arbiter::ServerPlugins;
use arbiter::config::{ConfigSource, LoadedConfig};
use arbiter::persistence::Store;
use arbiter::prelude::App;
use arbiter::settings::ServerConfig;

/// The server app on `config` with persistence on `store` (opened and migrated, e.g. by
/// [`open_store`](arbiter::store_commands::open_store)), finished; with the admin endpoint (and its
/// query API) at `admin.bind` when `admin`. Its async work runs on the app's own
/// [`AsyncRuntime`](arbiter::runtime::AsyncRuntime) resource.
pub fn persisted_app(config: ServerConfig, store: &Store, admin: bool) -> App {
    persisted_app_with(config, store, admin, |plugins| plugins)
}

/// [`persisted_app`], with `adjust` choosing more of the server (its economy, its weapons).
pub fn persisted_app_with(
    config: ServerConfig,
    store: &Store,
    admin: bool,
    adjust: impl FnOnce(ServerPlugins) -> ServerPlugins,
) -> App {
    let plugins = adjust(ServerPlugins::new(LoadedConfig {
        config,
        source: ConfigSource::Embedded,
    }))
    .with_persistence(store.clone());
    let mut app = App::new();
    app.add_plugins(if admin {
        plugins.with_admin().expect("the admin endpoint binds")
    } else {
        plugins
    });
    app.finish();
    app.cleanup();
    app
}

/// Steps `app` (one tick each, with a short pause so its async work can progress) until `done` holds,
/// at most `ticks` times; returns whether it held.
pub fn step_until(app: &mut App, ticks: u32, done: impl Fn(&App) -> bool) -> bool {
    for _ in 0..ticks {
        if done(app) {
            return true;
        }
        app.update();
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    done(app)
}

/// Spawns player `player_id` as a connection would and steps `app` until its progress is loaded (or
/// registered); returns its entity.
pub fn log_in(app: &mut App, player_id: u64) -> arbiter::prelude::Entity {
    let player = app
        .world_mut()
        .spawn(arbiter::prelude::PlayerId(player_id))
        .id();
    assert!(
        step_until(app, 300, |app| app
            .world()
            .get::<arbiter::persistence::Progress>(player)
            .is_some()),
        "player {player_id} did not load"
    );
    player
}

/// Steps `app` until everything `player` did is in the database (at most 900 ticks: a 5 s flush
/// interval and its write); returns whether it got there.
pub fn step_until_durable(app: &mut App, player: arbiter::prelude::Entity) -> bool {
    step_until(app, 900, |app| {
        app.world()
            .get::<arbiter::persistence::Progress>(player)
            .is_some_and(arbiter::persistence::Progress::is_durable)
    })
}

/// Whether every player's and every stored object's changes in `world` are in the database.
pub fn all_durable(world: &mut arbiter::prelude::World) -> bool {
    let players = world
        .query::<&arbiter::persistence::Progress>()
        .iter(world)
        .all(arbiter::persistence::Progress::is_durable);
    let objects = world
        .query::<&arbiter::persistence::ObjectJournal>()
        .iter(world)
        .all(arbiter::persistence::ObjectJournal::is_durable);
    players && objects
}
