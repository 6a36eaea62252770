//! Damage: hits take hit points; a player at zero dies, waits, and respawns. Kills in a live match
//! count for the killer's team, its scoreboard line and both players' stats.

use crate::phases::SimulationSystems;
use crate::shots::ShotJudged;
use arbiter_components::combat::ShotVerdict;
use arbiter_components::config::MatchSettings;
use arbiter_components::match_events::PlayerKilled;
use arbiter_components::matchmaking::{InMatch, Match, MatchState, Team};
use arbiter_components::messages::Outbound;
use arbiter_components::player::{Health, MatchTally, PlayerId, Respawning, Stats};
use arbiter_components::protocol::ServerMessage;
use arbiter_components::tick::{ServerTick, TickRate};
use bevy_app::{App, FixedUpdate, Plugin};
use bevy_ecs::message::{MessageReader, MessageWriter};
use bevy_ecs::schedule::IntoScheduleConfigs;
use bevy_ecs::schedule::common_conditions::any_with_component;
use bevy_ecs::system::{Commands, Query, Res};

/// Damage in the Damage phase, only while some match exists.
#[derive(Debug, Default)]
pub struct DamagePlugin;

impl Plugin for DamagePlugin {
    fn build(&self, app: &mut App) {
        app.register_required_components::<PlayerId, Health>()
            .init_resource::<MatchSettings>()
            .init_resource::<TickRate>()
            .add_message::<ShotJudged>()
            .add_message::<PlayerKilled>()
            .add_message::<Outbound>()
            .add_systems(
                FixedUpdate,
                apply_damage
                    .in_set(SimulationSystems::Damage)
                    .run_if(any_with_component::<Match>),
            );
    }
}

