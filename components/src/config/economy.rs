use super::invalid::{InvalidSetting, check_range};
use bevy_ecs::resource::Resource;
use serde::{Deserialize, Serialize};

/// `[economy]`: what players may hold. Hot: a smaller capacity refuses new items from the next tick
/// and never takes away what is held.
#[derive(Resource, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EconomySettings {
    /// Inventory slots per player (1–1000): one per stack, one per instance.
    pub inventory_capacity: u32,
}

impl Default for EconomySettings {
    fn default() -> Self {
        Self {
            inventory_capacity: 40,
        }
    }
}

impl EconomySettings {
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        check_range(
            "economy.inventory_capacity",
            self.inventory_capacity,
            1..=1000,
        )
    }
}
