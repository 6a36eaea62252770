//! Match lifecycle. So far: a formed match puts its players at their team's spawn points.

use crate::map::Maps;
use crate::matchmaking::MatchFormed;
use arbiter_components::history::PositionHistory;
use arbiter_components::kinematics::{Position, Velocity};
use arbiter_components::matchmaking::Match;
use arbiter_components::tick::ServerTick;
use bevy_ecs::message::MessageReader;
use bevy_ecs::system::{Query, Res};

/// Moves each player of a newly formed match to a spawn point of its team (spread over the team's
/// spawn points in turn) and marks the move as a teleport, so lag compensation never rewinds across it.
pub fn place_at_spawns(
    mut formed: MessageReader<MatchFormed>,
    matches: Query<&Match>,
    maps: Option<Res<Maps>>,
    tick: Res<ServerTick>,
    mut players: Query<(&mut Position, &mut Velocity, Option<&mut PositionHistory>)>,
) {
    for formed in formed.read() {
        let Ok(found) = matches.get(formed.match_entity) else {
            continue;
        };
        let Some(map) = maps.as_ref().and_then(|maps| maps.get(&found.map)) else {
            continue;
        };
        for (team, members) in found.teams.iter().enumerate() {
            let spawns: Vec<_> = map.spawns(team as u8).collect();
            for (index, player) in members.iter().enumerate() {
                let (Some(spawn), Ok((mut position, mut velocity, history))) = (
                    spawns.get(index % spawns.len().max(1)),
                    players.get_mut(*player),
                ) else {
                    continue;
                };
                position.0 = spawn.position;
                velocity.0 = bevy_math::Vec3::ZERO;
                if let Some(mut history) = history {
                    history.mark_teleport(tick.get());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::map::test_map;
    use arbiter_components::matchmaking::MatchState;
    use bevy_ecs::message::Messages;
    use bevy_ecs::system::RunSystemOnce;
    use bevy_ecs::world::World;
    use bevy_math::Vec3;

    #[test]
    fn a_formed_match_puts_each_team_on_its_spawn_points() {
        let mut world = World::new();
        let mut maps = Maps::default();
        maps.insert(test_map("duel", 50.0, &[])).expect("one map");
        world.insert_resource(maps);
        world.init_resource::<ServerTick>();
        world.init_resource::<Messages<MatchFormed>>();
        let blue = world
            .spawn((
                Position(Vec3::ONE),
                Velocity(Vec3::X),
                PositionHistory::default(),
            ))
            .id();
        let red = world.spawn((Position(Vec3::ONE), Velocity(Vec3::X))).id();
        let match_entity = world
            .spawn(Match {
                id: 1,
                mode: 0,
                map: "duel".into(),
                teams: [vec![blue], vec![red]],
                state: MatchState::Forming,
                created_tick: 0,
            })
            .id();
        world.write_message(MatchFormed {
            match_entity,
            match_id: 1,
            waits_ticks: vec![0, 0],
            rating_span: 0,
            team_imbalance: 0.0,
        });

        world.run_system_once(place_at_spawns).expect("runs");

        assert_eq!(
            world.get::<Position>(blue),
            Some(&Position(Vec3::new(-40.0, 0.0, 0.0)))
        );
        assert_eq!(
            world.get::<Position>(red),
            Some(&Position(Vec3::new(40.0, 0.0, 0.0)))
        );
        assert_eq!(world.get::<Velocity>(red), Some(&Velocity(Vec3::ZERO)));
    }
}
