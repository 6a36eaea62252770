//! Shots in the ECS: `Fire` becomes a shot entity, the tick's shots are judged (fire rate in order,
//! geometry in parallel), and verdicts become damage and `ShotResult`s.

use super::fire_rate::FireState;
use super::judge::{Rules, Shooter, Target, judge};
use super::request::FireRequested;
use super::suspicion::suspicion_weight;
use crate::anticheat::CheatEvidence;
use crate::map::Maps;
use arbiter_components::combat::{Shot, ShotRejection, ShotVerdict, Weapons};
use arbiter_components::config::AnticheatSettings;
use arbiter_components::history::PositionHistory;
use arbiter_components::inventory::Inventory;
use arbiter_components::matchmaking::{InMatch, Match, Team};
use arbiter_components::messages::Outbound;
use arbiter_components::player::{Health, LeftMatch, PlayerId, Respawning};
use arbiter_components::protocol::{ServerMessage, ShotOutcome};
use arbiter_components::session::Session;
use arbiter_components::tick::{ServerTick, TickRate};
use bevy_ecs::entity::Entity;
use bevy_ecs::message::{Message, MessageReader, MessageWriter};
use bevy_ecs::system::{Commands, Query, Res};
use rayon::prelude::*;

/// A shot's verdict, for damage, the shooter's `ShotResult`, anti-cheat scoring and metrics.
#[derive(Message, Debug, Clone, Copy, PartialEq)]
pub struct ShotJudged {
    pub shot: Entity,
    pub shooter: Entity,
    pub claimed_tick: u64,
    pub weapon: u8,
    /// The aim, for the aim statistics.
    pub yaw: f32,
    pub pitch: f32,
    pub verdict: ShotVerdict,
}

/// Requests to fire become shot entities.
pub fn spawn_shots(mut commands: Commands, mut requests: MessageReader<FireRequested>) {
    for request in requests.read() {
        commands.spawn(Shot {
            shooter: request.player,
            claimed_tick: request.client_tick,
            yaw: request.yaw,
            pitch: request.pitch,
            weapon: request.weapon,
            claimed_target: request.target,
        });
    }
}

type ShooterData<'a> = (
    Option<&'a InMatch>,
    Option<&'a Team>,
    Option<&'a Respawning>,
    Option<&'a LeftMatch>,
    &'a PositionHistory,
    Option<&'a Session>,
    Option<&'a Inventory>,
    &'a mut FireState,
);

