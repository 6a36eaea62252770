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
    /// Seconds a trade invitation waits for its answer (5–600).
    pub trade_invite_secs: u32,
    /// Seconds an open trade may go without a change before it is cancelled (10–3600).
    pub trade_idle_secs: u32,
}

impl Default for EconomySettings {
    fn default() -> Self {
        Self {
            inventory_capacity: 40,
            trade_invite_secs: 30,
            trade_idle_secs: 120,
        }
    }
}

impl EconomySettings {
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        check_range(
            "economy.inventory_capacity",
            self.inventory_capacity,
            1..=1000,
        )?;
        check_range("economy.trade_invite_secs", self.trade_invite_secs, 5..=600)?;
        check_range("economy.trade_idle_secs", self.trade_idle_secs, 10..=3600)
    }
}
