//! The order of the rules inside one simulation step.

use crate::input::apply_inputs;
use crate::lifecycle::MatchesPlugin;
use crate::matchmaking::MatchmakingPlugin;
use crate::movement::{accelerate, collide_with_map, integrate_velocity, record_position_history};
use crate::shots::ShotsPlugin;
use bevy_app::{App, FixedUpdate, Plugin};
use bevy_ecs::schedule::{IntoScheduleConfigs, SystemSet};

/// Phases of one fixed simulation step, run in this order in `FixedUpdate`.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimulationSystems {
    /// Buffered client inputs become intentions (move, aim, fire).
    Inputs,
    /// Positions advance by velocity.
    Movement,
    /// Queued tickets are grouped into matches.
    Matchmaking,
    /// Shots are validated and resolved.
    Shots,
    /// Hits become damage, deaths and score.
    Damage,
    /// Matches start, end and are torn down.
    Lifecycle,
}

/// Adds the rules and orders their phases.
#[derive(Debug, Default)]
pub struct SimulationPlugin;

impl SimulationSystems {
    /// Every phase, in the order they run.
    pub const IN_ORDER: [SimulationSystems; 6] = [
        SimulationSystems::Inputs,
        SimulationSystems::Movement,
        SimulationSystems::Matchmaking,
        SimulationSystems::Shots,
        SimulationSystems::Damage,
        SimulationSystems::Lifecycle,
    ];
}

impl Plugin for SimulationPlugin {
    fn build(&self, app: &mut App) {
        for pair in SimulationSystems::IN_ORDER.windows(2) {
            app.configure_sets(FixedUpdate, pair[1].after(pair[0]));
        }
        app.add_plugins((MatchmakingPlugin, ShotsPlugin, MatchesPlugin))
            .add_systems(FixedUpdate, apply_inputs.in_set(SimulationSystems::Inputs))
            .add_systems(
                FixedUpdate,
                (
                    accelerate,
                    integrate_velocity,
                    collide_with_map,
                    record_position_history,
                )
                    .chain()
                    .in_set(SimulationSystems::Movement),
            );
    }
}
