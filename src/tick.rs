//! The tick: its clock, the order of its phases ([`crate::phase`]), and the runner that paces it
//! against the wall clock.

mod between;
mod meter;
mod pacer;
mod priority;
mod privilege;
mod rate;
mod runner;
mod skipped;

pub use between::{BetweenTicks, IdleUntil};
pub use meter::TickMeter;
pub use pacer::{Pace, TickPacer};
pub use priority::apply_tick_priority;
pub use rate::sync_tick_rate;
pub use runner::run_paced;
pub use skipped::SkippedTicks;

use crate::phase::{ConfigSystems, TickSystems};
use crate::settings::ServerSettings;
use arbiter_components::tick::{ServerTick, TickRate};
use arbiter_systems::SimulationSystems;
use bevy_app::{App, First, FixedFirst, FixedUpdate, Plugin, PostUpdate, PreUpdate};
use bevy_ecs::message::MessageUpdateSystems;
use bevy_ecs::schedule::{IntoScheduleConfigs, common_conditions::resource_changed};
use bevy_ecs::system::ResMut;
use bevy_time::{TimePlugin, TimeSystems, TimeUpdateStrategy};

/// Time, the tick counter and the phase order. Sets the paced runner.
#[derive(Debug, Default)]
pub struct TickPlugin;

impl Plugin for TickPlugin {
    fn build(&self, app: &mut App) {
        app.add_plugins(TimePlugin)
            // Each `App::update` is exactly one tick: one fixed step, one Receive, one Send.
            // Real-time pacing is the runner's job, which keeps the simulation deterministic.
            .insert_resource(TimeUpdateStrategy::FixedTimesteps(1))
            .init_resource::<ServerSettings>()
            .init_resource::<ServerTick>()
            .init_resource::<TickRate>()
            .init_resource::<SkippedTicks>()
            // Messages are swapped first, so a config applied this tick never races that swap.
            .configure_sets(
                First,
                TickSystems::Config
                    .after(MessageUpdateSystems)
                    .before(TimeSystems),
            )
            .configure_sets(
                First,
                (ConfigSystems::Apply, ConfigSystems::Sync)
                    .chain()
                    .in_set(TickSystems::Config),
            )
            .configure_sets(PreUpdate, (TickSystems::Receive, TickSystems::Load).chain())
            .configure_sets(
                PostUpdate,
                (
                    TickSystems::Settle,
                    TickSystems::Send,
                    TickSystems::Publish,
                    TickSystems::Persist,
                    TickSystems::Metrics,
                )
                    .chain(),
            )
            .add_systems(
                First,
                (
                    sync_tick_rate.run_if(resource_changed::<TickRate>),
                    apply_tick_priority.run_if(resource_changed::<ServerSettings>),
                )
                    .in_set(ConfigSystems::Sync),
            )
            .add_systems(FixedFirst, advance_server_tick)
            .set_runner(run_paced);
        for phase in SimulationSystems::IN_ORDER {
            app.configure_sets(FixedUpdate, phase.in_set(TickSystems::Simulate));
        }
    }
}

/// Counts fixed steps; runs before any rule of the step.
fn advance_server_tick(mut tick: ResMut<ServerTick>) {
    tick.advance();
}
