//! Putting players at spawn points: when a match forms, when it goes live, and after a death.

use crate::map::{MapGeometry, Maps};
use crate::matchmaking::MatchFormed;
use arbiter_components::history::PositionHistory;
use arbiter_components::kinematics::{Position, Velocity};
use arbiter_components::matchmaking::{InMatch, Match, Team};
use arbiter_components::player::{Health, LeftMatch, MatchTally, Respawning};
use arbiter_components::tick::ServerTick;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::MessageReader;
use bevy_ecs::query::QueryData;
use bevy_ecs::system::{Commands, Query, Res};
use bevy_math::Vec3;

/// What a (re)spawn resets.
#[derive(QueryData, Debug)]
#[query_data(mutable)]
pub struct SpawnBody {
    position: &'static mut Position,
    velocity: &'static mut Velocity,
    health: &'static mut Health,
    history: Option<&'static mut PositionHistory>,
}

impl SpawnBodyItem<'_, '_> {
    /// Full health, standing still at `at`, and a teleport in the history so that lag compensation
    /// never rewinds across it.
    fn spawn_at(&mut self, at: Vec3, tick: u64) {
        self.position.0 = at;
        self.velocity.0 = Vec3::ZERO;
        *self.health = Health::FULL;
        if let Some(history) = self.history.as_mut() {
            history.teleport(tick, at);
        }
    }
}

/// The `turn`-th spawn point of `team`, going round them.
fn spawn_point(map: &MapGeometry, team: u8, turn: usize) -> Option<Vec3> {
    let count = map.spawns(team).count();
    map.spawns(team)
        .nth(turn % count.max(1))
        .map(|spawn| spawn.position)
}

/// Every player of the match back at a spawn point of its team (spread over the points in turn),
/// alive, with a fresh scoreboard line.
pub(super) fn spawn_teams(
    found: &Match,
    map: &MapGeometry,
    tick: u64,
    bodies: &mut Query<SpawnBody>,
    commands: &mut Commands,
) {
    for (team, members) in found.teams.iter().enumerate() {
        for (turn, player) in members.iter().enumerate() {
            let (Some(at), Ok(mut body)) =
                (spawn_point(map, team as u8, turn), bodies.get_mut(*player))
            else {
                continue;
            };
            body.spawn_at(at, tick);
            commands
                .entity(*player)
                .try_remove::<(Respawning, LeftMatch)>()
                .try_insert(MatchTally::default());
        }
    }
}

/// A newly formed match puts its players at their spawn points for warm-up.
pub fn place_at_spawns(
    mut commands: Commands,
    mut formed: MessageReader<MatchFormed>,
    matches: Query<&Match>,
    maps: Option<Res<Maps>>,
    tick: Res<ServerTick>,
    mut bodies: Query<SpawnBody>,
) {
    for formed in formed.read() {
        let Ok(found) = matches.get(formed.match_entity) else {
            continue;
        };
        let Some(map) = maps.as_ref().and_then(|maps| maps.get(&found.map)) else {
            continue;
        };
        spawn_teams(found, map, tick.get(), &mut bodies, &mut commands);
    }
}

/// Dead players whose wait is over come back at a spawn point of their team.
pub fn respawn_players(
    mut commands: Commands,
    tick: Res<ServerTick>,
    maps: Option<Res<Maps>>,
    matches: Query<&Match>,
    mut waiting: Query<(Entity, &Respawning, &InMatch, &Team, SpawnBody)>,
) {
    let now = tick.get();
    for (player, respawning, in_match, team, mut body) in &mut waiting {
        if respawning.at_tick > now {
            continue;
        }
        let map = matches
            .get(in_match.0)
            .ok()
            .and_then(|found| maps.as_ref()?.get(&found.map));
        // Spread respawns over the team's points by tick, so two deaths do not stack players.
        let Some(at) = map
            .and_then(|map| spawn_point(map, team.0, now as usize + player.index_u32() as usize))
        else {
            continue;
        };
        body.spawn_at(at, now);
        commands.entity(player).remove::<Respawning>();
    }
}