/// Applies this tick's hits in verdict order. A target already dead takes no more damage, so two
/// shots in one tick never kill twice.
#[expect(
    clippy::too_many_arguments,
    reason = "a system's parameters are its dependencies"
)]
pub fn apply_damage(
    mut commands: Commands,
    tick: Res<ServerTick>,
    settings: Res<MatchSettings>,
    rate: Res<TickRate>,
    mut judged: MessageReader<ShotJudged>,
    mut targets: Query<(&mut Health, &InMatch, &Team)>,
    mut careers: Query<(&mut Stats, &mut MatchTally)>,
    ids: Query<&PlayerId>,
    mut matches: Query<&mut Match>,
    mut killed: MessageWriter<PlayerKilled>,
    mut outbound: MessageWriter<Outbound>,
) {
    let now = tick.get();
    for judged in judged.read() {
        let ShotVerdict::Hit { target, damage } = judged.verdict else {
            continue;
        };
        let Ok((mut health, in_match, team)) = targets.get_mut(target) else {
            continue;
        };
        if !health.is_alive() {
            continue;
        }
        health.0 = health.0.saturating_sub(damage);
        if health.is_alive() {
            continue;
        }
        let (match_entity, victim_team) = (in_match.0, team.0);
        let respawn_ticks = rate.ticks_in_secs(settings.respawn_secs);
        commands.entity(target).try_insert(Respawning {
            died_at_tick: now,
            at_tick: now + respawn_ticks.max(1),
        });
        let Ok(mut found) = matches.get_mut(match_entity) else {
            continue;
        };
        let counted = found.state == MatchState::Live && judged.shooter != target;
        if counted {
            found.scores[usize::from(1 - victim_team.min(1))] += 1;
            if let Ok((mut stats, mut tally)) = careers.get_mut(judged.shooter) {
                stats.kills += 1;
                tally.kills += 1;
            }
            if let Ok((mut stats, mut tally)) = careers.get_mut(target) {
                stats.deaths += 1;
                tally.deaths += 1;
            }
        }
        killed.write(PlayerKilled {
            match_id: found.id,
            killer: judged.shooter,
            victim: target,
            weapon: judged.weapon,
            counted,
        });
        let id_of = |player| ids.get(player).map_or(0, |id| id.0);
        let message = ServerMessage::PlayerKilled {
            killer: id_of(judged.shooter),
            victim: id_of(target),
            respawn_ms: settings.respawn_secs * 1000,
        };
        for player in found.teams.iter().flatten() {
            outbound.write(Outbound {
                player: *player,
                message: message.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbiter_components::combat::ShotVerdict;
    use bevy_ecs::entity::Entity;
    use bevy_ecs::message::Messages;
    use bevy_ecs::system::RunSystemOnce;
    use bevy_ecs::world::World;

    fn world(state: MatchState) -> (World, Entity, Entity) {
        let mut world = World::new();
        world.init_resource::<ServerTick>();
        world.insert_resource(TickRate::new(10));
        world.insert_resource(MatchSettings {
            respawn_secs: 2,
            ..MatchSettings::default()
        });
        world.init_resource::<Messages<ShotJudged>>();
        world.init_resource::<Messages<PlayerKilled>>();
        world.init_resource::<Messages<Outbound>>();
        let game = world.spawn_empty().id();
        let player = |world: &mut World, id: u64, team: u8| {
            world
                .spawn((
                    PlayerId(id),
                    InMatch(game),
                    Team(team),
                    Health(30),
                    Stats::default(),
                    MatchTally::default(),
                ))
                .id()
        };
        let (blue, red) = (player(&mut world, 1, 0), player(&mut world, 2, 1));
        let mut found = Match::new(1, 0, "duel".into(), [vec![blue], vec![red]], 0);
        found.state = state;
        world.entity_mut(game).insert(found);
        (world, blue, red)
    }

    fn hit(world: &mut World, shooter: Entity, target: Entity, damage: u16) {
        world.write_message(ShotJudged {
            shot: shooter,
            shooter,
            claimed_tick: 0,
            weapon: 0,
            yaw: 0.0,
            pitch: 0.0,
            verdict: ShotVerdict::Hit { target, damage },
        });
    }

    fn score(world: &mut World) -> [u32; 2] {
        let mut matches = world.query::<&Match>();
        matches.single(world).expect("one match").scores
    }

    #[test]
    fn a_hit_takes_hit_points_and_a_lethal_one_kills_once_and_counts_when_live() {
        let (mut world, blue, red) = world(MatchState::Live);
        hit(&mut world, blue, red, 25);
        world.run_system_once(apply_damage).expect("runs");
        world.flush();
        assert_eq!(world.get::<Health>(red), Some(&Health(5)));
        assert!(world.get::<Respawning>(red).is_none());

        // Two lethal hits in one tick: one death.
        hit(&mut world, blue, red, 25);
        hit(&mut world, blue, red, 25);
        world.run_system_once(apply_damage).expect("runs");
        world.flush();
        assert_eq!(world.get::<Health>(red), Some(&Health(0)));
        assert_eq!(
            world.get::<Respawning>(red),
            Some(&Respawning {
                died_at_tick: 0,
                at_tick: 20
            })
        );
        assert_eq!(score(&mut world), [1, 0]);
        assert_eq!(world.get::<Stats>(blue).map(|stats| stats.kills), Some(1));
        assert_eq!(world.get::<Stats>(red).map(|stats| stats.deaths), Some(1));
        assert_eq!(
            world.get::<MatchTally>(blue),
            Some(&MatchTally {
                kills: 1,
                deaths: 0
            })
        );
        let killed: Vec<PlayerKilled> = world
            .resource_mut::<Messages<PlayerKilled>>()
            .drain()
            .collect();
        assert_eq!(killed.len(), 1);
        assert!(killed[0].counted);
        let feed = world
            .resource_mut::<Messages<Outbound>>()
            .drain()
            .filter(|outbound| {
                outbound.message
                    == ServerMessage::PlayerKilled {
                        killer: 1,
                        victim: 2,
                        respawn_ms: 2000,
                    }
            })
            .count();
        assert_eq!(feed, 2, "both players of the match see the kill");
    }

    #[test]
    fn warm_up_kills_do_not_count() {
        let (mut world, blue, red) = world(MatchState::Warmup);
        hit(&mut world, blue, red, 100);
        world.run_system_once(apply_damage).expect("runs");
        world.flush();
        assert_eq!(world.get::<Health>(red), Some(&Health(0)), "still dies");
        assert_eq!(score(&mut world), [0, 0]);
        assert_eq!(world.get::<Stats>(blue), Some(&Stats::default()));
        let killed: Vec<PlayerKilled> = world
            .resource_mut::<Messages<PlayerKilled>>()
            .drain()
            .collect();
        assert!(!killed[0].counted);
    }
}
