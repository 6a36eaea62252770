//! Judging one shot: claimed tick, origin, range, line of sight and the lag-compensated hit.
//! A pure function of the shot and the world as it was, so a tick's shots can be judged in parallel.

use crate::map::MapGeometry;
use arbiter_components::combat::{Shot, ShotRejection, ShotVerdict, WeaponSpec};
use arbiter_components::config::AnticheatSettings;
use arbiter_components::history::PositionHistory;
use arbiter_components::protocol::as_sent;
use arbiter_components::tick::TickRate;
use bevy_ecs::entity::Entity;
use bevy_math::Vec3;

/// Eye height above a player's position (its feet), in metres.
pub const EYE_HEIGHT_M: f32 = 1.6;
/// Chest height above a player's feet, in metres: where aim is measured from (and bots aim).
pub const CHEST_HEIGHT_M: f32 = 1.2;
/// Half extents of a player's hitbox, centred this far above its feet: the body that collides with
/// the map.
pub const HITBOX_HALF_EXTENTS: Vec3 = crate::movement::PLAYER_HALF_EXTENTS;
/// Shots are traced this many times the weapon's range, to tell a shot beyond range from a miss.
const TRACE_RANGE_FACTOR: f32 = 4.0;

/// The shooter as validation sees it.
#[derive(Debug, Clone, Copy)]
pub struct Shooter<'a> {
    pub entity: Entity,
    /// The match entity the shooter is in.
    pub in_match: Option<Entity>,
    pub team: u8,
    /// When the shooter died, if it is dead now: a shot it fired before then still counts.
    pub died_at_tick: Option<u64>,
    /// When its last match ended, if it is in the lobby: a shot fired before then arriving late is a
    /// miss, not a cheat.
    pub left_match_at_tick: Option<u64>,
    pub history: &'a PositionHistory,
    /// Round trip of the shooter's connection.
    pub rtt_ms: f32,
}

/// A player who can be hit.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub entity: Entity,
    pub player_id: u64,
    pub in_match: Entity,
    pub team: u8,
    pub alive: bool,
    pub history: &'a PositionHistory,
}

/// What validation needs to know about now.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    pub now: u64,
    pub rate: TickRate,
    pub anticheat: &'a AnticheatSettings,
}

/// The claimed tick must be in the past, within the rewind limit, and about one round trip plus the
/// interpolation delay old — what an honest client on this connection would claim.
pub fn check_claimed_tick(
    claimed_tick: u64,
    rtt_ms: f32,
    rules: &Rules<'_>,
) -> Result<(), ShotRejection> {
    if claimed_tick > rules.now {
        return Err(ShotRejection::BadTick);
    }
    let age_ms = rules.rate.ms_of(rules.now - claimed_tick);
    let settings = rules.anticheat;
    let expected_ms = rtt_ms + settings.interp_delay_ms as f32;
    if age_ms > settings.max_rewind_ms as f32
        || (age_ms - expected_ms).abs() > settings.claim_tolerance_ms as f32
    {
        return Err(ShotRejection::BadTick);
    }
    Ok(())
}

/// The yaw and pitch that look along `direction` (yaw 0 looks down −Z): the inverse of
/// [`aim_direction`].
pub fn yaw_pitch(direction: Vec3) -> (f32, f32) {
    let direction = direction.normalize_or_zero();
    ((-direction.x).atan2(-direction.z), direction.y.asin())
}

/// Unit vector of the aim: yaw 0 looks down −Z, positive pitch looks up.
pub fn aim_direction(yaw: f32, pitch: f32) -> Vec3 {
    let (sin_yaw, cos_yaw) = yaw.sin_cos();
    let (sin_pitch, cos_pitch) = pitch.sin_cos();
    Vec3::new(-sin_yaw * cos_pitch, sin_pitch, -cos_yaw * cos_pitch)
}

