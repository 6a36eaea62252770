//! The loop that runs one `App::update` per tick deadline.

use super::between::{BetweenTicks, IdleUntil};
use super::meter::TickMeter;
use super::pacer::{Pace, TickPacer};
use super::skipped::SkippedTicks;
use crate::settings::ServerSettings;
use crate::shutdown::{DrainHold, ShutdownSignal, run_shutdown};
use bevy_app::{App, AppExit, PluginsState};
use bevy_time::{Fixed, Time};
use std::time::{Duration, Instant};

/// Longest single sleep, so a shutdown request is noticed promptly even at 1 Hz.
const MAX_SLEEP: Duration = Duration::from_millis(50);

/// The server's runner: waits for each tick's deadline (no busy wait; [`BetweenTicks`] runs in the
/// wait), runs the tick, measures it, and on a shutdown request (once nothing holds it:
/// [`DrainHold`]) or an `AppExit` runs the shutdown steps.
pub fn run_paced(mut app: App) -> AppExit {
    finish_plugins(&mut app);
    let signal = app
        .world()
        .get_resource::<ShutdownSignal>()
        .cloned()
        .unwrap_or_default();
    let meter = TickMeter::default();
    let mut pacer = TickPacer::default();
    let mut stop_requested: Option<Instant> = None;

    let exit = loop {
        if signal.is_requested() {
            let since = stop_requested.get_or_insert_with(Instant::now).elapsed();
            if !still_draining(&app, since) {
                break AppExit::Success;
            }
        }
        let period = app.world().resource::<Time<Fixed>>().timestep();
        let max_catch_up = Duration::from_millis(u64::from(
            app.world().resource::<ServerSettings>().max_catch_up_ms,
        ));
        match pacer.poll(Instant::now(), period, max_catch_up) {
            Pace::Wait(wait) => wait_between_ticks(&mut app, wait.min(MAX_SLEEP)),
            Pace::Run { dropped } => {
                if dropped > 0 {
                    meter.record_dropped(dropped);
                    tracing::warn!(
                        dropped,
                        "server fell behind; dropped ticks instead of catching up"
                    );
                }
                app.world_mut()
                    .resource_mut::<SkippedTicks>()
                    .record(dropped);
                let started = Instant::now();
                app.update();
                meter.record_tick(started.elapsed(), period);
                if let Some(exit) = app.should_exit() {
                    break exit;
                }
            }
        }
    };
    let shutdown = run_shutdown(&mut app);
    if exit == AppExit::Success {
        shutdown
    } else {
        exit
    }
}

/// Runs [`BetweenTicks`] with `wait` to use, then sleeps what it left.
fn wait_between_ticks(app: &mut App, wait: Duration) {
    let until = Instant::now() + wait;
    let world = app.world_mut();
    world.insert_resource(IdleUntil(until));
    // No such schedule (an app without a network) is nothing to run.
    let _ = world.try_run_schedule(BetweenTicks);
    std::thread::sleep(until.saturating_duration_since(Instant::now()));
}

/// Completes plugin setup the way bevy's own runners do.
fn finish_plugins(app: &mut App) {
    if app.plugins_state() != PluginsState::Cleaned {
        while app.plugins_state() == PluginsState::Adding {
            std::thread::yield_now();
        }
        app.finish();
        app.cleanup();
    }
}

/// Whether a stop requested `since` ago waits for work still running here.
fn still_draining(app: &App, since: Duration) -> bool {
    let Some(hold) = app.world().get_resource::<DrainHold>() else {
        return false;
    };
    if hold.holds(since) {
        return true;
    }
    if hold.is_busy() {
        tracing::warn!(
            waited_secs = since.as_secs(),
            "stopping before the work here is done: the drain limit passed"
        );
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tick::TickPlugin;
    use bevy_app::Update;
    use bevy_ecs::message::MessageWriter;
    use bevy_ecs::system::{Local, Res};
    use std::sync::{Arc, Mutex};

    #[test]
    fn the_waits_for_the_next_tick_run_the_between_ticks_schedule() {
        let waits = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&waits);
        let mut app = App::new();
        app.add_plugins(TickPlugin)
            .add_systems(BetweenTicks, move |idle: Res<IdleUntil>| {
                seen.lock()
                    .expect("not poisoned")
                    .push((Instant::now(), idle.0));
            })
            .add_systems(
                Update,
                |mut ticks: Local<u32>, mut exit: MessageWriter<AppExit>| {
                    *ticks += 1;
                    if *ticks == 3 {
                        exit.write(AppExit::Success);
                    }
                },
            );
        assert_eq!(app.run(), AppExit::Success);
        let waits = waits.lock().expect("not poisoned");
        assert!(waits.len() >= 2, "a wait before each tick after the first");
        assert!(
            waits
                .iter()
                .all(|&(at, until)| until.saturating_duration_since(at) <= MAX_SLEEP),
            "each told when its wait ends: {waits:?}"
        );
    }
}
