//! The tick's thread may be scheduled ahead of the rest of the process: some nice levels above it
//! (`server.tick_priority_boost`), or as a real-time thread (`server.tick_realtime`, SCHED_FIFO).
//! Whatever else is runnable on its core — the server's own send and I/O threads, other
//! processes, the kernel's housekeeping threads — then waits for the tick, rather than the tick
//! waiting a time slice for each of them once it has used its own.

use super::privilege::with_sys_nice;
use crate::settings::ServerSettings;
use crate::telemetry::metrics::{TICK_THREAD_NICE, TICK_THREAD_REALTIME};
use bevy_ecs::system::{Local, Res};
use thread_priority::{
    NormalThreadSchedulePolicy, RealtimeThreadSchedulePolicy, ThreadPriority,
    ThreadPriorityOsValue, ThreadPriorityValue, ThreadSchedulePolicy,
    set_thread_priority_and_policy, thread_native_id, thread_schedule_policy,
};

/// The lowest real-time priority: ahead of every ordinary thread, behind the kernel's own
/// real-time threads (migration, watchdogs), which must never wait for a game.
const REALTIME_PRIORITY: u8 = 1;

/// How a thread is scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheduling {
    /// The ordinary policy at this nice value.
    Normal { nice: i32 },
    /// SCHED_FIFO at [`REALTIME_PRIORITY`].
    Realtime,
}

/// Schedules the calling thread (the tick's: schedules run on it) as the settings ask: real-time,
/// or the boost's nice levels above the scheduling it had at the first tick. Runs when the
/// settings change, so a reload applies at the next tick, and going back to the defaults restores
/// that first scheduling (a thread started real-time, e.g. under `chrt`, stays so). Without the
/// privilege (CAP_SYS_NICE, effective or permitted as the image's file capability grants it, or an
/// RLIMIT_NICE / RLIMIT_RTPRIO that allows it) the tick runs on as it was, with a warning.
pub fn apply_tick_priority(settings: Res<ServerSettings>, mut first: Local<Option<Scheduling>>) {
    let Some(current) = current_scheduling() else {
        return;
    };
    let wanted = match *first.get_or_insert(current) {
        _ if settings.tick_realtime => Scheduling::Realtime,
        Scheduling::Normal { nice } => Scheduling::Normal {
            nice: boosted_nice(nice, settings.tick_priority_boost),
        },
        Scheduling::Realtime => Scheduling::Realtime,
    };
    let in_force = if wanted == current {
        current
    } else {
        match with_sys_nice(|| schedule_this_thread(current, wanted)) {
            Ok(()) => {
                tracing::info!(scheduling = ?wanted, "tick thread scheduling set");
                wanted
            }
            Err(error) => {
                tracing::warn!(
                    %error,
                    scheduling = ?wanted,
                    "could not schedule the tick's thread ahead of others (it needs CAP_SYS_NICE, \
                     or an RLIMIT_NICE / RLIMIT_RTPRIO that allows it; in a container, add \
                     SYS_NICE to its capabilities and allow privilege escalation, which the \
                     image's file capability needs): the tick shares its core with other work as \
                     an equal"
                );
                current
            }
        }
    };
    match in_force {
        Scheduling::Realtime => metrics::gauge!(TICK_THREAD_REALTIME).set(1.0),
        Scheduling::Normal { nice } => {
            metrics::gauge!(TICK_THREAD_REALTIME).set(0.0);
            metrics::gauge!(TICK_THREAD_NICE).set(f64::from(nice));
        }
    }
}

/// The nice value `boost` levels above `base`, within Linux's range (-20 is the highest priority).
fn boosted_nice(base: i32, boost: u32) -> i32 {
    let boost = i32::try_from(boost).unwrap_or(i32::MAX);
    base.saturating_sub(boost).max(-20)
}

fn current_scheduling() -> Option<Scheduling> {
    let policy = thread_schedule_policy()
        .inspect_err(|error| tracing::warn!(?error, "could not read the tick thread's policy"))
        .ok()?;
    if let ThreadSchedulePolicy::Realtime(_) = policy {
        return Some(Scheduling::Realtime);
    }
    let nice = rustix::process::getpriority_process(None)
        .inspect_err(|error| tracing::warn!(%error, "could not read the tick thread's priority"))
        .ok()?;
    Some(Scheduling::Normal { nice })
}

