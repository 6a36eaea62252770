//! Hot reload: valid changes apply at the next tick; refused files change nothing and are counted.
//! Time is stepped by hand: each `App::update` is one tick.

use arbiter::config::{ActiveConfig, ConfigStatus, parse_config};
use arbiter::settings::{PersistenceSettings, ServerConfig};
use arbiter_components::config::{AnticheatSettings, MatchmakingSettings};
use arbiter_components::tick::ServerTick;
use arbiter_testing::app::server_app;
use bevy_time::{Fixed, Time};
use std::path::Path;
use std::time::Duration;

fn no_env(_: &str) -> Option<String> {
    None
}

fn parse(text: &str) -> Result<ServerConfig, arbiter::config::ConfigError> {
    parse_config(text, Path::new("server.toml"), &no_env)
}

#[test]
fn a_valid_change_is_applied_at_the_next_tick() {
    let (mut app, reloads) = server_app(ServerConfig::default());
    app.update();
    reloads
        .send(parse(
            "[server]\ntick_rate_hz = 20\n[matchmaking]\ntimeout_secs = 15\n\
             [anticheat]\nmax_fire_rate_hz = 4.0\n[persistence]\nflush_interval_secs = 2\n",
        ))
        .expect("app holds the receiver");

    app.update();

    let world = app.world();
    assert_eq!(world.resource::<MatchmakingSettings>().timeout_secs, 15);
    assert_eq!(world.resource::<AnticheatSettings>().max_fire_rate_hz, 4.0);
    assert_eq!(
        world.resource::<PersistenceSettings>().flush_interval_secs,
        2
    );
    assert_eq!(
        world.resource::<ActiveConfig>().config.server.tick_rate_hz,
        20
    );
    let status = world.resource::<ConfigStatus>();
    assert_eq!((status.version, status.errors), (2, 0));
}

#[test]
fn changing_tick_rate_changes_the_fixed_timestep_from_the_next_tick() {
    let (mut app, reloads) = server_app(ServerConfig::default());
    app.update();
    assert_eq!(
        app.world().resource::<Time<Fixed>>().timestep(),
        Duration::from_secs_f64(1.0 / 60.0)
    );
    let elapsed_before = app.world().resource::<Time<Fixed>>().elapsed();
    let tick_before = app.world().resource::<ServerTick>().get();

    reloads
        .send(parse("[server]\ntick_rate_hz = 4\n"))
        .expect("app holds the receiver");
    app.update();

    let fixed = app.world().resource::<Time<Fixed>>();
    assert_eq!(fixed.timestep(), Duration::from_millis(250));
    assert_eq!(
        fixed.elapsed() - elapsed_before,
        Duration::from_millis(250),
        "the tick right after the reload already advanced by the new step"
    );
    assert_eq!(
        app.world().resource::<ServerTick>().get(),
        tick_before + 1,
        "one step per tick"
    );
}

#[test]
fn each_kind_of_invalid_file_leaves_the_old_config_and_counts_an_error() {
    let cases = [
        (
            "bad TOML",
            "[server\ntick_rate_hz = 30\n",
            "server.toml:1:8",
        ),
        (
            "unknown key",
            "[server]\ntick_rate = 30\n",
            "server.toml:2:1",
        ),
        (
            "out of range",
            "[server]\ntick_rate_hz = 5000\n",
            "server.toml:2:16",
        ),
        (
            "wrong type",
            "[matchmaking]\ntimeout_secs = \"soon\"\n",
            "server.toml:2:16",
        ),
    ];
    let (mut app, reloads) = server_app(ServerConfig::default());
    app.update();

    for (errors_so_far, (kind, text, location)) in (1..).zip(cases) {
        reloads.send(parse(text)).expect("app holds the receiver");
        app.update();

        let world = app.world();
        assert_eq!(
            world.resource::<ActiveConfig>().config,
            ServerConfig::default(),
            "{kind}"
        );
        assert_eq!(
            world.resource::<Time<Fixed>>().timestep(),
            Duration::from_secs_f64(1.0 / 60.0)
        );
        let status = world.resource::<ConfigStatus>();
        assert_eq!(
            (status.version, status.errors),
            (1, errors_so_far),
            "{kind}"
        );
        let last_error = status.last_error.as_deref().unwrap_or_default();
        assert!(last_error.starts_with(location), "{kind}: {last_error}");
    }
}

#[test]
fn a_restart_only_change_is_not_applied_but_the_rest_of_the_file_is() {
    let (mut app, reloads) = server_app(ServerConfig::default());
    app.update();

    reloads
        .send(parse(
            "[admin]\nbind = \"127.0.0.1:9999\"\n[persistence]\nshards = [\"postgres://db/x\"]\n\
             [matchmaking]\nmatch_size = 4\n",
        ))
        .expect("app holds the receiver");
    app.update();

    let running = &app.world().resource::<ActiveConfig>().config;
    assert_eq!(running.admin.bind, ServerConfig::default().admin.bind);
    assert_eq!(
        running.persistence.shards,
        ServerConfig::default().persistence.shards
    );
    assert_eq!(app.world().resource::<MatchmakingSettings>().match_size, 4);
}

#[test]
fn the_file_watcher_applies_saves_and_refuses_broken_ones() {
    let directory = tempfile::tempdir().expect("temp dir");
    let path = directory.path().join("server.toml");
    std::fs::write(&path, "[server]\ntick_rate_hz = 60\n").expect("write config");
    let loaded = arbiter::config::LoadedConfig::load(Some(&path), &no_env).expect("valid file");
    let mut app = bevy_app::App::new();
    app.add_plugins(arbiter::ServerPlugins::new(loaded));
    app.update();

    // A plain in-place write.
    std::fs::write(&path, "[server]\ntick_rate_hz = 30\n").expect("write config");
    update_until(&mut app, |status| status.version == 2);
    assert_eq!(running_tick_rate(&app), 30);

    // A broken save.
    std::fs::write(&path, "[server]\ntick_rate_hz = 0\n").expect("write config");
    update_until(&mut app, |status| status.errors == 1);
    assert_eq!(running_tick_rate(&app), 30);

    // An editor-style save: write a temporary file, rename it over the config.
    let temporary = directory.path().join(".server.toml.swp");
    std::fs::write(&temporary, "[server]\ntick_rate_hz = 90\n").expect("write temp");
    std::fs::rename(&temporary, &path).expect("rename over config");
    update_until(&mut app, |status| status.version == 3);
    assert_eq!(running_tick_rate(&app), 90);
}

fn running_tick_rate(app: &bevy_app::App) -> u32 {
    app.world()
        .resource::<ActiveConfig>()
        .config
        .server
        .tick_rate_hz
}

/// Steps the app until the config status satisfies `done`. The watcher works on its own thread, so
/// this is the one place a test has to wait on the wall clock; it gives up after ten seconds.
fn update_until(app: &mut bevy_app::App, done: impl Fn(&ConfigStatus) -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !done(app.world().resource::<ConfigStatus>()) {
        assert!(
            std::time::Instant::now() < deadline,
            "config status never got there: {:?}",
            app.world().resource::<ConfigStatus>()
        );
        std::thread::sleep(Duration::from_millis(5));
        app.update();
    }
}
