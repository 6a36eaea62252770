//! The paced runner: it ticks, stops on a shutdown request or an `AppExit`, and runs the shutdown
//! steps either way.

use arbiter::phase::TickSystems;
use arbiter::settings::ServerConfig;
use arbiter::shutdown::{Shutdown, ShutdownSignal, ShutdownWaits};
use arbiter_components::tick::ServerTick;
use arbiter_testing::app::server_app;
use bevy_app::{AppExit, FixedUpdate};
use bevy_ecs::message::MessageWriter;
use bevy_ecs::schedule::IntoScheduleConfigs;
use bevy_ecs::system::{Res, ResMut};

const STOP_AT_TICK: u64 = 5;

fn fast_config() -> ServerConfig {
    let mut config = ServerConfig::default();
    config.server.tick_rate_hz = 1000;
    config
}

fn request_shutdown_at_tick(tick: Res<ServerTick>, signal: Res<ShutdownSignal>) {
    if tick.get() == STOP_AT_TICK {
        signal.request();
    }
}

fn exit_with_error_at_tick(tick: Res<ServerTick>, mut exit: MessageWriter<AppExit>) {
    if tick.get() == STOP_AT_TICK {
        exit.write(AppExit::from_code(3));
    }
}

#[test]
fn a_shutdown_request_stops_ticking_runs_the_steps_and_exits_zero() {
    let (mut app, _reloads) = server_app(fast_config());
    let saw_tick = std::sync::Arc::new(std::sync::Mutex::new(None));
    let saw = saw_tick.clone();
    // A shutdown step that finishes its work on another thread, as a final database flush would.
    let flush_on_shutdown = move |tick: Res<ServerTick>, mut waits: ResMut<ShutdownWaits>| {
        let flush = waits.register("test flush");
        let saw = saw.clone();
        let tick = tick.get();
        std::thread::spawn(move || {
            *saw.lock().expect("not poisoned") = Some(tick);
            flush.complete(Ok(()));
        });
    };
    app.add_systems(
        FixedUpdate,
        request_shutdown_at_tick.in_set(TickSystems::Simulate),
    )
    .add_systems(Shutdown, flush_on_shutdown);

    let exit = app.run();

    assert_eq!(exit, AppExit::Success);
    assert_eq!(*saw_tick.lock().expect("not poisoned"), Some(STOP_AT_TICK));
}

#[test]
fn an_app_exit_from_a_rule_also_runs_the_shutdown_steps_and_keeps_its_code() {
    let (mut app, _reloads) = server_app(fast_config());
    let ran_steps = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ran = ran_steps.clone();
    app.add_systems(
        FixedUpdate,
        exit_with_error_at_tick.in_set(TickSystems::Simulate),
    )
    .add_systems(Shutdown, move || {
        ran.store(true, std::sync::atomic::Ordering::SeqCst)
    });

    let exit = app.run();

    assert_eq!(exit, AppExit::from_code(3));
    assert!(ran_steps.load(std::sync::atomic::Ordering::SeqCst));
}
