//! The simulation's notion of time: a tick counter, advanced once per fixed step.

use bevy_ecs::resource::Resource;

/// Number of simulation ticks run since the server started.
///
/// It is the clock every rule and every message uses ("input for tick 1200"), so it only ever moves
/// forward by one per fixed step, whatever the tick rate.
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServerTick(u64);

impl ServerTick {
    /// The tick number.
    pub fn get(self) -> u64 {
        self.0
    }

    /// Moves the clock one tick forward.
    pub fn advance(&mut self) {
        self.0 += 1;
    }
}