/// Moves the calling thread from scheduling `from` (as just read) to `to`.
fn schedule_this_thread(from: Scheduling, to: Scheduling) -> Result<(), String> {
    match to {
        Scheduling::Realtime => {
            let priority = ThreadPriorityValue::try_from(REALTIME_PRIORITY)?;
            set_thread_priority_and_policy(
                thread_native_id(),
                ThreadPriority::Crossplatform(priority),
                ThreadSchedulePolicy::Realtime(RealtimeThreadSchedulePolicy::Fifo),
            )
            .map_err(|error| format!("{error:?}"))
        }
        Scheduling::Normal { nice } => {
            if from == Scheduling::Realtime {
                // Back to the ordinary policy first (at nice 0), then to the nice value.
                set_thread_priority_and_policy(
                    thread_native_id(),
                    ThreadPriority::Os(ThreadPriorityOsValue::default()),
                    ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Other),
                )
                .map_err(|error| format!("{error:?}"))?;
            }
            rustix::process::setpriority_process(None, nice).map_err(|error| error.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy_app::App;
    use bevy_ecs::schedule::{IntoScheduleConfigs, common_conditions::resource_changed};

    #[test]
    fn a_boost_counts_nice_levels_down_from_the_first_value_and_stops_at_the_highest_priority() {
        assert_eq!(boosted_nice(0, 0), 0);
        assert_eq!(boosted_nice(0, 5), -5);
        assert_eq!(boosted_nice(10, 5), 5);
        assert_eq!(boosted_nice(-18, 5), -20);
        assert_eq!(boosted_nice(0, u32::MAX), -20);
    }

    /// An app whose first update applies `settings`, as the tick's Config phase does.
    fn app_with(settings: ServerSettings) -> App {
        let mut app = App::new();
        app.insert_resource(settings).add_systems(
            bevy_app::First,
            apply_tick_priority.run_if(resource_changed::<ServerSettings>),
        );
        app
    }

    /// Runs `test` on a thread of its own lowered to nice 5 or more (lowering a priority needs no
    /// privilege), with that nice value and whether this process may raise priorities (root,
    /// CAP_SYS_NICE: CI).
    fn on_a_lowered_thread<T: Send + 'static>(
        test: impl FnOnce(i32, bool) -> T + Send + 'static,
    ) -> T {
        std::thread::spawn(|| {
            let nice = || rustix::process::getpriority_process(None).expect("own priority");
            let start = nice().max(5);
            let lower = |to| rustix::process::setpriority_process(None, to);
            lower(start).expect("lowering needs no privilege");
            let may_raise = lower(start - 1).is_ok();
            lower(start).expect("lowering needs no privilege");
            assert_eq!(
                current_scheduling(),
                Some(Scheduling::Normal { nice: start })
            );
            test(start, may_raise)
        })
        .join()
        .expect("the thread ran")
    }

    /// Where raising is allowed a boost of 3 takes the thread 3 levels up, where it is not the
    /// thread stays; either way a reload back to 0 restores its first value.
    #[test]
    fn the_tick_thread_takes_the_boost_and_a_boost_of_zero_restores_its_first_priority() {
        let (start, may_raise, seen) = on_a_lowered_thread(|start, may_raise| {
            let mut app = app_with(ServerSettings {
                tick_priority_boost: 3,
                ..ServerSettings::default()
            });
            app.update();
            let boosted = current_scheduling();
            app.update();
            let unchanged = current_scheduling();
            app.world_mut()
                .resource_mut::<ServerSettings>()
                .tick_priority_boost = 0;
            app.update();
            (start, may_raise, [boosted, unchanged, current_scheduling()])
        });
        let boosted = if may_raise { start - 3 } else { start };
        assert_eq!(
            seen.map(|scheduling| scheduling.expect("readable")),
            [
                Scheduling::Normal { nice: boosted },
                Scheduling::Normal { nice: boosted },
                Scheduling::Normal { nice: start },
            ]
        );
    }

    /// Where real-time scheduling is allowed the thread takes SCHED_FIFO, and leaving it restores
    /// the ordinary policy at the thread's first nice value; where it is not, nothing changes.
    #[test]
    fn the_tick_thread_goes_real_time_and_back_to_its_first_priority() {
        let (start, may_raise, seen) = on_a_lowered_thread(|start, may_raise| {
            let mut app = app_with(ServerSettings {
                tick_realtime: true,
                ..ServerSettings::default()
            });
            app.update();
            let realtime = current_scheduling();
            app.world_mut()
                .resource_mut::<ServerSettings>()
                .tick_realtime = false;
            app.update();
            (start, may_raise, [realtime, current_scheduling()])
        });
        let first = if may_raise {
            Scheduling::Realtime
        } else {
            Scheduling::Normal { nice: start }
        };
        assert_eq!(
            seen.map(|scheduling| scheduling.expect("readable")),
            [first, Scheduling::Normal { nice: start }]
        );
    }
}
