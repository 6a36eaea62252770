//! The order of the rules inside one simulation step.

use crate::movement::integrate_velocity;
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

impl Plugin for SimulationPlugin {
    fn build(&self, app: &mut App) {
        app.configure_sets(
            FixedUpdate,
            (
                SimulationSystems::Inputs,
                SimulationSystems::Movement,
                SimulationSystems::Matchmaking,
                SimulationSystems::Shots,
                SimulationSystems::Damage,
                SimulationSystems::Lifecycle,
            )
                .chain(),
        )
        .add_systems(
            FixedUpdate,
            integrate_velocity.in_set(SimulationSystems::Movement),
        );
    }
}
