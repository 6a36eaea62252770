//! Choosing whom to shoot and where to aim, from what the bot saw at one tick, and what its own hit
//! detection says it hit: the same geometry the server judges with, on the positions of the
//! snapshot the shot claims.

use super::rng::BotRng;
use arbiter_client::protocol::EntityState;
use arbiter_systems::map::MapGeometry;
use arbiter_systems::shots::{
    CHEST_HEIGHT_M, EYE_HEIGHT_M, aim_direction, hitbox_distance, yaw_pitch,
};
use bevy_math::Vec3;

/// Shots are claimed on opponents up to this many times the weapon's range (the server traces as far).
const CLAIM_RANGE_FACTOR: f32 = 4.0;

/// Which opponent a bot goes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pick {
    /// The nearest one it can see, within range.
    Visible,
    /// The nearest one behind a wall, within range (a wall hack).
    Hidden,
    /// The nearest one beyond the weapon's range (a long shot).
    BeyondRange,
    /// The nearest one within range, seen or not (a cheat that does not care).
    Nearest,
}

/// A shot to send: the aim and the opponent the bot says it hit, if any.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct PlannedShot {
    pub(super) yaw: f32,
    pub(super) pitch: f32,
    pub(super) target: Option<u64>,
}

fn feet(entity: &EntityState) -> Vec3 {
    Vec3::from_array(entity.position)
}

/// Aims at an opponent chosen by `pick`, with a human-like angular error of `error_rad` (one standard
/// deviation), and claims the first opponent the aimed ray reaches — before any wall and within range
/// for an honest bot; the picked one, wherever it is, for a cheat.
pub(super) fn plan_shot<'a>(
    me: &EntityState,
    opponents: impl Iterator<Item = &'a EntityState>,
    map: &MapGeometry,
    range_m: f32,
    pick: Pick,
    error_rad: f32,
    rng: &mut BotRng,
) -> Option<PlannedShot> {
    let eye = feet(me) + Vec3::Y * EYE_HEIGHT_M;
    let opponents: Vec<&EntityState> = opponents.collect();
    let chosen = opponents
        .iter()
        .filter_map(|opponent| {
            let chest = feet(opponent) + Vec3::Y * CHEST_HEIGHT_M;
            let distance = eye.distance(chest);
            let visible = map.line_of_sight(eye, chest);
            let wanted = match pick {
                Pick::Visible => visible && distance <= range_m,
                Pick::Hidden => !visible && distance <= range_m,
                Pick::Nearest => distance <= range_m,
                Pick::BeyondRange => {
                    distance > range_m && distance <= range_m * CLAIM_RANGE_FACTOR * 0.9
                }
            };
            wanted.then_some((*opponent, chest, distance))
        })
        .min_by(|left, right| left.2.total_cmp(&right.2))?;
    let (opponent, chest, _) = chosen;
    let (yaw, pitch) = yaw_pitch(chest - eye);
    let (yaw, pitch) = (yaw + rng.normal(error_rad), pitch + rng.normal(error_rad));
    let target = match pick {
        Pick::Visible => first_clear_hit(eye, aim_direction(yaw, pitch), &opponents, map, range_m),
        Pick::Hidden | Pick::BeyondRange | Pick::Nearest => Some(opponent.player_id),
    };
    Some(PlannedShot { yaw, pitch, target })
}

/// The nearest opponent the ray hits, if no wall comes first and it is within range.
fn first_clear_hit(
    eye: Vec3,
    direction: Vec3,
    opponents: &[&EntityState],
    map: &MapGeometry,
    range_m: f32,
) -> Option<u64> {
    let (opponent, distance) = opponents
        .iter()
        .filter_map(|opponent| Some((opponent, hitbox_distance(eye, direction, feet(opponent))?)))
        .min_by(|left, right| left.1.total_cmp(&right.1))?;
    (distance <= range_m && map.line_of_sight(eye, eye + direction * distance))
        .then_some(opponent.player_id)
}
