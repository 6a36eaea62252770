//! Shots: every `Fire` is an entity, judged by the server against what could have happened.

mod fire_rate;
mod judge;
mod request;
mod resolve;
mod suspicion;

pub use fire_rate::FireState;
pub use judge::{
    CHEST_HEIGHT_M, EYE_HEIGHT_M, HITBOX_HALF_EXTENTS, Rules, Shooter, Target, aim_direction,
    check_claimed_tick, hitbox_distance, judge, sighted, yaw_pitch,
};
pub use request::FireRequested;
pub use resolve::{ShotJudged, apply_shot_verdicts, judge_shots, spawn_shots};
pub use suspicion::suspicion_weight;

use crate::anticheat::CheatEvidence;
use crate::phases::SimulationSystems;
use arbiter_components::combat::Weapons;
use arbiter_components::config::AnticheatSettings;
use arbiter_components::messages::Outbound;
use arbiter_components::player::PlayerId;
use arbiter_components::tick::TickRate;
use bevy_app::{App, FixedUpdate, Plugin};
use bevy_ecs::schedule::IntoScheduleConfigs;

/// Shot validation in the Shots phase: requests become shots, shots get verdicts, shooters learn
/// them and refusals go to anti-cheat as evidence. Damage is [`crate::damage`]'s.
#[derive(Debug, Default)]
pub struct ShotsPlugin;

impl Plugin for ShotsPlugin {
    fn build(&self, app: &mut App) {
        app.register_required_components::<PlayerId, FireState>()
            .init_resource::<Weapons>()
            .init_resource::<AnticheatSettings>()
            .init_resource::<TickRate>()
            .add_message::<FireRequested>()
            .add_message::<Outbound>()
            .add_message::<ShotJudged>()
            .add_message::<CheatEvidence>()
            .add_systems(
                FixedUpdate,
                (spawn_shots, judge_shots, apply_shot_verdicts)
                    .chain()
                    .in_set(SimulationSystems::Shots),
            );
    }
}

#[cfg(test)]
mod tests;
