//! Wires guilds to persistence, or to memory without it.

use super::calendar::track_calendar_day;
use super::legs_in_flight::GuildLegsInFlight;
use super::loading::{load_new_guilds, start_guilds_empty, unload_idle_guilds};
use super::recording::record_guild_events;
use super::settlement::{FencedJoins, settle_guild_joins};
use crate::economy::settle_trades;
use crate::persistence::{FlushNow, RecordEvents};
use crate::phase::ConfigSystems;
use crate::phase::TickSystems;
use arbiter_components::guild::{CalendarDay, Guild};
use arbiter_systems::SimulationSystems;
use arbiter_systems::guild::GuildAnswers;
use bevy_app::{App, First, FixedUpdate, Plugin, PostUpdate};
use bevy_ecs::schedule::IntoScheduleConfigs;

/// Loads and unloads guild entities, carries out joins and records guild events — with a store,
/// durably; without one, in memory.
#[derive(Debug)]
pub struct GuildStoragePlugin {
    persistent: bool,
}

impl GuildStoragePlugin {
    pub fn new(persistent: bool) -> Self {
        Self { persistent }
    }
}

impl Plugin for GuildStoragePlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<FencedJoins>()
            .init_resource::<CalendarDay>()
            .add_systems(First, track_calendar_day.in_set(ConfigSystems::Sync))
            // Settlement asks for flushes; without persistence nothing reads them.
            .add_message::<FlushNow>()
            // The transfers carried out this tick are told in it.
            .configure_sets(
                PostUpdate,
                GuildAnswers
                    .after(settle_guild_joins)
                    .in_set(TickSystems::Settle),
            );
        if self.persistent {
            app.register_required_components::<Guild, GuildLegsInFlight>();
            app.add_systems(
                FixedUpdate,
                load_new_guilds
                    .after(SimulationSystems::Economy)
                    .in_set(TickSystems::Simulate),
            )
            .add_systems(
                PostUpdate,
                (record_guild_events, settle_guild_joins, unload_idle_guilds)
                    .chain()
                    .after(settle_trades)
                    .in_set(RecordEvents),
            );
        } else {
            app.add_systems(
                FixedUpdate,
                start_guilds_empty
                    .after(SimulationSystems::Economy)
                    .in_set(TickSystems::Simulate),
            )
            .add_systems(
                PostUpdate,
                settle_guild_joins
                    .after(settle_trades)
                    .in_set(RecordEvents)
                    .in_set(TickSystems::Settle),
            );
        }
    }
}
