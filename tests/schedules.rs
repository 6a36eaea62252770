//! The schedules of a whole server (network included) are deterministic: no two systems that touch the
//! same data run in an arbitrary order.

use arbiter::phase::TickSystems;
use arbiter_systems::ambiguity::check_ambiguities;
use arbiter_testing::net::TestServer;
use bevy_app::{App, First, FixedUpdate, Last, PostUpdate, PreUpdate};
use bevy_ecs::schedule::{Schedules, SystemSet};

/// The server as tests run it (network on a free port), finished, and its data directory.
fn server() -> (App, tempfile::TempDir) {
    let TestServer { app, data_dir, .. } = TestServer::start();
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
        TickSystems::Settle,
        TickSystems::Send,
        TickSystems::Publish,
        TickSystems::Persist,
        TickSystems::Metrics,
    ];
    assert_eq!(
        outside_phases(&mut app, PostUpdate, &after_simulation),
        Vec::<String>::new()
    );
    assert_eq!(
        outside_phases(&mut app, Last, &[TickSystems::Dispatch]),
        Vec::<String>::new()
    );
}
