//! The schedules of a whole server (network included) are deterministic: no two systems that touch the
//! same data run in an arbitrary order.

use arbiter::ServerPlugins;
use arbiter::config::{ConfigSource, LoadedConfig};
use arbiter::phase::TickSystems;
use arbiter::settings::ServerConfig;
use arbiter_systems::ambiguity::check_ambiguities;
use bevy_app::{App, First, FixedUpdate, PostUpdate, PreUpdate};
use bevy_ecs::schedule::{Schedules, SystemSet};

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

/// Names of the server's own systems in `label` that are in none of `phases`.
fn outside_phases(
    app: &mut App,
    label: impl bevy_ecs::schedule::ScheduleLabel + Clone,
    phases: &[TickSystems],
) -> Vec<String> {
    check_ambiguities(app, label.clone()).expect("the schedule builds");
    let schedules = app.world().resource::<Schedules>();
    let schedule = schedules.get(label).expect("the schedule exists");
    let mut in_phase = std::collections::HashSet::new();
    for phase in phases {
        if let Ok(systems) = schedule.graph().systems_in_set(phase.intern()) {
            in_phase.extend(systems.iter().copied());
        }
    }
    let ours: Vec<_> = schedule
        .systems()
        .expect("initialized")
        .filter(|(_, system)| system.name().to_string().starts_with("arbiter"))
        .collect();
    assert!(
        !ours.is_empty(),
        "the server has systems in {schedule:?}",
        schedule = schedule.label()
    );
    ours.into_iter()
        .filter(|(key, _)| !in_phase.contains(key))
        .map(|(_, system)| system.name().to_string())
        .collect()
}

#[test]
fn every_system_of_the_server_runs_in_a_named_phase() {
    let (mut app, _data) = server();
    assert_eq!(
        outside_phases(&mut app, First, &[TickSystems::Config]),
        Vec::<String>::new()
    );
    assert_eq!(
        outside_phases(
            &mut app,
            PreUpdate,
            &[TickSystems::Receive, TickSystems::Load]
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        outside_phases(&mut app, FixedUpdate, &[TickSystems::Simulate]),
        Vec::<String>::new()
    );
    let after_simulation = [
        TickSystems::Send,
        TickSystems::Publish,
        TickSystems::Persist,
        TickSystems::Metrics,
    ];
    assert_eq!(
        outside_phases(&mut app, PostUpdate, &after_simulation),
        Vec::<String>::new()
    );
}