/// Judges every shot of this tick; the verdicts go out as [`ShotJudged`] in arrival order.
#[expect(
    clippy::too_many_arguments,
    reason = "a system's parameters are its dependencies"
)]
pub fn judge_shots(
    shots: Query<(Entity, &Shot)>,
    mut shooters: Query<ShooterData<'static>>,
    players: Query<(
        Entity,
        &PlayerId,
        &InMatch,
        &Team,
        &Health,
        &PositionHistory,
    )>,
    matches: Query<&Match>,
    maps: Option<Res<Maps>>,
    weapons: Res<Weapons>,
    anticheat: Res<AnticheatSettings>,
    rate: Res<TickRate>,
    tick: Res<ServerTick>,
    mut judged: MessageWriter<ShotJudged>,
) {
    let rules = Rules {
        now: tick.get(),
        rate: *rate,
        anticheat: &anticheat,
    };
    let claim_window_ticks = rate.ticks_in_ms(anticheat.max_rewind_ms);
    let mut shots: Vec<(Entity, Shot)> =
        shots.iter().map(|(entity, shot)| (entity, *shot)).collect();
    if shots.is_empty() {
        return;
    }
    // Arrival order is entity order within a tick: stable, so the sequential part is deterministic.
    shots.sort_by_key(|(entity, _)| *entity);
    // Sequential: the fire-rate state changes with every shot.
    let admitted: Vec<Result<(), ShotRejection>> = shots
        .iter()
        .map(|(_, shot)| {
            let weapon = weapons
                .get(shot.weapon)
                .ok_or(ShotRejection::UnknownWeapon)?;
            let (.., inventory, mut fire) = shooters
                .get_mut(shot.shooter)
                .map_err(|_| ShotRejection::NotInMatch)?;
            // Without the economy (no inventory) every weapon is everyone's.
            if inventory.is_some_and(|inventory| !inventory.has_equipped_weapon(&weapon.name)) {
                return Err(ShotRejection::NotOwned);
            }
            fire.admit(
                shot.weapon,
                shot.claimed_tick,
                rules.now,
                claim_window_ticks,
                rules.rate,
                weapon.fire_rate_hz,
            )
        })
        .collect();
    // Parallel: geometry only reads the world as it was.
    let targets: Vec<Target<'_>> = players
        .iter()
        .map(|(entity, id, in_match, team, health, history)| Target {
            entity,
            player_id: id.0,
            in_match: in_match.0,
            team: team.0,
            alive: health.is_alive(),
            history,
        })
        .collect();
    let verdicts: Vec<ShotVerdict> = shots
        .par_iter()
        .zip(admitted.par_iter())
        .map(|((_, shot), admitted)| {
            if let Err(rejection) = admitted {
                return ShotVerdict::Rejected(*rejection);
            }
            let Ok((in_match, team, respawning, left_match, history, session, ..)) =
                shooters.get(shot.shooter)
            else {
                return ShotVerdict::Rejected(ShotRejection::NotInMatch);
            };
            let shooter = Shooter {
                entity: shot.shooter,
                in_match: in_match.map(|in_match| in_match.0),
                team: team.map_or(0, |team| team.0),
                died_at_tick: respawning.map(|respawning| respawning.died_at_tick),
                left_match_at_tick: left_match.map(|left| left.at_tick),
                history,
                rtt_ms: session.map_or(0.0, |session| session.rtt_ms),
            };
            let map = shooter
                .in_match
                .and_then(|found| matches.get(found).ok())
                .and_then(|found| maps.as_ref()?.get(&found.map))
                .map(|map| &**map);
            let Some(weapon) = weapons.get(shot.weapon) else {
                return ShotVerdict::Rejected(ShotRejection::UnknownWeapon);
            };
            judge(shot, &shooter, &targets, map, weapon, &rules)
        })
        .collect();
    for ((entity, shot), verdict) in shots.iter().zip(verdicts) {
        judged.write(ShotJudged {
            shot: *entity,
            shooter: shot.shooter,
            claimed_tick: shot.claimed_tick,
            weapon: shot.weapon,
            yaw: shot.yaw,
            pitch: shot.pitch,
            verdict,
        });
    }
}

/// Tells each shooter its result, reports refusals to anti-cheat and removes the shot entities;
/// damage is the Damage phase's.
pub fn apply_shot_verdicts(
    mut commands: Commands,
    mut judged: MessageReader<ShotJudged>,
    ids: Query<&PlayerId>,
    mut outbound: MessageWriter<Outbound>,
    mut evidence: MessageWriter<CheatEvidence>,
) {
    for judged in judged.read() {
        let outcome = match judged.verdict {
            ShotVerdict::Hit { target, damage } => ShotOutcome::Hit {
                target: ids.get(target).map_or(0, |id| id.0),
                damage,
            },
            ShotVerdict::Miss => ShotOutcome::Miss,
            ShotVerdict::Rejected(rejection) => {
                let weight = suspicion_weight(rejection);
                if weight > 0.0 {
                    evidence.write(CheatEvidence {
                        player: judged.shooter,
                        weight,
                        reason: rejection.as_str(),
                    });
                }
                ShotOutcome::Rejected(rejection.as_str().to_owned())
            }
        };
        outbound.write(Outbound {
            player: judged.shooter,
            message: ServerMessage::ShotResult {
                client_tick: judged.claimed_tick,
                outcome,
            },
        });
        commands.entity(judged.shot).try_despawn();
    }
}
