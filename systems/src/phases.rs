//! The phases of one simulation step. Every rule module puts its systems in one of them and orders
//! itself against other modules only through them.

use bevy_app::{App, FixedUpdate, Plugin};
use bevy_ecs::schedule::{IntoScheduleConfigs, SystemSet};

/// Phases of one fixed simulation step, run in this order in `FixedUpdate`.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimulationSystems {
    /// Buffered client inputs become intentions (move, aim, fire); input cadence is checked.
    Inputs,
    /// Positions advance by velocity.
    Movement,
    /// Queued tickets are grouped into matches.
    Matchmaking,
    /// Item requests (equip, use, discard, buy) change inventories and wallets, before shots so a
    /// weapon equipped this tick fires this tick.
    Economy,
    /// Shots are validated and resolved; shooters learn their results.
    Shots,
    /// Hits become damage, deaths and score.
    Damage,
    /// Evidence of cheating becomes suspicion, warnings, flags and kicks.
    AntiCheat,
    /// Matches start, end and are torn down.
    Lifecycle,
}

impl SimulationSystems {
    /// Every phase, in the order they run.
    pub const IN_ORDER: [SimulationSystems; 8] = [
        SimulationSystems::Inputs,
        SimulationSystems::Movement,
        SimulationSystems::Matchmaking,
        SimulationSystems::Economy,
        SimulationSystems::Shots,
        SimulationSystems::Damage,
        SimulationSystems::AntiCheat,
        SimulationSystems::Lifecycle,
    ];
}

/// Orders the phases.
#[derive(Debug, Default)]
pub struct PhasesPlugin;

impl Plugin for PhasesPlugin {
    fn build(&self, app: &mut App) {
        for pair in SimulationSystems::IN_ORDER.windows(2) {
            app.configure_sets(FixedUpdate, pair[1].after(pair[0]));
        }
    }
}