/// Everything after the fire-rate check, in the order the rules list: match and life, claimed tick,
/// origin (the shooter's own position at the claimed tick, never a client-supplied point), then the
/// line of fire with every opponent rewound to the claimed tick. The closest opponent before any wall
/// and within range is hit. A claimed target that is on the line of fire but beyond range or behind
/// a wall is refused; anything else the shot fails to reach is a miss (bullets stop at walls).
/// Teammates do not block or take shots.
pub fn judge(
    shot: &Shot,
    shooter: &Shooter<'_>,
    targets: &[Target<'_>],
    map: Option<&MapGeometry>,
    weapon: &WeaponSpec,
    rules: &Rules<'_>,
) -> ShotVerdict {
    let Some(in_match) = shooter.in_match else {
        let fired_in_last_match = shooter
            .left_match_at_tick
            .is_some_and(|ended| shot.claimed_tick <= ended);
        return if fired_in_last_match {
            ShotVerdict::Miss
        } else {
            ShotVerdict::Rejected(ShotRejection::NotInMatch)
        };
    };
    if shooter
        .died_at_tick
        .is_some_and(|died| shot.claimed_tick >= died)
    {
        return ShotVerdict::Rejected(ShotRejection::Dead);
    }
    if let Err(rejection) = check_claimed_tick(shot.claimed_tick, shooter.rtt_ms, rules) {
        return ShotVerdict::Rejected(rejection);
    }
    if shooter.history.teleported_after(shot.claimed_tick) {
        // Fired from where the shooter was before it (re)spawned: that place is gone.
        return ShotVerdict::Miss;
    }
    // Both ends of the shot stand where the client was shown them (snapshots round positions to
    // the centimetre): a ray that grazes a wall's edge is judged on the geometry the player aimed in.
    let Some(feet) = shooter.history.at(shot.claimed_tick).map(as_sent) else {
        return ShotVerdict::Rejected(ShotRejection::BadTick);
    };
    let eye = feet + Vec3::Y * EYE_HEIGHT_M;
    let direction = aim_direction(shot.yaw, shot.pitch);
    let trace = weapon.max_range_m * TRACE_RANGE_FACTOR;
    // One pass over the opponents, rewound to the claimed tick (one without a position then — it
    // respawned since — is skipped): the nearest on the line of fire, and the claimed one if it is.
    let mut nearest: Option<(Entity, f32)> = None;
    let mut claimed: Option<(f32, Vec3)> = None;
    for target in targets {
        if target.in_match != in_match
            || target.team == shooter.team
            || !target.alive
            || target.entity == shooter.entity
        {
            continue;
        }
        let Some((distance, target_feet)) = target
            .history
            .at(shot.claimed_tick)
            .map(as_sent)
            .and_then(|feet| Some((hitbox_distance(eye, direction, feet)?, feet)))
            .filter(|(distance, _)| *distance <= trace)
        else {
            continue;
        };
        if Some(target.player_id) == shot.claimed_target {
            claimed = Some((distance, target_feet));
        }
        if nearest.is_none_or(|(_, closest)| distance < closest) {
            nearest = Some((target.entity, distance));
        }
    }
    let wall_at =
        |distance: f32| map.and_then(|map| map.first_wall(eye, eye + direction * distance));
    if let Some((distance, target_feet)) = claimed {
        if distance > weapon.max_range_m {
            return ShotVerdict::Rejected(ShotRejection::OutOfRange);
        }
        // Only an opponent hidden altogether could not have been aimed at. A shot into cover at
        // one in sight is what a human does: the wall stops it (below, as any shot).
        if wall_at(distance).is_some() && map.is_some_and(|map| !sighted(map, eye, target_feet)) {
            return ShotVerdict::Rejected(ShotRejection::NoLineOfSight);
        }
    }
    match nearest {
        Some((target, distance))
            if distance <= weapon.max_range_m && wall_at(distance).is_none() =>
        {
            ShotVerdict::Hit {
                target,
                damage: weapon.damage,
            }
        }
        _ => ShotVerdict::Miss,
    }
}

/// Whether an opponent standing at `feet` is in sight from `eye`: its chest or its head.
pub fn sighted(map: &MapGeometry, eye: Vec3, feet: Vec3) -> bool {
    [CHEST_HEIGHT_M, EYE_HEIGHT_M]
        .iter()
        .any(|height| map.line_of_sight(eye, feet + Vec3::Y * *height))
}

/// Distance along a unit ray from `eye` to the hitbox of a player standing at `feet`, if it hits.
pub fn hitbox_distance(eye: Vec3, direction: Vec3, feet: Vec3) -> Option<f32> {
    ray_box_distance(
        eye,
        direction,
        feet + Vec3::Y * HITBOX_HALF_EXTENTS.y,
        HITBOX_HALF_EXTENTS,
    )
}

/// Distance along a unit ray to an axis-aligned box (slab test), if it hits in front of the origin.
fn ray_box_distance(origin: Vec3, direction: Vec3, center: Vec3, half: Vec3) -> Option<f32> {
    let inverse = direction.recip();
    let near = (center - half - origin) * inverse;
    let far = (center + half - origin) * inverse;
    let enter = near.min(far).max_element();
    let exit = near.max(far).min_element();
    (exit >= enter.max(0.0)).then_some(enter.max(0.0))
}

#[cfg(test)]
mod tests;
