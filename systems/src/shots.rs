//! Shots: every `Fire` is an entity, judged by the server against what could have happened.

mod fire_rate;
mod judge;
mod resolve;

pub use fire_rate::FireState;
pub use judge::{
    EYE_HEIGHT_M, HITBOX_HALF_EXTENTS, Rules, Shooter, Target, aim_direction, check_claimed_tick,
    hitbox_distance, judge,
};
pub use resolve::{ShotJudged, apply_shot_verdicts, judge_shots, spawn_shots};

use crate::SimulationSystems;
use crate::anticheat::{AntiCheatActed, score_suspicion};
use arbiter_components::combat::Weapons;
use arbiter_components::messages::{ClientCommand, KickRequest, Outbound};
use bevy_app::{App, FixedUpdate, Plugin};
use bevy_ecs::schedule::IntoScheduleConfigs;

/// Shot validation in the Shots phase; damage and anti-cheat scoring in the Damage phase.
#[derive(Debug, Default)]
pub struct ShotsPlugin;

impl Plugin for ShotsPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Weapons>()
            .add_message::<ClientCommand>()
            .add_message::<Outbound>()
            .add_message::<ShotJudged>()
            .add_systems(
                FixedUpdate,
                (spawn_shots, judge_shots)
                    .chain()
                    .in_set(SimulationSystems::Shots),
            )
            .add_message::<KickRequest>()
            .add_message::<AntiCheatActed>()
            .add_systems(
                FixedUpdate,
                (apply_shot_verdicts, score_suspicion)
                    .chain()
                    .in_set(SimulationSystems::Damage),
            );
    }
}

#[cfg(test)]
mod tests;
