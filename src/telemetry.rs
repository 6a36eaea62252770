//! Logs and metrics.

mod anticheat;
mod economy;
mod guilds;
pub mod logging;
mod matches;
mod matchmaking;
mod memory;
pub mod metrics;
mod shots;
mod trades;

use crate::phase::{ConfigSystems, TickSystems};
use crate::settings::{LogSettings, ServerSettings};
use arbiter_components::combat::Weapons;
use arbiter_components::items::Catalog;
use arbiter_components::tick::ServerTick;
use arbiter_systems::SimulationSystems;
use bevy_app::{App, First, FixedUpdate, Plugin, PostUpdate};
use bevy_ecs::schedule::{IntoScheduleConfigs, common_conditions::resource_changed};

/// Installs the metrics recorder and keeps the log level in step with the config.
#[derive(Debug, Default)]
pub struct TelemetryPlugin;

impl Plugin for TelemetryPlugin {
    fn build(&self, app: &mut App) {
        metrics::prometheus();
        app.init_resource::<LogSettings>().add_systems(
            First,
            logging::sync_log_level
                .in_set(ConfigSystems::Sync)
                .run_if(resource_changed::<LogSettings>),
        );
    }

    /// Matchmaking, shot, match and economy metrics only where those rules are installed; heap
    /// upkeep where there is a tick to time it.
    fn finish(&self, app: &mut App) {
        if app.world().contains_resource::<ServerTick>() {
            app.init_resource::<ServerSettings>()
                .init_resource::<memory::HeapUpkeep>()
                .add_systems(
                    PostUpdate,
                    memory::request_release
                        .run_if(memory::release_due)
                        .in_set(TickSystems::Metrics),
                );
        }
        if app
            .world()
            .contains_resource::<arbiter_systems::matchmaking::MatchmakingQueue>()
        {
            app.add_systems(
                PostUpdate,
                matchmaking::record_matchmaking.in_set(TickSystems::Metrics),
            );
        }
        if app.world().contains_resource::<Weapons>() {
            app.init_resource::<shots::ShotsTimer>()
                .add_systems(
                    FixedUpdate,
                    (
                        shots::start_shots_timer.before(SimulationSystems::Shots),
                        shots::record_shots.after(SimulationSystems::Shots),
                    )
                        .in_set(TickSystems::Simulate),
                )
                .add_systems(
                    PostUpdate,
                    (anticheat::record_anticheat, matches::record_matches)
                        .in_set(TickSystems::Metrics),
                );
        }
        if app.world().contains_resource::<Catalog>() {
            app.add_systems(
                PostUpdate,
                (
                    economy::record_economy,
                    trades::record_trades,
                    guilds::record_guilds,
                )
                    .in_set(TickSystems::Metrics),
            );
        }
    }
}
