//! The schedules of a whole server (network included) are deterministic: no two systems that touch the
//! same data run in an arbitrary order.

use arbiter::ServerPlugins;
use arbiter::config::{ConfigSource, LoadedConfig};
use arbiter::settings::ServerConfig;
use arbiter_systems::ambiguity::check_ambiguities;
use bevy_app::{App, FixedUpdate, PostUpdate, PreUpdate};

fn server() -> (App, tempfile::TempDir) {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut config = ServerConfig::default();
    config.server.bind = "127.0.0.1:0".parse().expect("literal address");
    config.server.data_dir = data_dir.path().display().to_string();
    let plugins = ServerPlugins::new(LoadedConfig {
        config,
        source: ConfigSource::Embedded,
    })
    .with_network()
    .expect("network on a free port");
    let mut app = App::new();
    app.add_plugins(plugins);
    app.finish();
    app.cleanup();
    (app, data_dir)
}

#[test]
fn the_simulation_step_has_no_unordered_conflicts() {
    let (mut app, _data) = server();
    assert_eq!(check_ambiguities(&mut app, FixedUpdate), Ok(()));
}

#[test]
fn receive_and_send_have_no_unordered_conflicts() {
    let (mut app, _data) = server();
    assert_eq!(check_ambiguities(&mut app, PreUpdate), Ok(()));
    assert_eq!(check_ambiguities(&mut app, PostUpdate), Ok(()));
}
