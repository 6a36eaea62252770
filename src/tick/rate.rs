//! Applying the configured tick rate to bevy's fixed clock.

use crate::telemetry::metrics::TICK_RATE_HZ;
use arbiter_components::tick::TickRate;
use bevy_ecs::system::{Res, ResMut};
use bevy_time::{Fixed, Time, Virtual};

/// Sets the fixed timestep from the [`TickRate`] (which the config keeps equal to
/// `server.tick_rate_hz`). Runs in the Config phase whenever it changes, before time advances, so the
/// very next tick already uses the new step.
pub fn sync_tick_rate(
    rate: Res<TickRate>,
    mut fixed: ResMut<Time<Fixed>>,
    mut virtual_time: ResMut<Time<Virtual>>,
) {
    let hz = rate.hz();
    fixed.set_timestep_hz(f64::from(hz));
    // Virtual time clamps each update to `max_delta`; at low tick rates one step is longer than
    // bevy's 250 ms default, which would silently stop the fixed loop.
    let step = fixed.timestep();
    if virtual_time.max_delta() < step {
        virtual_time.set_max_delta(step);
    }
    metrics::gauge!(TICK_RATE_HZ).set(f64::from(hz));
    tracing::debug!(hz, "tick rate applied");
}
