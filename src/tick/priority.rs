//! The tick's thread may run at a higher priority than the rest of the process
//! (`server.tick_priority_boost`, in nice levels). Whatever else is runnable on its core — the
//! server's own send and I/O threads, other processes, the kernel's housekeeping threads — then
//! waits for the tick, rather than the tick waiting a time slice for each of them.

use crate::settings::ServerSettings;
use crate::telemetry::metrics::TICK_THREAD_NICE;
use bevy_ecs::system::{Local, Res};

/// Gives the calling thread (the tick's: schedules run on it) the nice value the boost asks for,
/// counted from the one it had at the first tick. Runs when the settings change, so a reload
/// applies at the next tick and a boost of 0 restores that first value. Without the privilege
/// (CAP_SYS_NICE or an RLIMIT_NICE that allows it) the tick runs on unboosted, with a warning.
pub fn apply_tick_priority(settings: Res<ServerSettings>, mut first_nice: Local<Option<i32>>) {
    let current = match rustix::process::getpriority_process(None) {
        Ok(nice) => nice,
        Err(error) => {
            tracing::warn!(%error, "could not read the tick thread's priority");
            return;
        }
    };
    let first = *first_nice.get_or_insert(current);
    let wanted = boosted_nice(first, settings.tick_priority_boost);
    if wanted != current {
        match rustix::process::setpriority_process(None, wanted) {
            Ok(()) => tracing::info!(
                nice = wanted,
                boost = settings.tick_priority_boost,
                "tick thread priority set"
            ),
            Err(error) => tracing::warn!(
                %error,
                nice = wanted,
                "could not set the tick thread's priority (raising it needs CAP_SYS_NICE or a \
                 matching RLIMIT_NICE): the tick shares its core with other work as an equal"
            ),
        }
    }
    if let Ok(nice) = rustix::process::getpriority_process(None) {
        metrics::gauge!(TICK_THREAD_NICE).set(f64::from(nice));
    }
}

/// The nice value `boost` levels above `base`, within Linux's range (-20 is the highest priority).
fn boosted_nice(base: i32, boost: u32) -> i32 {
    let boost = i32::try_from(boost).unwrap_or(i32::MAX);
    base.saturating_sub(boost).max(-20)
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

    /// A thread that starts at nice 5 (lowering a priority needs no privilege) takes a boost of 3
    /// to nice 2 where raising is allowed (root, CAP_SYS_NICE: CI), or stays at 5 where it is not;
    /// either way a reload back to 0 restores 5.
    #[test]
    fn the_tick_thread_takes_the_boost_and_a_boost_of_zero_restores_its_first_priority() {
        let (may_raise, nices) = std::thread::spawn(|| {
            let nice = || rustix::process::getpriority_process(None).expect("own priority");
            rustix::process::setpriority_process(None, 6).expect("lowering needs no privilege");
            let may_raise = rustix::process::setpriority_process(None, 5).is_ok();
            rustix::process::setpriority_process(None, 5).ok();
            assert_eq!(nice(), 5, "the thread starts at nice 5");
            let mut app = App::new();
            app.insert_resource(ServerSettings {
                tick_priority_boost: 3,
                ..ServerSettings::default()
            })
            .add_systems(
                bevy_app::First,
                apply_tick_priority.run_if(resource_changed::<ServerSettings>),
            );
            app.update();
            let boosted = nice();
            app.update();
            let unchanged = nice();
            app.world_mut()
                .resource_mut::<ServerSettings>()
                .tick_priority_boost = 0;
            app.update();
            (may_raise, (boosted, unchanged, nice()))
        })
        .join()
        .expect("the thread ran");
        if may_raise {
            assert_eq!(nices, (2, 2, 5));
        } else {
            assert_eq!(nices, (5, 5, 5));
        }
    }
}
