//! What every player entity carries, connected or not.

use bevy_ecs::component::Component;
use serde::{Deserialize, Serialize};

/// The player's account id: stable across connections, carried in the signed connect token.
#[derive(
    Component, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct PlayerId(pub u64);

/// Where the player looks, in radians.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Aim {
    pub yaw: f32,
    pub pitch: f32,
}

/// Hit points; the player is alive while above zero.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health(pub u16);

impl Health {
    pub const FULL: Health = Health(100);

    pub fn is_alive(self) -> bool {
        self.0 > 0
    }
}

impl Default for Health {
    fn default() -> Self {
        Self::FULL
    }
}
