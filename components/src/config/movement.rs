use super::invalid::{InvalidSetting, check_range};
use bevy_ecs::resource::Resource;
use serde::{Deserialize, Serialize};

/// `[movement]`: how fast players move. Hot. Speed and acceleration are also what movement is
/// validated against: the server integrates inputs itself, so no client can move faster.
#[derive(Resource, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MovementSettings {
    /// Top speed on the ground at full stick deflection, in metres per second (0.1–100).
    pub max_speed_mps: f32,
    /// How fast velocity approaches the wished velocity, in metres per second squared (0.1–1000).
    pub acceleration_mps2: f32,
}

impl Default for MovementSettings {
    fn default() -> Self {
        Self {
            max_speed_mps: 6.0,
            acceleration_mps2: 60.0,
        }
    }
}

impl MovementSettings {
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        check_range("movement.max_speed_mps", self.max_speed_mps, 0.1..=100.0)?;
        check_range(
            "movement.acceleration_mps2",
            self.acceleration_mps2,
            0.1..=1000.0,
        )
    }
}
