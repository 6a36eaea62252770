//! Weapons, shots and what validation decided about them.

use bevy_ecs::component::Component;
use bevy_ecs::entity::Entity;
use bevy_ecs::resource::Resource;
use serde::{Deserialize, Serialize};

/// One weapon of `assets/config/weapons.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeaponSpec {
    pub name: String,
    pub fire_rate_hz: f32,
    pub damage: u16,
    pub max_range_m: f32,
}

/// The weapons table; `Fire { weapon }` indexes it.
#[derive(Resource, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weapons {
    pub weapons: Vec<WeaponSpec>,
}

impl Weapons {
    pub fn get(&self, index: u8) -> Option<&WeaponSpec> {
        self.weapons.get(usize::from(index))
    }

    /// At least one weapon, at most 256 (indexed by a byte), every number positive and finite.
    pub fn validate(&self) -> Result<(), String> {
        if self.weapons.is_empty() || self.weapons.len() > 256 {
            return Err(format!(
                "needs 1 to 256 weapons, has {}",
                self.weapons.len()
            ));
        }
        for weapon in &self.weapons {
            let positive = |value: f32| value.is_finite() && value > 0.0;
            if !positive(weapon.fire_rate_hz) || !positive(weapon.max_range_m) || weapon.damage == 0
            {
                return Err(format!(
                    "weapon {:?}: fire_rate_hz, max_range_m and damage must be positive",
                    weapon.name
                ));
            }
        }
        Ok(())
    }
}

impl Default for Weapons {
    /// The rifle of the seed design: 10 shots per second, 1000 m.
    fn default() -> Self {
        Self {
            weapons: vec![WeaponSpec {
                name: "rifle".into(),
                fire_rate_hz: 10.0,
                damage: 25,
                max_range_m: 1000.0,
            }],
        }
    }
}

/// A fire request waiting for validation; despawned in the tick it arrives.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct Shot {
    pub shooter: Entity,
    /// The server tick the client saw when it fired.
    pub claimed_tick: u64,
    pub yaw: f32,
    pub pitch: f32,
    pub weapon: u8,
    /// The player id the client says it hit, if any.
    pub claimed_target: Option<u64>,
}

/// Why a shot was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShotRejection {
    /// Faster than the weapon fires.
    TooFast,
    /// The claimed target is on the line of fire but beyond the weapon's range.
    OutOfRange,
    /// The claimed target is on the line of fire behind a wall, and was hidden altogether (neither
    /// its chest nor its head in sight): it could not have been aimed at.
    NoLineOfSight,
    /// The claimed tick is in the future, older than the rewind limit, or does not fit the
    /// shooter's round trip.
    BadTick,
    NotInMatch,
    /// The shooter is dead.
    Dead,
    UnknownWeapon,
    /// The shooter's inventory has no instance of the weapon equipped.
    NotOwned,
}

impl ShotRejection {
    pub fn as_str(self) -> &'static str {
        match self {
            ShotRejection::TooFast => "too_fast",
            ShotRejection::OutOfRange => "out_of_range",
            ShotRejection::NoLineOfSight => "no_line_of_sight",
            ShotRejection::BadTick => "bad_tick",
            ShotRejection::NotInMatch => "not_in_match",
            ShotRejection::Dead => "dead",
            ShotRejection::UnknownWeapon => "unknown_weapon",
            ShotRejection::NotOwned => "not_owned",
        }
    }
}

/// What validation decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShotVerdict {
    Hit { target: Entity, damage: u16 },
    Miss,
    Rejected(ShotRejection),
}
