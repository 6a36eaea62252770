//! Match lifecycle: a formed match spawns its players into warm-up, goes live, and ends at its score
//! or time limit; then ratings and stats change and the players return to the lobby. Dead players
//! respawn at their team's spawn points.

mod ending;
mod going_live;
mod ratings;
mod spawning;

pub use ending::{Career, end_decided_matches};
pub use going_live::go_live;
pub use ratings::rate_match;
pub use spawning::{SpawnBody, place_at_spawns, respawn_players};

use crate::matchmaking::MatchFormed;
use crate::phases::SimulationSystems;
use arbiter_components::config::{MatchSettings, MovementSettings};
use arbiter_components::match_events::{MatchCompleted, RatingChanged};
use arbiter_components::matchmaking::Match;
use arbiter_components::messages::Outbound;
use arbiter_components::player::{PlayerId, Stats};
use arbiter_components::tick::TickRate;
use bevy_app::{App, FixedUpdate, Plugin};
use bevy_ecs::schedule::common_conditions::any_with_component;
use bevy_ecs::schedule::{IntoScheduleConfigs, SystemSet};

/// The match rules; they run only while some match exists, so an idle server pays one check for
/// all of them.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MatchRules;

/// Spawning, going live, ending and respawning in the Lifecycle phase.
#[derive(Debug, Default)]
pub struct MatchesPlugin;

impl Plugin for MatchesPlugin {
    fn build(&self, app: &mut App) {
        app.register_required_components::<PlayerId, Stats>()
            .init_resource::<MatchSettings>()
            .init_resource::<MovementSettings>()
            .init_resource::<TickRate>()
            .add_message::<MatchFormed>()
            .add_message::<Outbound>()
            .add_message::<MatchCompleted>()
            .add_message::<RatingChanged>()
            .configure_sets(FixedUpdate, MatchRules.run_if(any_with_component::<Match>))
            .add_systems(
                FixedUpdate,
                (
                    place_at_spawns,
                    go_live,
                    end_decided_matches,
                    respawn_players,
                )
                    .chain()
                    .in_set(SimulationSystems::Lifecycle)
                    .in_set(MatchRules),
            );
    }
}

#[cfg(test)]
mod tests;
