//! Graceful shutdown: stop ticking, run every registered shutdown step, wait for them, exit.
//!
//! A plugin registers a step by adding a system to the [`Shutdown`] schedule. A step that finishes
//! asynchronously (a final database flush) takes a handle from [`ShutdownWaits::register`] and
//! completes it from wherever the work ends; the runner waits for every handle, up to
//! `server.shutdown_timeout_secs`. Before all that, a server with work a stop would cut short (a
//! [`DrainHold`]) keeps ticking until it is done.

mod drain;
mod signals;

pub use drain::DrainHold;
pub use signals::SignalPlugin;

use crate::settings::ServerSettings;
use bevy_app::{App, AppExit, Plugin};
use bevy_ecs::resource::Resource;
use bevy_ecs::schedule::ScheduleLabel;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Schedule run once when the server shuts down, after the last tick.
#[derive(ScheduleLabel, Debug, Clone, PartialEq, Eq, Hash)]
pub struct Shutdown;

/// Asks the tick loop to stop. Cheap to clone; safe to use from any thread (signal handler, admin API).
#[derive(Resource, Debug, Clone, Default)]
pub struct ShutdownSignal(Arc<AtomicBool>);

impl ShutdownSignal {
    pub fn request(&self) {
        self.0.store(true, Ordering::Release);
    }

    pub fn is_requested(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Whether the server is serving or on its way out.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServerState {
    #[default]
    Running,
    ShuttingDown,
}

/// How a piece of shutdown work reports back: `Err` carries why it failed.
type StepOutcome = Result<(), String>;

/// Shutdown work still in flight, registered by shutdown steps.
#[derive(Resource, Debug, Default)]
pub struct ShutdownWaits {
    // Mutex only to make the resource `Sync`; each receiver is used by the runner alone.
    pending: Vec<(&'static str, Mutex<Receiver<StepOutcome>>)>,
}

impl ShutdownWaits {
    /// Registers asynchronous work named `step`; shutdown waits until the handle is completed.
    pub fn register(&mut self, step: &'static str) -> ShutdownStepHandle {
        let (sender, receiver) = mpsc::channel();
        self.pending.push((step, Mutex::new(receiver)));
        ShutdownStepHandle { sender }
    }
}

/// Completes one registered piece of shutdown work. Dropping it without completing counts as failure.
#[derive(Debug)]
pub struct ShutdownStepHandle {
    sender: Sender<StepOutcome>,
}

impl ShutdownStepHandle {
    pub fn complete(self, result: StepOutcome) {
        // The runner may have given up waiting already; then there is nobody left to tell.
        let _ = self.sender.send(result);
    }
}

/// Adds the shutdown schedule and state.
#[derive(Debug, Default)]
pub struct ShutdownPlugin;

impl Plugin for ShutdownPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<ShutdownSignal>()
            .init_resource::<ServerState>()
            .init_resource::<ShutdownWaits>()
            .init_resource::<ServerSettings>()
            .init_schedule(Shutdown);
    }
}

/// Runs the shutdown steps and waits for their work. Success only if every step completed in time.
pub(crate) fn run_shutdown(app: &mut App) -> AppExit {
    let world = app.world_mut();
    world.insert_resource(ServerState::ShuttingDown);
    let timeout = Duration::from_secs(u64::from(world.get_resource::<ServerSettings>().map_or(
        ServerSettings::default().shutdown_timeout_secs,
        |settings| settings.shutdown_timeout_secs,
    )));
    tracing::info!(timeout_secs = timeout.as_secs(), "shutting down");
    let _ = world.try_run_schedule(Shutdown);
    let pending = world
        .get_resource_mut::<ShutdownWaits>()
        .map(|mut waits| std::mem::take(&mut waits.pending))
        .unwrap_or_default();

    let deadline = Instant::now() + timeout;
    let mut all_completed = true;
    for (step, receiver) in pending {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let receiver = receiver
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match receiver.recv_timeout(remaining) {
            Ok(Ok(())) => tracing::info!(step, "shutdown step completed"),
            Ok(Err(error)) => {
                all_completed = false;
                tracing::error!(step, %error, "shutdown step failed");
            }
            Err(RecvTimeoutError::Timeout) => {
                all_completed = false;
                tracing::error!(
                    step,
                    timeout_secs = timeout.as_secs(),
                    "shutdown step did not finish in time"
                );
            }
            Err(RecvTimeoutError::Disconnected) => {
                all_completed = false;
                tracing::error!(step, "shutdown step was abandoned without completing");
            }
        }
    }
    if all_completed {
        tracing::info!("shutdown complete");
        AppExit::Success
    } else {
        AppExit::error()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy_ecs::system::{Commands, ResMut};

    #[derive(Resource)]
    struct FlushedOnShutdown;

    fn flush_on_shutdown(mut commands: Commands, mut waits: ResMut<ShutdownWaits>) {
        commands.insert_resource(FlushedOnShutdown);
        let handle = waits.register("test flush");
        std::thread::spawn(move || handle.complete(Ok(())));
    }

    fn abandon_on_shutdown(mut waits: ResMut<ShutdownWaits>) {
        drop(waits.register("abandoned"));
    }

    #[test]
    fn runs_registered_steps_and_waits_for_their_work() {
        let mut app = App::new();
        app.add_plugins(ShutdownPlugin)
            .add_systems(Shutdown, flush_on_shutdown);

        let exit = run_shutdown(&mut app);

        assert_eq!(exit, AppExit::Success);
        assert!(app.world().contains_resource::<FlushedOnShutdown>());
        assert_eq!(
            *app.world().resource::<ServerState>(),
            ServerState::ShuttingDown
        );
    }

    #[test]
    fn an_abandoned_step_makes_shutdown_fail() {
        let mut app = App::new();
        app.add_plugins(ShutdownPlugin)
            .add_systems(Shutdown, abandon_on_shutdown);

        assert_eq!(run_shutdown(&mut app), AppExit::error());
    }
}
